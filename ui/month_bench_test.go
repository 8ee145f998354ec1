package ui

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

var (
	month           = flag.Bool("ui.month", false, "run BenchmarkMonth10000, which writes about 5 GB into a temporary directory")
	monthComponents = flag.Int("ui.month.components", 10_000, "components of BenchmarkMonth10000")
)

// monthOlderInterval is the rate of all but the last day of
// BenchmarkMonth10000: the full rate (10,000 components at 30 s
// for 30 days, 864 million records) would take 56 GB; the last day is at
// that rate, the 29 days before every 10 minutes.
const monthOlderInterval = 10 * time.Minute

// BenchmarkMonth10000 writes 30 days of 10,000 components with the
// timeline's own writer (rounds interleaved in time, as serve writes them),
// reports the file's bytes per record, then times the reads of a day page
// (today's, never cached, and yesterday's first render) and of a component
// page over that file. Run it alone, with -ui.month:
//
//	go test ./ui/ -run '^$' -bench Month10000 -benchtime 20x -v -args -ui.month
func BenchmarkMonth10000(b *testing.B) {
	if !*month {
		b.Skip("writes about 5 GB; run with -ui.month")
	}
	dir := b.TempDir()
	now := time.Now()
	ids := make([]string, *monthComponents)
	var yaml strings.Builder
	yaml.WriteString("groups:\n")
	for i := range ids {
		ids[i] = fmt.Sprintf("vs-%05d", i)
		if i%500 == 0 {
			fmt.Fprintf(&yaml, "  - id: g%02d\n    name: G%d\n    components:\n", i/500, i/500)
		}
		fmt.Fprintf(&yaml, "      - {id: %s, name: VS %d, operator: op-%d, steps: [url: 'https://%s.test/']}\n", ids[i], i, i%7, ids[i])
	}
	records, took := writeMonth(b, filepath.Join(dir, "timeline.db"), ids, now)
	fi, err := os.Stat(filepath.Join(dir, "timeline.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote %d measurements in %v: file %d bytes, %.1f bytes per record", records, took.Round(time.Second), fi.Size(), float64(fi.Size())/float64(records))
	t0 := time.Now()
	st := newTestStackWith(b, dir, stackOptions{yaml: yaml.String()})
	b.Logf("opened the timeline and the engine in %v", time.Since(t0).Round(time.Millisecond))
	comp := st.cfg.Component(ids[len(ids)*42/100])
	today := timeline.DateOf(now)
	report := func(b *testing.B, name string) {
		b.ReportMetric(float64(fi.Size())/float64(records), "bytes/record")
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), name)
	}
	b.Run("today", func(b *testing.B) {
		path := "/history/" + comp.ID + "/" + today.String()
		for b.Loop() {
			if w := serveReq(st.s, http.MethodGet, path, nil); w.Code != http.StatusOK {
				b.Fatalf("GET %s = %d", path, w.Code)
			}
		}
		report(b, "ms/page")
	})
	b.Run("yesterday", func(b *testing.B) {
		d := today.AddDays(-1)
		for b.Loop() {
			v, err := st.s.dayView(french, comp, d, today)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.s.render(french, "day.html", v); err != nil {
				b.Fatal(err)
			}
		}
		report(b, "ms/page")
	})
	b.Run("component", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.s.pub.renderComponent(french, comp); err != nil {
				b.Fatal(err)
			}
		}
		report(b, "ms/page")
	})
}

// writeMonth appends, in time order, one round of every component every
// monthOlderInterval for 29 days, then every 30 s for the last day, and
// returns how many it wrote and how long it took.
func writeMonth(b *testing.B, path string, ids []string, now time.Time) (int, time.Duration) {
	tl, err := timeline.Open(path, timeline.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	batch := make([]probes.Result, 0, 4096)
	n := 0
	flush := func() {
		if _, err := tl.AppendAll(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		n += len(batch)
		batch = batch[:0]
	}
	round := func(at time.Time, k int) {
		for i, id := range ids {
			// Spread over the interval by component, as the scheduler's offsets do.
			batch = append(batch, benchResult(id, at.Add(time.Duration(i)*time.Millisecond), k+i))
			if len(batch) == cap(batch) {
				flush()
			}
		}
	}
	dayAgo := now.Add(-24 * time.Hour)
	k := 0
	for at := now.Add(-30 * 24 * time.Hour); at.Before(dayAgo); at = at.Add(monthOlderInterval) {
		round(at, k)
		k++
	}
	for at := dayAgo; at.Before(now.Add(-30 * time.Second)); at = at.Add(30 * time.Second) {
		round(at, k)
		k++
	}
	flush()
	if err := tl.Close(); err != nil {
		b.Fatal(err)
	}
	return n, time.Since(start)
}
