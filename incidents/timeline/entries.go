package timeline

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Raw returns a copy of record seq's canonical bytes: leaf seq of the tree.
// It returns an error wrapping ErrNotFound when seq >= Len().
func (t *Timeline) Raw(seq uint64) ([]byte, error) {
	if n := t.Len(); seq >= n {
		return nil, fmt.Errorf("record %d of %d: %w", seq, n, ErrNotFound)
	}
	var raw []byte
	err := t.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRecords).Get(seqKey(nil, seq))
		if v == nil {
			return fmt.Errorf("record %d missing: %w", seq, ErrCorrupt)
		}
		raw = append([]byte(nil), v...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("raw record %d: %w", seq, err)
	}
	return raw, nil
}

// EntryBundle returns the first width records of entry bundle n (C2SP
// tlog-tiles: records n·256 onwards), each as a big-endian uint16 length
// then its canonical bytes. It returns an error wrapping ErrNotFound when
// the log is too short, ErrInvalid for a width out of 1 to TileWidth.
func (t *Timeline) EntryBundle(n uint64, width int) ([]byte, error) {
	if width < 1 || width > TileWidth {
		return nil, fmt.Errorf("entry bundle %d width %d: %w", n, width, ErrInvalid)
	}
	size := t.Len()
	if n > (size-1)/TileWidth || n*TileWidth+uint64(width) > size || size == 0 {
		return nil, fmt.Errorf("entry bundle %d width %d: %d records: %w", n, width, size, ErrNotFound)
	}
	from := n * TileWidth
	var out []byte
	err := t.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecords).Cursor()
		seq := from
		for k, v := c.Seek(seqKey(nil, from)); seq < from+uint64(width); k, v = c.Next() {
			if k == nil || binary.BigEndian.Uint64(k) != seq || len(v) > 0xffff {
				return fmt.Errorf("record %d missing or too long: %w", seq, ErrCorrupt)
			}
			out = binary.BigEndian.AppendUint16(out, uint16(len(v)))
			out = append(out, v...)
			seq++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("entry bundle %d: %w", n, err)
	}
	return out, nil
}

// WithStrings returns record seq decoded, a copy of its canonical bytes,
// and for each string ID it uses the seq of the string-definition record
// that defines it: what a reader needs beside the bytes to decode them. It
// reads all three in one transaction. It returns an error wrapping
// ErrNotFound when seq >= Len(), ErrCorrupt when the record does not
// decode.
func (t *Timeline) WithStrings(seq uint64) (Record, []byte, map[uint64]uint64, error) {
	if n := t.Len(); seq >= n {
		return Record{}, nil, nil, fmt.Errorf("record %d of %d: %w", seq, n, ErrNotFound)
	}
	var rec Record
	var raw []byte
	defs := map[uint64]uint64{}
	err := t.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRecords).Get(seqKey(nil, seq))
		if v == nil {
			return fmt.Errorf("record %d missing: %w", seq, ErrCorrupt)
		}
		raw = append([]byte(nil), v...)
		lookup := t.stringLookup(tx)
		strs := tx.Bucket(bucketStrings)
		var err error
		rec, err = DecodeRecord(raw, func(id uint64) (string, bool) {
			s, ok := lookup(id)
			if v := strs.Get(seqKey(nil, id)); ok && len(v) == 8 {
				defs[id] = binary.BigEndian.Uint64(v)
			}
			return s, ok
		})
		rec.Seq = seq
		return err
	})
	if err != nil {
		return Record{}, nil, nil, fmt.Errorf("record %d with its strings: %w", seq, err)
	}
	return rec, raw, defs, nil
}
