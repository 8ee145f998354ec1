package evidence

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkComponentBundleDay bundles one day of one component (2,880
// results at 30 s) out of a log of ten components, and reports the time
// per bundle and its size.
func BenchmarkComponentBundleDay(b *testing.B) {
	dir := b.TempDir()
	tl, err := openBench(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer tl.Close()
	const comps = 10
	rs := make([]probes.Result, 0, 2880*comps)
	for i := range 2880 {
		for c := range comps {
			rs = append(rs, probes.Result{Component: "comp-" + string(rune('a'+c)), Start: t0.Add(time.Duration(i) * 30 * time.Second),
				Status: probes.Operational, Steps: []probes.StepResult{{URL: "https://ent.example/", Outcome: probes.OK, StatusCode: 200,
					Duration: time.Duration(100+i%50) * time.Millisecond}}})
		}
	}
	if _, err := tl.AppendAll(context.Background(), rs); err != nil {
		b.Fatal(err)
	}
	l, err := Open(tl, testConfig(dir))
	if err != nil {
		b.Fatal(err)
	}
	var size int
	cpu0 := cpuTime()
	for b.Loop() {
		bd, err := l.RangeBundle([]string{"comp-c"}, t0, t0.Add(24*time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		if len(bd.Records) != 2880 {
			b.Fatalf("bundle of a day = %d records, want 2880", len(bd.Records))
		}
		data, _ := json.Marshal(bd)
		size = len(data)
	}
	// The machine is shared: CPU time says more than wall time there.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/bundle")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/bundle")
	b.ReportMetric(float64(size), "bytes/bundle")
}
