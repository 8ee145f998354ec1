package timeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

// The writer is woken by the request that finds the queue empty, by the
// one that fills a batch and by a rebuild; the requests between them wait
// for the group's timer without waking it.
func TestQueueWakesWriterOnlyWhenNeeded(t *testing.T) {
	q := newQueue()
	woken := func() bool {
		select {
		case <-q.wake:
			return true
		default:
			return false
		}
	}
	for i := range 8 {
		q.put(&request{rs: make([]probes.Result, 1)}, 8)
		if got, want := woken(), i == 0 || i == 7; got != want {
			t.Errorf("put %d of 8 (MaxBatch 8): writer woken = %v, want %v", i+1, got, want)
		}
	}
	q.put(&request{rs: make([]probes.Result, 1)}, 8)
	if woken() {
		t.Error("put past a full batch woke the writer again")
	}
	group, rebuild := q.take(nil, 8)
	if len(group) != 8 || rebuild != nil {
		t.Fatalf("take(MaxBatch 8) = %d requests, rebuild %v; want 8, none", len(group), rebuild)
	}
	q.put(&request{rebuild: true}, 8)
	if !woken() {
		t.Error("a rebuild did not wake the writer")
	}
	if !q.full(8) {
		t.Error("full() = false with a rebuild waiting")
	}
	if group, rebuild = q.take(nil, 8); len(group) != 1 || rebuild != nil {
		t.Errorf("take before a rebuild = %d requests, rebuild %v; want the 1 before it", len(group), rebuild)
	}
	if group, rebuild = q.take(nil, 8); len(group) != 0 || rebuild == nil {
		t.Errorf("take at a rebuild = %d requests, rebuild %v; want the rebuild alone", len(group), rebuild)
	}
	if !q.closeIfEmpty() || q.put(&request{}, 8) {
		t.Error("put after closeIfEmpty on an empty queue was accepted")
	}
}

// openDelayed opens a timeline whose groups wait an hour: only a full
// batch, a rebuild, a cancelled caller or Close ends the wait.
func openDelayed(t *testing.T, maxBatch int) (*Timeline, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "timeline.db")
	tl, err := Open(path, Options{NoSync: true, MaxDelay: time.Hour, MaxBatch: maxBatch})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	return tl, path
}

func appendAsync(tl *Timeline, ctx context.Context, r probes.Result) chan error {
	done := make(chan error, 1)
	go func() {
		_, err := tl.Append(ctx, r)
		done <- err
	}()
	return done
}

func waitErr(t *testing.T, what string, c chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return within 10 s", what)
		return nil
	}
}

// waitQueued polls, bounded, until n requests wait for the writer.
func waitQueued(t *testing.T, tl *Timeline, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		tl.queue.mu.Lock()
		got := len(tl.queue.reqs)
		tl.queue.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued after 10 s, want %d", got, n)
		}
		time.Sleep(time.Millisecond) // polling a condition, not synchronising
	}
}

// An Append cancelled while its group waits returns at once, unrecorded,
// and the others of the group still commit, in the order they came.
func TestAppendCancelledWhileGrouped(t *testing.T) {
	tl, _ := openDelayed(t, 3)
	res := func(i int) probes.Result {
		return probes.Result{Component: fmt.Sprint("c", i), Start: time.Unix(1617692520+int64(i), 0), Status: probes.Operational}
	}
	first := appendAsync(tl, t.Context(), res(0))
	waitQueued(t, tl, 1)
	ctx, cancel := context.WithCancel(t.Context())
	cancelled := appendAsync(tl, ctx, res(1))
	waitQueued(t, tl, 2)
	cancel()
	if err := waitErr(t, "cancelled Append", cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append(ctx cancelled while grouped) = %v, want context.Canceled", err)
	}
	if tl.Len() != 0 {
		t.Fatalf("Len() = %d while the group waits, want 0", tl.Len())
	}
	second := appendAsync(tl, t.Context(), res(2))
	waitQueued(t, tl, 2)
	third := appendAsync(tl, t.Context(), res(3)) // fills MaxBatch 3: commits now
	for i, c := range []chan error{first, second, third} {
		if err := waitErr(t, fmt.Sprint("Append ", i), c); err != nil {
			t.Fatalf("Append %d = %v", i, err)
		}
	}
	var got []string
	for seq := range tl.Len() {
		if r := mustGet(t, tl, seq); r.Measurement != nil {
			got = append(got, r.Measurement.Component)
		}
	}
	if want := []string{"c0", "c2", "c3"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("measurements recorded = %v, want %v", got, want)
	}
}

// A rebuild asked for while a group waits does not wait for MaxDelay: the
// group commits, then the rebuild runs.
func TestRebuildEndsGroupWait(t *testing.T) {
	tl, _ := openDelayed(t, 100)
	grouped := appendAsync(tl, t.Context(), probes.Result{Component: "c", Start: time.Unix(1617692520, 0), Status: probes.Operational})
	waitQueued(t, tl, 1)
	rebuilt := make(chan error, 1)
	go func() { rebuilt <- tl.RebuildRollups() }()
	if err := waitErr(t, "Append before a rebuild", grouped); err != nil {
		t.Fatalf("Append() = %v", err)
	}
	if err := waitErr(t, "RebuildRollups", rebuilt); err != nil {
		t.Fatalf("RebuildRollups() = %v", err)
	}
	if tl.Len() == 0 {
		t.Error("Len() = 0 after the group committed")
	}
}
