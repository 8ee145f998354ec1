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

	"github.com/chromedp/chromedp"
	"github.com/constat-ent/constat/probes"
)

// The summarised home page, the region pages and a search past the
// threshold, at every width: no word broken inside, no sideways
// scrolling.
func TestRegionPagesLayout(t *testing.T) {
	st := newRegionsStack(t)
	url := serveLoopback(t, st.s.Handler())
	ctx := newBrowserFor(t, false, 2*time.Minute)
	paths := []string{"/", "/en/", "/region/big", "/region/big/3", "/en/region/big/2", "/?q=versailles"}
	eachPage(t, ctx, url, layoutWidths, paths, func(t *testing.T, _ string, w int64) { checkLayout(t, ctx, w) })
}

// The summarised home page and the region pages pass axe-core, at a
// phone's width and a laptop's.
func TestRegionPagesPassAxe(t *testing.T) {
	axe, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	st := newRegionsStack(t)
	url := serveLoopback(t, st.s.Handler())
	ctx := newBrowserFor(t, false, 2*time.Minute)
	eachPage(t, ctx, url, []int64{360, 1280}, []string{"/", "/region/big", "/en/region/big/2"}, func(t *testing.T, _ string, _ int64) {
		checkAxe(t, ctx, axe)
	})
}

var shotsDir = flag.String("ui.shots", "", "write screenshots of the pages at 10,000 components into this directory (TestScaleScreenshots)")

// TestScaleScreenshots writes, with -ui.shots DIR, the first screen and
// the whole of the home page of 10,000 components (20 regions of 500,
// during a rush: a few hundred failing), a region page and a search, at
// 360 and 1280 px, for a person to look at. It takes about a minute.
func TestScaleScreenshots(t *testing.T) {
	if *shotsDir == "" {
		t.Skip("needs -ui.shots DIR")
	}
	s := newScaleSiteGroups(t, 10_000, 500)
	// A rush: every 37th service of académie 3 fails, and the whole of
	// académie 7, with the rounds the engine needs to confirm.
	at := time.Now() // after the site's last rounds, a minute ago
	for round := range 3 {
		for i := range 10_000 {
			if i/500 != 7 && (i/500 != 3 || i%37 != 0) {
				continue
			}
			id := fmt.Sprintf("vs-%05d", i)
			r := probes.Result{Component: id, Start: at.Add(time.Duration(round) * 30 * time.Second), Status: probes.MajorOutage,
				Steps: []probes.StepResult{{URL: "https://" + id + ".test/", Outcome: probes.SoftFailure, Detail: "ode_quota", StatusCode: 200}}}
			if _, err := s.pipe.Record(t.Context(), r); err != nil {
				t.Fatal(err)
			}
		}
	}
	url := serveLoopback(t, s.Handler())
	ctx := newBrowserFor(t, false, 3*time.Minute)
	for _, w := range []int64{360, 1280} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, viewportHeight)); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/", "/region/academie-03", "/region/academie-07", "/?q=college+4242", "/en/"} {
			if err := chromedp.Do(ctx, chromedp.Navigate(url+path), chromedp.WaitVisible(chromedp.ID("contenu"))); err != nil {
				t.Fatal(err)
			}
			checkLayout(t, ctx, w)
			if w == 360 {
				for _, enc := range []string{"gzip", "br"} {
					resp := serveReq(s, http.MethodGet, path, http.Header{"Accept-Encoding": {enc}})
					t.Logf("GET %s (%s): %d bytes", path, enc, resp.Body.Len())
				}
			}
			name := fmt.Sprintf("%d%s", w, strings.NewReplacer("/", "_", "?", "_", "+", "_").Replace(path))
			first, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			full, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			for suffix, b := range map[string][]byte{"-first.png": first, "-full.png": full} {
				if err := os.WriteFile(filepath.Join(*shotsDir, name+suffix), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
