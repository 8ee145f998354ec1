package ui

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// alertsFormJS measures the subscribe form as a parent's phone shows it:
// how many checkbox labels share a line with another (a box between two
// names reads as belonging to either), and the shortest label's height
// (the tap target).
const alertsFormJS = `(() => {
	const labels = [...document.querySelectorAll('.push-form label')];
	const rows = new Map();
	for (const l of labels) {
		const top = Math.round(l.getBoundingClientRect().top);
		rows.set(top, (rows.get(top) || 0) + 1);
	}
	return {labels: labels.length, shared: [...rows.values()].filter(n => n > 1).reduce((a, n) => a + n, 0),
		minHeight: Math.min(...labels.map(l => l.getBoundingClientRect().height))};
})()`

// TestAlertsFormAtPhoneWidth: at 360 px each checkbox of the "Recevoir les
// alertes" form is on its own line and at least 24 px high (WCAG 2.5.8);
// the button with nothing ticked says to tick something; and once a choice
// is sent, the page says so and the button waits. Seen in screenshots of
// the demo: boxes ran inline between names ("toute la région ☐ monlycée.net
// (lycées) ☐ Paris…"), and the button did nothing visible, with or without
// a choice, while the browser subscribed.
func TestAlertsFormAtPhoneWidth(t *testing.T) {
	st := newPushStack(t, 10)
	url := serveLoopback(t, st.s.Handler())
	ctx := newBrowserWith(t, true)
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS(".push-form label"))); err != nil {
		t.Fatalf("subscribe form with JavaScript: %v", err)
	}
	type layout struct {
		Labels, Shared int
		MinHeight      float64
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[layout](alertsFormJS))
	if err != nil {
		t.Fatal(err)
	}
	if got.Labels < 2 || got.Shared != 0 || got.MinHeight < 24 {
		t.Errorf("form at %d px: %d labels, %d sharing a line, shortest %.0f px; want none sharing, each ≥ 24 px", viewportWidth, got.Labels, got.Shared, got.MinHeight)
	}

	// Nothing ticked: the button says what to do.
	empty, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		document.querySelector('.push-form button[type=submit]').click();
		return document.querySelector('.push-status').textContent;
	})()`))
	if err != nil || empty != fr["push.choose"] {
		t.Errorf("submit with nothing ticked: status %q, %v; want %q", empty, err, fr["push.choose"])
	}
	// One ticked: the status says it is under way and the button waits
	// (read in the same task as the click, before any promise settles).
	var pending struct {
		Status   string
		Disabled bool
	}
	pending, err = chromedp.Run(ctx, chromedp.Evaluate[struct {
		Status   string
		Disabled bool
	}](`(() => {
		document.querySelector('.push-form input[name=component]').click();
		document.querySelector('.push-form button[type=submit]').click();
		return {status: document.querySelector('.push-status').textContent,
			disabled: document.querySelector('.push-form button[type=submit]').disabled};
	})()`))
	if err != nil || pending.Status != fr["push.pending"] || !pending.Disabled {
		t.Errorf("submit with one ticked: %+v, %v; want status %q and the button disabled", pending, err, fr["push.pending"])
	}
}
