package timeline

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/constat-ent/constat/probes"
)

// request is one Append, AppendAll or AppendRecords call waiting for the
// writer: measurements (rs) or entries (es), never both; or a
// RebuildRollups call (rebuild), which gets a transaction of its own.
type request struct {
	ctx     context.Context
	rs      []probes.Result
	es      []Entry
	rebuild bool
	seqs    []uint64   // filled by the writer: the seqs of rs or es
	done    chan error // buffered (1); the writer sends exactly one value
}

// len is the number of records the request adds, string definitions aside.
func (r *request) len() int { return len(r.rs) + len(r.es) }

// Append stores r as one measurement record and returns its sequence number.
// It is safe for concurrent use: concurrent calls are group-committed in one
// transaction. Append returns only once that transaction committed (and was
// fsynced unless Options.NoSync); r counts as recorded from then on.
//
// ctx bounds the wait for the writer to take r: if ctx is done first, Append
// returns ctx's error and r is not recorded. Once taken, r is committed or
// fails with its whole transaction, and Append waits for that (one commit).
// Append returns an error wrapping ErrInvalid when r cannot be recorded (see
// CheckResult), ErrClosed after Close, and the commit's error when the
// transaction failed; in every error case nothing of r is recorded. r's
// slices must not be modified until Append returns.
func (t *Timeline) Append(ctx context.Context, r probes.Result) (uint64, error) {
	seqs, err := t.submit(ctx, []probes.Result{r})
	if err != nil {
		return 0, err
	}
	return seqs[0], nil
}

// AppendAll stores rs in one transaction, as consecutive measurement records
// (string definitions they need may come between them), and returns their
// sequence numbers. Either all of rs is recorded or none is. It behaves as
// Append otherwise.
func (t *Timeline) AppendAll(ctx context.Context, rs []probes.Result) ([]uint64, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	return t.submit(ctx, rs)
}

func (t *Timeline) submit(ctx context.Context, rs []probes.Result) ([]uint64, error) {
	// Check the results here, in the caller's goroutine, so that one bad
	// result fails its own call and not the whole group's transaction.
	for i := range rs {
		if err := CheckResult(&rs[i]); err != nil {
			return nil, fmt.Errorf("append measurement for %q: %w", rs[i].Component, err)
		}
	}
	return t.send(&request{ctx: ctx, rs: rs, done: make(chan error, 1)})
}

// send hands req to the writer and waits for its answer.
func (t *Timeline) send(req *request) ([]uint64, error) {
	ctx := req.ctx
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	select {
	case <-t.closing:
		return nil, ErrClosed
	default:
	}
	select {
	case t.reqs <- req:
	case <-t.closing:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("append: %w", ctx.Err())
	}
	if err := <-req.done; err != nil {
		return nil, err
	}
	return req.seqs, nil
}

// run is the writer goroutine: it groups waiting requests into transactions
// until Close, then commits what is still queued and returns.
func (t *Timeline) run() {
	defer close(t.writerDone)
	defer func() { t.finalErr = t.finalCheckpoint() }()
	var next *request // received but left for the next transaction
	for {
		first := next
		if first == nil {
			select {
			case first = <-t.reqs:
			case <-t.closing:
				select {
				case first = <-t.reqs:
				default:
					return
				}
			}
		}
		if first.rebuild {
			next = nil
			days, rounds, err := t.rebuildRollups()
			if err == nil {
				t.log.Info("timeline rollups rebuilt", "days", days, "measurements", rounds)
			}
			first.done <- err
			continue
		}
		group, n := []*request{first}, first.len()
		group, n, next = t.gather(group, n)
		t.commit(group)
	}
}

// gather adds waiting requests to group until it holds maxBatch records.
// With no MaxDelay it takes only the requests already waiting; with one, it
// waits up to MaxDelay after the group's first request for more, so that
// results trickling in from a spread schedule share one commit and its fsync.
// A request that would overflow the group is returned as next.
func (t *Timeline) gather(group []*request, n int) ([]*request, int, *request) {
	var deadline <-chan time.Time
	if t.maxDelay > 0 {
		tm := time.NewTimer(t.maxDelay)
		defer tm.Stop()
		deadline = tm.C
	}
	for n < t.maxBatch {
		var r *request
		if deadline == nil {
			select {
			case r = <-t.reqs:
			default:
				return group, n, nil
			}
		} else {
			select {
			case r = <-t.reqs:
			case <-deadline:
				return group, n, nil
			case <-t.closing:
				return group, n, nil
			}
		}
		if r.rebuild || n+r.len() > t.maxBatch {
			return group, n, r
		}
		group, n = append(group, r), n+r.len()
	}
	return group, n, nil
}

// commit writes the requests whose ctx is still live in one transaction, then
// updates the in-memory state and answers every request.
func (t *Timeline) commit(group []*request) {
	live := group[:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- fmt.Errorf("append: %w", err)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	b := t.newBatch()
	err := t.db.Update(func(tx *bolt.Tx) error { return b.write(tx, live) })
	if err != nil {
		n := 0
		for _, r := range live {
			n += r.len()
		}
		err = fmt.Errorf("append: commit %d records: %w: %w", n, ErrCommit, err)
		t.commitFailed(err)
		for _, r := range live {
			r.done <- err
		}
		return
	}
	t.commitSucceeded()
	t.apply(b)
	for _, r := range live {
		r.done <- nil
	}
}
