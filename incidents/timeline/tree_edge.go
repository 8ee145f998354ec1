package timeline

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// chunkHashes is how many hashes one value of the edge bucket holds: 512
// bytes, seven to a page. A commit then rewrites the last small value and
// the page it shares with a few others, not a 32 KB group and the groups
// beside it on its bbolt leaf (a leaf of four values or fewer never
// splits, whatever their size, so that each group put rewrote three or
// four groups).
const chunkHashes = 16

// edge is the right edge of the tree: for each tile level, how many hashes
// it holds and those of its unfinished group. Only the writer uses it; a
// batch works on a copy, which shares buf with the committed edge and only
// appends beyond its length (as blocks do), so that a failed transaction
// leaves the committed edge intact.
type edge [maxTileLevels]edgeLevel

type edgeLevel struct {
	n     uint64 // hashes at this level: hash i is the tree's node (8L, i)
	buf   []byte // hashes n - len(buf)/32 to n - 1: those of the unfinished group
	saved uint64 // hashes of this level in the file, as chunks or groups
}

// add appends h to tile level L, and the root of each tile it completes to
// the level above. The chunks of a group that becomes full are put at
// once; flush puts those of the unfinished groups, settle moves the full
// groups to the tree bucket.
func (e *edge) add(chunks *bolt.Bucket, L int, h *tlog.Hash) error {
	l := &e[L]
	if l.buf == nil {
		l.buf = make([]byte, 0, groupBytes)
	}
	l.buf = append(l.buf, h[:]...)
	l.n++
	if l.n%TileWidth == 0 {
		root := tileRoot(l.buf[len(l.buf)-tileBytes:])
		if err := e.add(chunks, L+1, &root); err != nil {
			return err
		}
	}
	if l.n%groupHashes == 0 {
		if err := l.flush(chunks, L); err != nil {
			return err
		}
		// bbolt keeps buf until the transaction ends: start a new one.
		l.buf = make([]byte, 0, groupBytes)
	}
	return nil
}

// flush puts the chunks of the unfinished groups that grew since they
// were last put: the last one, which may be short, again, and the new
// ones. Their bytes must stay unchanged until the transaction ends: the
// next add appends beyond them.
func (e *edge) flush(chunks *bolt.Bucket) error {
	for L := range e {
		if err := e[L].flush(chunks, L); err != nil {
			return err
		}
	}
	return nil
}

func (l *edgeLevel) flush(chunks *bolt.Bucket, L int) error {
	first := l.n - uint64(len(l.buf))/tlog.HashSize // buf's first hash
	for c := l.saved / chunkHashes; c*chunkHashes < l.n; c++ {
		lo, hi := c*chunkHashes-first, min(l.n, (c+1)*chunkHashes)-first
		if err := chunks.Put(treeKey(L, c), l.buf[lo*tlog.HashSize:hi*tlog.HashSize]); err != nil {
			return fmt.Errorf("put tree level %d chunk %d: %w", L, c, err)
		}
	}
	l.saved = l.n
	return nil
}

// settle moves each full group still in chunks to one value of the tree
// bucket, and deletes its chunks. The writer calls it at each checkpoint,
// after flush: so the tree's last bbolt leaf, three or four groups, is
// rewritten once per checkpoint rather than once per group.
func (e *edge) settle(tree, chunks *bolt.Bucket) error {
	for L := range e {
		k, _ := chunks.Cursor().Seek(treeKey(L, 0))
		if k == nil || k[0] != byte(L) || len(k) != treeKeyLen {
			continue
		}
		for g := binary.BigEndian.Uint64(k[1:]) * chunkHashes / groupHashes; g < e[L].n/groupHashes; g++ {
			v, err := readLevel(chunks.Tx(), make([]byte, 0, groupBytes), L, g*groupHashes, (g+1)*groupHashes)
			if err != nil {
				return fmt.Errorf("settle tree level %d group %d: %w", L, g, err)
			}
			if err := tree.Put(treeKey(L, g), v); err != nil {
				return fmt.Errorf("put tree level %d group %d: %w", L, g, err)
			}
			for c := g * groupHashes / chunkHashes; c < (g+1)*groupHashes/chunkHashes; c++ {
				if err := chunks.Delete(treeKey(L, c)); err != nil {
					return fmt.Errorf("delete tree level %d chunk %d: %w", L, c, err)
				}
			}
		}
	}
	return nil
}

// loadEdge reads the right edge of the tree from tx and checks that the
// levels agree with one another (level L+1 holds one hash per full tile
// of level L), and that each level's chunks follow its last group in the
// tree bucket, one after another, all full but the last.
func loadEdge(tx *bolt.Tx) (edge, error) {
	var e edge
	tc, cc := tx.Bucket(bucketTree).Cursor(), tx.Bucket(bucketEdge).Cursor()
	for L := range e {
		l := &e[L]
		k, v := lastGroup(tc, L)
		if k != nil {
			if len(k) != treeKeyLen || len(v) != groupBytes {
				return e, fmt.Errorf("tree key %x: value of %d bytes, want %d: %w", k, len(v), groupBytes, ErrCorrupt)
			}
			l.n = (binary.BigEndian.Uint64(k[1:]) + 1) * groupHashes
		}
		short := false
		for k, v := cc.Seek(treeKey(L, 0)); k != nil && k[0] == byte(L); k, v = cc.Next() {
			switch {
			case len(k) != treeKeyLen || binary.BigEndian.Uint64(k[1:])*chunkHashes != l.n || short:
				return e, fmt.Errorf("tree chunk key %x: want level %d chunk %d after %d hashes: %w", k, L, l.n/chunkHashes, l.n, ErrCorrupt)
			case len(v) == 0 || len(v) > chunkHashes*tlog.HashSize || len(v)%tlog.HashSize != 0:
				return e, fmt.Errorf("tree chunk key %x: value of %d bytes: %w", k, len(v), ErrCorrupt)
			}
			if l.n%groupHashes == 0 {
				l.buf = l.buf[:0]
			}
			l.buf = append(l.buf, v...)
			l.n += uint64(len(v) / tlog.HashSize)
			short = len(v) < chunkHashes*tlog.HashSize
		}
		if l.n%groupHashes == 0 {
			l.buf = nil
		}
		l.buf = append(make([]byte, 0, groupBytes), l.buf...)
		l.saved = l.n
	}
	for L := 1; L < len(e); L++ {
		if want := e[L-1].n / TileWidth; e[L].n != want {
			return e, fmt.Errorf("tree level %d holds %d hashes, want %d for %d at level %d: %w",
				L, e[L].n, want, e[L-1].n, L-1, ErrCorrupt)
		}
	}
	return e, nil
}

// lastGroup returns the last key of tile level L in the tree bucket and its
// value, or nil if the level has none.
func lastGroup(c *bolt.Cursor, L int) ([]byte, []byte) {
	k, v := c.Seek(treeKey(L+1, 0))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || k[0] != byte(L) {
		return nil, nil
	}
	return k, v
}

// migrateEdge moves the unfinished group of each level, which files
// written before the edge bucket existed keep in the tree bucket as a
// shorter value, into chunks of the edge bucket, which it creates. It
// reports whether it moved any. Only Open calls it.
func migrateEdge(tx *bolt.Tx) (moved bool, _ error) {
	if tx.Bucket(bucketEdge) != nil {
		return false, nil
	}
	chunks, err := tx.CreateBucket(bucketEdge)
	if err != nil {
		return false, fmt.Errorf("create bucket %q: %w", bucketEdge, err)
	}
	tree := tx.Bucket(bucketTree)
	c := tree.Cursor()
	for L := range maxTileLevels {
		k, v := lastGroup(c, L)
		if k == nil || len(v) >= groupBytes {
			continue
		}
		if len(k) != treeKeyLen || len(v)%tlog.HashSize != 0 {
			return false, fmt.Errorf("tree key %x: value of %d bytes: %w", k, len(v), ErrCorrupt)
		}
		k, v = bytes.Clone(k), bytes.Clone(v)
		first := binary.BigEndian.Uint64(k[1:]) * groupHashes / chunkHashes
		for i := 0; i*chunkHashes*tlog.HashSize < len(v); i++ {
			part := v[i*chunkHashes*tlog.HashSize : min(len(v), (i+1)*chunkHashes*tlog.HashSize)]
			if err := chunks.Put(treeKey(L, first+uint64(i)), part); err != nil {
				return false, fmt.Errorf("put tree level %d chunk %d: %w", L, first+uint64(i), err)
			}
		}
		if err := tree.Delete(k); err != nil {
			return false, fmt.Errorf("delete tree key %x: %w", k, err)
		}
		c, moved = tree.Cursor(), true // a new cursor: the deletion moved the pages under this one
	}
	return moved, nil
}
