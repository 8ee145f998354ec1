package incidents

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/constat-ent/constat/probes"
)

// seqOrder releases committed results in seq order, and only those no
// Record in flight can precede, whatever order their Records end in.
func TestSeqOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		var o seqOrder
		const n = 200
		// n Records begin in groups sharing a timeline length, as a group
		// commit gives them, and end in a shuffled order.
		begun := make([]uint64, n)
		for i := range n {
			begun[i] = uint64(i / 16 * 16)
			o.begin(begun[i])
		}
		ends := rng.Perm(n)
		var got []uint64
		for k, i := range ends {
			ok := i%7 != 3 // some fail: no seq
			o.end(begun[i], uint64(i), probes.Result{}, ok)
			o.ready(func(ob Observation) { got = append(got, ob.Seq) })
			// Nothing released may be preceded by a Record still in flight.
			for _, j := range ends[k+1:] {
				if len(got) > 0 && begun[j] <= got[len(got)-1] {
					t.Fatalf("round %d: released seq %d while a Record begun at %d is in flight", round, got[len(got)-1], begun[j])
				}
			}
		}
		var want []uint64
		for i := range uint64(n) {
			if i%7 != 3 {
				want = append(want, i)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: observed %v, want %v", round, got, want)
		}
	}
}
