package ui

import (
	"flag"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

var formFigures = flag.Bool("ui.formbytes", false, "measure the alerts form at 10,000 components in Chromium at 360 px (TestAlertsFormAt10000)")

// TestAlertsFormAt10000 logs, with -ui.formbytes, what the alerts form
// costs a phone at 10,000 components (20 regions of 500) on the home, a
// region and a component page: the bytes of the API documents it fetched as sent (compressed, without headers) and uncompressed,
// its checkboxes, and the median over 5 loads of the time from navigation
// to the form's first checkbox shown, at 360 px. A figure, not a target:
// it runs for about a minute.
func TestAlertsFormAt10000(t *testing.T) {
	if !*formFigures {
		t.Skip("needs -ui.formbytes")
	}
	st := newTestStackWith(t, t.TempDir(), stackOptions{yaml: scaleConfig(10_000, 500) + pushYAML, push: true})
	url := serveLoopback(t, st.s.Handler())
	ctx := newBrowserFor(t, true, 5*time.Minute)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil { // every load a first visit
		t.Fatal(err)
	}
	const sizeJS = `(() => {
		const api = performance.getEntriesByType('resource').filter(e => /^\/api\//.test(new URL(e.name).pathname));
		return {bytes: api.reduce((a, e) => a + e.encodedBodySize, 0), body: api.reduce((a, e) => a + e.decodedBodySize, 0),
			boxes: document.querySelectorAll('.push-form input[type=checkbox]').length};
	})()`
	for _, path := range []string{"/", "/region/academie-03", "/components/vs-01234"} {
		var ms []float64
		var got struct{ Bytes, Body, Boxes int }
		for range 5 {
			start := time.Now()
			if err := chromedp.Do(ctx, chromedp.Navigate(url+path), chromedp.WaitVisible(chromedp.CSS(".push-form label"))); err != nil {
				t.Fatal(err)
			}
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
			var err error
			if got, err = chromedp.Run(ctx, chromedp.Evaluate[struct{ Bytes, Body, Boxes int }](sizeJS)); err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(ms)
		t.Logf("%-22s API bytes fetched %8d (uncompressed %8d), %5d checkboxes, form shown in %6.0f ms (median of 5; min %.0f, max %.0f)",
			path, got.Bytes, got.Body, got.Boxes, ms[2], ms[0], ms[4])
	}
}
