package ui

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// BenchmarkComponentPage90Days builds a component's page (availability over
// four periods, 90-day bar, phase chart, outcomes, incidents) in a timeline
// of 100 components with 90 days of history. The last 24 h are at 30 s
// (2,880 rounds a component, read with Range); the 89 days before are
// hourly: the page reads those through the daily rollups, whose cost does
// not depend on how many rounds a day held. Target: < 20 ms.
func BenchmarkComponentPage90Days(b *testing.B) {
	s, cfg := newBenchSite(b, 100, true)
	comp := cfg.Component("ent-0042")
	for b.Loop() {
		if _, err := s.pub.renderComponent(french, comp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
}

// BenchmarkHomePageRender renders the home page of 1,000 components with 90
// days of bars and compresses it (gzip and brotli), as a change does at
// most once a second during a rush: its cost is what the rush's requests
// share the CPU with.
func BenchmarkHomePageRender(b *testing.B) {
	s, _ := newBenchSite(b, 1000, false) // the home page reads rollups only
	var size int
	for b.Loop() {
		s.invalidate()
		p, err := s.page(french)
		if err != nil {
			b.Fatal(err)
		}
		size = len(p.body)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/render")
	b.ReportMetric(float64(size), "bytes")
}

// newBenchSite builds a server over a timeline of comps components with 90
// days of history: hourly, and the last 24 h at 30 s when lastDay is set.
func newBenchSite(b *testing.B, comps int, lastDay bool) (*Server, *probes.Config) {
	b.Helper()
	var yaml string
	for i := range comps {
		yaml += fmt.Sprintf("      - id: ent-%04d\n        name: ENT %d\n        operator: op-%d\n        steps:\n          - url: https://ent-%d.test/\n", i, i, i%7, i)
	}
	dir := b.TempDir()
	tl, err := timeline.Open(filepath.Join(dir, "timeline.db"), timeline.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	var batch []probes.Result
	flush := func() {
		if _, err := tl.AppendAll(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	add := func(id string, at time.Time, n int) {
		batch = append(batch, benchResult(id, at, n))
		if len(batch) == 4096 {
			flush()
		}
	}
	for i := range comps {
		id := fmt.Sprintf("ent-%04d", i)
		for h := 89 * 24; h > 24; h-- {
			add(id, now.Add(-time.Duration(h)*time.Hour), h)
		}
		for k := 2880; k > 0 && lastDay; k-- {
			add(id, now.Add(-time.Duration(k)*30*time.Second), k)
		}
	}
	flush()
	if err := tl.Close(); err != nil {
		b.Fatal(err)
	}
	st := newTestStackWith(b, dir, stackOptions{yaml: "groups:\n  - id: g\n    name: G\n    components:\n" + yaml})
	return st.s, st.cfg
}

// benchResult is a one-step round of component id at at, a soft failure
// when n is a multiple of 97.
func benchResult(id string, at time.Time, n int) probes.Result {
	st := probes.Operational
	step := probes.StepResult{URL: "https://" + id + ".test/", Outcome: probes.OK, StatusCode: 200, Addresses: []string{"192.0.2.1"},
		Phases: probes.Phases{DNS: 3 * time.Millisecond, Connect: 8 * time.Millisecond, TLS: 20 * time.Millisecond, TTFB: 120 * time.Millisecond, Transfer: 15 * time.Millisecond}}
	if n%97 == 0 {
		st, step.Outcome, step.Detail = probes.MajorOutage, probes.SoftFailure, "ode_quota"
	}
	return probes.Result{Component: id, Start: at, Status: st, Steps: []probes.StepResult{step}}
}
