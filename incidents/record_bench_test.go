package incidents_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// BenchmarkRecordPath is the recording path after a round, as serve wires
// it, without the HTTP fetch: the scheduler runs 2,000 jobs that return at
// once, each once per iteration (a 2 s interval, spread by their offsets),
// its sinks call Pipeline.Record on a real, fsynced timeline that groups
// commits over 200 ms. It reports the process's CPU time and context
// switches (getrusage) per recorded result: what the path costs, wake-ups
// included, and not how fast it can go. A first round, not measured,
// defines the components' strings.
func BenchmarkRecordPath(b *testing.B) {
	const jobs, interval = 2000, 2 * time.Second
	fl := newFleet(jobs)
	tl, err := timeline.Open(filepath.Join(b.TempDir(), "timeline.db"), timeline.Options{MaxDelay: 200 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer tl.Close()
	pipe, err := incidents.NewPipeline(tl, fl.comps, incidents.Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	js := make([]probes.Job, jobs)
	for i := range js {
		tmpl := fl.tmpl[i][0]
		js[i] = probes.Job{ID: tmpl.Component, Interval: interval, Run: func(context.Context) probes.Result {
			r := tmpl
			r.Start = time.Now()
			return r
		}}
	}
	var recorded atomic.Int64
	keep := context.WithoutCancel(b.Context()) // as serve's sink
	sink := func(_ context.Context, r probes.Result) {
		if _, err := pipe.Record(keep, r); err != nil {
			b.Error(err)
		}
		recorded.Add(1)
	}
	round := func() {
		ctx, cancel := context.WithTimeout(b.Context(), interval)
		defer cancel()
		probes.NewScheduler(js, 1024, sink, nil).Run(ctx) // returns after the last Record
	}
	round() // warm-up: the components' strings are defined in this one
	recorded.Store(0)
	var cpu time.Duration
	var switches int64
	for b.Loop() {
		before := rusage(b)
		round()
		after := rusage(b)
		cpu += time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
		switches += after.Nvcsw + after.Nivcsw - before.Nvcsw - before.Nivcsw
	}
	n := float64(recorded.Load())
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/result")
	b.ReportMetric(float64(switches)/n, "switches/result")
	b.ReportMetric(n/float64(b.N), "results/op")
}

func rusage(b *testing.B) syscall.Rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru
}
