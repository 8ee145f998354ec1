package incidents

import "github.com/constat-ent/constat/probes"

// seqOrder makes the engine observe committed measurements in sequence
// order, whatever order the recording goroutines wake up in after a group
// commit: the order in which a restart replays them (see Service). Its
// methods are called with Service.mu held.
//
// A result committed as seq S is held until no Record still in flight can
// get a seq below S. A Record in flight began when the timeline's next seq
// was L: it will get a seq of at least L, so once every Record in flight
// began after S was committed (L > S), S can be observed. A Record in
// flight returns after one commit, so nothing waits for long.
type seqOrder struct {
	inflight map[uint64]int // timeline length when a Record began → Records in flight
	pending  pendingHeap
}

// begin notes a Record that began when the timeline's next seq was next.
func (o *seqOrder) begin(next uint64) {
	if o.inflight == nil {
		o.inflight = make(map[uint64]int)
	}
	o.inflight[next]++
}

// end notes that the Record begun at next returned: with its seq and
// result if committed (ok).
func (o *seqOrder) end(next uint64, seq uint64, res probes.Result, ok bool) {
	if o.inflight[next]--; o.inflight[next] <= 0 {
		delete(o.inflight, next)
	}
	if ok {
		o.pending.push(Observation{Seq: seq, Result: res})
	}
}

// ready pops the pending observations that no Record in flight can precede,
// in seq order, and calls fn with each.
func (o *seqOrder) ready(fn func(Observation)) {
	floor := ^uint64(0)
	for next := range o.inflight {
		floor = min(floor, next)
	}
	for len(o.pending) > 0 && o.pending[0].Seq < floor {
		fn(o.pending.pop())
	}
}

// pendingHeap is a binary min-heap by Seq. It is typed rather than
// container/heap's, whose Push and Pop box each Observation in an any: two
// allocations per recorded result.
type pendingHeap []Observation

func (h *pendingHeap) push(o Observation) {
	*h = append(*h, o)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[p].Seq <= q[i].Seq {
			break
		}
		q[p], q[i] = q[i], q[p]
		i = p
	}
}

func (h *pendingHeap) pop() Observation {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = Observation{}
	q = q[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && q[l].Seq < q[m].Seq {
			m = l
		}
		if r := l + 1; r < n && q[r].Seq < q[m].Seq {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}
