package sim

import (
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// expect checks what a client sees of p: "200", "503"…, "refused", "reset",
// "timeout" (the client's) or "connect-timeout" (a 300 ms dial).
func expect(t *testing.T, p *Portal, c *http.Client, want string) {
	t.Helper()
	if want == "connect-timeout" {
		dialTimesOut(t, p)
		return
	}
	if want == "timeout" {
		c = newClient(shortTimeout, false)
	}
	code, _, err := get(t, c, p.URL())
	var got string
	switch {
	case err == nil:
		got = strconv.Itoa(code)
	case errors.Is(err, syscall.ECONNREFUSED):
		got = "refused"
	case errors.Is(err, syscall.ECONNRESET):
		got = "reset"
	case isTimeout(err):
		got = "timeout"
	default:
		got = err.Error()
	}
	if got != want {
		t.Errorf("%v portal: GET / gives %s, want %s", p.Behaviour(), got, want)
	}
}

func TestSetSwitchesBothWays(t *testing.T) {
	steps := []struct {
		b    Behaviour
		want string
	}{
		{Healthy, "200"},
		{Refused, "refused"},
		{Healthy, "200"},
		{ConnectTimeout, "connect-timeout"},
		{QueuePage, "200"},
		{WhitePage503, "503"},
		{Refused, "refused"},
		{ConnectTimeout, "connect-timeout"},
		{Refused, "refused"},
		{Reset, "reset"},
		{Hanging, "timeout"},
		{Healthy, "200"},
	}
	p := Start(t, Healthy)
	url := p.URL()
	c := newClient(okTimeout, false)
	for i, s := range steps {
		if s.b == ConnectTimeout && runtime.GOOS != "linux" {
			continue
		}
		if err := p.Set(s.b); err != nil {
			t.Fatalf("step %d: Set(%v) = %v", i, s.b, err)
		}
		if p.Behaviour() != s.b {
			t.Errorf("step %d: Behaviour() = %v, want %v", i, p.Behaviour(), s.b)
		}
		expect(t, p, c, s.want)
	}
	if p.URL() != url {
		t.Errorf("URL() = %s after switches, want %s", p.URL(), url)
	}
}

func TestSetRefusedClosesKeepAliveConnections(t *testing.T) {
	p := Start(t, Healthy)
	c := newClient(okTimeout, true)
	expect(t, p, c, "200")
	if err := p.Set(Refused); err != nil {
		t.Fatal(err)
	}
	expect(t, p, c, "refused")
	if err := p.Set(Healthy); err != nil {
		t.Fatal(err)
	}
	expect(t, p, c, "200")
}

func TestCloseUnblocksHandlers(t *testing.T) {
	for _, b := range []Behaviour{Hanging, EndlessBody, Slow} {
		t.Run(b.String(), func(t *testing.T) {
			p, err := New(b, WithDelay(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan error, 1)
			release := make(chan struct{})
			defer close(release)
			go func() {
				resp, err := newClient(0, false).Get(p.URL())
				if err == nil {
					io.ReadFull(resp.Body, make([]byte, 100)) // then stop reading
					<-release
					resp.Body.Close()
				}
				got <- err
			}()
			waitFor(t, "the request", func() bool { return p.Requests() == 1 })
			closed := make(chan error, 1)
			go func() { closed <- p.Close() }()
			select {
			case err := <-closed:
				if err != nil {
					t.Errorf("Close() = %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("Close() still blocked after 5s")
			}
			if b != EndlessBody {
				if err := <-got; err == nil {
					t.Errorf("GET on a closed %v portal succeeded", b)
				}
			}
		})
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	p, err := New(Healthy)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("first Close() = %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if err := p.Set(Refused); !errors.Is(err, ErrClosed) {
		t.Errorf("Set after Close = %v, want ErrClosed", err)
	}
	if err := p.SetTLS(ValidTLS); !errors.Is(err, ErrClosed) {
		t.Errorf("SetTLS after Close = %v, want ErrClosed", err)
	}
}

func TestParseBehaviour(t *testing.T) {
	for _, b := range Behaviours() {
		for _, s := range []string{b.String(), strings.ReplaceAll(b.String(), "-", "_"), strings.ToUpper(b.String())} {
			if got, err := ParseBehaviour(s); err != nil || got != b {
				t.Errorf("ParseBehaviour(%q) = %v, %v; want %v", s, got, err, b)
			}
		}
	}
	if _, err := ParseBehaviour("on-fire"); err == nil {
		t.Errorf("ParseBehaviour(on-fire) = nil error, want one")
	}
	if got := Behaviour(99).String(); got != "Behaviour(99)" {
		t.Errorf("Behaviour(99).String() = %q", got)
	}
}

func TestParseTLSMode(t *testing.T) {
	for m := PlainHTTP; m < numTLSModes; m++ {
		if got, err := ParseTLSMode(m.String()); err != nil || got != m {
			t.Errorf("ParseTLSMode(%q) = %v, %v; want %v", m.String(), got, err, m)
		}
	}
	if _, err := ParseTLSMode("ssl3"); err == nil {
		t.Errorf("ParseTLSMode(ssl3) = nil error, want one")
	}
}

func TestCloseStopsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	c := newClient(shortTimeout, false)
	for _, b := range Behaviours() {
		if b == ConnectTimeout && runtime.GOOS != "linux" {
			continue
		}
		p, err := New(b, WithDelay(time.Millisecond), WithTLS(ValidTLS))
		if err != nil {
			t.Fatal(err)
		}
		if b != ConnectTimeout {
			get(t, c, p.URL()) // whatever the outcome
		}
		if err := p.Close(); err != nil {
			t.Errorf("%v portal: Close() = %v", b, err)
		}
	}
	d, err := NewDNS(testRecords)
	if err != nil {
		t.Fatal(err)
	}
	d.Resolver().LookupHost(t.Context(), "ent.iledefrance.test")
	if err := d.Close(); err != nil {
		t.Errorf("DNS Close() = %v", err)
	}
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}
