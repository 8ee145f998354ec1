package timeline

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/constat-ent/constat/incidents/timeline/tamper"
	"github.com/constat-ent/constat/probes"
)

// refTree is the tree of x/mod's tlog over the same records, kept in
// memory as tlog's stored hashes: the reference the bbolt tiles must match.
type refTree []tlog.Hash

func (r refTree) ReadHashes(ix []int64) ([]tlog.Hash, error) {
	hs := make([]tlog.Hash, len(ix))
	for i, x := range ix {
		if x >= int64(len(r)) {
			return nil, fmt.Errorf("stored hash %d of %d", x, len(r))
		}
		hs[i] = r[x]
	}
	return hs, nil
}

// reference builds tlog's tree over the timeline's records.
func reference(t *testing.T, tl *Timeline) refTree {
	t.Helper()
	var r refTree
	err := tl.Scan(0, func(seq uint64, raw []byte) error {
		hs, err := tlog.StoredHashes(int64(seq), raw, r)
		r = append(r, hs...)
		return err
	})
	if err != nil {
		t.Fatalf("Scan(0) = %v", err)
	}
	return r
}

// appendN appends n generated results in transactions of 500.
func appendN(t *testing.T, tl *Timeline, g *gen, from, n int) {
	t.Helper()
	batch := make([]probes.Result, 0, 500)
	for i := from; i < from+n; i++ {
		batch = append(batch, g.result(i))
		if len(batch) == cap(batch) || i == from+n-1 {
			if _, err := tl.AppendAll(t.Context(), batch); err != nil {
				t.Fatalf("AppendAll() = %v", err)
			}
			batch = batch[:0]
		}
	}
}

// checkAgainst compares the timeline's tree hashes, tiles and proofs with
// the reference for several sizes.
func checkAgainst(t *testing.T, tl *Timeline, ref refTree) {
	t.Helper()
	size := tl.Len()
	for _, n := range []uint64{1, 2, 255, 256, 257, 1023, 1024, 1025, 65535, 65536, 65537, size / 2, size - 1, size} {
		if n == 0 || n > size {
			continue
		}
		got, err := tl.TreeHash(n)
		want, werr := tlog.TreeHash(int64(n), ref)
		if err != nil || werr != nil || got != want {
			t.Errorf("TreeHash(%d) = %v, %v, want %v, %v", n, got, err, want, werr)
		}
		p, err := tlog.ProveRecord(int64(size), int64(n-1), tl)
		if err == nil {
			err = tlog.CheckRecord(p, int64(size), mustRoot(t, ref, size), int64(n-1), ref[tlog.StoredHashIndex(0, int64(n-1))])
		}
		if err != nil {
			t.Errorf("inclusion of %d in %d: %v", n-1, size, err)
		}
		q, err := tlog.ProveTree(int64(size), int64(n), tl)
		if err == nil {
			err = tlog.CheckTree(q, int64(size), mustRoot(t, ref, size), int64(n), want)
		}
		if err != nil {
			t.Errorf("consistency of %d with %d: %v", n, size, err)
		}
	}
	for _, tile := range tlog.NewTiles(TileHeight, 0, int64(size)) {
		got, err := tl.Tile(tile.L, uint64(tile.N), tile.W)
		want, werr := tlog.ReadTileData(tile, ref)
		if err != nil || werr != nil || !bytes.Equal(got, want) {
			t.Fatalf("Tile(%d, %d, %d) = %d bytes, %v; want %d bytes, %v", tile.L, tile.N, tile.W, len(got), err, len(want), werr)
		}
	}
}

func mustRoot(t *testing.T, ref refTree, n uint64) tlog.Hash {
	h, err := tlog.TreeHash(int64(n), ref)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestTree checks the stored tree against x/mod's tlog over the same
// records: root hashes, tiles and proofs, across tile and value boundaries
// (2,100 results; with -timeline.big 66,000, so that level 2 holds a hash),
// and again after a crash and after reopening.
func TestTree(t *testing.T) {
	tl, path := openTest(t, Options{})
	g := newGen(7, 50)
	n := 2100
	if *big {
		n = 66_000
	}
	appendN(t, tl, g, 0, n)
	if _, err := tl.AppendRecords(t.Context(), Audit{Actor: "a", Action: "x", At: t1}); err != nil {
		t.Fatal(err)
	}
	checkAgainst(t, tl, reference(t, tl))
	// A copy taken now is what a crash would leave: full groups still in
	// chunks, which Open reads as they are and the next checkpoint moves.
	crashed := filepath.Join(t.TempDir(), "crashed.db")
	if err := tl.db.View(func(tx *bolt.Tx) error { return tx.CopyFile(crashed, 0o600) }); err != nil {
		t.Fatal(err)
	}
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{crashed, path} {
		tl = openPath(t, p, Options{NoSync: true})
		// (With -timeline.big, a checkpoint came shortly before the copy.)
		if chunks := levelChunks(t, tl, 0); p == crashed && !*big && chunks <= groupHashes/chunkHashes {
			t.Errorf("the crashed copy holds %d chunks of level 0, want a full group's and more", chunks)
		}
		appendN(t, tl, g, n, 700)
		checkAgainst(t, tl, reference(t, tl))
	}
}

// levelChunks counts the chunks of tile level L in the edge bucket.
func levelChunks(t *testing.T, tl *Timeline, L int) int {
	n := 0
	err := tl.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEdge).ForEach(func(k, _ []byte) error {
			if k[0] == byte(L) {
				n++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTreeErrors checks the errors of Tile and TreeHash beyond the tree.
func TestTreeErrors(t *testing.T) {
	tl, _ := openTest(t, Options{})
	appendN(t, tl, newGen(1, 3), 0, 300)
	size := tl.Len()
	for _, tt := range []struct {
		L     int
		n     uint64
		width int
		want  error
	}{
		{0, 0, TileWidth, nil},
		{0, 1, int(size - TileWidth), nil},
		{0, 1, int(size-TileWidth) + 1, ErrNotFound},
		{1, 0, 1, nil},
		{1, 0, 2, ErrNotFound},
		{2, 0, 1, ErrNotFound},
		{0, 1 << 60, 1, ErrNotFound},
		{0, ^uint64(0), 1, ErrNotFound},
		{-1, 0, 1, ErrInvalid},
		{0, 0, 0, ErrInvalid},
		{0, 0, TileWidth + 1, ErrInvalid},
		{maxTileLevels, 0, 1, ErrInvalid},
	} {
		if _, err := tl.Tile(tt.L, tt.n, tt.width); !errors.Is(err, tt.want) {
			t.Errorf("Tile(%d, %d, %d) = %v, want %v", tt.L, tt.n, tt.width, err, tt.want)
		}
	}
	if _, err := tl.TreeHash(size + 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("TreeHash(%d) with %d records = %v, want ErrNotFound", size+1, size, err)
	}
	if _, err := tl.ReadHashes([]int64{tlog.StoredHashIndex(0, int64(size))}); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadHashes(leaf %d) with %d records = %v, want ErrNotFound", size, size, err)
	}
}

// TestTreeMigration opens files written before the tree existed (no tree
// bucket), whose tree stops short, or whose unfinished groups are in the
// tree bucket (before the edge bucket existed), and checks that Open gives
// them the same tree a new file has.
func TestTreeMigration(t *testing.T) {
	for _, tt := range []struct {
		name string
		cut  func(tx *bolt.Tx) error
	}{
		{"no tree bucket", func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket(bucketTree); err != nil {
				return err
			}
			return tx.DeleteBucket(bucketEdge)
		}},
		{"tree stops at a group boundary", func(tx *bolt.Tx) error {
			// As a migration interrupted after its first transactions
			// would leave it (1,024 leaves).
			if err := tx.Bucket(bucketTree).Delete(treeKey(0, 1)); err != nil {
				return err
			}
			chunks := tx.Bucket(bucketEdge)
			for c := uint64(2 * groupHashes / chunkHashes); c < 3*groupHashes/chunkHashes; c++ {
				if err := chunks.Delete(treeKey(0, c)); err != nil {
					return err
				}
			}
			return chunks.Put(treeKey(1, 0), bytes.Clone(chunks.Get(treeKey(1, 0))[:4*tlog.HashSize]))
		}},
		{"unfinished groups in the tree bucket", oldLayout},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			tl, err := Open(path, Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, tl, newGen(3, 20), 0, 2500)
			want, _ := tl.TreeHash(tl.Len())
			n := tl.Len()
			if err := tl.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(tt.cut); err != nil {
				t.Fatal(err)
			}
			db.Close()
			tl = openPath(t, path, Options{NoSync: true})
			if got, err := tl.TreeHash(n); err != nil || got != want {
				t.Errorf("after migration, TreeHash(%d) = %v, %v, want %v", n, got, err, want)
			}
			appendN(t, tl, newGen(4, 20), 0, 300)
			checkAgainst(t, tl, reference(t, tl))
		})
	}
}

// TestVerifyTree flips one byte of a stored record, then of a stored
// tile root, in the bbolt file, as an attacker with the file would, and
// checks that VerifyTree names the record, then the tile.
func TestVerifyTree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tl.db")
	tl, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, tl, newGen(5, 10), 0, 600)
	if err := tl.VerifyTree(0); err != nil {
		t.Fatalf("VerifyTree(0) on an intact file = %v", err)
	}
	const victim = 421
	rec := mustGet(t, tl, victim)
	if rec.Kind != KindMeasurement {
		t.Fatalf("record %d is a %v, want a measurement", victim, rec.Kind)
	}
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	corrupt(t, path, bucketRecords, seqKey(nil, victim), 4)

	tl, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatalf("Open after the flip = %v", err)
	}
	var re *RecordError
	if err := tl.VerifyTree(0); !errors.As(err, &re) || re.Seq != victim || !errors.Is(err, ErrCorrupt) {
		t.Errorf("VerifyTree(0) after flipping record %d = %v, want a RecordError for %d", victim, err, victim)
	}
	if err := tl.VerifyTree(victim + 1); err != nil {
		t.Errorf("VerifyTree(%d) = %v, want nil: the flip is before", victim+1, err)
	}
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	// Undo, then flip a byte of the level-1 hashes (tile roots).
	corrupt(t, path, bucketRecords, seqKey(nil, victim), 4)
	corrupt(t, path, bucketEdge, treeKey(1, 0), 33) // level 1 is one unfinished group: its first chunk
	tl, err = Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	if err := tl.VerifyTree(0); !errors.Is(err, ErrCorrupt) || errors.As(err, &re) || !bytes.Contains([]byte(err.Error()), []byte("tile 0/1 (records 256 to 511)")) {
		t.Errorf("VerifyTree(0) after flipping tile root 0/1 = %v, want the tile named", err)
	}
}

// oldLayout rewrites the tree of a file as versions before the edge bucket
// wrote it: each level's unfinished group as one shorter value of the tree
// bucket, after its full groups, and no edge bucket.
func oldLayout(tx *bolt.Tx) error {
	groups := map[int][]byte{}
	chunks := tx.Bucket(bucketEdge)
	err := chunks.ForEach(func(k, v []byte) error {
		groups[int(k[0])] = append(groups[int(k[0])], v...)
		return nil
	})
	if err != nil {
		return err
	}
	tree := tx.Bucket(bucketTree)
	for L, v := range groups {
		k, _ := lastGroup(tree.Cursor(), L)
		g := uint64(0)
		if k != nil {
			g = binary.BigEndian.Uint64(k[1:]) + 1
		}
		if err := tree.Put(treeKey(L, g), v); err != nil {
			return err
		}
	}
	return tx.DeleteBucket(bucketEdge)
}

// corrupt flips the low bit of byte i of the value at key in bucket.
func corrupt(t *testing.T, path string, bucket, key []byte, i int) {
	t.Helper()
	if err := tamper.FlipBit(path, bucket, key, i); err != nil {
		t.Fatal(err)
	}
}

// TestTreeEdgeDamaged checks that Open refuses, with ErrCorrupt, a tree
// whose chunks or groups do not follow one another as the writer puts them.
func TestTreeEdgeDamaged(t *testing.T) {
	const mid = groupHashes/chunkHashes + 3 // a chunk of group 1, the unfinished one
	for _, tt := range []struct {
		name string
		cut  func(tx *bolt.Tx) error
	}{
		{"a chunk missing", func(tx *bolt.Tx) error { return tx.Bucket(bucketEdge).Delete(treeKey(0, mid)) }},
		{"a short chunk before the last", func(tx *bolt.Tx) error {
			chunks := tx.Bucket(bucketEdge)
			return chunks.Put(treeKey(0, mid), bytes.Clone(chunks.Get(treeKey(0, mid))[:tlog.HashSize]))
		}},
		{"a short group", func(tx *bolt.Tx) error {
			tree := tx.Bucket(bucketTree)
			return tree.Put(treeKey(0, 0), bytes.Clone(tree.Get(treeKey(0, 0))[:groupBytes-tlog.HashSize]))
		}},
		{"a chunk of a settled group left", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketEdge).Put(treeKey(0, 0), make([]byte, chunkHashes*tlog.HashSize))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tl.db")
			tl, err := Open(path, Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, tl, newGen(2, 10), 0, 1500) // a group in tree, 30-odd chunks
			if err := tl.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(tt.cut)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			if tl, err := Open(path, Options{NoSync: true}); !errors.Is(err, ErrCorrupt) {
				if err == nil {
					tl.Close()
				}
				t.Errorf("Open() with %s = %v, want ErrCorrupt", tt.name, err)
			}
		})
	}
}
