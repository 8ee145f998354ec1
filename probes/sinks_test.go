package probes

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
)

// TestSinksReuseGoroutines checks that results handed one at a time go
// through one long-lived goroutine, not one each.
func TestSinksReuseGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got []string
		s := newSinks(t.Context(), func(_ context.Context, r Result) { got = append(got, r.Component) }, 8)
		for i := range 100 {
			s.put(Result{Component: fmt.Sprint("c", i)})
			synctest.Wait() // the sink has returned and its goroutine waits again
		}
		s.mu.Lock()
		running := s.running
		s.mu.Unlock()
		s.close()
		if running != 1 {
			t.Errorf("goroutines started for 100 results one at a time = %d, want 1", running)
		}
		if len(got) != 100 || got[0] != "c0" || got[99] != "c99" {
			t.Errorf("sink got %d results (%v…), want c0…c99 in order", len(got), got[:min(3, len(got))])
		}
	})
}

// TestSinksSlowSinkHoldsNoCaller checks that put returns while every sink
// goroutine is blocked (a commit waiting on the disk), that no more than max
// goroutines run, that they work concurrently (so results share a group
// commit), and that close waits for every queued result.
func TestSinksSlowSinkHoldsNoCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const most, n = 3, 20
		release := make(chan struct{})
		var (
			mu     sync.Mutex
			seen   = map[string]int{}
			inSink int
			maxIn  int
		)
		s := newSinks(t.Context(), func(_ context.Context, r Result) {
			mu.Lock()
			inSink++
			maxIn = max(maxIn, inSink)
			mu.Unlock()
			<-release
			mu.Lock()
			inSink--
			seen[r.Component]++
			mu.Unlock()
		}, most)
		for i := range n {
			s.put(Result{Component: fmt.Sprint("c", i)}) // must not block: nothing is released yet
		}
		synctest.Wait()
		mu.Lock()
		if maxIn != most {
			t.Errorf("sink calls at once = %d, want %d (the bound, reached with %d queued)", maxIn, most, n)
		}
		mu.Unlock()
		closed := make(chan struct{})
		go func() { s.close(); close(closed) }()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("close returned while sink calls were blocked")
		default:
		}
		close(release)
		<-closed
		if len(seen) != n {
			t.Errorf("results through the sink = %d, want %d", len(seen), n)
		}
		for c, k := range seen {
			if k != 1 {
				t.Errorf("result %s went through the sink %d times, want 1", c, k)
			}
		}
		if s.running != most {
			t.Errorf("goroutines started = %d, want %d", s.running, most)
		}
	})
}
