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
	seqs    []uint64      // filled by the writer: the seqs of rs or es
	err     error         // the answer, set by the writer before it closes done
	done    chan struct{} // closed by the writer once it took and answered the request

	// Append's storage for rs and seqs: one allocation per call, not three.
	one  [1]probes.Result
	seq1 [1]uint64
}

// answer gives the request its answer and wakes its caller. Only the
// writer calls it, once. (A chan error would cost two allocations per
// request: a channel of pointers has its buffer apart.)
func (r *request) answer(err error) {
	r.err = err
	close(r.done)
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
	req := &request{ctx: ctx, done: make(chan struct{})}
	req.one[0] = r
	req.rs, req.seqs = req.one[:], req.seq1[:0]
	seqs, err := t.submit(req)
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
	return t.submit(&request{ctx: ctx, rs: rs, done: make(chan struct{})})
}

// submit checks req's results and sends it.
func (t *Timeline) submit(req *request) ([]uint64, error) {
	// Check the results here, in the caller's goroutine, so that one bad
	// result fails its own call and not the whole group's transaction.
	for i := range req.rs {
		if err := CheckResult(&req.rs[i]); err != nil {
			return nil, fmt.Errorf("append measurement for %q: %w", req.rs[i].Component, err)
		}
	}
	return t.send(req)
}

// send hands req to the writer and waits for its answer.
func (t *Timeline) send(req *request) ([]uint64, error) {
	ctx := req.ctx
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	if !t.queue.put(req, t.maxBatch) {
		return nil, ErrClosed
	}
	select {
	case <-req.done:
	case <-ctx.Done():
		if t.queue.remove(req) {
			return nil, fmt.Errorf("append: %w", ctx.Err())
		}
		<-req.done // taken: committed or failed with its group
	}
	if req.err != nil {
		return nil, req.err
	}
	return req.seqs, nil
}

// run is the writer goroutine: it groups waiting requests into transactions
// until Close, then commits what is still queued and returns.
func (t *Timeline) run() {
	defer close(t.writerDone)
	defer func() { t.finalErr = t.finalCheckpoint() }()
	var group []*request // reused: the writer's own
	for {
		if !t.waitFirst() {
			return
		}
		t.waitGroup()
		var rebuild *request
		group, rebuild = t.queue.take(group[:0], t.maxBatch)
		if rebuild != nil {
			days, rounds, err := t.rebuildRollups()
			if err == nil {
				t.log.Info("timeline rollups rebuilt", "days", days, "measurements", rounds)
			}
			rebuild.answer(err)
			continue
		}
		t.commit(group)
		clear(group) // let the collector have the requests
	}
}

// waitFirst waits until a request is queued, and returns true; or, once
// Close has begun and the queue is empty, closes the queue and returns
// false.
func (t *Timeline) waitFirst() bool {
	for {
		if t.queue.waiting() {
			return true
		}
		select {
		case <-t.queue.wake:
		case <-t.closing:
			if t.queue.closeIfEmpty() {
				return false
			}
		}
	}
}

// waitGroup waits, after the group's first request, until MaxDelay has
// passed, MaxBatch records wait, a rebuild waits, or Close begins: so that
// results trickling in from a spread schedule share one commit and its
// fsync. It sleeps through that window: a request that neither fills the
// group nor asks for a rebuild does not wake it.
func (t *Timeline) waitGroup() {
	if t.maxDelay <= 0 || t.queue.full(t.maxBatch) {
		return
	}
	tm := time.NewTimer(t.maxDelay)
	defer tm.Stop()
	for {
		select {
		case <-tm.C:
			return
		case <-t.closing:
			return
		case <-t.queue.wake:
			if t.queue.full(t.maxBatch) {
				return
			}
		}
	}
}

// commit writes the requests whose ctx is still live in one transaction, then
// updates the in-memory state and answers every request.
func (t *Timeline) commit(group []*request) {
	live := group[:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.answer(fmt.Errorf("append: %w", err))
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
			r.answer(err)
		}
		return
	}
	t.commitSucceeded()
	t.apply(b)
	for _, r := range live {
		r.answer(nil)
	}
}
