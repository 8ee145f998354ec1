package push_test

import (
	"sync"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/push"
)

// TestOutboxDepthCounter: constat_push_outbox_depth is a counter kept by
// the outbox's transactions, not a walk per scrape; it equals the real
// depth (a walk of the outbox) after an enqueue, a send, a 410 (gone), a
// retry, an expiry, and a restart.
func TestOutboxDepthCounter(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, "", func(o *push.Options) { o.Now = clock })
	e.rcv.status = func(sub string, n int) int {
		switch sub {
		case "gone":
			return 410
		case "down":
			return 503
		}
		return 201
	}
	walked := func(want int) bool {
		n, err := e.st.WalkOutbox()
		return err == nil && n == want
	}
	check := func(when string, want int) {
		t.Helper()
		walked, err := e.st.WalkOutbox()
		if err != nil {
			t.Fatal(err)
		}
		pending, err := e.st.Pending()
		if err != nil {
			t.Fatal(err)
		}
		metric := e.counter("constat_push_outbox_depth")
		if walked != want || pending != walked || metric != float64(walked) {
			t.Errorf("%s: outbox walked = %d, Pending() = %d, constat_push_outbox_depth = %v; want %d each", when, walked, pending, metric, want)
		}
	}
	for _, name := range []string{"ok", "gone", "down"} {
		e.subscribe(newSubscriber(t, name), "fr", []string{"pcn"}, nil)
	}
	check("empty", 0)
	e.record("pcn", false, 0, 1)
	waitFor(t, "ok sent, gone deleted, down retried", func() bool {
		return e.counter("constat_push_deliveries_total", "result", "sent") == 1 &&
			e.counter("constat_push_deliveries_total", "result", "gone") == 1 &&
			e.counter("constat_push_deliveries_total", "result", "retried") >= 1 && walked(1)
	})
	check("after a send, a 410 and a 503", 1)
	e.stop()
	e.start()
	check("after a restart", 1)
	mu.Lock()
	now = now.Add(2 * time.Hour) // past the start's TTL
	mu.Unlock()
	waitFor(t, "the retried start expired", func() bool {
		return e.counter("constat_push_deliveries_total", "result", "expired") == 1 && walked(0)
	})
	check("after the expiry", 0)
	e.stop()
	e.start()
	check("after a second restart", 0)
}
