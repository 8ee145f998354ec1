package probes

import (
	"container/heap"
	"context"
	"hash/fnv"
	"log/slog"
	"math"
	"sync"
	"time"
)

// Job is one periodic task of the scheduler: usually a Check's Run.
type Job struct {
	ID       string        // stable identity; it fixes the job's offset in its interval
	Interval time.Duration // > 0
	Run      func(ctx context.Context) Result
}

// CheckJob makes a scheduler job of c.
func CheckJob(c *Check) Job {
	return Job{ID: c.Component.ID, Interval: c.Component.Interval, Run: c.Run}
}

// Scheduler runs each job once per interval, at a stable offset within the
// interval derived from the job's ID, so that 1,000 checks are spread over
// the interval instead of firing together, and a restart keeps the rhythm.
// It never runs two rounds of one job at once: a round that overruns its
// interval makes the job skip the missed slots.
//
// Offsets are multiples of Tick: one timer wakes the scheduler once per tick
// that has jobs due, and hands them to a fixed pool of workers, instead of
// a goroutine and a timer per job each waking on its own. A job's Result
// still carries the exact time its round started.
type Scheduler struct {
	jobs    []Job
	workers int
	sink    func(context.Context, Result)
	log     *slog.Logger
}

// Tick is the grain of the schedule (see Scheduler).
const Tick = 100 * time.Millisecond

// NewScheduler returns a scheduler of jobs running at most workers rounds at
// once. sink receives every result outside the concurrency bound, on one of
// at most workers long-lived goroutines (see sinks), so that a slow sink,
// such as a timeline commit, does not hold a worker; results wait in a
// queue while all are busy. sink must be safe for concurrent use.
func NewScheduler(jobs []Job, workers int, sink func(context.Context, Result), log *slog.Logger) *Scheduler {
	if workers < 1 {
		workers = 1
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{jobs: jobs, workers: workers, sink: sink, log: log}
}

// Run runs the jobs until ctx is done. It returns only after the last round
// and the last sink call have returned.
//
// Run's loop wakes once per tick with jobs due and hands each to an idle
// worker; a worker puts its job back in the queue itself when the round
// ends, takes the next due job if one waits, and wakes the loop only if its
// job's next slot comes before the loop's next wake-up (as with few jobs),
// so that a round costs one hand-off, not two. Idle workers are handed jobs
// last idle first: under a light load a few workers run every round, their
// stacks stay grown and warm, and the others stay parked, instead of each
// round going to the worker idle longest, whose stack the collector has
// shrunk since and must grow again.
func (s *Scheduler) Run(ctx context.Context) {
	q := &queue{slots: newSlots(s.jobs, time.Now()), poke: make(chan struct{}, 1)}
	out := newSinks(ctx, s.sink, s.workers)
	defer out.close()
	var wg sync.WaitGroup // workers
	defer wg.Wait()
	mine := make([]chan int, s.workers) // each worker's next job; closed by Run
	for w := range mine {
		mine[w] = make(chan int, 1)
		q.idle = append(q.idle, mine[w])
		wg.Go(func() { s.work(ctx, mine[w], q, out) })
	}
	defer func() {
		for _, c := range mine {
			close(c)
		}
	}()
	timer := time.NewTimer(q.wakeAt(time.Now()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			timer.Reset(q.wakeAt(time.Now()))
		case <-q.poke:
			timer.Reset(q.wakeAt(time.Now()))
		}
	}
}

// work runs the rounds of the jobs it receives on mine until mine is
// closed or ctx is done, queues each job again for its next slot, and
// takes the next due job itself while one waits.
func (s *Scheduler) work(ctx context.Context, mine chan int, q *queue, out *sinks) {
	for i := range mine {
		for ok := true; ok && ctx.Err() == nil; {
			r := s.jobs[i].Run(ctx)
			// A round cut short by shutdown measured Constat, not the ENT.
			if ctx.Err() == nil {
				out.put(r)
			}
			missed, next, more := q.finish(i, mine, time.Now())
			if missed > 0 {
				s.log.Warn("check overran its interval", "component", s.jobs[i].ID, "missed_rounds", missed)
			}
			i, ok = next, more
		}
	}
}

// queue is the slots, the due jobs and the idle workers, shared by Run's
// loop and the workers.
type queue struct {
	mu    sync.Mutex
	slots *slots
	ready []int      // due jobs waiting for a worker, first due first
	idle  []chan int // idle workers' channels, the last idle on top
	wake  time.Time  // when the loop's timer fires next
	poke  chan struct{}
}

// wakeAt moves the jobs due at now to the ready list, hands ready jobs to
// idle workers, and returns how long the loop may sleep until the next slot.
func (q *queue) wakeAt(now time.Time) time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ready = q.slots.popDue(q.ready, now)
	for len(q.ready) > 0 && len(q.idle) > 0 {
		w := q.idle[len(q.idle)-1]
		q.idle = q.idle[:len(q.idle)-1]
		w <- q.ready[0] // never blocks: an idle worker's channel is empty
		q.ready = q.ready[1:]
	}
	q.wake = q.slots.first()
	return q.wake.Sub(now)
}

// finish queues job i, whose round has just ended, for its next slot after
// now, and pokes the loop if that slot comes before the loop's wake-up. It
// returns how many slots the job missed and, when a due job waits, that job
// for the calling worker to run (ok true); otherwise the worker, whose
// channel is mine, joins the idle ones.
func (q *queue) finish(i int, mine chan int, now time.Time) (missed, next int, ok bool) {
	q.mu.Lock()
	missed = q.slots.reschedule(i, now)
	early := q.slots.at[i].Before(q.wake)
	if len(q.ready) > 0 {
		next, ok = q.ready[0], true
		q.ready = q.ready[1:]
	} else {
		q.idle = append(q.idle, mine)
	}
	q.mu.Unlock()
	if early {
		select {
		case q.poke <- struct{}{}:
		default: // a poke is pending: the loop will see this slot too
		}
	}
	return missed, next, ok
}

// slots is the scheduler's queue: each job not running, by its next slot,
// in a binary min-heap.
type slots struct {
	jobs []Job
	off  []time.Duration // each job's offset
	at   []time.Time     // each job's next (or current) slot
	heap []int           // job indexes, heap-ordered by at
}

func newSlots(jobs []Job, now time.Time) *slots {
	q := &slots{jobs: jobs, off: make([]time.Duration, len(jobs)), at: make([]time.Time, len(jobs))}
	for i, j := range jobs {
		q.off[i] = Offset(j.ID, j.Interval)
		q.at[i] = nextSlot(now, j.Interval, q.off[i])
		q.heap = append(q.heap, i)
	}
	heap.Init(q)
	return q
}

// first returns the earliest slot queued, or a day from now when none is.
func (q *slots) first() time.Time {
	if len(q.heap) == 0 {
		return time.Now().Add(24 * time.Hour)
	}
	return q.at[q.heap[0]]
}

// popDue appends to ready the jobs whose slot is not after now.
func (q *slots) popDue(ready []int, now time.Time) []int {
	for len(q.heap) > 0 && !q.at[q.heap[0]].After(now) {
		ready = append(ready, q.pop())
	}
	return ready
}

// reschedule queues job i, whose round has just ended, for its next slot
// after now, and returns how many of its slots it missed.
func (q *slots) reschedule(i int, now time.Time) int {
	prev := q.at[i]
	q.at[i] = nextSlot(now, q.jobs[i].Interval, q.off[i])
	q.heap = append(q.heap, i)
	heap.Fix(q, len(q.heap)-1)
	return int(q.at[i].Sub(prev)/q.jobs[i].Interval) - 1
}

// pop removes and returns the job with the earliest slot. It and
// reschedule move ints through heap.Fix rather than heap.Push and Pop,
// whose any boxes every job index from 256 on: two allocations per round.
func (q *slots) pop() int {
	i, n := q.heap[0], len(q.heap)-1
	q.Swap(0, n)
	q.heap = q.heap[:n]
	if n > 0 {
		heap.Fix(q, 0)
	}
	return i
}

func (q *slots) Len() int           { return len(q.heap) }
func (q *slots) Less(a, b int) bool { return q.at[q.heap[a]].Before(q.at[q.heap[b]]) }
func (q *slots) Swap(a, b int)      { q.heap[a], q.heap[b] = q.heap[b], q.heap[a] }
func (q *slots) Push(x any)         { q.heap = append(q.heap, x.(int)) }
func (q *slots) Pop() any {
	i := q.heap[len(q.heap)-1]
	q.heap = q.heap[:len(q.heap)-1]
	return i
}

// Offset is the stable position of job id within its interval: an FNV-1a
// hash of the ID, modulo the interval, rounded down to a multiple of Tick
// when the interval holds at least two ticks.
func Offset(id string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(id))
	off := time.Duration(h.Sum64() % uint64(interval))
	if interval >= 2*Tick {
		off = off.Truncate(Tick)
	}
	return off
}

// nextSlot returns the first time strictly after now that lies off past a
// multiple of interval (counted from Go's zero time, as time.Truncate does).
func nextSlot(now time.Time, interval, off time.Duration) time.Time {
	base := now.Truncate(interval).Add(off)
	for !base.After(now) {
		base = base.Add(interval)
	}
	return base
}

// MinWorkers and MaxWorkers bound Workers' answer.
const (
	MinWorkers = 64
	MaxWorkers = 8192
)

// Workers is the size of the worker pool that comps need so that no round
// waits for a worker even when every portal hangs: by Little's law, the
// rounds started per second times the longest a round can last, that is
// the sum over components of (the sum of their steps' timeouts) / interval,
// rounded up, at least MinWorkers and at most MaxWorkers. 10,000
// components at 30 s with a 5 s timeout need 1,667: a pool of 64 would
// serve them only while the portals answer within 190 ms, and in an outage
// rounds would queue and miss their slots, the moment they matter most.
// Idle workers cost a parked goroutine each; the connections they may hold
// at once are what serve reserves descriptors for.
func Workers(comps []*Component) int {
	var load float64 // rounds in flight if every step ran to its timeout
	for _, c := range comps {
		var worst time.Duration
		for _, st := range c.Steps {
			worst += st.Timeout
		}
		if c.Interval > 0 {
			load += worst.Seconds() / c.Interval.Seconds()
		}
	}
	return int(min(max(math.Ceil(load-1e-9), MinWorkers), MaxWorkers))
}
