package push_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/push"
)

// TestThrottledServiceStallsNoOther: one push service answers 429 with
// Retry-After: 3600; the other service's subscribers get their message at
// once, and the throttled lane waits, counted per service.
func TestThrottledServiceStallsNoOther(t *testing.T) {
	slow := newReceiverForEnv(t)
	slow.status = func(string, int) int { return 429 }
	slow.retry = "3600"
	e := newEnv(t, "", func(o *push.Options) {
		roots := o.TLS.RootCAs
		roots.AddCert(slow.srv.Certificate())
	})
	slow.mu.Lock()
	slow.vapid = e.keys.Public
	slow.mu.Unlock()
	// Allow the second receiver too.
	e.stop()
	fast := strings.TrimPrefix(e.rcv.srv.URL, "https://")
	e.opts = withConfig(e.opts, testConfig(t, fmt.Sprintf("push:\n  subject: %s\n  allowed_services: [%q, %q]\n", testSubject, fast, strings.TrimPrefix(slow.srv.URL, "https://"))))
	e.start()
	for i := range 3 {
		s := newSubscriber(t, fmt.Sprintf("slow%d", i))
		slow.add(s)
		subscribeAt(t, e, slow, s)
		e.subscribe(newSubscriber(t, fmt.Sprintf("fast%d", i)), "fr", []string{"pcn"}, nil)
	}
	e.record("pcn", false, 0, 1)
	e.rcv.wait(t, 20*time.Second, "the other service's three messages", func() bool { return len(e.rcv.got) == 3 })
	waitFor(t, "the throttled service counted and waiting", func() bool {
		return e.counter("constat_push_throttled_total", "service", strings.TrimPrefix(slow.srv.URL, "https://")) >= 1 &&
			e.counter("constat_push_backoff_seconds") > 3000
	})
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if n := len(slow.counts); n == 0 || n > 3 {
		t.Errorf("throttled service got messages for %d subscribers, want 1 to 3 before the lane stopped", n)
	}
}

// TestExpiredDropped: a start that could not be delivered within its TTL
// (1 h) is dropped and counted, not sent late.
func TestExpiredDropped(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, "", func(o *push.Options) { o.Now = clock })
	e.rcv.status = func(sub string, n int) int {
		mu.Lock()
		now = now.Add(2 * time.Hour) // the service was down for two hours
		mu.Unlock()
		return 503
	}
	e.subscribe(newSubscriber(t, "late"), "fr", []string{"pcn"}, nil)
	e.record("pcn", false, 0, 1)
	waitFor(t, "the start expired after a 503", func() bool {
		return e.counter("constat_push_deliveries_total", "result", "expired") == 1
	})
	if n := e.counter("constat_push_deliveries_total", "result", "sent"); n != 0 {
		t.Errorf("sent = %v, want 0: an expired alert is not sent late", n)
	}
}

func newReceiverForEnv(t *testing.T) *receiver {
	t.Helper()
	return newReceiver(t, testSubject, "")
}

// subscribeAt subscribes s at receiver r's endpoint.
func subscribeAt(t *testing.T, e *env, r *receiver, s *subscriber) {
	t.Helper()
	_, err := e.p.Subscribe(t.Context(), push.SubscribeRequest{
		Subscription: push.Subscription{Endpoint: r.endpoint(s.name), Keys: push.SubscriptionKeys{P256dh: s.p256dh(), Auth: s.authKey()}},
		Components:   []string{"pcn"}})
	if err != nil {
		t.Fatal(err)
	}
}
