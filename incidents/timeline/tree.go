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

// readLevel appends to dst the hashes from to end of tile level L, read
// from tx: from the full groups in the tree bucket, and from the chunks
// in the edge bucket for the unfinished group. It returns an error
// wrapping ErrNotFound if the level holds fewer.
func readLevel(tx *bolt.Tx, dst []byte, L int, from, end uint64) ([]byte, error) {
	tree, edge := tx.Bucket(bucketTree), tx.Bucket(bucketEdge)
	for from < end {
		g := from / groupHashes
		stop := min(end, (g+1)*groupHashes)
		if v := tree.Get(treeKey(L, g)); v != nil {
			if len(v) != groupBytes {
				return dst, fmt.Errorf("tree level %d group %d: value of %d bytes: %w", L, g, len(v), ErrCorrupt)
			}
			dst = append(dst, v[(from-g*groupHashes)*tlog.HashSize:(stop-g*groupHashes)*tlog.HashSize]...)
			from = stop
			continue
		}
		for from < stop {
			c := from / chunkHashes
			v := edge.Get(treeKey(L, c))
			lo, hi := (from-c*chunkHashes)*tlog.HashSize, (min(stop, (c+1)*chunkHashes)-c*chunkHashes)*tlog.HashSize
			if uint64(len(v)) < hi {
				return dst, fmt.Errorf("tree level %d hash %d: %w", L, c*chunkHashes+uint64(len(v))/tlog.HashSize, ErrNotFound)
			}
			dst = append(dst, v[lo:hi]...)
			from = c*chunkHashes + hi/tlog.HashSize
		}
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
			tree, chunks := tx.Bucket(bucketTree), tx.Bucket(bucketEdge)
			c := tx.Bucket(bucketRecords).Cursor()
			from := e[0].n
			end := min(t.next, from+buildChunk)
			seq := from
			for k, v := c.Seek(seqKey(nil, from)); k != nil && seq < end; k, v = c.Next() {
				if len(k) != 8 || binary.BigEndian.Uint64(k) != seq {
					return fmt.Errorf("record %d missing (found key %x): %w", seq, k, ErrCorrupt)
				}
				h := tlog.RecordHash(v)
				if err := e.add(chunks, 0, &h); err != nil {
					return err
				}
				seq++
			}
			if seq < end {
				return fmt.Errorf("record %d missing: %w", seq, ErrCorrupt)
			}
			if err := e.flush(chunks); err != nil {
				return err
			}
			return e.settle(tree, chunks)
		})
		if err != nil {
			return fmt.Errorf("build tree from record %d: %w", t.edge[0].n, err)
		}
		t.edge = e
	}
	return nil
}
