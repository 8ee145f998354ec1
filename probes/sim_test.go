package probes

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes/sim"
	"github.com/prometheus/common/config"
)

// simComponent is a one-step check of p (two steps, portal then the login
// link, when login is set), trusting the simulators' CA.
func simComponent(t *testing.T, p *sim.Portal, login bool) *Component {
	t.Helper()
	urls := []string{p.URL()}
	if login {
		urls = append(urls, `follow:href="([^"]*/auth/login[^"]*)"`)
	}
	c := component(t, urls...)
	c.HTTPClientConfig.TLSConfig = config.TLSConfig{CA: string(sim.CACertPEM())}
	c.MaxBody = 256 << 10
	for _, st := range c.Steps {
		st.Timeout, st.DegradedAfter = 500*time.Millisecond, 300*time.Millisecond
	}
	if login {
		c.Steps[1].Impact = ImpactPartial
	}
	return c
}

func TestProbeSimulators(t *testing.T) {
	tests := []struct {
		name      string
		b         sim.Behaviour
		tls       sim.TLSMode
		login     bool
		want      Outcome
		detail    string
		status    Status
		failsStep int // index of the step that decides
	}{
		{"healthy portal and login", sim.Healthy, sim.PlainHTTP, true, OK, "", Operational, 1},
		{"ODE quota page served with 200", sim.QueuePage, sim.PlainHTTP, true, SoftFailure, "ode_quota", MajorOutage, 0},
		{"Kosmos restriction page served with 200", sim.Restricted, sim.PlainHTTP, false, SoftFailure, "kosmos_restricted", MajorOutage, 0},
		{"CNED white page 200", sim.WhitePage, sim.PlainHTTP, false, SoftFailure, "service_unavailable", MajorOutage, 0},
		{"CNED white page 503", sim.WhitePage503, sim.PlainHTTP, false, HTTPError, "503", MajorOutage, 0},
		{"maintenance page 200", sim.Maintenance, sim.PlainHTTP, false, SoftFailure, "maintenance", MajorOutage, 0},
		{"home fine, login 502", sim.LoginBroken, sim.PlainHTTP, true, HTTPError, "502", PartialOutage, 1},
		{"slow", sim.Slow, sim.PlainHTTP, false, Slow, "", DegradedPerformance, 0},
		{"hanging", sim.Hanging, sim.PlainHTTP, false, Timeout, PhaseTTFB, MajorOutage, 0},
		{"reset", sim.Reset, sim.PlainHTTP, false, ConnectionReset, "reset", MajorOutage, 0},
		{"refused", sim.Refused, sim.PlainHTTP, false, ConnectRefused, "refused", MajorOutage, 0},
		{"SYN queue full", sim.ConnectTimeout, sim.PlainHTTP, false, ConnectTimeout, PhaseConnect, MajorOutage, 0},
		{"redirect loop", sim.RedirectLoop, sim.PlainHTTP, false, RedirectLoop, "loop", MajorOutage, 0},
		{"valid TLS", sim.Healthy, sim.ValidTLS, true, OK, "", Operational, 1},
		{"expired certificate", sim.Healthy, sim.ExpiredCert, false, TLSError, "expired", MajorOutage, 0},
		{"unknown authority", sim.Healthy, sim.UnknownAuthority, false, TLSError, "unknown_authority", MajorOutage, 0},
		{"hostname mismatch", sim.Healthy, sim.WrongHost, false, TLSError, "hostname_mismatch", MajorOutage, 0},
		{"hanging behind TLS", sim.Hanging, sim.ValidTLS, false, Timeout, PhaseTTFB, MajorOutage, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sim.Start(t, tt.b, sim.WithTLS(tt.tls), sim.WithDelay(400*time.Millisecond))
			r := runComponent(t, simComponent(t, p, tt.login))
			if len(r.Steps) != tt.failsStep+1 {
				t.Fatalf("Run() ran %d steps (%+v), want %d", len(r.Steps), r.Steps, tt.failsStep+1)
			}
			st := r.Steps[tt.failsStep]
			if st.Outcome != tt.want || st.Detail != tt.detail || r.Status != tt.status {
				t.Errorf("Run(%s) step %d = %v (%q), status %v; want %v (%q), status %v",
					tt.name, tt.failsStep+1, st.Outcome, st.Detail, r.Status, tt.want, tt.detail, tt.status)
			}
			if tt.tls != sim.PlainHTTP && st.CertExpiry.IsZero() {
				t.Errorf("CertExpiry is zero, want the certificate's NotAfter")
			}
			if tt.tls == sim.ExpiredCert && !st.CertExpiry.Before(time.Now()) {
				t.Errorf("CertExpiry = %v, want in the past", st.CertExpiry)
			}
			if tt.want == Timeout && tt.detail == PhaseTTFB && st.Phases.TTFB < 400*time.Millisecond {
				t.Errorf("Phases.TTFB = %v for a timeout waiting for the answer, want about the 500ms timeout", st.Phases.TTFB)
			}
			if tt.want == ConnectTimeout && st.Phases.Connect < 400*time.Millisecond {
				t.Errorf("Phases.Connect = %v for a connect timeout, want about the 500ms timeout", st.Phases.Connect)
			}
			if tt.tls == sim.ValidTLS && tt.want == OK && (st.TLSVersion == 0 || st.Phases.TLS <= 0) {
				t.Errorf("TLSVersion = %x, Phases.TLS = %v, want a measured handshake", st.TLSVersion, st.Phases.TLS)
			}
		})
	}
}

func TestProbeEndlessBodyReadsMaxBody(t *testing.T) {
	p := sim.Start(t, sim.EndlessBody)
	c := simComponent(t, p, false)
	c.Steps[0].Timeout = 5 * time.Second
	r := runComponent(t, c)
	if st := r.Steps[0]; st.BytesRead != c.MaxBody || st.Outcome.Failed() {
		t.Errorf("endless body: BytesRead = %d, outcome %v; want %d and not failed", st.BytesRead, st.Outcome, c.MaxBody)
	}
}

func TestProbeFlappingAndSwitching(t *testing.T) {
	p := sim.Start(t, sim.Flapping)
	ch, err := NewCheck(simComponent(t, p, false), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := ch.Run(t.Context()), ch.Run(t.Context())
	if a.Status == b.Status {
		t.Errorf("two rounds against a flapping portal both %v, want alternating", a.Status)
	}
	p.Set(sim.Refused)
	if r := ch.Run(t.Context()); r.Steps[0].Outcome != ConnectRefused {
		t.Errorf("after Set(Refused): %v, want connect_refused", r.Steps[0].Outcome)
	}
	p.Set(sim.Healthy)
	if r := ch.Run(t.Context()); r.Status != Operational {
		t.Errorf("after Set(Healthy): %v (%+v), want operational", r.Status, r.Steps)
	}
}

func TestProbeDNS(t *testing.T) {
	p := sim.Start(t, sim.Healthy)
	dns := sim.StartDNS(t, map[string]netip.Addr{"ent.sim.test": netip.MustParseAddr("127.0.0.1")})
	known := strings.Replace(p.URL(), "127.0.0.1", "ent.sim.test", 1)
	unknown := strings.Replace(p.URL(), "127.0.0.1", "absent.sim.test", 1)
	run := func(u string) StepResult {
		ch, err := NewCheck(component(t, u), Options{Resolver: dns.Resolver()})
		if err != nil {
			t.Fatal(err)
		}
		return ch.Run(t.Context()).Steps[0]
	}
	if st := run(known); st.Outcome != OK || st.Phases.DNS <= 0 || len(st.Addresses) == 0 || st.Addresses[0] != "127.0.0.1" {
		t.Errorf("known name: %v, dns %v, addresses %v; want ok, measured, [127.0.0.1]", st.Outcome, st.Phases.DNS, st.Addresses)
	}
	if st := run(unknown); st.Outcome != DNSError || st.Detail != "not_found" {
		t.Errorf("unknown name: %v (%s), want dns_error (not_found)", st.Outcome, st.Detail)
	}
	dns.SetServfail(true)
	if st := run(known); st.Outcome != DNSError || st.Detail == "not_found" {
		t.Errorf("SERVFAIL: %v (%s), want dns_error other than not_found", st.Outcome, st.Detail)
	}
}
