package probes

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestSchedulerSpreadsAndNeverOverlaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			nJobs    = 200
			interval = 30 * time.Second
			workers  = 40
			rounds   = 4
		)
		var (
			mu       sync.Mutex
			starts   = map[string][]time.Time{}
			running  = map[string]int{}
			overlap  atomic.Int64
			inFlight atomic.Int64
			maxIn    atomic.Int64
		)
		jobs := make([]Job, nJobs)
		for i := range jobs {
			id := fmt.Sprintf("ent-%03d", i)
			jobs[i] = Job{ID: id, Interval: interval, Run: func(ctx context.Context) Result {
				mu.Lock()
				starts[id] = append(starts[id], time.Now())
				running[id]++
				if running[id] > 1 {
					overlap.Add(1)
				}
				mu.Unlock()
				n := inFlight.Add(1)
				for m := maxIn.Load(); n > m && !maxIn.CompareAndSwap(m, n); m = maxIn.Load() {
				}
				// Every 7th job is slower than its interval: it must skip, not overlap.
				d := 100 * time.Millisecond
				if i%7 == 0 {
					d = 45 * time.Second
				}
				select {
				case <-time.After(d):
				case <-ctx.Done():
				}
				inFlight.Add(-1)
				mu.Lock()
				running[id]--
				mu.Unlock()
				return Result{Component: id, Status: Operational}
			}}
		}
		var sunk atomic.Int64
		t0 := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		s := NewScheduler(jobs, workers, func(context.Context, Result) { sunk.Add(1) }, nil)
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		time.Sleep(rounds*interval + interval/2)
		cancel()
		<-done

		if n := overlap.Load(); n != 0 {
			t.Errorf("rounds of one job overlapped %d times, want 0", n)
		}
		if m := maxIn.Load(); m > workers {
			t.Errorf("max rounds in flight = %d, want <= %d", m, workers)
		}
		// Offsets spread: the first rounds fall in many distinct seconds of the interval.
		seconds := map[int64]bool{}
		for id, st := range starts {
			if len(st) == 0 {
				t.Fatalf("job %s never ran", id)
			}
			seconds[st[0].Unix()%int64(interval/time.Second)] = true
			// Woken once per tick, each round still starts at its own slot.
			off := Offset(id, interval)
			if want := nextSlot(t0, interval, off); !st[0].Equal(want) || off%Tick != 0 {
				t.Errorf("job %s first ran at %v, want its slot %v (offset %v, a multiple of %v)", id, st[0].Sub(t0), want.Sub(t0), off, Tick)
			}
			for k := 1; k < len(st); k++ {
				if gap := st[k].Sub(st[k-1]); gap < interval-time.Second {
					t.Errorf("job %s ran twice within %v, want >= %v apart", id, gap, interval)
				}
			}
		}
		if len(seconds) < 20 {
			t.Errorf("first rounds fell in %d distinct seconds of the interval, want spread over >= 20", len(seconds))
		}
		if sunk.Load() == 0 {
			t.Error("sink never called")
		}
	})
}

func TestOffsetStable(t *testing.T) {
	a, b := Offset("monlycee", 30*time.Second), Offset("monlycee", 30*time.Second)
	if a != b {
		t.Errorf("Offset(monlycee) = %v then %v, want stable", a, b)
	}
	if a < 0 || a >= 30*time.Second {
		t.Errorf("Offset(monlycee) = %v, want in [0, 30s)", a)
	}
}

func TestNextSlot(t *testing.T) {
	iv := 30 * time.Second
	base := time.Date(2021, 4, 6, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		now  time.Time
		off  time.Duration
		want time.Time
	}{
		{base, 5 * time.Second, base.Add(5 * time.Second)},
		{base.Add(5 * time.Second), 5 * time.Second, base.Add(35 * time.Second)},
		{base.Add(6 * time.Second), 5 * time.Second, base.Add(35 * time.Second)},
		{base.Add(29 * time.Second), 0, base.Add(30 * time.Second)},
	}
	for _, tt := range tests {
		if got := nextSlot(tt.now, iv, tt.off); !got.Equal(tt.want) {
			t.Errorf("nextSlot(%v, %v, %v) = %v, want %v", tt.now, iv, tt.off, got, tt.want)
		}
	}
}

func TestSchedulerBoundsConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers = 4
		var inFlight, maxIn, runs atomic.Int64
		jobs := make([]Job, 50)
		for i := range jobs {
			jobs[i] = Job{ID: fmt.Sprint("j", i), Interval: 30 * time.Second, Run: func(ctx context.Context) Result {
				n := inFlight.Add(1)
				for m := maxIn.Load(); n > m && !maxIn.CompareAndSwap(m, n); m = maxIn.Load() {
				}
				runs.Add(1)
				select {
				case <-time.After(10 * time.Second):
				case <-ctx.Done():
				}
				inFlight.Add(-1)
				return Result{}
			}}
		}
		runScheduler(t, jobs, workers, 2*time.Minute)
		if m := maxIn.Load(); m != workers {
			t.Errorf("max rounds in flight = %d, want exactly %d (the bound, reached under contention)", m, workers)
		}
		if inFlight.Load() != 0 {
			t.Errorf("rounds still in flight after Run returned: %d", inFlight.Load())
		}
		if runs.Load() == 0 {
			t.Error("no round ran")
		}
	})
}

// workerComps returns n components checked every interval, with one step
// per timeout given.
func workerComps(n int, interval time.Duration, timeouts ...time.Duration) []*Component {
	cs := make([]*Component, n)
	for i := range cs {
		c := &Component{ID: fmt.Sprintf("c%d", i), Interval: interval}
		for _, d := range timeouts {
			c.Steps = append(c.Steps, &Step{Timeout: d})
		}
		cs[i] = c
	}
	return cs
}

func TestWorkers(t *testing.T) {
	tests := []struct {
		name  string
		comps []*Component
		want  int
	}{
		{"none", nil, MinWorkers},
		{"the 37 ENTs at 60 s, 10 s", workerComps(37, time.Minute, 10*time.Second), MinWorkers},
		{"10,000 at 30 s, 5 s", workerComps(10000, 30*time.Second, 5*time.Second), 1667},
		{"exact: 2,000 at 10 s, 5 s", workerComps(2000, 10*time.Second, 5*time.Second), 1000},
		{"two steps: 10,000 at 60 s, 5 s + 10 s", workerComps(10000, time.Minute, 5*time.Second, 10*time.Second), 2500},
		{"mixed intervals", append(workerComps(3000, 30*time.Second, 5*time.Second), workerComps(600, 10*time.Second, 5*time.Second)...), 800},
		{"capped: 50,000 at 10 s, 9 s", workerComps(50000, 10*time.Second, 9*time.Second), MaxWorkers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Workers(tt.comps); got != tt.want {
				t.Errorf("Workers(%s) = %d, want %d", tt.name, got, tt.want)
			}
		})
	}
}

// With one job the queue is empty while it runs, so the loop sleeps until
// the worker puts the job back and wakes it: every interval has its round.
func TestSchedulerOneJobEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 10 * time.Second
		var runs atomic.Int64
		jobs := []Job{{ID: "seul", Interval: interval, Run: func(context.Context) Result {
			runs.Add(1)
			time.Sleep(time.Second)
			return Result{}
		}}}
		runScheduler(t, jobs, 2, 10*interval+interval/2)
		if n := runs.Load(); n < 10 || n > 11 {
			t.Errorf("one job over 10.5 intervals ran %d rounds, want 10 or 11", n)
		}
	})
}

// TestSchedulerReusesLastIdleWorker checks that under a light load the
// rounds go to the few workers idle last, not in turn to every worker of
// the pool (whose stacks the collector shrinks while they wait).
func TestSchedulerReusesLastIdleWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers = 64
		var mu sync.Mutex
		used := map[string]bool{} // goroutines that ran a round
		jobs := make([]Job, 100)
		for i := range jobs {
			jobs[i] = Job{ID: fmt.Sprint("light-", i), Interval: 30 * time.Second, Run: func(ctx context.Context) Result {
				buf := make([]byte, 64)
				id, _, _ := strings.Cut(string(buf[:runtime.Stack(buf, false)]), " [") // "goroutine N"
				mu.Lock()
				used[id] = true
				mu.Unlock()
				time.Sleep(time.Millisecond)
				return Result{}
			}}
		}
		runScheduler(t, jobs, workers, 2*time.Minute)
		// 400 rounds of 1 ms spread over 100 ms ticks: a tick rarely has more than a few due.
		if n := len(used); n == 0 || n > 8 {
			t.Errorf("workers that ran a round = %d, want 1..8 of %d", n, workers)
		}
	})
}

// runScheduler runs jobs on workers, discarding results, for d of the
// bubble's time, then cancels the run and returns once Run has returned.
func runScheduler(t *testing.T, jobs []Job, workers int, d time.Duration) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { NewScheduler(jobs, workers, func(context.Context, Result) {}, nil).Run(ctx); close(done) }()
	time.Sleep(d)
	cancel()
	<-done
}

// The slots heap hands jobs out in slot order, past 256 jobs (whose
// indexes an any would box) and after reschedules.
func TestSlotsPopInSlotOrder(t *testing.T) {
	jobs := make([]Job, 1000)
	for i := range jobs {
		jobs[i] = Job{ID: fmt.Sprint("c", i), Interval: time.Duration(1+i%7) * 10 * time.Second}
	}
	now := time.Date(2021, 4, 6, 7, 0, 0, 0, time.UTC)
	q := newSlots(jobs, now)
	check := func(what string, due []int) {
		t.Helper()
		if len(due) != len(jobs) {
			t.Fatalf("%s: popDue = %d jobs, want %d", what, len(due), len(jobs))
		}
		seen := make(map[int]bool)
		for k, i := range due {
			if seen[i] {
				t.Fatalf("%s: job %d popped twice", what, i)
			}
			seen[i] = true
			if k > 0 && q.at[i].Before(q.at[due[k-1]]) {
				t.Fatalf("%s: job %d (slot %v) popped after job %d (slot %v)", what, i, q.at[i], due[k-1], q.at[due[k-1]])
			}
		}
	}
	due := q.popDue(nil, now.Add(time.Hour))
	check("first pass", due)
	later := now.Add(90 * time.Second)
	for _, i := range slices.Backward(due) {
		q.reschedule(i, later)
	}
	check("after reschedule", q.popDue(nil, later.Add(time.Hour)))
}
