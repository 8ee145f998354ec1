package timeline

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// CommitError is what Health returns while commits fail: since when, how
// many failed, and the last cause (errors.Is(err, syscall.ENOSPC) for a
// full disk).
type CommitError struct {
	Since    time.Time // the first failed commit of this run of failures
	Failures uint64    // failed commits since Since
	Err      error     // the last failure's cause
}

// Error reads "commits failing since 2021-04-06T09:02:00Z (12 failed): … no space left on device".
func (e *CommitError) Error() string {
	return fmt.Sprintf("commits failing since %s (%d failed): %v", e.Since.UTC().Format(time.RFC3339), e.Failures, e.Err)
}

func (e *CommitError) Unwrap() error { return e.Err }

// commitLogEvery is how often a run of failing commits is logged.
const commitLogEvery = time.Minute

// health follows the commits: a run of failures, logged once a minute, and
// the count of every failed commit since Open.
type health struct {
	failed atomic.Uint64 // every failed commit since Open

	mu       sync.Mutex
	run      *CommitError // nil while commits succeed
	loggedAt time.Time
}

// failure notes a failed commit; it logs at most once per commitLogEvery.
func (t *Timeline) commitFailed(err error) {
	t.health.failed.Add(1)
	now := time.Now()
	h := &t.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.run == nil {
		h.run = &CommitError{Since: now}
	}
	h.run.Failures++
	h.run.Err = err
	if now.Sub(h.loggedAt) >= commitLogEvery {
		h.loggedAt = now
		t.log.Error("timeline commits failing: nothing is recorded", "since", h.run.Since, "failed", h.run.Failures, "err", err)
	}
}

// commitSucceeded ends a run of failures.
func (t *Timeline) commitSucceeded() {
	h := &t.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.run != nil {
		t.log.Info("timeline commits resumed", "failed", h.run.Failures, "since", h.run.Since)
		h.run, h.loggedAt = nil, time.Time{}
	}
}

// Health returns nil while the last commit succeeded, else a *CommitError.
// It is safe for concurrent use.
func (t *Timeline) Health() error {
	h := &t.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.run == nil {
		return nil
	}
	c := *h.run
	return &c
}

// CommitFailures returns how many commits failed since Open.
func (t *Timeline) CommitFailures() uint64 { return t.health.failed.Load() }
