package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// formStateJS reads the alerts form: each box as "group:big" or
// "component:big-4" (with "+" when ticked) and its label, the buttons
// that fetch more services, and the paths the page fetched.
const formStateJS = `(() => ({
	boxes: [...document.querySelectorAll('.push-form input[type=checkbox]')].map(c =>
		c.name + ':' + c.value + (c.checked ? '+' : '') + '=' + c.parentElement.textContent.trim()),
	more: [...document.querySelectorAll('.push-form .push-more')].map(b => b.textContent),
	fetched: performance.getEntriesByType('resource').map(e => new URL(e.name).pathname),
}))()`

type formState struct {
	Boxes, More, Fetched []string
}

// TestAlertsFormPastThreshold: past summaryAbove services (testScale's,
// the shapes of 10,000), in both languages, the form never fetches the
// list of every component. Seen at 10,000 components: each page's form
// fetched /api/v2/components.json (3.2 MB) and built 10,000 checkboxes.
// The home page offers each region whole and, on demand, its services a
// region page at a time; a region page offers the region and its page's
// services; a component page the component, ticked, and its region,
// fetching nothing.
func TestAlertsFormPastThreshold(t *testing.T) {
	st := newRegionsPushStack(t)
	url := serveLoopback(t, st.s.Handler())
	ctx := newBrowserWith(t, true)
	read := func(t *testing.T, wait string) formState {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(wait))); err != nil {
			t.Fatalf("waiting for %s: %v", wait, err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[formState](formStateJS))
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(got.Fetched, "/api/v2/components.json") {
			t.Errorf("the form fetched the list of every component: %q", got.Fetched)
		}
		return got
	}
	check := func(t *testing.T, what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	for _, tt := range []struct {
		prefix string
		cat    map[string]string
	}{{"", fr}, {"/en", en}} {
		t.Run("home"+tt.prefix, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(url+tt.prefix+"/")); err != nil {
				t.Fatal(err)
			}
			got := read(t, ".push-form label")
			all := tt.cat["push.all"]
			check(t, "boxes", got.Boxes, []string{"group:big=" + all + " (7)", "group:small=" + all + " (2)"})
			check(t, "buttons", got.More, []string{tt.cat["push.pick"], tt.cat["push.pick"]})
			if !slices.Contains(got.Fetched, "/api/v1/push/choices") {
				t.Errorf("fetched %q, want /api/v1/push/choices", got.Fetched)
			}
			// Expanding the big region: its first page, then the next.
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".push-form fieldset:first-of-type .push-more"))); err != nil {
				t.Fatal(err)
			}
			got = read(t, `.push-form input[value="big-2"]`)
			check(t, "more", got.More, []string{tt.cat["push.more"], tt.cat["push.pick"]})
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".push-form fieldset:first-of-type .push-more"))); err != nil {
				t.Fatal(err)
			}
			got = read(t, `.push-form input[value="big-5"]`)
			want := []string{"group:big=" + all + " (7)"}
			for i := range 6 {
				want = append(want, fmt.Sprintf("component:big-%d=%s", i, fmt.Sprintf("Collège n° %d", i)))
			}
			check(t, "boxes after two pages", got.Boxes, append(want, "group:small="+all+" (2)"))
			if got.Fetched = slices.DeleteFunc(got.Fetched, func(p string) bool { return !strings.HasPrefix(p, "/api/") }); !slices.Equal(got.Fetched,
				[]string{"/api/v1/push/choices", "/api/v1/push/choices/big", "/api/v1/push/choices/big/2"}) {
				t.Errorf("API requests %q, want the list and two pages of big", got.Fetched)
			}
			layout, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
				Labels, Shared int
				MinHeight      float64
			}](alertsFormJS))
			if err != nil || layout.Shared != 0 || layout.MinHeight < 24 {
				t.Errorf("form at %d px: %+v, %v; want each box on its own line, ≥ 24 px", viewportWidth, layout, err)
			}
		})
		t.Run("region"+tt.prefix, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(url+tt.prefix+"/region/big/2")); err != nil {
				t.Fatal(err)
			}
			got := read(t, `.push-form input[value="big-5"]`)
			check(t, "boxes", got.Boxes, []string{"group:big=" + tt.cat["push.all"], "component:big-3=Collège n° 3", "component:big-4=Collège n° 4", "component:big-5=Collège n° 5"})
			check(t, "buttons", got.More, nil)
		})
		t.Run("saved"+tt.prefix, func(t *testing.T) {
			// What this browser subscribed to from other pages starts ticked
			// where the page shows it.
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`localStorage.setItem('constat-alerts-choice', JSON.stringify(
				{groups: {big: 'Académie de Versailles'}, components: {'big-4': 'Collège n° 4', 'small-0': 'Lycée n° 0'}}))`)); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { chromedp.Run(ctx, chromedp.Evaluate[any](`localStorage.clear()`)) })
			if err := chromedp.Do(ctx, chromedp.Navigate(url+tt.prefix+"/region/big/2")); err != nil {
				t.Fatal(err)
			}
			got := read(t, `.push-form input[value="big-5"]`)
			check(t, "boxes", got.Boxes, []string{"group:big+=" + tt.cat["push.all"], "component:big-3=Collège n° 3", "component:big-4+=Collège n° 4", "component:big-5=Collège n° 5"})
		})
		t.Run("component"+tt.prefix, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(url+tt.prefix+"/components/big-4")); err != nil {
				t.Fatal(err)
			}
			got := read(t, `.push-form input[value="big-4"]`)
			check(t, "boxes", got.Boxes, []string{"group:big=" + tt.cat["push.all"], "component:big-4+=Collège n° 4"})
			for _, p := range got.Fetched {
				if strings.HasPrefix(p, "/api/") {
					t.Errorf("the component page's form fetched %s", p)
				}
			}
		})
	}
}

// TestAlertsPastThresholdWithoutJS: without JavaScript the region and
// component pages say that alerts need it, and with it they lose nothing
// else of their text.
func TestAlertsPastThresholdWithoutJS(t *testing.T) {
	st := newRegionsPushStack(t)
	url := serveLoopback(t, st.s.Handler())
	plain, js := newBrowserWith(t, false), newBrowserWith(t, true)
	for _, path := range []string{"/region/big/2", "/en/components/big-4"} {
		if err := chromedp.Do(plain, chromedp.Navigate(url+path), chromedp.WaitVisible(chromedp.ID("alertes"))); err != nil {
			t.Fatal(err)
		}
		cat := fr
		if strings.HasPrefix(path, "/en/") {
			cat = en
		}
		without := visibleText(t, plain)
		if !strings.Contains(without, cat["push.nojs"]) || strings.Contains(without, cat["push.intro"]) {
			t.Errorf("%s without JavaScript: want the sentence saying alerts need it, no form: %q", path, without)
		}
		if err := chromedp.Do(js, chromedp.Navigate(url+path), chromedp.WaitVisible(chromedp.CSS(".push-form label"))); err != nil {
			t.Fatal(err)
		}
		with := visibleText(t, js)
		for _, line := range strings.Split(without, "\n") {
			if line = strings.TrimSpace(line); line != "" && line != cat["push.nojs"] && !strings.Contains(with, line) {
				t.Errorf("%s with JavaScript lost %q", path, line)
			}
		}
	}
}
