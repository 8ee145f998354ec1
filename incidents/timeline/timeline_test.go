package timeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/constat-ent/constat/probes"
)

// scanAll returns every record's bytes, copied.
func scanAll(t *testing.T, tl *Timeline) [][]byte {
	t.Helper()
	var recs [][]byte
	err := tl.Scan(0, func(seq uint64, raw []byte) error {
		if seq != uint64(len(recs)) {
			return fmt.Errorf("seq %d after %d records", seq, len(recs))
		}
		recs = append(recs, slices.Clone(raw))
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(0) = %v", err)
	}
	return recs
}

func mustGet(t *testing.T, tl *Timeline, seq uint64) Record {
	t.Helper()
	rec, err := tl.Get(seq)
	if err != nil {
		t.Fatalf("Get(%d) = %v", seq, err)
	}
	return rec
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "timeline.db")
	tl := openPath(t, path, Options{NoSync: true})
	g := newGen(7, 20)
	var want []probes.Result
	var seqs []uint64
	for i := range 300 {
		want = append(want, g.result(i))
	}
	got, err := tl.AppendAll(ctx, want[:200])
	if err != nil {
		t.Fatalf("AppendAll(200 results) = %v", err)
	}
	seqs = append(seqs, got...)
	for i := 200; i < 300; i++ {
		seq, err := tl.Append(ctx, want[i])
		if err != nil {
			t.Fatalf("Append(result %d) = %v", i, err)
		}
		seqs = append(seqs, seq)
	}
	before, n := scanAll(t, tl), tl.Len()
	if err := tl.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	tl = openPath(t, path, Options{NoSync: true})
	if tl.Len() != n {
		t.Errorf("Len() after reopen = %d, want %d", tl.Len(), n)
	}
	if after := scanAll(t, tl); !reflect.DeepEqual(after, before) {
		t.Errorf("Scan after reopen differs: %d records, want %d", len(after), len(before))
	}
	for i, seq := range seqs {
		rec := mustGet(t, tl, seq)
		if rec.Kind != KindMeasurement || !reflect.DeepEqual(*rec.Measurement, stored(want[i])) {
			t.Fatalf("Get(%d) = %v %+v, want measurement %+v", seq, rec.Kind, rec.Measurement, stored(want[i]))
		}
	}
	if rec := mustGet(t, tl, 0); rec.Kind != KindString || rec.String != want[0].Component {
		t.Errorf("Get(0) = %+v, want the definition of %q", rec, want[0].Component)
	}
	if comps := tl.Components(); len(comps) != 20 || !slices.IsSorted(comps) {
		t.Errorf("Components() = %q, want 20 sorted IDs", comps)
	}
	// New strings after reopen get the next IDs; old ones are reused.
	r := want[0]
	r.Steps = []probes.StepResult{{URL: "https://new.example/", Outcome: probes.OK}}
	seq, err := tl.Append(ctx, r)
	if err != nil {
		t.Fatalf("Append after reopen = %v", err)
	}
	if def := mustGet(t, tl, seq-1); def.Kind != KindString || def.String != "https://new.example/" || seq != n+1 {
		t.Errorf("Append after reopen = %d with record %d = %+v, want %d after a definition", seq, seq-1, def, n+1)
	}
	m, ok, err := tl.Last(r.Component)
	if err != nil || !ok || m.Seq != seq || !reflect.DeepEqual(m.Result, stored(r)) {
		t.Errorf("Last(%s) = %d %+v, %v, %v, want %d %+v", r.Component, m.Seq, m.Result, ok, err, seq, stored(r))
	}
	var ranged []uint64
	err = tl.Range(r.Component, g.start, g.start.Add(24*3600e9), func(m Measurement) error {
		ranged = append(ranged, m.Seq)
		return nil
	})
	if err != nil || len(ranged) != 300/20+1 {
		t.Errorf("Range(%s, day) = %d measurements, %v, want %d", r.Component, len(ranged), err, 300/20+1)
	}
}

func TestConcurrentAppend(t *testing.T) {
	const writers, each = 16, 500
	tl, _ := openTest(t, Options{MaxBatch: 256})
	ctx := t.Context()
	var wg sync.WaitGroup
	seqs := make([][]uint64, writers)
	results := make([][]probes.Result, writers)
	for w := range writers {
		g := newGen(uint64(w), 50)
		for i := range each {
			results[w] = append(results[w], g.result(w*each+i))
		}
		wg.Go(func() {
			for _, r := range results[w] {
				seq, err := tl.Append(ctx, r)
				if err != nil {
					t.Errorf("Append(writer %d) = %v", w, err)
					return
				}
				seqs[w] = append(seqs[w], seq)
			}
		})
	}
	// A reader runs alongside the writers (for the race detector): every
	// Range must be sorted, and Last must be readable.
	done := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		comp := newGen(0, 50).comps[7].id
		for {
			select {
			case <-done:
				return
			default:
			}
			var last time.Time
			err := tl.Range(comp, time.Time{}, time.Now().AddDate(10, 0, 0), func(m Measurement) error {
				if m.Start.Before(last) {
					return fmt.Errorf("measurement %d at %v after one at %v", m.Seq, m.Start, last)
				}
				last = m.Start
				return nil
			})
			if err != nil {
				t.Errorf("Range(%s) during appends = %v", comp, err)
			}
			if _, _, err := tl.Last(comp); err != nil {
				t.Errorf("Last(%s) during appends = %v", comp, err)
			}
		}
	})
	wg.Wait()
	close(done)
	readers.Wait()
	kinds := make([]Kind, tl.Len())
	for w := range writers {
		for i, seq := range seqs[w] {
			if seq >= tl.Len() || kinds[seq] != 0 {
				t.Fatalf("writer %d got seq %d twice or beyond Len() = %d", w, seq, tl.Len())
			}
			kinds[seq] = KindMeasurement
			if rec := mustGet(t, tl, seq); !reflect.DeepEqual(*rec.Measurement, stored(results[w][i])) {
				t.Fatalf("Get(%d) = %+v, want %+v", seq, rec.Measurement, stored(results[w][i]))
			}
		}
	}
	for seq, k := range kinds {
		if k == 0 && mustGet(t, tl, uint64(seq)).Kind != KindString {
			t.Errorf("record %d is neither a returned measurement nor a string definition", seq)
		}
	}
}

func TestAppendAfterClose(t *testing.T) {
	tl, _ := openTest(t, Options{})
	if _, err := tl.Append(t.Context(), newGen(1, 1).result(0)); err != nil {
		t.Fatalf("Append() = %v", err)
	}
	for range 2 {
		if err := tl.Close(); err != nil {
			t.Errorf("Close() = %v, want nil (idempotent)", err)
		}
	}
	if _, err := tl.Append(t.Context(), newGen(1, 1).result(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if _, err := tl.AppendAll(t.Context(), []probes.Result{newGen(1, 1).result(1)}); !errors.Is(err, ErrClosed) {
		t.Errorf("AppendAll after Close = %v, want ErrClosed", err)
	}
	if _, err := tl.Get(0); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
}

func TestAppendCancelled(t *testing.T) {
	tl, _ := openTest(t, Options{})
	g := newGen(3, 4)
	if _, err := tl.AppendAll(t.Context(), []probes.Result{g.result(0), g.result(1)}); err != nil {
		t.Fatalf("AppendAll() = %v", err)
	}
	before, n := scanAll(t, tl), tl.Len()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := tl.Append(ctx, g.result(2)); !errors.Is(err, context.Canceled) {
		t.Errorf("Append(cancelled ctx) = %v, want context.Canceled", err)
	}
	if tl.Len() != n || !reflect.DeepEqual(scanAll(t, tl), before) {
		t.Errorf("after a cancelled Append, Len() = %d, want %d and the same records", tl.Len(), n)
	}
}

func TestAppendInvalid(t *testing.T) {
	tl, _ := openTest(t, Options{})
	bad := newGen(1, 1).result(0)
	bad.Steps[0].Outcome = probes.OutcomeUnknown
	if _, err := tl.AppendAll(t.Context(), []probes.Result{newGen(2, 1).result(0), bad}); !errors.Is(err, ErrInvalid) {
		t.Errorf("AppendAll(good, bad) = %v, want ErrInvalid", err)
	}
	if tl.Len() != 0 {
		t.Errorf("Len() = %d after a failed AppendAll, want 0", tl.Len())
	}
}

// TestFailedCommit makes one transaction fail: every call in it gets the
// error, and the in-memory state (length, strings, index tails) stays as it
// was, so that the next transaction writes what a fresh file would.
func TestFailedCommit(t *testing.T) {
	tl, _ := openTest(t, Options{})
	ctx := t.Context()
	g := newGen(5, 3)
	if _, err := tl.AppendAll(ctx, []probes.Result{g.result(0), g.result(1)}); err != nil {
		t.Fatalf("AppendAll() = %v", err)
	}
	before, n := scanAll(t, tl), tl.Len()
	boom := errors.New("disk on fire")
	tl.beforeCommit = func(*bolt.Tx) error { return boom }
	next := []probes.Result{g.result(2), g.result(3), g.result(4)}
	next[0].Steps[0].Detail = "a detail never seen"
	var wg sync.WaitGroup
	for _, r := range next {
		wg.Go(func() {
			if _, err := tl.Append(ctx, r); !errors.Is(err, boom) {
				t.Errorf("Append during a failing commit = %v, want %v", err, boom)
			}
		})
	}
	wg.Wait()
	if tl.Len() != n || !reflect.DeepEqual(scanAll(t, tl), before) {
		t.Fatalf("after a failed commit, Len() = %d, want %d and the same records", tl.Len(), n)
	}
	tl.beforeCommit = nil
	seqs, err := tl.AppendAll(ctx, next)
	if err != nil {
		t.Fatalf("AppendAll after a failed commit = %v", err)
	}
	// The detail is defined again (once), before its first use.
	var defs []string
	for seq := n; seq < seqs[0]; seq++ {
		defs = append(defs, mustGet(t, tl, seq).String)
	}
	if !slices.Contains(defs, "a detail never seen") {
		t.Errorf("records %d to %d define %q, want the new detail among them", n, seqs[0]-1, defs)
	}
}

func TestMaxBatch(t *testing.T) {
	tl, _ := openTest(t, Options{MaxBatch: 2})
	g := newGen(9, 1)
	rs := make([]probes.Result, 10)
	for i := range rs {
		rs[i] = g.result(i)
	}
	seqs, err := tl.AppendAll(t.Context(), rs)
	if err != nil {
		t.Fatalf("AppendAll(10 results, MaxBatch 2) = %v", err)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Errorf("AppendAll seqs = %v, want increasing", seqs)
		}
	}
}

func TestGetNotFound(t *testing.T) {
	tl, _ := openTest(t, Options{})
	if _, err := tl.Get(0); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(0) on an empty timeline = %v, want ErrNotFound", err)
	}
	if m, ok, err := tl.Last("nobody"); ok || err != nil {
		t.Errorf("Last(nobody) = %+v, %v, %v, want false", m, ok, err)
	}
}

func TestScanFrom(t *testing.T) {
	tl, _ := openTest(t, Options{})
	g := newGen(11, 7)
	rs := make([]probes.Result, 700)
	for i := range rs {
		rs[i] = g.result(i)
	}
	if _, err := tl.AppendAll(t.Context(), rs); err != nil {
		t.Fatal(err)
	}
	all := scanAll(t, tl)
	for _, from := range []uint64{0, 1, 255, 256, 257, tl.Len() - 1, tl.Len(), tl.Len() + 5} {
		next := from
		err := tl.Scan(from, func(seq uint64, raw []byte) error {
			if seq != next || !slices.Equal(raw, all[seq]) {
				return fmt.Errorf("got record %d, want %d", seq, next)
			}
			next++
			return nil
		})
		if err != nil || next != max(from, tl.Len()) {
			t.Errorf("Scan(%d) ended at %d, %v, want %d", from, next, err, max(from, tl.Len()))
		}
	}
	stop := errors.New("stop")
	if err := tl.Scan(0, func(uint64, []byte) error { return stop }); err != stop {
		t.Errorf("Scan with a failing fn = %v, want fn's error", err)
	}
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.db")
	db, err := bolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("users")); return err })
	db.Close()
	if _, err := Open(other, Options{}); !errors.Is(err, ErrVersion) {
		t.Errorf("Open(non-timeline bbolt file) = %v, want ErrVersion", err)
	}

	future := filepath.Join(dir, "future.db")
	tl, err := Open(future, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	tl.Close()
	db, err = bolt.Open(future, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyFormat, []byte("constat-timeline 2")) })
	db.Close()
	if _, err := Open(future, Options{}); !errors.Is(err, ErrVersion) {
		t.Errorf("Open(format 2) = %v, want ErrVersion", err)
	}

	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, make([]byte, 8192), 0o600)
	if _, err := Open(garbage, Options{}); err == nil {
		t.Errorf("Open(zeroes) = nil error")
	}
}

// TestReplay opens a copy of a live file, as a crash would leave it: the
// tails bucket lags behind the records, and Open must rebuild the same
// tails, so that both timelines answer and grow alike.
func TestReplay(t *testing.T) {
	tl, _ := openTest(t, Options{})
	tl.checkpointEvery = 300
	g := newGen(8, 3)
	ctx := t.Context()
	i := 0
	appendSome := func(tls ...*Timeline) {
		for range 100 {
			rs := []probes.Result{g.result(i), g.result(i + 1), g.result(i + 2)}
			i += 3
			for _, tl := range tls {
				if _, err := tl.AppendAll(ctx, rs); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for range 5 {
		appendSome(tl)
	}
	crashed := filepath.Join(t.TempDir(), "crashed.db")
	var checkpoint []byte
	err := tl.db.View(func(tx *bolt.Tx) error {
		checkpoint = slices.Clone(tx.Bucket(bucketMeta).Get(keyTails))
		return tx.CopyFile(crashed, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(checkpoint) == string(seqKey(nil, tl.Len())) {
		t.Fatalf("tails checkpoint %x = Len() %d: nothing to replay", checkpoint, tl.Len())
	}
	copied := openPath(t, crashed, Options{NoSync: true})
	same := func() {
		t.Helper()
		if !reflect.DeepEqual(scanAll(t, tl), scanAll(t, copied)) || !reflect.DeepEqual(tl.tails, copied.tails) {
			t.Fatalf("replayed timeline differs: Len() = %d, want %d", copied.Len(), tl.Len())
		}
		for _, comp := range tl.Components() {
			want, _, _ := tl.Last(comp)
			if got, ok, err := copied.Last(comp); err != nil || !ok || !reflect.DeepEqual(got, want) {
				t.Errorf("Last(%s) after replay = %d, %v, %v, want %d", comp, got.Seq, ok, err, want.Seq)
			}
			end := g.start.Add(48 * 3600e9)
			if got, want := rangeSeqs(t, copied, comp, g.start, end), rangeSeqs(t, tl, comp, g.start, end); len(want) < 500 || !slices.Equal(got, want) {
				t.Errorf("Range(%s) after replay = %v, want %v", comp, got, want)
			}
		}
	}
	same()
	appendSome(tl, copied)
	same()
}

// TestCloseWhileAppending closes the timeline under concurrent appends: each
// Append either returns a seq that is there after reopening, or ErrClosed.
func TestCloseWhileAppending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.db")
	tl, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	const writers = 8
	started := make(chan struct{}, writers)
	got := make([]map[uint64]probes.Result, writers)
	var wg sync.WaitGroup
	for w := range writers {
		got[w] = make(map[uint64]probes.Result)
		g := newGen(uint64(w), 10)
		wg.Go(func() {
			for i := 0; i < 100_000; i++ { // bounded: Close comes long before
				r := g.result(i)
				seq, err := tl.Append(context.Background(), r)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Append during Close = %v, want a seq or ErrClosed", err)
					return
				}
				got[w][seq] = r
				if i == 10 {
					started <- struct{}{}
				}
			}
			t.Errorf("writer %d: 100,000 appends and no ErrClosed", w)
		})
	}
	for range writers {
		<-started
	}
	if err := tl.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	wg.Wait()
	tl = openPath(t, path, Options{NoSync: true})
	for w := range writers {
		for seq, r := range got[w] {
			if rec := mustGet(t, tl, seq); rec.Measurement == nil || !reflect.DeepEqual(*rec.Measurement, stored(r)) {
				t.Fatalf("Get(%d) after reopen = %+v, want %+v", seq, rec, stored(r))
			}
		}
	}
}

// With MaxDelay, appends arriving one after another within the delay share
// one transaction; every Append still returns only after its commit.
func TestMaxDelayGroupsTrickle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	tl, err := Open(path, Options{NoSync: true, MaxDelay: time.Hour, MaxBatch: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	done := make(chan error, 8)
	for i := range 8 {
		go func() {
			_, err := tl.Append(t.Context(), probes.Result{Component: fmt.Sprint("c", i), Start: time.Unix(1617692520, 0), Status: probes.Operational})
			done <- err
		}()
	}
	// The batch fills at 8 records long before the hour: all 8 commit together.
	for range 8 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Append did not return: a full batch must commit without waiting for MaxDelay")
		}
	}
	if got := tl.Len(); got < 8 {
		t.Errorf("Len() = %d, want >= 8", got)
	}
	// A lone append waits for the delay or for Close, which flushes it.
	lone := make(chan error, 1)
	go func() {
		_, err := tl.Append(t.Context(), probes.Result{Component: "lone", Start: time.Unix(1617692580, 0), Status: probes.Operational})
		lone <- err
	}()
	tl.Close()
	select {
	case err := <-lone:
		if err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("lone Append = %v, want committed by Close or ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not flush the waiting append")
	}
}
