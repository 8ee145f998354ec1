package ui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// setScripts enables or disables script execution in the tab of ctx.
func setScripts(ctx context.Context, on bool) error {
	return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	}))
}

// axeResult is what axe.run gives back, reduced to its violations.
type axeResult struct {
	Violations []struct {
		ID    string `json:"id"`
		Help  string `json:"help"`
		Nodes []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	} `json:"violations"`
}

// axeRunJS runs every rule of axe-core for WCAG 2.1 A and AA and its best
// practices on the document, and returns the result.
const axeRunJS = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, resultTypes: ["violations"]})`

// Every public page, at a phone's width and a laptop's, in French and in
// English, passes axe-core (injected through DevTools: the pages run no
// script of their own, and their policy forbids it).
func TestPublicPagesPassAxe(t *testing.T) {
	axe, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	s, id, today := newIncidentSite(t)
	url := serveLoopback(t, s.Handler())
	ctx := newBrowserFor(t, false, 2*time.Minute) // axe-core takes seconds a page on a busy machine
	paths := []string{"/", "/?q=paris", "/components/monlycee", "/history/monlycee/" + today, fmt.Sprintf("/incidents/%d", id), "/methode",
		"/en/", "/en/components/monlycee", "/en/history/monlycee/" + today, fmt.Sprintf("/en/incidents/%d", id), "/history", "/en/components/nope"}
	for _, w := range []int64{360, 1280} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, viewportHeight)); err != nil {
			t.Fatal(err)
		}
		if w > 360 {
			paths = []string{"/", "/en/"} // the other pages keep their phone layout, wider
		}
		for _, path := range paths {
			t.Run(fmt.Sprintf("%d%s", w, path), func(t *testing.T) {
				if err := chromedp.Do(ctx, chromedp.Navigate(url+path), chromedp.WaitVisible(chromedp.ID("contenu"))); err != nil {
					t.Fatal(err)
				}
				checkAxe(t, ctx, axe)
			})
		}
	}
}

// checkAxe runs axe-core (its source in axe) on the page loaded in ctx and
// fails the test with each violation.
func checkAxe(t *testing.T, ctx context.Context, axe []byte) {
	t.Helper()
	// axe.run waits on timers, which run only with scripts enabled;
	// the page is loaded by then, and has no script to run.
	if err := setScripts(ctx, true); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := setScripts(ctx, false); err != nil {
			t.Fatal(err)
		}
	}()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](string(axe))); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[axeResult](axeRunJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	for _, v := range res.Violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target...))
		}
		t.Errorf("axe %s: %s, at %s", v.ID, v.Help, strings.Join(where, "; "))
	}
}
