package incidents

import (
	"container/heap"

	"github.com/constat-ent/constat/probes"
)

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
		heap.Push(&o.pending, Observation{Seq: seq, Result: res})
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
		fn(heap.Pop(&o.pending).(Observation))
	}
}

type pendingHeap []Observation

func (h pendingHeap) Len() int           { return len(h) }
func (h pendingHeap) Less(i, j int) bool { return h[i].Seq < h[j].Seq }
func (h pendingHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)        { *h = append(*h, x.(Observation)) }
func (h *pendingHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = Observation{}
	*h = old[:len(old)-1]
	return x
}
