package timeline

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// RecordError is returned by VerifyTree when a record's bytes do not hash to
// its stored leaf, or the record is missing: Seq names the first record at
// fault. It wraps ErrCorrupt.
type RecordError struct {
	Seq uint64
	Err error
}

// Error reads "record 1041: stored leaf 3f…, its bytes hash to 9a…: corrupt timeline data".
func (e *RecordError) Error() string { return fmt.Sprintf("record %d: %v", e.Seq, e.Err) }
func (e *RecordError) Unwrap() error { return e.Err }

// verifyChunk is how many records VerifyTree reads per read transaction.
const verifyChunk = 1 << 16

// VerifyTree checks the tree against the records from seq from to Len():
// it recomputes each record's leaf hash from its bytes and compares it with
// the stored leaf, then recomputes the root of every full tile that ends
// after from, at every level, from the stored level below, and compares it
// with the stored hash above. It returns nil if all agree, a *RecordError
// naming the first record whose bytes or leaf disagree, or an error
// wrapping ErrCorrupt naming the first tile whose root disagrees. From 0 it
// reads the whole file: that is constat fsck. It never writes.
func (t *Timeline) VerifyTree(from uint64) error {
	size := t.Len()
	var stored []byte
	for seq := from; seq < size; {
		end := min(size, seq+verifyChunk)
		err := t.view(func(tx *bolt.Tx) error {
			var err error
			if stored, err = readLevel(tx, stored[:0], 0, seq, end); err != nil {
				return &RecordError{Seq: seq, Err: fmt.Errorf("leaves missing: %w: %w", err, ErrCorrupt)}
			}
			c := tx.Bucket(bucketRecords).Cursor()
			for k, v := c.Seek(seqKey(nil, seq)); seq < end; k, v = c.Next() {
				if k == nil || binary.BigEndian.Uint64(k) != seq {
					return &RecordError{Seq: seq, Err: fmt.Errorf("missing (found key %x): %w", k, ErrCorrupt)}
				}
				h, leaf := tlog.RecordHash(v), stored[:tlog.HashSize]
				if !bytes.Equal(h[:], leaf) {
					return &RecordError{Seq: seq, Err: fmt.Errorf("stored leaf %x, its bytes hash to %x: %w", leaf, h[:], ErrCorrupt)}
				}
				stored = stored[tlog.HashSize:]
				seq++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("verify tree: %w", err)
		}
	}
	for L := 0; levelLen(size, L+1) > 0; L++ {
		if err := t.verifyTiles(L, from, size); err != nil {
			return fmt.Errorf("verify tree: %w", err)
		}
	}
	return nil
}

// verifyTiles checks the roots of the full tiles of level L that end after
// leaf from, in a tree of size leaves, against level L+1.
func (t *Timeline) verifyTiles(L int, from, size uint64) error {
	first, end := from>>(TileHeight*(L+1)), levelLen(size, L+1)
	var tile, roots []byte
	for n := first; n < end; {
		stop := min(end, n+verifyChunk/TileWidth)
		err := t.view(func(tx *bolt.Tx) error {
			var err error
			if roots, err = readLevel(tx, roots[:0], L+1, n, stop); err != nil {
				return fmt.Errorf("%w: %w", err, ErrCorrupt)
			}
			for ; n < stop; n++ {
				if tile, err = readLevel(tx, tile[:0], L, n*TileWidth, (n+1)*TileWidth); err != nil {
					return fmt.Errorf("%w: %w", err, ErrCorrupt)
				}
				if h, r := tileRoot(tile), roots[:tlog.HashSize]; !bytes.Equal(h[:], r) {
					span := uint64(1) << (TileHeight * (L + 1))
					return fmt.Errorf("tile %d/%d (records %d to %d): stored root %x, its hashes give %x: %w",
						L, n, n*span, (n+1)*span-1, r, h[:], ErrCorrupt)
				}
				roots = roots[tlog.HashSize:]
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
