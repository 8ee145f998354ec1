package probes

import (
	"context"
	"sync"
)

// sinks hands the scheduler's results to long-lived goroutines that call
// the sink, instead of a goroutine per result: a goroutine started for each
// of 333 results a second, each growing its stack through a timeline commit,
// cost serve a tenth of its CPU in stack copying and scheduling.
//
// put never blocks: a result waits in a queue when every sink goroutine is
// busy, and a new goroutine is started only when none is idle and fewer than
// max are running, so that a slow sink (a timeline commit waiting on the
// disk) holds no worker, and as many results as before wait on one group
// commit together. Goroutines, once started, live until close.
type sinks struct {
	ctx  context.Context
	sink func(context.Context, Result)
	max  int

	mu      sync.Mutex
	wait    sync.Cond // idle goroutines wait here for a result or close
	queue   []Result  // queue[head:]: results no goroutine has taken yet, oldest first
	head    int
	running int // goroutines started
	idle    int // goroutines waiting and not yet claimed by a put
	closed  bool
	wg      sync.WaitGroup
}

func newSinks(ctx context.Context, sink func(context.Context, Result), most int) *sinks {
	s := &sinks{ctx: ctx, sink: sink, max: max(most, 1)}
	s.wait.L = &s.mu
	return s
}

// put queues r for the sink.
func (s *sinks) put(r Result) {
	s.mu.Lock()
	s.queue = append(s.queue, r)
	switch {
	case s.idle > 0:
		s.idle-- // claimed: the next put wakes another goroutine
		s.wait.Signal()
	case s.running < s.max:
		s.running++
		s.wg.Go(s.loop)
	}
	s.mu.Unlock()
}

// close waits until every queued result has been through the sink and
// every goroutine has returned. No put may follow.
func (s *sinks) close() {
	s.mu.Lock()
	s.closed = true
	s.wait.Broadcast()
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *sinks) loop() {
	s.mu.Lock()
	for {
		for s.head == len(s.queue) {
			if s.closed {
				s.mu.Unlock()
				return
			}
			s.idle++
			s.wait.Wait()
		}
		r := s.queue[s.head]
		s.queue[s.head] = Result{} // let the collector have its steps
		if s.head++; s.head == len(s.queue) {
			// Empty: reuse the array, unless a backlog (a stalled disk) grew it.
			s.queue, s.head = s.queue[:0], 0
			if cap(s.queue) > 4*s.max {
				s.queue = nil
			}
		}
		s.mu.Unlock()
		s.sink(s.ctx, r)
		s.mu.Lock()
	}
}
