package ui

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
)

// layoutWidths are the viewports every public page is checked at: the
// narrowest phone, a common phone, a tablet and a laptop.
var layoutWidths = []int64{320, 360, 768, 1280}

// brokenWordsJS lists the words the page breaks inside: a run of letters
// and digits (joined by no-break spaces, as in "9\u00a0h\u00a002") whose text is laid
// out on more than one line. Addresses and codes (.url, code), and the
// signatures' sources on the methodology page (file paths such as
// HTTP_SERVICE_UNAVAILABLE.html.var), may break anywhere, on purpose. It runs through DevTools: the page's own scripts
// stay disabled.
const brokenWordsJS = `(() => {
  const bad = [];
  const re = /[\p{L}\p{N}]+(?:[\u00a0\u202f][\p{L}\p{N}]+)*/gu;
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (n.parentElement.closest('code,.url,svg,.skip,li.signature small')) continue;
    for (const m of n.data.matchAll(re)) {
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      const tops = new Set();
      for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top / 4));
      if (tops.size > 1) bad.push(m[0] + " in <" + n.parentElement.localName + ">");
    }
  }
  return bad;
})()`

// columnsJS returns, for each services table of the home page, the left
// edge of each header cell, relative to the table.
const columnsJS = `[...document.querySelectorAll("table.svc")].map(t => {
  const x = t.getBoundingClientRect().left;
  return [...t.querySelectorAll("thead th")].map(th => th.getBoundingClientRect().left - x);
})`

// newLayoutSite is a site with the shapes that broke the layout: 125
// failing rounds on monlycee (a count of three digits), an open incident,
// a statement, a resolved incident on another service, and groups whose
// names and contents differ in length.
func newLayoutSite(t *testing.T) (s *Server, id uint64, today string) {
	t.Helper()
	now := time.Now()
	s, svc, adm := newPublicServerWith(t, now, homeConfig)
	start := now.Add(-25 * time.Minute)
	record := func(r probes.Result) {
		t.Helper()
		if _, err := svc.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 130 {
		at := start.Add(time.Duration(i) * 10 * time.Second)
		r := quotaRound(0, i < 5)
		r.Start = at
		record(r)
		p := probes.Result{Component: "pcn", Start: at, Status: probes.Operational,
			Steps: []probes.StepResult{{URL: "https://ent.parisclassenumerique.fr/", Outcome: probes.OK, StatusCode: 200}}}
		if i >= 20 && i < 40 {
			p.Status, p.Steps[0].Outcome, p.Steps[0].Detail = probes.MajorOutage, probes.TLSError, "expired"
		}
		record(p)
		record(probes.Result{Component: "mbn", Start: at, Status: probes.Operational,
			Steps: []probes.StepResult{{URL: "https://www.monbureaunumerique.fr/", Outcome: probes.OK, StatusCode: 200}}})
	}
	for _, inc := range svc.History().Incidents() {
		if inc.Open() {
			id = inc.ID
		}
	}
	if _, err := adm.RecordStatement(t.Context(), "camille", incidents.StatementInput{Incident: id, Speaker: "Le ministre de l'Éducation nationale",
		SaidAt: now.Add(-time.Minute), Quote: "Des attaques informatiques venues de l'étranger, apparemment",
		SourceURL: "https://www.europe1.fr/politique/un-article-tres-long-pour-voir-si-le-lien-deborde-de-la-page"}); err != nil {
		t.Fatal(err)
	}
	return s, id, now.In(paris).Format("2006-01-02")
}

// Seen: "125" broken into "12 / 5" on a component page at 360 px,
// "Indisponi / ble" and "Mesu / re" on the day page at 1280 px, a time
// wrapping inside "22\u00a0h\u00a021", and the regions' tables of the home page each
// with its own column widths. Every public page, at four widths: no word
// broken inside, no sideways scrolling, and on the home page the same
// columns in every region.
func TestPagesLayoutAtFourWidths(t *testing.T) {
	s, id, today := newLayoutSite(t)
	url := serveLoopback(t, s.Handler())
	ctx := newBrowserFor(t, false, 2*time.Minute) // 13 pages at 4 widths, on a busy machine
	paths := []string{"/", "/?q=paris", "/components/monlycee", "/components/pcn", "/history/monlycee/" + today,
		"/history/pcn/" + today, fmt.Sprintf("/incidents/%d", id), "/methode",
		"/en/", "/en/components/monlycee", "/en/history/monlycee/" + today, fmt.Sprintf("/en/incidents/%d", id), "/components/nope"}
	eachPage(t, ctx, url, layoutWidths, paths, func(t *testing.T, path string, w int64) {
		checkLayout(t, ctx, w)
		if path == "/" && w >= 768 {
			checkSameColumns(t, ctx)
		}
	})
}

// eachPage loads each of paths from url in the tab of ctx at each of
// widths, and runs check on it in a subtest named width and path.
func eachPage(t *testing.T, ctx context.Context, url string, widths []int64, paths []string, check func(t *testing.T, path string, w int64)) {
	t.Helper()
	for _, w := range widths {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, viewportHeight)); err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			t.Run(fmt.Sprintf("%d%s", w, path), func(t *testing.T) {
				if err := chromedp.Do(ctx, chromedp.Navigate(url+path), chromedp.WaitVisible(chromedp.ID("contenu"))); err != nil {
					t.Fatal(err)
				}
				check(t, path, w)
			})
		}
	}
}

// checkLayout fails the test when the page scrolls sideways at width w or
// breaks a word inside.
func checkLayout(t *testing.T, ctx context.Context, w int64) {
	t.Helper()
	m, err := chromedp.Call(ctx, page.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if m.CSSContentSize == nil || m.CSSContentSize.Width > float64(w)+1 {
		t.Errorf("content width %v at a %d px viewport: the page scrolls sideways", m.CSSContentSize, w)
	}
	broken, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](brokenWordsJS))
	if err != nil {
		t.Fatal(err)
	}
	if len(broken) > 0 {
		t.Errorf("words broken across lines at %d px: %q", w, broken)
	}
}

func checkSameColumns(t *testing.T, ctx context.Context) {
	t.Helper()
	cols, err := chromedp.Run(ctx, chromedp.Evaluate[[][]float64](columnsJS))
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) < 1 {
		t.Fatalf("no services table on the home page")
	}
	for i, c := range cols[1:] {
		if len(c) != len(cols[0]) {
			t.Fatalf("table %d has %d columns, the first %d", i+1, len(c), len(cols[0]))
		}
		for j := range c {
			if math.Abs(c[j]-cols[0][j]) > 1 {
				t.Errorf("table %d: column %d starts at %.0f px, in the first table at %.0f px", i+1, j, c[j], cols[0][j])
			}
		}
	}
}
