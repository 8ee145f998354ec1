package timeline

import (
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// BenchmarkProveRecord100M proves the inclusion of a record in a tree of
// 100 million leaves read from a timeline file. The file is synthesized:
// its tile levels 1 to 3 in full and 16 groups of level 0 hold random
// hashes (tlog's proofs read hashes; none of them is checked here), and one
// record at the last seq gives the timeline its length. Proofs are of
// leaves in those groups, one after another far apart, so that no two
// share their lower hashes.
func BenchmarkProveRecord100M(b *testing.B) {
	const size = 100_000_000
	path := filepath.Join(b.TempDir(), "big.db")
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	groups := make([]uint64, 16)
	for i := range groups {
		groups[i] = rng.Uint64N(size / groupHashes)
	}
	synthesize(b, path, size, groups, rng)
	tl, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer tl.Close()
	if tl.Len() != size {
		b.Fatalf("Len() = %d, want %d", tl.Len(), size)
	}
	cpu0, i := cpuTime(), 0
	for b.Loop() {
		i++
		leaf := int64(groups[i%len(groups)]*groupHashes) + int64(i*37%groupHashes)
		p, err := tlog.ProveRecord(size, leaf, tl)
		if err != nil || len(p) < 26 {
			b.Fatalf("ProveRecord(%d, %d) = %d hashes, %v", size, leaf, len(p), err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/proof")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/proof")
}

// synthesize writes a timeline file of size records whose tree levels 1
// and above are complete and whose level 0 holds only the given groups and
// the last two (the last one unfinished), all random hashes. The groups
// must be full ones.
func synthesize(b *testing.B, path string, size uint64, groups []uint64, rng *rand.Rand) {
	b.Helper()
	tl, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	tl.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	random := func(n uint64) []byte {
		v := make([]byte, n*tlog.HashSize)
		for i := 0; i < len(v); i += 8 {
			u := rng.Uint64()
			copy(v[i:], []byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24), byte(u >> 32), byte(u >> 40), byte(u >> 48), byte(u >> 56)})
		}
		return v
	}
	err = db.Update(func(tx *bolt.Tx) error {
		tree, chunks := tx.Bucket(bucketTree), tx.Bucket(bucketEdge)
		// put puts hashes from to end of level L: full groups in tree,
		// the unfinished one in chunks.
		put := func(L int, from, end uint64) error {
			for ; from < end && from+groupHashes <= end; from += groupHashes {
				if err := tree.Put(treeKey(L, from/groupHashes), random(groupHashes)); err != nil {
					return err
				}
			}
			for ; from < end; from += chunkHashes {
				if err := chunks.Put(treeKey(L, from/chunkHashes), random(min(chunkHashes, end-from))); err != nil {
					return err
				}
			}
			return nil
		}
		last := (size - 1) / groupHashes // Open finds the edge after the last full group
		for _, g := range append(groups, last-1) {
			if err := put(0, g*groupHashes, (g+1)*groupHashes); err != nil {
				return err
			}
		}
		if err := put(0, last*groupHashes, size); err != nil {
			return err
		}
		for L := 1; levelLen(size, L) > 0; L++ {
			if err := put(L, 0, levelLen(size, L)); err != nil {
				return err
			}
		}
		rec, _ := EncodeString(nil, "the last record")
		return tx.Bucket(bucketRecords).Put(seqKey(nil, size-1), rec)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the process's user and system CPU time so far: on a shared
// machine it says more than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
