package probes

import (
	"context"
	"hash/fnv"
	"log/slog"
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
type Scheduler struct {
	jobs    []Job
	workers int
	sink    func(context.Context, Result)
	log     *slog.Logger
}

// NewScheduler returns a scheduler of jobs running at most workers rounds at
// once. sink receives every result, from the job's own goroutine, outside the
// concurrency bound (so a slow sink, such as a timeline commit, does not hold
// a worker slot); it must be safe for concurrent use.
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
func (s *Scheduler) Run(ctx context.Context) {
	sem := make(chan struct{}, s.workers)
	var wg sync.WaitGroup
	for _, j := range s.jobs {
		wg.Go(func() { s.loop(ctx, j, sem) })
	}
	wg.Wait()
}

func (s *Scheduler) loop(ctx context.Context, j Job, sem chan struct{}) {
	off := Offset(j.ID, j.Interval)
	next := nextSlot(time.Now(), j.Interval, off)
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		select {
		case <-ctx.Done():
			return
		case sem <- struct{}{}:
		}
		r := j.Run(ctx)
		<-sem
		if ctx.Err() != nil {
			return // a round cut short by shutdown measured Constat, not the ENT
		}
		s.sink(ctx, r)
		now := time.Now()
		prev := next
		next = nextSlot(now, j.Interval, off)
		if missed := int(next.Sub(prev)/j.Interval) - 1; missed > 0 {
			s.log.Warn("check overran its interval", "component", j.ID, "missed_rounds", missed)
		}
		timer.Reset(time.Until(next))
	}
}

// Offset is the stable position of job id within its interval: an FNV-1a
// hash of the ID, modulo the interval.
func Offset(id string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(interval))
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
