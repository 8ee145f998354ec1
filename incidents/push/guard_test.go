package push_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/probes/sim"
)

// switchedResolver sends DNS queries to one of two loopback DNS servers,
// as a name's owner can change its answers between two lookups.
func switchedResolver(a, b *sim.DNS, useB *atomic.Bool) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		addr := a.Addr()
		if useB.Load() {
			addr = b.Addr()
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
}

var forbiddenNames = map[string]netip.Addr{
	"loop.test":     netip.MustParseAddr("127.0.0.1"),
	"private.test":  netip.MustParseAddr("10.1.2.3"),
	"private2.test": netip.MustParseAddr("172.16.5.4"),
	"home.test":     netip.MustParseAddr("192.168.1.1"),
	"cgnat.test":    netip.MustParseAddr("100.64.1.1"),
	"meta.test":     netip.MustParseAddr("169.254.169.254"),
	"v6loop.test":   netip.MustParseAddr("::1"),
	"v6link.test":   netip.MustParseAddr("fe80::1"),
	"mapped.test":   netip.MustParseAddr("::ffff:10.0.0.1"),
	"rebind.test":   netip.MustParseAddr("93.184.216.34"),
}

// TestSubscribeRefusesForbiddenAddresses: every SSRF attempt is refused when
// the person subscribes, even for a host the configuration allows: an
// address literal or a name that resolves to loopback, private, CGNAT,
// link-local or the metadata address.
func TestSubscribeRefusesForbiddenAddresses(t *testing.T) {
	dns := sim.StartDNS(t, forbiddenNames)
	literals := []string{"127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "100.64.0.1", "169.254.169.254", "::1", "fe80::1"}
	allowed := append(append([]string{}, literals...), "loop.test", "private.test", "private2.test", "home.test",
		"cgnat.test", "meta.test", "v6loop.test", "v6link.test", "mapped.test")
	yaml := "  - " + strings.Join(quoteAll(allowed), "\n  - ") + "\n"
	e := newEnv(t, "", func(o *push.Options) {
		o.Guard.Resolver = dns.Resolver()
	})
	// A second sender whose configuration allows every forbidden host by name.
	o := withConfig(e.opts, testConfig(t, "push:\n  subject: "+testSubject+"\n  allowed_services:\n"+yaml))
	o.Store = e.st
	p, err := push.New(o)
	if err != nil {
		t.Fatal(err)
	}
	s := newSubscriber(t, "x")
	var hosts []string
	for _, h := range allowed {
		if strings.Contains(h, ":") {
			h = "[" + h + "]"
		}
		hosts = append(hosts, h)
	}
	hosts = append(hosts, "evil.example", "127.0.0.1:1") // not allowed at all; a port not listed
	for _, h := range hosts {
		t.Run(h, func(t *testing.T) {
			_, err := p.Subscribe(context.Background(), push.SubscribeRequest{
				Subscription: push.Subscription{Endpoint: "https://" + h + "/push/x", Keys: push.SubscriptionKeys{P256dh: s.p256dh(), Auth: s.authKey()}},
				Components:   []string{"pcn"}})
			var fe *push.FieldError
			if !errors.As(err, &fe) || fe.Field != "subscription.endpoint" || !strings.Contains(err.Error(), "not allowed") {
				t.Errorf("Subscribe(https://%s/) = %v, want a FieldError on subscription.endpoint saying not allowed", h, err)
			}
		})
	}
	if n, _ := p.Count(); n != 0 {
		t.Errorf("Count() = %d after refused subscriptions, want 0", n)
	}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = `"` + s + `"`
	}
	return out
}

// TestRebindingRefusedAtSendTime: a name that resolved to a public address
// when the person subscribed and resolves to a private one when Constat
// sends is refused on the connection, and the delivery is dropped.
func TestRebindingRefusedAtSendTime(t *testing.T) {
	public := sim.StartDNS(t, map[string]netip.Addr{"rebind.test": netip.MustParseAddr("93.184.216.34")})
	private := sim.StartDNS(t, map[string]netip.Addr{"rebind.test": netip.MustParseAddr("10.0.0.7")})
	var rebound atomic.Bool
	e := newEnv(t, "", func(o *push.Options) {
		o.Guard.Resolver = switchedResolver(public, private, &rebound)
	})
	e.stop()
	e.opts = withConfig(e.opts, testConfig(t, "push:\n  subject: "+testSubject+"\n  allowed_services: [rebind.test]\n"))
	e.start()
	s := newSubscriber(t, "r")
	_, err := e.p.Subscribe(context.Background(), push.SubscribeRequest{
		Subscription: push.Subscription{Endpoint: "https://rebind.test/push/r", Keys: push.SubscriptionKeys{P256dh: s.p256dh(), Auth: s.authKey()}},
		Components:   []string{"pcn"}})
	if err != nil {
		t.Fatalf("Subscribe(rebind.test, public) = %v", err)
	}
	rebound.Store(true)
	e.record("pcn", false, 0, 1)
	waitFor(t, "delivery refused and counted failed", func() bool {
		return e.counter("constat_push_deliveries_total", "channel", "webpush", "result", "failed") == 1
	})
}

// TestControlRefusesForbiddenSockets: the dialer's Control refuses the
// forbidden ranges on the address actually connected to.
func TestControlRefusesForbiddenSockets(t *testing.T) {
	g, err := push.NewGuard(nil, push.GuardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"127.0.0.1:443", "10.0.0.1:443", "172.16.0.1:443", "192.168.0.1:443", "100.64.0.1:443",
		"169.254.169.254:80", "[::1]:443", "[fe80::1]:443", "[::ffff:10.0.0.1]:443", "[fd00:ec2::254]:80", "0.0.0.0:443"} {
		if err := g.Control("tcp", a, nil); !errors.Is(err, push.ErrForbiddenHost) {
			t.Errorf("Control(%s) = %v, want ErrForbiddenHost", a, err)
		}
	}
	for _, a := range []string{"93.184.216.34:443", "[2a00:1450:4007:80b::200a]:443"} {
		if err := g.Control("tcp", a, nil); err != nil {
			t.Errorf("Control(%s) = %v, want nil", a, err)
		}
	}
	// Dialling a forbidden literal through the guard never reaches the dialer.
	g, _ = push.NewGuard([]string{"10.0.0.1"}, push.GuardOptions{Dial: loopbackOnly(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := g.DialContext(ctx, "tcp", "10.0.0.1:443"); !errors.Is(err, push.ErrForbiddenHost) {
		t.Errorf("DialContext(10.0.0.1:443) = %v, want ErrForbiddenHost", err)
	}
}
