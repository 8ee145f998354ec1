package push_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/probes/sim"
)

// TestSubscribeLookupFailure: an endpoint whose name does not exist is the
// subscriber's fault, a FieldError saying so; a resolver that fails is the
// server's, ErrLookup (answered 503), not a FieldError. Neither message
// names the server's resolver. Seen with curl against the demo: a failed
// lookup was answered 400 "resolve fcm.googleapis.com: lookup
// fcm.googleapis.com on 10.255.255.53:53: no such host", the server's
// resolver address in a public answer.
func TestSubscribeLookupFailure(t *testing.T) {
	dns := sim.StartDNS(t, map[string]netip.Addr{"push.test": netip.MustParseAddr("93.184.216.34")})
	e := newEnv(t, "", func(o *push.Options) { o.Guard.Resolver = dns.Resolver() })
	o := withConfig(e.opts, testConfig(t, "push:\n  subject: "+testSubject+"\n  allowed_services: [push.test, gone.test]\n"))
	o.Store = e.st
	p, err := push.New(o)
	if err != nil {
		t.Fatal(err)
	}
	s := newSubscriber(t, "x")
	sub := func(host string) error {
		_, err := p.Subscribe(context.Background(), push.SubscribeRequest{
			Subscription: push.Subscription{Endpoint: "https://" + host + "/push/x", Keys: push.SubscriptionKeys{P256dh: s.p256dh(), Auth: s.authKey()}},
			Components:   []string{"pcn"}})
		return err
	}
	resolver := dns.Addr()
	err = sub("gone.test")
	var fe *push.FieldError
	if !errors.As(err, &fe) || fe.Field != "subscription.endpoint" || !strings.Contains(fe.Message, "no such host") || strings.Contains(fe.Message, resolver) {
		t.Errorf("Subscribe(unknown name) = %v, want a FieldError on subscription.endpoint saying no such host, without %s", err, resolver)
	}
	dns.SetServfail(true)
	err = sub("push.test")
	if !errors.Is(err, push.ErrLookup) || errors.As(err, &fe) {
		t.Errorf("Subscribe(resolver failing) = %v, want ErrLookup and no FieldError", err)
	}
	dns.SetServfail(false)
	if err := sub("push.test"); err != nil {
		t.Errorf("Subscribe(resolver back) = %v", err)
	}
}
