package witness

import (
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

// BenchmarkConsistency measures what a witness pays per poll of a log of
// 100,000 records that grew by 120 since its last poll: the consistency
// proof computed from tiles read over HTTP on 127.0.0.1, every tile
// checked against the new root.
func BenchmarkConsistency(b *testing.B) {
	l := newTestLog(b)
	for l.n < 100_000 {
		l.grow(b, 10_000)
	}
	old := checkpointOf(b, l)
	l.grow(b, 120)
	new := checkpointOf(b, l)
	w := openWitness(b, l, b.TempDir())
	reads := 0
	for b.Loop() {
		r := &tileReader{ctx: b.Context(), f: w.f}
		if err := w.consistentWith(r, old, new); err != nil {
			b.Fatal(err)
		}
		reads += r.reads
	}
	b.ReportMetric(float64(reads)/float64(b.N), "tiles/op")
}

func checkpointOf(tb testing.TB, l *testLog) evidence.Checkpoint {
	tb.Helper()
	msg, _ := l.ev.Checkpoint()
	v, err := note.NewVerifier(l.ev.VerifierKey())
	if err != nil {
		tb.Fatal(err)
	}
	_, cp, err := openLogCheckpoint(msg, v)
	if err != nil {
		tb.Fatal(err)
	}
	return cp
}
