package timeline

import "sync"

// queue holds the requests waiting for the writer, oldest first. A sender
// appends under mu and wakes the writer only when the writer may be waiting
// for that request: when the queue was empty (the writer may be idle), when
// the records waiting reach MaxBatch, or for a rebuild. Within a group's
// MaxDelay window the writer thus sleeps until its timer fires instead of
// waking for every Append, and each group costs it one wake-up, not one per
// request.
type queue struct {
	mu       sync.Mutex
	reqs     []*request
	records  int  // records of reqs
	rebuilds int  // rebuild requests in reqs
	closed   bool // set by the writer once it is done: put refuses from then on

	// wake has room for one token: a put that finds it full leaves it, as
	// the writer will look at the queue anyway. The writer re-checks the
	// queue after each token, so a stale one costs a look, not a commit.
	wake chan struct{}
}

func newQueue() queue { return queue{wake: make(chan struct{}, 1)} }

// put queues r, or returns false when the writer is done (after Close).
func (q *queue) put(r *request, maxBatch int) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	before := q.records
	poke := len(q.reqs) == 0 || r.rebuild
	q.reqs = append(q.reqs, r)
	q.records += r.len()
	if r.rebuild {
		q.rebuilds++
	}
	poke = poke || before < maxBatch && q.records >= maxBatch
	q.mu.Unlock()
	if poke {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// remove takes r out of the queue if the writer has not taken it yet, and
// reports whether it did.
func (q *queue) remove(r *request) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, x := range q.reqs {
		if x == r {
			copy(q.reqs[i:], q.reqs[i+1:])
			q.reqs[len(q.reqs)-1] = nil
			q.reqs = q.reqs[:len(q.reqs)-1]
			q.records -= r.len()
			if r.rebuild {
				q.rebuilds--
			}
			return true
		}
	}
	return false
}

// waiting reports whether a request waits.
func (q *queue) waiting() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.reqs) > 0
}

// full reports whether a group should be committed before its delay ends:
// maxBatch records or a rebuild wait.
func (q *queue) full(maxBatch int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.records >= maxBatch || q.rebuilds > 0
}

// closeIfEmpty closes the queue and returns true if nothing waits.
func (q *queue) closeIfEmpty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = len(q.reqs) == 0
	return q.closed
}

// take removes the next transaction's requests from the queue: a rebuild
// at the head alone (returned as rebuild), else the requests up to the
// next rebuild or up to maxBatch records, appended to group. The head
// request is taken even when it alone holds more than maxBatch records
// (a single call is never split).
func (q *queue) take(group []*request, maxBatch int) (_ []*request, rebuild *request) {
	q.mu.Lock()
	defer q.mu.Unlock()
	i, n := 0, 0
	if len(q.reqs) > 0 && q.reqs[0].rebuild {
		rebuild, i = q.reqs[0], 1
		q.rebuilds--
	}
	for ; rebuild == nil && i < len(q.reqs); i++ {
		r := q.reqs[i]
		if r.rebuild || i > 0 && n+r.len() > maxBatch {
			break
		}
		n += r.len()
		group = append(group, r)
	}
	q.records -= n
	k := copy(q.reqs, q.reqs[i:])
	clear(q.reqs[k:])
	q.reqs = q.reqs[:k]
	return group, rebuild
}
