package ui

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// newScaleSite builds a server over comps components in groups of 500 (one
// per académie, as a deployment of one vie-scolaire per school has them),
// with one round a day for 90 days: the home page and the Statuspage
// documents read the daily rollups and the latest states, whose cost does
// not depend on how many rounds a day held.
func newScaleSite(b *testing.B, comps int) *Server { return newScaleSiteGroups(b, comps, 500) }

// scaleConfig is the configuration of comps components in groups of
// perGroup (one per académie), ids vs-00000 onwards.
func scaleConfig(comps, perGroup int) string {
	var yaml strings.Builder
	yaml.WriteString("groups:\n")
	for i := range comps {
		if i%perGroup == 0 {
			fmt.Fprintf(&yaml, "  - id: academie-%02d\n    name: Académie %d\n    components:\n", i/perGroup, i/perGroup)
		}
		fmt.Fprintf(&yaml, "      - {id: vs-%05d, name: Vie scolaire du collège n° %d, operator: op-%d, steps: [url: 'https://vs-%05d.test/']}\n", i, i, i%7, i)
	}
	return yaml.String()
}

// newScaleSiteGroups is newScaleSite with groups of perGroup components.
func newScaleSiteGroups(tb testing.TB, comps, perGroup int) *Server {
	tb.Helper()
	yaml := scaleConfig(comps, perGroup)
	dir := tb.TempDir()
	tl, err := timeline.Open(filepath.Join(dir, "timeline.db"), timeline.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	batch := make([]probes.Result, 0, 4096)
	flush := func() {
		if _, err := tl.AppendAll(tb.Context(), batch); err != nil {
			tb.Fatal(err)
		}
		batch = batch[:0]
	}
	for d := 89; d >= 0; d-- {
		for i := range comps {
			batch = append(batch, benchResult(fmt.Sprintf("vs-%05d", i), now.Add(-time.Duration(d)*24*time.Hour-time.Minute), d+i))
			if len(batch) == cap(batch) {
				flush()
			}
		}
	}
	flush()
	if err := tl.Close(); err != nil {
		tb.Fatal(err)
	}
	return newTestStackWith(tb, dir, stackOptions{yaml: yaml}).s
}

// BenchmarkHomePage10000 renders and compresses the home page of 10,000
// components, in groups of 500 (targets: < 50 ms, < 100 KB compressed).
func BenchmarkHomePage10000(b *testing.B) {
	s := newScaleSite(b, 10_000)
	benchPage(b, s, func() (*renderedPage, error) { return s.page(french) })
}

// BenchmarkRegionPage5000 renders and compresses the first page of a
// region of 5,000 components (the same targets as the home page).
func BenchmarkRegionPage5000(b *testing.B) {
	s := newScaleSiteGroups(b, 10_000, 5_000)
	benchPage(b, s, func() (*renderedPage, error) { return s.regionPage(french, 1, 1) })
}

// BenchmarkSearch10000 answers searches among 10,000 components: one that
// finds one service, and one that matches them all (shown: scale.searchRows).
func BenchmarkSearch10000(b *testing.B) {
	s := newScaleSite(b, 10_000)
	for _, q := range []string{"vs-04321", "college"} {
		b.Run(q, func(b *testing.B) {
			var w *httptest.ResponseRecorder
			for b.Loop() {
				if w = serveReq(s, http.MethodGet, "/?q="+q, nil); w.Code != http.StatusOK {
					b.Fatalf("GET /?q=%s = %d", q, w.Code)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/search")
			b.ReportMetric(float64(w.Body.Len()), "bytes")
		})
	}
}

// benchPage measures render, rendering it anew each round as a change of
// state does.
func benchPage(b *testing.B, s *Server, render func() (*renderedPage, error)) {
	var p *renderedPage
	cpu0 := processCPU(b)
	for b.Loop() {
		s.invalidate()
		var err error
		if p, err = render(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/render")
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/render")
	b.ReportMetric(float64(len(p.body)), "bytes")
	b.ReportMetric(float64(len(p.gz)), "gzip-bytes")
	b.ReportMetric(float64(len(p.br)), "br-bytes")
}

// BenchmarkStatuspage10000 builds the snapshot of 10,000 components and
// renders /api/v2/summary.json and components.json from it, with their
// gzip encodings, as a change of state of one component does (target:
// < 50 ms for the two); br-ms is what the first brotli request of each
// adds.
func BenchmarkStatuspage10000(b *testing.B) {
	s := newScaleSite(b, 10_000)
	var summary, components renderedPage
	var brTime, brCPU time.Duration
	cpu0 := processCPU(b)
	for i := 0; b.Loop(); i++ {
		s.pub.mu.Lock()
		s.pub.snap = nil
		s.pub.mu.Unlock()
		if f := s.pub.frags.frags; len(f) > 0 { // one component changed
			f[i*7919%len(f)].enc = nil
		}
		var err error
		if summary, err = s.pub.document("summary", summaryDoc); err != nil {
			b.Fatal(err)
		}
		if components, err = s.pub.document("components", componentsDoc); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		start, cpu := time.Now(), processCPU(b)
		summary.lazyBr.get(summary.body, true)
		components.lazyBr.get(components.body, true)
		brTime, brCPU = brTime+time.Since(start), brCPU+processCPU(b)-cpu
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/render")
	b.ReportMetric(float64(brTime.Microseconds())/1000/float64(b.N), "br-ms")
	b.ReportMetric(float64(brCPU.Microseconds())/1000/float64(b.N), "br-cpu-ms")
	b.ReportMetric(float64((processCPU(b)-cpu0-brCPU).Microseconds())/1000/float64(b.N), "cpu-ms/render")
	b.ReportMetric(float64(len(summary.body)), "bytes")
	b.ReportMetric(float64(len(summary.gz)), "gzip-bytes")
	b.ReportMetric(float64(len(components.body)), "components-bytes")
}

// processCPU returns the CPU time this process used so far, which other
// work on a shared machine inflates less than wall time; the collector's
// work in the background counts too.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
