package ui

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/constat-ent/constat/probes"
)

const (
	chromiumPath   = "/usr/bin/chromium"
	viewportWidth  = 360
	viewportHeight = 800
	narrowestWidth = 320 // the smallest phone the pages are made for
	browserTimeout = 30 * time.Second
)

// newBrowser starts one headless Chromium for the test, 360 × 800 with
// JavaScript disabled, and returns a tab context bounded to 30 s. The browser
// and its profile are gone when the test ends. Without /usr/bin/chromium the
// test fails under CI (which installs it) and is skipped elsewhere.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserWith(t, false)
}

// newBrowserWith is newBrowser, with JavaScript enabled if js.
func newBrowserWith(t *testing.T, js bool) context.Context {
	t.Helper()
	return newBrowserFor(t, js, browserTimeout)
}

// newBrowserFor is newBrowserWith with the tab bounded to timeout.
func newBrowserFor(t *testing.T, js bool, timeout time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v; CI must run the browser tests (.ci/run installs it)", chromiumPath, err)
		}
		t.Skipf("%s absent: apt-get install chromium to run the real-browser tests", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(viewportWidth, viewportHeight),
	)
	t.Cleanup(cancelAlloc) // waits for the browser to exit
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelTab)
	// Do starts the browser; both settings then hold for every navigation.
	if err := chromedp.Do(tabCtx,
		chromedp.EmulateViewport(viewportWidth, viewportHeight),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !js})
			return err
		}),
	); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	return tabCtx
}

// serveLoopback serves h on 127.0.0.1 until the test ends.
func serveLoopback(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// visibleText is what a person reads on the page: body's innerText.
func visibleText(t *testing.T, ctx context.Context) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatalf("Text(body): %v", err)
	}
	return text
}

// The harness itself: an inline script that would add text must not run.
func TestBrowserRunsWithoutJavaScript(t *testing.T) {
	url := serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><html lang="fr"><body><p id="sans">Sans script</p>
<script>document.body.insertAdjacentHTML("beforeend", "<p id=avec>Script exécuté</p>")</script></body></html>`))
	}))
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("sans"))); err != nil {
		t.Fatal(err)
	}
	if text := visibleText(t, ctx); !strings.Contains(text, "Sans script") || strings.Contains(text, "Script exécuté") {
		t.Errorf("body text = %q, want the static text and no text from the inline script", text)
	}
}

func TestStatusPageInBrowserAt360px(t *testing.T) {
	s, rec := newTestServer(t)
	start := time.Date(2021, 4, 6, 7, 2, 0, 0, time.UTC)
	for _, r := range []probes.Result{
		{Component: "monlycee", Start: start.Add(-time.Minute), Status: probes.MajorOutage, // two rounds: the engine confirms
			Steps: []probes.StepResult{{URL: "https://ent.iledefrance.fr/", Outcome: probes.SoftFailure, Detail: "ode_quota", StatusCode: 200}}},
		{Component: "monlycee", Start: start, Status: probes.MajorOutage,
			Steps: []probes.StepResult{{URL: "https://ent.iledefrance.fr/", Outcome: probes.SoftFailure, Detail: "ode_quota", StatusCode: 200,
				Phases: probes.Phases{DNS: 2 * time.Millisecond, Connect: 5 * time.Millisecond, TTFB: 80 * time.Millisecond}}}},
		{Component: "pcn", Start: start, Status: probes.Operational,
			Steps: []probes.StepResult{{URL: "https://ent.parisclassenumerique.fr/", Outcome: probes.OK, StatusCode: 200,
				Phases: probes.Phases{DNS: time.Millisecond, Connect: 3 * time.Millisecond, TTFB: 40 * time.Millisecond}}}},
	} {
		if _, err := rec.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	url := serveLoopback(t, s.Handler())
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("contenu"))); err != nil {
		t.Fatal(err)
	}

	t.Run("visible text", func(t *testing.T) {
		text := visibleText(t, ctx)
		for _, want := range []string{"Île-de-France", "monlycée.net", "Paris Classe Numérique",
			"Indisponible", "Fonctionne", "page d'attente : trop de connexions"} {
			if !strings.Contains(text, want) {
				t.Errorf("visible text lacks %q; it is:\n%s", want, text)
			}
		}
	})

	t.Run("lang", func(t *testing.T) {
		lang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
		if err != nil {
			t.Fatal(err)
		}
		if lang.Value != "fr" {
			t.Errorf(`<html lang> = %q, want "fr"`, lang.Value)
		}
	})

	t.Run("no horizontal overflow", func(t *testing.T) {
		m, err := chromedp.Call(ctx, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		if m.CSSLayoutViewport == nil || m.CSSContentSize == nil {
			t.Fatalf("GetLayoutMetrics = %+v, want viewport and content size", m)
		}
		if w := m.CSSLayoutViewport.ClientWidth; w != viewportWidth {
			t.Errorf("layout viewport width = %d, want %d", w, viewportWidth)
		}
		if w := m.CSSContentSize.Width; w > viewportWidth+1 {
			t.Errorf("content width = %v px at a %d px viewport: the page scrolls sideways", w, viewportWidth)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "status-360.png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("screenshot %s: %v", path, err)
		}
		if cfg.Width != viewportWidth {
			t.Errorf("screenshot width = %d, want %d", cfg.Width, viewportWidth)
		}
	})

	t.Run("skip link first", func(t *testing.T) {
		// One Tab from the top of the page focuses the first focusable element;
		// :focus is matched by the DOM, not by page script.
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(":focus")))
		if err != nil {
			t.Fatal(err)
		}
		n := nodes[0]
		if got := n.AttributeValue("href"); n.LocalName != "a" || got != "#contenu" {
			t.Errorf("first focused element = <%s href=%q>, want the skip link to #contenu", n.LocalName, got)
		}
	})

}

// Every public page, with the engine and admin records, reads at 360 px
// without JavaScript, in French and in English: its language, the skip
// link, its heading and key text, no sideways scrolling.
func TestPublicPagesInBrowserAt360px(t *testing.T) {
	s, id, today := newIncidentSite(t)
	url := serveLoopback(t, s.Handler())
	ctx := newBrowser(t)
	var paths []string
	for _, tt := range []struct {
		path, lang string
		h1         string // "" when it is the component's name
		want       []string
	}{
		{"/", "fr", fr["site.title"], []string{"Un service au moins est indisponible", "Incidents en cours", "1 incident en cours", "page d'attente : trop de connexions", "English"}},
		{"/components/monlycee", "fr", "", []string{"Disponibilité mesurée", "24 dernières heures", "Temps de réponse par phase"}},
		{"/history/monlycee/" + today, "fr", "", []string{"dont 3 en échec", "Page de saturation ou d'attente"}},
		{fmt.Sprintf("/incidents/%d", id), "fr", "", []string{"Début mesuré", "Déclaration officielle", "Des attaques informatiques"}},
		{"/methode", "fr", "Comment Constat mesure", []string{"soft_failure", "kosmos_restricted"}},
		{"/en/", "en", en["site.title"], []string{"Service status", "At least one service is down", "Ongoing incidents", "1 ongoing incident", "waiting page: too many connections", "Français"}},
		{"/en/components/monlycee", "en", "", []string{"Measured availability", "Last 24 hours", "Response time by phase"}},
		{"/en/history/monlycee/" + today, "en", "", []string{"3 of them failing", "Overload or waiting page"}},
		{fmt.Sprintf("/en/incidents/%d", id), "en", "", []string{"Measured start", "Official statement", "Des attaques informatiques"}},
		{"/en/methode", "en", "How Constat measures", []string{"soft_failure", "kosmos_restricted"}},
	} {
		t.Run(tt.path, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(url+tt.path), chromedp.WaitVisible(chromedp.ID("contenu"))); err != nil {
				t.Fatal(err)
			}
			text := visibleText(t, ctx)
			for _, want := range tt.want {
				if !strings.Contains(text, want) {
					t.Errorf("%s: visible text lacks %q", tt.path, want)
				}
			}
			lang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
			if err != nil || lang.Value != tt.lang {
				t.Errorf("%s: lang = %q, %v; want %q", tt.path, lang.Value, err, tt.lang)
			}
			if h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))); tt.h1 != "" && (err != nil || h1 != tt.h1) {
				t.Errorf("%s: <h1> = %q, %v; want %q", tt.path, h1, err, tt.h1)
			}
			m, err := chromedp.Call(ctx, page.GetLayoutMetrics, cdp.Empty{})
			if err != nil {
				t.Fatal(err)
			}
			if m.CSSContentSize == nil || m.CSSContentSize.Width > viewportWidth+1 {
				t.Errorf("%s: content width %v at a %d px viewport: the page scrolls sideways", tt.path, m.CSSContentSize, viewportWidth)
			}
			skip, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("a.skip"), "href"))
			if err != nil || skip.Value != "#contenu" {
				t.Errorf("%s: skip link = %q, %v", tt.path, skip.Value, err)
			}
			paths = append(paths, tt.path)
		})
	}
	// 320 px, the narrowest phone the issue names: still no sideways scrolling.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(narrowestWidth, viewportHeight)); err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		if err := chromedp.Do(ctx, chromedp.Navigate(url+path), chromedp.WaitVisible(chromedp.ID("contenu"))); err != nil {
			t.Fatal(err)
		}
		m, err := chromedp.Call(ctx, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		if m.CSSContentSize == nil || m.CSSContentSize.Width > narrowestWidth+1 {
			t.Errorf("%s: content width %v at a %d px viewport: the page scrolls sideways", path, m.CSSContentSize, narrowestWidth)
		}
	}
}
