package push_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/push"
	"github.com/prometheus/client_golang/prometheus"
)

// TestRemovedWebhookForgotten: a webhook taken out of the configuration
// loses, at the next start, its pending deliveries and what it was told.
// Told of an outage of pcn, then removed (its last changes, to partial
// and back to major outage, still pending: it answered 302) while pcn
// recovers, then configured again: it gets the next outage's start, which
// its stale record (pcn major_outage) would have held back as a change
// already sent.
// With old store, the store is from before the registry of configured
// webhooks: the one-time scan finds the records.
func TestRemovedWebhookForgotten(t *testing.T) {
	for _, old := range []bool{false, true} {
		t.Run(fmt.Sprintf("old store=%v", old), func(t *testing.T) { testRemovedWebhookForgotten(t, old) })
	}
}

func testRemovedWebhookForgotten(t *testing.T, oldStore bool) {
	hook := newHookReceiver(t, "s3cret")
	withHook := fmt.Sprintf("webhooks:\n  - url: %s/constat\n    secret: s3cret\n    components: [pcn]\n", hook.srv.URL)
	e := newEnv(t, withHook, nil)
	config := func(extra string) push.Options {
		host := strings.TrimPrefix(e.rcv.srv.URL, "https://")
		return testConfig(t, fmt.Sprintf("push:\n  subject: %s\n  allowed_services: [%q]\n%s", testSubject, host, extra))
	}
	appendEvents(t, e, ev(incidents.Opened, 1, op, major, 0))
	delivered(t, e, hook)
	hook.mu.Lock()
	hook.fail = 1 << 20 // from now on: 302, retried
	hook.mu.Unlock()
	appendEvents(t, e, ev(incidents.Updated, 1, major, part, 5), ev(incidents.Updated, 1, part, major, 10))
	e.rcv.wait(t, 20*time.Second, "the sentinel's message", func() bool { return len(e.rcv.got) == 2 })
	waitFor(t, "the webhook's change retried, the sentinel's message committed", func() bool {
		n, _, _ := e.st.Depth()
		return n == 2 && e.counter("constat_push_deliveries_total", "channel", "webhook", "result", "retried") >= 1
	})
	e.stop()

	// Restart without the webhook: New drops its pending delivery.
	e.opts = withConfig(e.opts, config(""))
	st, err := push.OpenStore(filepath.Join(e.dir, push.StoreFile), push.StoreOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if oldStore {
		if err := st.DropWebhookRegistry(); err != nil {
			t.Fatal(err)
		}
	}
	if n, _, _ := st.Depth(); n != 2 {
		t.Errorf("before the restart: Depth() = %d, want 2 (the webhook's pending changes)", n)
	}
	o := e.opts
	o.Store, o.Registry = st, prometheus.NewRegistry()
	if _, err := push.New(o); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := st.Depth(); n != 0 {
		t.Errorf("after New without the webhook: Depth() = %d, want 0", n)
	}
	st.Close()
	e.start()
	appendEvents(t, e, ev(incidents.Resolved, 1, major, op, 45))
	delivered(t, e, hook)
	e.stop()

	// The webhook again: the next outage is new to it.
	hook.mu.Lock()
	hook.fail, hook.errs = 0, nil
	hook.mu.Unlock()
	e.opts = withConfig(e.opts, config(withHook))
	e.start()
	appendEvents(t, e, ev(incidents.Opened, 2, op, major, 60))
	_, hooks := delivered(t, e, hook)
	if got, want := strings.Join(hooks, " "), "operational>major_outage@0 operational>major_outage@60"; got != want {
		t.Errorf("webhook component_updates = %s\nwant %s", got, want)
	}
}
