package ui

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"
)

// TestAlertsInBrowser: without JavaScript the home page says that alerts
// need it and is otherwise the same; with JavaScript the subscribe form
// appears, /sw.js registers, and a push delivered to the service worker
// through the DevTools protocol shows a notification with the payload's
// title (read back with registration.getNotifications()).
func TestAlertsInBrowser(t *testing.T) {
	st := newPushStack(t, 10)
	url := serveLoopback(t, st.s.Handler())

	ctx := newBrowserWith(t, false)
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("alertes"))); err != nil {
		t.Fatal(err)
	}
	plain := visibleText(t, ctx)
	if !strings.Contains(plain, fr["push.nojs"]) || strings.Contains(plain, fr["push.intro"]) {
		t.Errorf("without JavaScript, the page should say alerts need it and show no form: %q", plain)
	}

	ctx = newBrowserWith(t, true)
	var mu sync.Mutex
	var regs []*serviceworker.Registration
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*serviceworker.EventWorkerRegistrationUpdated); ok {
			mu.Lock()
			regs = append(regs, e.Registrations...)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, serviceworker.Enable, struct{}{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "notifications"}, Setting: browser.PermissionSettingGranted, Origin: url}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS(".push-form label"))); err != nil {
		t.Fatalf("subscribe form with JavaScript: %v", err)
	}
	withJS := visibleText(t, ctx)
	for _, line := range strings.Split(plain, "\n") {
		if line = strings.TrimSpace(line); line != "" && line != fr["push.nojs"] && !strings.Contains(withJS, line) {
			t.Errorf("with JavaScript the page lost %q", line)
		}
	}
	if !strings.Contains(withJS, fr["push.intro"]) || strings.Contains(withJS, fr["push.nojs"]) {
		t.Errorf("with JavaScript, want the form and not the no-script sentence: %q", withJS)
	}
	script, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.serviceWorker.ready.then(r => r.active.scriptURL)`, chromedp.EvalAwaitPromise))
	if err != nil || script != url+"/sw.js" {
		t.Fatalf("service worker = %q, %v; want %s/sw.js", script, err, url)
	}

	var id serviceworker.RegistrationID
	deadline := time.Now().Add(10 * time.Second)
	for id == "" && time.Now().Before(deadline) {
		mu.Lock()
		for _, r := range regs {
			if strings.HasPrefix(r.ScopeURL, url) && !r.IsDeleted {
				id = r.RegistrationID
			}
		}
		mu.Unlock()
		if id == "" {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if id == "" {
		t.Fatal("no service worker registration event")
	}
	payload := `{"title":"monlycée.net : panne mesurée","body":"monlycée.net : page de saturation ou d'attente depuis 9 h 02","url":"` + url + `/incidents/57","component":"monlycee","incident":57,"state":"major_outage","at":"2021-04-06T07:02:00Z"}`
	if _, err := chromedp.Call(ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{Origin: url, RegistrationID: id, Data: payload}); err != nil {
		t.Fatal(err)
	}
	var titles []string
	for len(titles) == 0 && time.Now().Before(deadline.Add(10*time.Second)) {
		titles, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](`navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(n => n.title + "|" + n.tag))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if len(titles) == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if len(titles) != 1 || titles[0] != "monlycée.net : panne mesurée|monlycee" {
		t.Errorf("notifications = %q, want one titled from the payload, tagged with the component", titles)
	}
}
