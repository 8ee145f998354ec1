package timeline

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// The Merkle tree of the log. See "The tree" in the package documentation.
const (
	// TileHeight is the height of the tree's tiles (C2SP tlog-tiles): a
	// tile at level L holds up to TileWidth hashes of tree level 8L.
	TileHeight = 8
	// TileWidth is the number of hashes in a full tile.
	TileWidth = 1 << TileHeight

	groupTiles    = 4                      // full tiles in one value of the tree bucket
	groupHashes   = groupTiles * TileWidth // hashes in one full value
	groupBytes    = groupHashes * tlog.HashSize
	tileBytes     = TileWidth * tlog.HashSize
	maxTileLevels = 64 / TileHeight // 256^8 leaves would overflow the uint64 seqs
	treeKeyLen    = 1 + 8
)

// treeKey is the key of group g of tile level L in the tree bucket.
func treeKey(L int, g uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{byte(L)}, g)
}

// edge is the right edge of the tree: for each tile level, how many hashes
// it holds and those of its last, incomplete value. Only the writer uses it;
// a batch works on a copy, which shares buf with the committed edge and only
// appends beyond its length (as blocks do), so that a failed transaction
// leaves the committed edge intact.
type edge [maxTileLevels]edgeLevel

type edgeLevel struct {
	n     uint64 // hashes at this level: hash i is the tree's node (8L, i)
	buf   []byte // hashes n - len(buf)/32 to n - 1, the start of an unfinished group
	dirty bool   // buf grew since it was last put
}

// add appends h to tile level L, and the root of each tile it completes to
// the level above. A value that becomes full is put at once; the others are
// put by flush.
func (e *edge) add(tree *bolt.Bucket, L int, h *tlog.Hash) error {
	l := &e[L]
	if l.buf == nil {
		l.buf = make([]byte, 0, groupBytes)
	}
	l.buf = append(l.buf, h[:]...)
	l.n++
	l.dirty = true
	if l.n%TileWidth == 0 {
		root := tileRoot(l.buf[len(l.buf)-tileBytes:])
		if err := e.add(tree, L+1, &root); err != nil {
			return err
		}
	}
	if l.n%groupHashes == 0 {
		// bbolt keeps buf until the transaction ends: start a new one.
		if err := tree.Put(treeKey(L, l.n/groupHashes-1), l.buf); err != nil {
			return fmt.Errorf("put tree level %d group %d: %w", L, l.n/groupHashes-1, err)
		}
		l.buf, l.dirty = make([]byte, 0, groupBytes), false
	}
	return nil
}

// flush puts the unfinished values that grew since they were last put.
// Their bytes must stay unchanged until the transaction ends: the next
// add appends beyond them.
func (e *edge) flush(tree *bolt.Bucket) error {
	for L := range e {
		l := &e[L]
		if !l.dirty {
			continue
		}
		g := (l.n - 1) / groupHashes
		if err := tree.Put(treeKey(L, g), l.buf); err != nil {
			return fmt.Errorf("put tree level %d group %d: %w", L, g, err)
		}
		l.dirty = false
	}
	return nil
}

// tileRoot returns the Merkle tree hash of a full tile's 256 hashes.
func tileRoot(tile []byte) tlog.Hash {
	var hs [TileWidth / 2]tlog.Hash
	for i := range hs {
		hs[i] = tlog.NodeHash(tlog.Hash(tile[64*i:]), tlog.Hash(tile[64*i+32:]))
	}
	for w := len(hs) / 2; w >= 1; w /= 2 {
		for i := range w {
			hs[i] = tlog.NodeHash(hs[2*i], hs[2*i+1])
		}
	}
	return hs[0]
}

// loadEdge reads the right edge of the tree from tx and checks that the
// levels agree with one another: level L+1 holds one hash per full tile
// of level L.
func loadEdge(tx *bolt.Tx) (edge, error) {
	var e edge
	c := tx.Bucket(bucketTree).Cursor()
	for L := range e {
		k, v := c.Seek(treeKey(L+1, 0))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		if k == nil || k[0] != byte(L) {
			break // an empty level: so are those above
		}
		if len(k) != treeKeyLen || len(v) == 0 || len(v) > groupBytes || len(v)%tlog.HashSize != 0 {
			return e, fmt.Errorf("tree key %x: value of %d bytes: %w", k, len(v), ErrCorrupt)
		}
		g := binary.BigEndian.Uint64(k[1:])
		l := &e[L]
		l.n = g*groupHashes + uint64(len(v)/tlog.HashSize)
		l.buf = make([]byte, 0, groupBytes)
		if len(v) < groupBytes {
			l.buf = append(l.buf, v...)
		}
	}
	for L := 1; L < len(e); L++ {
		if want := e[L-1].n / TileWidth; e[L].n != want {
			return e, fmt.Errorf("tree level %d holds %d hashes, want %d for %d at level %d: %w",
				L, e[L].n, want, e[L-1].n, L-1, ErrCorrupt)
		}
	}
	return e, nil
}

// readLevel appends to dst the hashes from to end of tile level L, read
// from tx. It returns an error wrapping ErrNotFound if the level holds
// fewer.
func readLevel(tx *bolt.Tx, dst []byte, L int, from, end uint64) ([]byte, error) {
	tree := tx.Bucket(bucketTree)
	for from < end {
		g := from / groupHashes
		v := tree.Get(treeKey(L, g))
		lo, hi := (from-g*groupHashes)*tlog.HashSize, min(end-g*groupHashes, groupHashes)*tlog.HashSize
		if uint64(len(v)) < hi {
			return dst, fmt.Errorf("tree level %d hash %d: %w", L, (g*groupHashes)+uint64(len(v))/tlog.HashSize, ErrNotFound)
		}
		dst = append(dst, v[lo:hi]...)
		from = g*groupHashes + hi/tlog.HashSize
	}
	return dst, nil
}

// readHash returns the tree's stored hash (level, n) in the sense of
// tlog.StoredHashIndex, computing the levels between tile levels from the
// tile level below.
func readHash(tx *bolt.Tx, buf []byte, level int, n int64) (tlog.Hash, []byte, error) {
	L, sub := level/TileHeight, level%TileHeight
	from := uint64(n) << sub
	buf, err := readLevel(tx, buf[:0], L, from, from+1<<sub)
	if err != nil {
		return tlog.Hash{}, buf, err
	}
	return subtreeRoot(buf), buf, nil
}

// subtreeRoot returns the Merkle tree hash of 2^k consecutive hashes.
func subtreeRoot(b []byte) tlog.Hash {
	for len(b) > tlog.HashSize {
		for i := 0; i < len(b)/2; i += tlog.HashSize {
			h := tlog.NodeHash(tlog.Hash(b[2*i:]), tlog.Hash(b[2*i+tlog.HashSize:]))
			copy(b[i:], h[:])
		}
		b = b[:len(b)/2]
	}
	return tlog.Hash(b)
}

// ReadHashes returns the stored hashes of the log's Merkle tree at the
// given indexes (tlog.StoredHashIndex), so that a Timeline is a
// tlog.HashReader: tlog.TreeHash(n, t), tlog.ProveRecord(t, n, tl) and
// tlog.ProveTree(t, n, tl) work on it for any sizes up to Len(). It returns
// a slice the same length as indexes, or an error wrapping ErrNotFound for
// a hash of a subtree that is not complete yet.
func (t *Timeline) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	hs := make([]tlog.Hash, len(indexes))
	err := t.view(func(tx *bolt.Tx) error {
		var buf []byte
		for i, x := range indexes {
			if x < 0 {
				return fmt.Errorf("stored hash index %d: %w", x, ErrNotFound)
			}
			level, n := tlog.SplitStoredHashIndex(x)
			var err error
			if hs[i], buf, err = readHash(tx, buf, level, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read tree hashes: %w", err)
	}
	return hs, nil
}

// TreeHash returns the root hash of the log's Merkle tree over its first
// size records. It returns an error wrapping ErrNotFound when size > Len().
func (t *Timeline) TreeHash(size uint64) (tlog.Hash, error) {
	if n := t.Len(); size > n {
		return tlog.Hash{}, fmt.Errorf("tree hash of size %d: %d records: %w", size, n, ErrNotFound)
	}
	return tlog.TreeHash(int64(size), t)
}

// Tile returns the first width hashes of tile n at tile level L
// (C2SP tlog-tiles), width 1 to TileWidth. It returns an error wrapping
// ErrNotFound when the log is too short to have them, ErrInvalid for a
// level or width out of range.
func (t *Timeline) Tile(L int, n uint64, width int) ([]byte, error) {
	if L < 0 || L >= maxTileLevels || width < 1 || width > TileWidth {
		return nil, fmt.Errorf("tile %d/%d width %d: %w", L, n, width, ErrInvalid)
	}
	if n > (^uint64(0)-TileWidth)/TileWidth {
		return nil, fmt.Errorf("tile %d/%d: %w", L, n, ErrNotFound)
	}
	from, end := n*TileWidth, n*TileWidth+uint64(width)
	if have := levelLen(t.Len(), L); end > have {
		return nil, fmt.Errorf("tile %d/%d width %d: level %d holds %d hashes: %w", L, n, width, L, have, ErrNotFound)
	}
	var data []byte
	err := t.view(func(tx *bolt.Tx) error {
		var err error
		data, err = readLevel(tx, make([]byte, 0, width*tlog.HashSize), L, from, end)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tile %d/%d: %w", L, n, err)
	}
	return data, nil
}

// levelLen is the number of hashes at tile level L in a tree of size leaves.
func levelLen(size uint64, L int) uint64 {
	return size >> (TileHeight * L)
}

// buildChunk is how many records buildTree hashes per transaction.
const buildChunk = 1 << 16

// buildTree hashes the records that have no leaf yet (files written before
// the tree existed) into the tree, a transaction per buildChunk records.
// Only Open calls it, before the writer starts.
func (t *Timeline) buildTree() error {
	for t.edge[0].n < t.next {
		e := t.edge
		err := t.db.Update(func(tx *bolt.Tx) error {
			tree := tx.Bucket(bucketTree)
			c := tx.Bucket(bucketRecords).Cursor()
			from := e[0].n
			end := min(t.next, from+buildChunk)
			seq := from
			for k, v := c.Seek(seqKey(nil, from)); k != nil && seq < end; k, v = c.Next() {
				if len(k) != 8 || binary.BigEndian.Uint64(k) != seq {
					return fmt.Errorf("record %d missing (found key %x): %w", seq, k, ErrCorrupt)
				}
				h := tlog.RecordHash(v)
				if err := e.add(tree, 0, &h); err != nil {
					return err
				}
				seq++
			}
			if seq < end {
				return fmt.Errorf("record %d missing: %w", seq, ErrCorrupt)
			}
			return e.flush(tree)
		})
		if err != nil {
			return fmt.Errorf("build tree from record %d: %w", t.edge[0].n, err)
		}
		t.edge = e
	}
	return nil
}
