package evidence

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

var startRecords = flag.Int("evidence.startrecords", 200_000, "records in BenchmarkStartCheck's timeline")

// startTail is how many records BenchmarkStartCheck appends after the last
// checkpoint: a minute of 1,000 components probed every 30 s.
const startTail = 2000

// BenchmarkStartCheck measures serve's start on a timeline of
// -evidence.startrecords measurements whose last checkpoint is startTail
// records old: opening the timeline (timeline.Open, which walks every bbolt
// page) and the start check that Open runs (checkTail: the tree against
// the last checkpoint, the tail's records against their leaves). It
// reports each in milliseconds per start, with a warm page cache.
func BenchmarkStartCheck(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "timeline.db")
	tl, err := timeline.Open(path, timeline.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	n := *startRecords
	appendBench(b, tl, 0, n-startTail)
	signed := tl.Len()
	l, err := Open(tl, testConfig(dir)) // signs the checkpoint of size signed
	if err != nil {
		b.Fatal(err)
	}
	appendBench(b, tl, n-startTail, startTail)
	if err := tl.Close(); err != nil {
		b.Fatal(err)
	}
	v, err := note.NewVerifier(l.VerifierKey())
	if err != nil {
		b.Fatal(err)
	}
	var open, check time.Duration
	for b.Loop() {
		t0 := time.Now()
		tl, err := timeline.Open(path, timeline.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		s := &Log{tl: tl, verifier: v, origin: l.Origin()}
		err = s.checkTail()
		check += time.Since(t1)
		open += t1.Sub(t0)
		if err != nil || s.size != signed {
			b.Fatalf("checkTail() = %v at size %d, want nil at %d", err, s.size, signed)
		}
		tl.Close()
	}
	b.ReportMetric(float64(open.Microseconds())/1e3/float64(b.N), "open-ms")
	b.ReportMetric(float64(check.Microseconds())/1e3/float64(b.N), "check-ms")
}

// appendBench appends n one-step results of 1,000 components, from the
// from-th, in calls of 4,096.
func appendBench(b *testing.B, tl *timeline.Timeline, from, n int) {
	b.Helper()
	rs := make([]probes.Result, 0, 4096)
	for k := from; k < from+n; k++ {
		rs = append(rs, probes.Result{Component: "comp-" + itoa(uint64(k%1000)), Start: t0.Add(time.Duration(k/1000) * 30 * time.Second),
			Status: probes.Operational, Steps: []probes.StepResult{{URL: "https://ent.example/", Outcome: probes.OK, StatusCode: 200,
				Duration: time.Duration(100+k%50) * time.Millisecond}}})
		if len(rs) == cap(rs) || k == from+n-1 {
			if _, err := tl.AppendAll(context.Background(), rs); err != nil {
				b.Fatal(err)
			}
			rs = rs[:0]
		}
	}
}
