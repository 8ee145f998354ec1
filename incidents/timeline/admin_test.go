package timeline

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/constat-ent/constat/probes"
)

// adminSeqs returns the seqs and kinds AdminRecords visits.
func adminSeqs(t *testing.T, tl *Timeline) ([]uint64, []Record) {
	t.Helper()
	var seqs []uint64
	var recs []Record
	err := tl.AdminRecords(func(r Record) error {
		seqs, recs = append(seqs, r.Seq), append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("AdminRecords() = %v", err)
	}
	return seqs, recs
}

func TestAppendRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.db")
	tl := openPath(t, path, Options{NoSync: true})
	ctx := t.Context()
	g := newGen(21, 3)
	if _, err := tl.AppendAll(ctx, []probes.Result{g.result(0), g.result(1)}); err != nil {
		t.Fatal(err)
	}
	entries := allEntryCases()
	want := make(map[uint64]Record)
	var wantSeqs []uint64
	for i, tt := range entries {
		seqs, err := tl.AppendRecords(ctx, tt.e)
		if err != nil {
			t.Fatalf("AppendRecords(%s) = %v", tt.name, err)
		}
		if len(seqs) != 1 || seqs[0] >= tl.Len() {
			t.Fatalf("AppendRecords(%s) = %v with Len() %d", tt.name, seqs, tl.Len())
		}
		rec := storedEntry(tt.e)
		rec.Seq = seqs[0]
		want[seqs[0]], wantSeqs = rec, append(wantSeqs, seqs[0])
		// Measurements and admin records share the sequence.
		if m, err := tl.Append(ctx, g.result(2+i)); err != nil || m <= seqs[0] {
			t.Fatalf("Append after AppendRecords = %d, %v, want a seq after %d", m, err, seqs[0])
		}
	}
	check := func(tl *Timeline) {
		t.Helper()
		for seq, w := range want {
			if got := mustGet(t, tl, seq); !reflect.DeepEqual(got, w) {
				t.Errorf("Get(%d) = %+v, want %+v", seq, got.Entry(), w.Entry())
			}
		}
		seqs, recs := adminSeqs(t, tl)
		if !slices.Equal(seqs, wantSeqs) {
			t.Errorf("AdminRecords() visits %v, want %v", seqs, wantSeqs)
		}
		for _, r := range recs {
			if !reflect.DeepEqual(r, want[r.Seq]) {
				t.Errorf("AdminRecords() gives %d = %+v, want %+v", r.Seq, r.Entry(), want[r.Seq].Entry())
			}
		}
		var events []uint64
		err := tl.Events(func(seq uint64, e Event) error {
			if !reflect.DeepEqual(e, *want[seq].Event) {
				t.Errorf("Events() gives %d = %+v, want %+v", seq, e, want[seq].Event)
			}
			events = append(events, seq)
			return nil
		})
		if err != nil || len(events) != len(eventCases()) {
			t.Errorf("Events() = %d events, %v, want %d", len(events), err, len(eventCases()))
		}
		var later []uint64
		tl.EventsFrom(events[2], func(seq uint64, _ Event) error { later = append(later, seq); return nil })
		if !slices.Equal(later, events[2:]) {
			t.Errorf("EventsFrom(%d) = %v, want %v", events[2], later, events[2:])
		}
	}
	check(tl)
	before := scanAll(t, tl)
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	tl = openPath(t, path, Options{NoSync: true})
	if !reflect.DeepEqual(scanAll(t, tl), before) {
		t.Errorf("records differ after reopen")
	}
	check(tl)
}

// TestAppendRecordsAtomic: an invalid entry fails the whole call, and a
// failing transaction records nothing of it.
func TestAppendRecordsAtomic(t *testing.T) {
	tl, _ := openTest(t, Options{})
	ctx := t.Context()
	good := Update{Status: 1, Title: "t", Author: "someone new", Published: t1}
	bad := Update{Status: 0, Author: "a", Published: t1} // status 0 is never valid
	if _, err := tl.AppendRecords(ctx, good, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("AppendRecords(good, bad) = %v, want ErrInvalid", err)
	}
	audit := Audit{Actor: "a", Action: "x", At: t1, TargetEntry: 2}
	if _, err := tl.AppendRecords(ctx, good, audit); !errors.Is(err, ErrInvalid) {
		t.Errorf("AppendRecords(good, audit of entry 2) = %v, want ErrInvalid", err)
	}
	if tl.Len() != 0 {
		t.Errorf("Len() = %d after failed AppendRecords, want 0", tl.Len())
	}
	boom := errors.New("disk on fire")
	tl.beforeCommit = func(*bolt.Tx) error { return boom }
	if _, err := tl.AppendRecords(ctx, good); !errors.Is(err, boom) {
		t.Errorf("AppendRecords during a failing commit = %v, want %v", err, boom)
	}
	tl.beforeCommit = nil
	if seqs, _ := adminSeqs(t, tl); tl.Len() != 0 || len(seqs) != 0 {
		t.Errorf("after a failed commit: Len() = %d, admin records %v, want none", tl.Len(), seqs)
	}
	// TargetEntry resolves to the seq of the entry named.
	audit.TargetEntry = 1
	seqs, err := tl.AppendRecords(ctx, good, audit)
	if err != nil {
		t.Fatalf("AppendRecords(update, audit of entry 1) = %v", err)
	}
	if got := mustGet(t, tl, seqs[1]); got.Audit == nil || got.Audit.Target != seqs[0] {
		t.Errorf("Get(%d) = %+v, want an audit of record %d", seqs[1], got.Audit, seqs[0])
	}
	// The author's definition comes first, so an admin record is never record 0.
	if seqs[0] == 0 || mustGet(t, tl, 0).String != "someone new" {
		t.Errorf("AppendRecords on an empty timeline = %v, want record 0 to define the author", seqs)
	}
}

// TestAppendRecordsConcurrent mixes measurements and admin records from many
// goroutines: they share one sequence and the file stays consistent.
func TestAppendRecordsConcurrent(t *testing.T) {
	tl, _ := openTest(t, Options{MaxBatch: 64})
	ctx := t.Context()
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := make(map[uint64]bool)
	note := func(seqs ...uint64) {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range seqs {
			if seen[s] {
				t.Errorf("seq %d returned twice", s)
			}
			seen[s] = true
		}
	}
	for w := range 4 {
		g := newGen(uint64(w), 5)
		wg.Go(func() {
			for i := range 200 {
				seq, err := tl.Append(ctx, g.result(i))
				if err != nil {
					t.Error(err)
					return
				}
				note(seq)
			}
		})
		wg.Go(func() {
			for i := range 50 {
				seqs, err := tl.AppendRecords(ctx, Event{EventKind: 1, Component: g.comps[i%5].id, At: t1},
					Audit{Actor: "admin", Action: "test", At: t1, TargetEntry: 1})
				if err != nil {
					t.Error(err)
					return
				}
				note(seqs...)
			}
		})
	}
	wg.Wait()
	seqs, recs := adminSeqs(t, tl)
	if len(seqs) != 4*50*2 || !slices.IsSorted(seqs) {
		t.Fatalf("AdminRecords() = %d records, want %d in seq order", len(seqs), 4*50*2)
	}
	for i := 0; i < len(recs); i += 2 {
		if recs[i].Event == nil || recs[i+1].Audit == nil || recs[i+1].Audit.Target != recs[i].Seq {
			t.Fatalf("records %d, %d = %+v, %+v, want an event then its audit", recs[i].Seq, recs[i+1].Seq, recs[i].Entry(), recs[i+1].Entry())
		}
	}
}

// TestAdminRecordsChunks reads more admin records than fit one read
// transaction, among more measurements than the index visits in one.
func TestAdminRecordsChunks(t *testing.T) {
	tl, _ := openTest(t, Options{})
	ctx := t.Context()
	g := newGen(4, 10)
	var want []uint64
	for i := range 3*readChunk + 7 {
		if _, err := tl.Append(ctx, g.result(i)); err != nil {
			t.Fatal(err)
		}
		e := Entry(Audit{Actor: "a", Action: "x", At: t1})
		if i%3 == 0 {
			e = Event{EventKind: 1, Component: "c", At: t1}
		}
		seqs, err := tl.AppendRecords(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, seqs...)
	}
	if got, _ := adminSeqs(t, tl); !slices.Equal(got, want) {
		t.Errorf("AdminRecords() = %d records, want %d", len(got), len(want))
	}
	var events int
	tl.Events(func(uint64, Event) error { events++; return nil })
	if events != (3*readChunk+7+2)/3 {
		t.Errorf("Events() = %d events, want %d", events, (3*readChunk+7+2)/3)
	}
	stop := errors.New("stop")
	if err := tl.AdminRecords(func(Record) error { return stop }); err != stop {
		t.Errorf("AdminRecords with a failing fn = %v, want fn's error", err)
	}
}

// TestOpenWithoutAdminBucket opens a file written before the admin kinds:
// Open adds the empty admin index.
func TestOpenWithoutAdminBucket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	tl, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tl.Append(t.Context(), newGen(1, 1).result(0)); err != nil {
		t.Fatal(err)
	}
	tl.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketAdmin) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	tl = openPath(t, path, Options{NoSync: true})
	if seqs, _ := adminSeqs(t, tl); len(seqs) != 0 {
		t.Errorf("AdminRecords() on an old file = %v, want none", seqs)
	}
	if _, err := tl.AppendRecords(t.Context(), Audit{Actor: "a", Action: "x", At: t1}); err != nil {
		t.Errorf("AppendRecords on an old file = %v", err)
	}
}
