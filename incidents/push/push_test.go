package push_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
	"github.com/prometheus/client_golang/prometheus"
)

const testSubject = "mailto:alertes@constat.test"

// testWords stands for package ui's catalogue, which has its own test: it
// puts every field a notification needs into the text, so that the tests
// here check what reached the subscriber.
type testWords struct{}

func (testWords) Notice(lang string, n push.Notice) (string, string) {
	return fmt.Sprintf("%s %s %s", lang, n.Kind, n.ComponentName),
		fmt.Sprintf("%s cause=%v at=%s since=%s title=%s", n.State, n.Cause, n.At.UTC().Format("15:04"), n.Since.UTC().Format("15:04"), n.Title)
}

func (testWords) Indicator(lang, ind string) string { return lang + " indicator " + ind }

// testYAML is the configuration of the tests: two groups, three components.
const testYAML = `
groups:
  - id: idf
    name: Île-de-France
    components:
      - id: monlycee
        name: monlycée.net
        steps:
          - url: https://ent.iledefrance.test/
      - id: pcn
        name: PCN
        steps:
          - url: https://pcn.test/
  - id: cned
    name: CNED
    components:
      - id: maclasse
        name: Ma classe à la maison
        steps:
          - url: https://maclasse.test/
`

// testConfig is testYAML and extra, loaded with the push and webhooks
// sections, as the configuration fields of push.Options.
func testConfig(t testing.TB, extra string) push.Options {
	t.Helper()
	return loadOptions(t, "push.yaml", []byte(testYAML+extra))
}

func loadOptions(t testing.TB, name string, data []byte) push.Options {
	t.Helper()
	var set push.Config
	var hooks push.Webhooks
	cfg, err := probes.ParseConfig(name, data, set.Section(), hooks.Section())
	if err != nil {
		t.Fatal(err)
	}
	return push.Options{Config: cfg, Settings: set, Webhooks: hooks, PublicURL: "https://constat.test"}
}

// withConfig returns o with c's configuration fields.
func withConfig(o, c push.Options) push.Options {
	o.Config, o.Settings, o.Webhooks, o.PublicURL = c.Config, c.Settings, c.Webhooks, c.PublicURL
	return o
}

// env is a push sender over a real timeline and push store in a temporary
// directory, its receiver on 127.0.0.1.
type env struct {
	t    testing.TB
	dir  string
	cfg  *probes.Config
	tl   *timeline.Timeline
	st   *push.Store
	p    *push.Push
	keys push.Keys
	rcv  *receiver
	reg  *prometheus.Registry
	opts push.Options
	pipe *incidents.Pipeline // the real engine: events come from measured rounds
	stop func()
	// sentinels counts the sentinel events appendEvents recorded.
	sentinels int
}

// loopbackOnly is the dialer every test gives the guard: it fails the
// test on any address outside 127.0.0.0/8 and ::1, so that a guard that
// let a forbidden address through could not reach the network.
func loopbackOnly(t testing.TB) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !ap.Addr().Unmap().IsLoopback() {
			t.Errorf("dial %s %s: a test must never dial outside loopback", network, address)
			return nil, errors.New("test dialer: not loopback")
		}
		return (&net.Dialer{}).DialContext(ctx, network, address)
	}
}

func newEnv(t testing.TB, extraYAML string, mod func(*push.Options)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	var err error
	if e.keys, err = push.CreateKeys(e.dir); err != nil {
		t.Fatal(err)
	}
	e.rcv = newReceiver(t, testSubject, e.keys.Public)
	host := strings.TrimPrefix(e.rcv.srv.URL, "https://")
	c := testConfig(t, fmt.Sprintf("push:\n  subject: %s\n  allowed_services: [%q]\n%s", testSubject, host, extraYAML))
	e.cfg = c.Config
	if e.tl, err = timeline.Open(filepath.Join(e.dir, "timeline.db"), timeline.Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.tl.Close() })
	if e.pipe, err = incidents.NewPipeline(e.tl, e.cfg.Components, incidents.Config{}, nil); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(e.rcv.srv.Certificate())
	e.opts = withConfig(push.Options{Timeline: e.tl, History: e.pipe.History(), Keys: e.keys, Words: testWords{},
		TLS: &tls.Config{RootCAs: roots}, Guard: push.GuardOptions{Dial: loopbackOnly(t)}, Workers: 8}, c)
	if mod != nil {
		mod(&e.opts)
	}
	e.start()
	return e
}

// start opens the store and runs the sender until the test ends or stop.
func (e *env) start() {
	e.t.Helper()
	st, err := push.OpenStore(filepath.Join(e.dir, push.StoreFile), push.StoreOptions{Timeout: time.Second, NoSync: true})
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
	e.reg = prometheus.NewRegistry()
	o := e.opts
	o.Store, o.Registry = st, e.reg
	if e.p, err = push.New(o); err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { e.p.Run(ctx) })
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			st.Close()
		})
	}
	e.t.Cleanup(e.stop)
}

func (e *env) subscribe(s *subscriber, lang string, comps, groups []string) push.Subscribed {
	e.t.Helper()
	e.rcv.add(s)
	got, err := e.p.Subscribe(context.Background(), push.SubscribeRequest{
		Subscription: push.Subscription{Endpoint: e.rcv.endpoint(s.name), Keys: push.SubscriptionKeys{P256dh: s.p256dh(), Auth: s.authKey()}},
		Components:   comps, Groups: groups, Lang: lang})
	if err != nil {
		e.t.Fatalf("Subscribe(%s) = %v", s.name, err)
	}
	return got
}

var t0 = time.Date(2021, 4, 6, 7, 2, 0, 0, time.UTC) // 9 h 02 in Paris

// record feeds rounds of comp through the incident engine, at the given
// minutes after t0 (failing or not), and wakes the outbox. With the
// default confirmation of two rounds, two failing rounds open an incident
// whose measured start is the first one's, and two good ones end it.
func (e *env) record(comp string, ok bool, minutes ...int) {
	e.t.Helper()
	recordRounds(e.t, e.pipe, comp, ok, minutes...)
	e.p.Wake()
}

func recordRounds(t testing.TB, pipe *incidents.Pipeline, comp string, ok bool, minutes ...int) {
	t.Helper()
	recordRoundsFrom(t, pipe, t0, comp, ok, minutes...)
}

// recordRoundsFrom is recordRounds with minutes after base.
func recordRoundsFrom(t testing.TB, pipe *incidents.Pipeline, base time.Time, comp string, ok bool, minutes ...int) {
	t.Helper()
	for _, m := range minutes {
		r := probes.Result{Component: comp, Start: base.Add(time.Duration(m) * time.Minute), Status: probes.Operational,
			Steps: []probes.StepResult{{URL: "https://" + comp + ".test/", Outcome: probes.OK, StatusCode: 200}}}
		if !ok {
			r.Status = probes.MajorOutage
			r.Steps[0].Outcome, r.Steps[0].Detail = probes.SoftFailure, "ode_quota"
		}
		if _, err := pipe.Record(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) counter(name string, labels ...string) float64 {
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || lp.GetName() == labels[i] && lp.GetValue() == labels[i+1]
				}
				if !found {
					continue next
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// TestEndToEnd sends an outage's start and end to three subscribers through
// a TLS push receiver that checks VAPID and decrypts the payload.
func TestEndToEnd(t *testing.T) {
	e := newEnv(t, "", nil)
	fr, en, other := newSubscriber(t, "fr"), newSubscriber(t, "en"), newSubscriber(t, "other")
	if got := e.subscribe(fr, "fr", nil, []string{"idf"}); strings.Join(got.Components, ",") != "monlycee,pcn" {
		t.Errorf("Subscribe(group idf).Components = %v, want [monlycee pcn]", got.Components)
	}
	e.subscribe(en, "en", []string{"monlycee"}, nil)
	e.subscribe(other, "fr", []string{"maclasse"}, nil)

	e.record("monlycee", false, 0, 1)
	e.record("monlycee", true, 45, 46)
	e.rcv.wait(t, 20*time.Second, "two messages each to fr and en", func() bool { return len(e.rcv.got) >= 4 })
	e.rcv.checkErrs(t)

	want := map[string][]string{
		"fr": {"fr start monlycée.net|major_outage cause=soft_failure at=07:02", "fr end monlycée.net|operational cause=unknown at=07:47 since=07:02"},
		"en": {"en start monlycée.net|major_outage cause=soft_failure at=07:02", "en end monlycée.net|operational cause=unknown at=07:47 since=07:02"},
	}
	e.rcv.mu.Lock()
	defer e.rcv.mu.Unlock()
	bySub := map[string][]received{}
	for _, m := range e.rcv.got {
		bySub[m.sub] = append(bySub[m.sub], m)
	}
	if len(bySub["other"]) != 0 {
		t.Errorf("subscriber of maclasse got %d messages about monlycee", len(bySub["other"]))
	}
	for sub, texts := range want {
		got := bySub[sub]
		if len(got) != 2 {
			t.Fatalf("%s got %d messages, want 2", sub, len(got))
		}
		for i, m := range got {
			text := fmt.Sprint(m.payload["title"]) + "|" + fmt.Sprint(m.payload["body"])
			if !strings.HasPrefix(text, texts[i]) {
				t.Errorf("%s message %d = %q, want prefix %q", sub, i, text, texts[i])
			}
			inc, _ := m.payload["incident"].(float64)
			url := fmt.Sprintf("https://constat.test/incidents/%d", int(inc))
			if sub == "en" {
				url = fmt.Sprintf("https://constat.test/en/incidents/%d", int(inc))
			}
			if m.payload["url"] != url || m.payload["component"] != "monlycee" || inc < 1 {
				t.Errorf("%s message %d payload = %v", sub, i, m.payload)
			}
			if m.topic != "monlycee" {
				t.Errorf("%s message %d Topic = %q, want monlycee", sub, i, m.topic)
			}
		}
		if got[0].urgency != "high" || got[1].urgency != "normal" {
			t.Errorf("%s Urgency = %q, %q; want high, normal", sub, got[0].urgency, got[1].urgency)
		}
		if ttl0, ttl1 := got[0].ttl, got[1].ttl; ttl0 < "3500" || ttl0 > "3600" || len(ttl1) != 5 || ttl1 > "86400" {
			t.Errorf("%s TTL = %s, %s; want about 3600, 86400", sub, ttl0, ttl1)
		}
		if s := got[0].payload["state"]; s != "major_outage" {
			t.Errorf("%s start state = %v", sub, s)
		}
	}
}

// TestGoneSubscription: a push service's 410, or 404, deletes the
// subscription.
func TestGoneSubscription(t *testing.T) {
	e := newEnv(t, "", nil)
	gone, lost, kept := newSubscriber(t, "gone"), newSubscriber(t, "lost"), newSubscriber(t, "kept")
	e.rcv.status = func(sub string, n int) int {
		switch sub {
		case "gone":
			return 410
		case "lost":
			return 404
		}
		return 201
	}
	e.subscribe(gone, "fr", []string{"pcn"}, nil)
	e.subscribe(lost, "fr", []string{"pcn"}, nil)
	e.subscribe(kept, "fr", []string{"pcn"}, nil)
	e.record("pcn", false, 0, 1)
	e.rcv.wait(t, 20*time.Second, "410 and 404 answered", func() bool {
		return e.rcv.counts["gone"] == 1 && e.rcv.counts["lost"] == 1 && len(e.rcv.got) == 1
	})
	waitFor(t, "gone counted twice and the subscriptions deleted", func() bool {
		n, _ := e.p.Count()
		return e.counter("constat_push_deliveries_total", "result", "gone") == 2 && n == 1
	})
	for _, s := range []*subscriber{gone, lost} {
		err := e.p.Unsubscribe(context.Background(), push.Subscription{Endpoint: e.rcv.endpoint(s.name), Keys: push.SubscriptionKeys{Auth: s.authKey()}})
		if !errors.Is(err, push.ErrNotFound) {
			t.Errorf("Unsubscribe(%s) = %v, want ErrNotFound", s.name, err)
		}
	}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
