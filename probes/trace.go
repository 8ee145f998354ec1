package probes

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// hop is the timing of one round trip: the first request or one redirect.
type hop struct {
	dnsStart, dnsDone         time.Time
	connectStart, connectDone time.Time
	tlsStart, tlsDone         time.Time
	gotConn, wroteRequest     time.Time
	firstByte                 time.Time
	reused                    bool
}

// tracer collects httptrace events for every hop of one step. httptrace hooks
// may fire concurrently (Happy Eyeballs dials two addresses) and after the
// request has completed, so every access goes through mu.
type tracer struct {
	mu        sync.Mutex
	hops      []hop
	addresses []string // connected-to addresses, then resolved ones if no connect happened
	resolved  []string
	tls       tls.ConnectionState // the last completed handshake, for when no response arrives

	// Held here rather than allocated apart for each step: the hooks, the
	// client and its transport live as long as the tracer.
	ct        httptrace.ClientTrace
	transport hopTransport
	client    http.Client
}

// startHop begins a new round trip; the hooks fill the last hop.
func (t *tracer) startHop() {
	t.mu.Lock()
	t.hops = append(t.hops, hop{})
	t.mu.Unlock()
}

// cur returns the hop being filled; callers hold mu.
func (t *tracer) cur() *hop {
	if len(t.hops) == 0 {
		t.hops = append(t.hops, hop{})
	}
	return &t.hops[len(t.hops)-1]
}

// clientTrace returns the hooks filling t. Each hook locks mu and fills the
// current hop in line: no closure per event, as Run's allocations are
// Constat's share of a check's CPU.
func (t *tracer) clientTrace() *httptrace.ClientTrace {
	t.ct = httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) {
			now := time.Now()
			t.mu.Lock()
			t.cur().dnsStart = now
			t.mu.Unlock()
		},
		DNSDone: func(info httptrace.DNSDoneInfo) {
			now := time.Now()
			t.mu.Lock()
			t.cur().dnsDone = now
			for _, a := range info.Addrs {
				t.resolved = appendNew(t.resolved, a.IP.String())
			}
			t.mu.Unlock()
		},
		ConnectStart: func(_, addr string) {
			now := time.Now()
			t.mu.Lock()
			if h := t.cur(); h.connectStart.IsZero() {
				h.connectStart = now
			}
			if host, _, err := net.SplitHostPort(addr); err == nil {
				t.addresses = appendNew(t.addresses, host)
			}
			t.mu.Unlock()
		},
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				now := time.Now()
				t.mu.Lock()
				t.cur().connectDone = now
				t.mu.Unlock()
			}
		},
		TLSHandshakeStart: func() {
			now := time.Now()
			t.mu.Lock()
			t.cur().tlsStart = now
			t.mu.Unlock()
		},
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			now := time.Now()
			t.mu.Lock()
			t.cur().tlsDone = now
			if err == nil {
				t.tls = cs
			}
			t.mu.Unlock()
		},
		GotConn: func(info httptrace.GotConnInfo) {
			now := time.Now()
			t.mu.Lock()
			h := t.cur()
			h.gotConn, h.reused = now, info.Reused
			t.mu.Unlock()
		},
		WroteRequest: func(httptrace.WroteRequestInfo) {
			now := time.Now()
			t.mu.Lock()
			t.cur().wroteRequest = now
			t.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			now := time.Now()
			t.mu.Lock()
			t.cur().firstByte = now
			t.mu.Unlock()
		},
	}
	return &t.ct
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// phases sums the hops' phases; end is when reading the final body stopped.
// A phase of the last hop that started and never finished (the exchange
// timed out or was cut there) lasts until end, so that a timeout shows in
// the phase where it happened rather than as zeros.
func (t *tracer) phases(end time.Time) Phases {
	t.mu.Lock()
	defer t.mu.Unlock()
	var p Phases
	for i, h := range t.hops {
		last := i == len(t.hops)-1
		upTo := func(from, to time.Time) time.Duration {
			if last && !from.IsZero() && to.IsZero() {
				to = end
			}
			return span(from, to)
		}
		p.DNS += upTo(h.dnsStart, h.dnsDone)
		p.Connect += upTo(h.connectStart, h.connectDone)
		p.TLS += upTo(h.tlsStart, h.tlsDone)
		sent := h.wroteRequest
		if sent.IsZero() {
			sent = h.gotConn
		}
		p.TTFB += upTo(sent, h.firstByte)
		if last {
			p.Transfer += span(h.firstByte, end)
		}
	}
	return p
}

// stalledPhase names the phase the last hop was in when it stopped: the
// first phase that started and did not finish.
func (t *tracer) stalledPhase() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.hops) == 0 {
		return PhaseDNS
	}
	h := t.hops[len(t.hops)-1]
	switch {
	case !h.dnsStart.IsZero() && h.dnsDone.IsZero():
		return PhaseDNS
	case h.gotConn.IsZero() && h.tlsStart.IsZero() && (h.connectDone.IsZero()):
		return PhaseConnect
	case !h.tlsStart.IsZero() && h.tlsDone.IsZero():
		return PhaseTLS
	case h.firstByte.IsZero():
		return PhaseTTFB
	}
	return PhaseTransfer
}

// addrs returns the connected addresses, or the resolved ones when no
// connection was attempted.
func (t *tracer) addrs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.addresses) > 0 {
		return append([]string(nil), t.addresses...)
	}
	return append([]string(nil), t.resolved...)
}

func span(from, to time.Time) time.Duration {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0
	}
	return to.Sub(from)
}

// hopTransport starts a new hop in the tracer before each round trip, so
// every redirect is timed on its own (httptrace hooks do not span redirects).
type hopTransport struct {
	rt http.RoundTripper
	tr *tracer
}

func (h hopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h.tr.startHop()
	return h.rt.RoundTrip(req)
}

func withTrace(ctx context.Context, tr *tracer) context.Context {
	return httptrace.WithClientTrace(ctx, tr.clientTrace())
}

// handshake returns the last completed TLS handshake's state, if any.
func (t *tracer) handshake() (tls.ConnectionState, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tls, t.tls.HandshakeComplete
}
