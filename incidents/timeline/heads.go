package timeline

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

var bucketHeads = []byte("heads")

// maxHeadLen bounds a stored tree head: a checkpoint note with a few
// signatures is well under a kilobyte.
const maxHeadLen = 1 << 16

// PutHead stores a signed tree head for the tree of size records: the
// checkpoint note package evidence signs. Heads are kept forever, one per
// size, sizes increasing. PutHead returns an error wrapping ErrInvalid when
// size is beyond Len() or not above the last head's size, or the note is
// empty or over 64 KiB. It writes in its own transaction, beside the writer.
func (t *Timeline) PutHead(size uint64, note []byte) error {
	if len(note) == 0 || len(note) > maxHeadLen {
		return fmt.Errorf("put tree head %d: note of %d bytes: %w", size, len(note), ErrInvalid)
	}
	if n := t.Len(); size > n {
		return fmt.Errorf("put tree head %d: %d records: %w", size, n, ErrInvalid)
	}
	err := closedErr(t.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketHeads)
		if err != nil {
			return err
		}
		if k, _ := b.Cursor().Last(); k != nil && binary.BigEndian.Uint64(k) >= size {
			return fmt.Errorf("last head is for size %d: %w", binary.BigEndian.Uint64(k), ErrInvalid)
		}
		b.FillPercent = 1
		return b.Put(seqKey(nil, size), note)
	}))
	if err != nil {
		return fmt.Errorf("put tree head %d: %w", size, err)
	}
	return nil
}

// Head is a stored signed tree head.
type Head struct {
	Size uint64 // tree size
	Note []byte // the signed note, as stored
}

// Heads returns up to limit stored heads of size above after, in size
// order. Pass after 0 and a limit to read from the start (a head of size 0
// is never stored: the empty tree is not worth signing).
func (t *Timeline) Heads(after uint64, limit int) ([]Head, error) {
	var hs []Head
	err := t.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeads)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.Seek(seqKey(nil, after))
		if k != nil && binary.BigEndian.Uint64(k) == after {
			k, v = c.Next()
		}
		for ; k != nil && len(hs) < limit; k, v = c.Next() {
			if len(k) != 8 {
				return fmt.Errorf("head key %x: %w", k, ErrCorrupt)
			}
			hs = append(hs, Head{Size: binary.BigEndian.Uint64(k), Note: append([]byte(nil), v...)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read tree heads after %d: %w", after, err)
	}
	return hs, nil
}

// LastHead returns the stored head of the largest size, and false if none
// is stored.
func (t *Timeline) LastHead() (Head, bool, error) {
	var h Head
	var ok bool
	err := t.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeads)
		if b == nil {
			return nil
		}
		k, v := b.Cursor().Last()
		if k == nil {
			return nil
		}
		if len(k) != 8 {
			return fmt.Errorf("head key %x: %w", k, ErrCorrupt)
		}
		h, ok = Head{Size: binary.BigEndian.Uint64(k), Note: append([]byte(nil), v...)}, true
		return nil
	})
	if err != nil {
		return Head{}, false, fmt.Errorf("read last tree head: %w", err)
	}
	return h, ok, nil
}
