package sim

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// okTimeout bounds requests expected to succeed. They take milliseconds;
	// the margin is for a loaded machine running the race detector.
	okTimeout = 30 * time.Second
	// shortTimeout is the client timeout where a timeout is the outcome.
	shortTimeout = 300 * time.Millisecond
)

// newClient returns a client that trusts the sim CA, never uses a proxy and
// opens a new connection per request unless keepAlive.
func newClient(timeout time.Duration, keepAlive bool) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:             nil, // loopback only, whatever HTTP_PROXY says
			DisableKeepAlives: !keepAlive,
			TLSClientConfig:   &tls.Config{RootCAs: CertPool()},
		},
	}
}

// get fetches url and returns the status code, the body and the error.
func get(t *testing.T, c *http.Client, url string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("NewRequest(%s) = %v", url, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body), err
}

// waitFor polls cond until it holds or okTimeout has passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(okTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const loginLink = `<a href="/auth/login">Se connecter</a>`

func TestPages(t *testing.T) {
	tests := []struct {
		name     string
		portal   Behaviour
		path     string
		wantCode int
		want     []string
	}{
		{"healthy home", Healthy, "/", 200, []string{loginLink, "<title>MonLycée.net</title>"}},
		{"healthy login", Healthy, "/auth/login", 200, []string{`name="email"`, `type="password" id="password" name="password"`}},
		{"healthy elsewhere", Healthy, "/nope", 404, []string{"introuvable"}},
		{"quota page on home", QueuePage, "/", 200, []string{QuotaText, "d'utilisateurs", "<title>MonLycée.net</title>"}},
		{"quota page on login", QueuePage, "/auth/login", 200, []string{QuotaText}},
		{"kosmos restriction", Restricted, "/", 200, []string{"l'accès à l'ENT est temporairement restreint."}},
		{"white page", WhitePage, "/", 200, []string{"<body>Le service est indisponible</body>"}},
		{"white page 503", WhitePage503, "/auth/login", 503, []string{UnavailableText}},
		{"login broken, home fine", LoginBroken, "/", 200, []string{loginLink}},
		{"login broken, login 502", LoginBroken, "/auth/login", 502, []string{"<center><h1>502 Bad Gateway</h1></center>", "<hr><center>nginx</center>"}},
		{"maintenance", Maintenance, "/auth/login", 200, []string{MaintenanceText}},
	}
	c := newClient(okTimeout, false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Start(t, tt.portal, WithName("MonLycée.net"))
			code, body, err := get(t, c, p.URL()+tt.path[1:])
			if err != nil {
				t.Fatalf("GET %s = %v", tt.path, err)
			}
			if code != tt.wantCode {
				t.Errorf("GET %s: status %d, want %d", tt.path, code, tt.wantCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: body lacks %q:\n%s", tt.path, w, body)
				}
			}
		})
	}
}

func TestHealthySetsCookieAndLoginSeesIt(t *testing.T) {
	p := Start(t, Healthy)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(okTimeout, false)
	c.Jar = jar
	for _, url := range []string{p.URL(), p.LoginURL()} {
		if code, _, err := get(t, c, url); err != nil || code != 200 {
			t.Fatalf("GET %s = %d, %v; want 200", url, code, err)
		}
	}
	if !p.LoginSawCookie() {
		t.Errorf("LoginSawCookie() = false after home then login with one jar, want true")
	}
	if _, _, err := get(t, newClient(okTimeout, false), p.LoginURL()); err != nil {
		t.Fatal(err)
	}
	if p.LoginSawCookie() {
		t.Errorf("LoginSawCookie() = true after a login without cookie, want false")
	}
	if got := p.Requests(); got != 3 {
		t.Errorf("Requests() = %d, want 3", got)
	}
}

func TestSlowDelaysHeaders(t *testing.T) {
	const delay = 200 * time.Millisecond
	p := Start(t, Slow, WithDelay(delay))
	start := time.Now()
	code, body, err := get(t, newClient(okTimeout, false), p.URL())
	if elapsed := time.Since(start); elapsed < delay {
		t.Errorf("GET took %v, want at least %v", elapsed, delay)
	}
	if err != nil || code != 200 || !strings.Contains(body, loginLink) {
		t.Errorf("GET = %d, %v; want 200 with the home page", code, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestHangingTimesOut(t *testing.T) {
	p := Start(t, Hanging)
	_, _, err := get(t, newClient(shortTimeout, false), p.URL())
	if !isTimeout(err) {
		t.Errorf("GET = %v, want a client timeout", err)
	}
}

func TestResetGivesECONNRESET(t *testing.T) {
	for _, mode := range []TLSMode{PlainHTTP, ValidTLS} {
		t.Run(mode.String(), func(t *testing.T) {
			p := Start(t, Reset, WithTLS(mode))
			_, _, err := get(t, newClient(okTimeout, false), p.URL())
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("GET = %v, want ECONNRESET", err)
			}
		})
	}
}

func TestRefusedGivesECONNREFUSED(t *testing.T) {
	p := Start(t, Refused)
	_, _, err := get(t, newClient(okTimeout, false), p.URL())
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET = %v, want ECONNREFUSED", err)
	}
}

// dialTimesOut checks that a 300 ms connect to p times out.
func dialTimesOut(t *testing.T, p *Portal) {
	t.Helper()
	d := net.Dialer{Timeout: shortTimeout}
	start := time.Now()
	conn, err := d.DialContext(t.Context(), "tcp", p.Addr())
	if err == nil {
		conn.Close()
		t.Fatalf("Dial(%s) succeeded, want a timeout", p.Addr())
	}
	if !isTimeout(err) {
		t.Errorf("Dial(%s) = %v, want a timeout", p.Addr(), err)
	}
	if elapsed := time.Since(start); elapsed < 250*time.Millisecond {
		t.Errorf("Dial(%s) failed after %v, want about 300ms", p.Addr(), elapsed)
	}
}

func TestConnectTimeout(t *testing.T) {
	skipUnlessLinux(t)
	p := Start(t, ConnectTimeout)
	dialTimesOut(t, p)
	dialTimesOut(t, p) // a timed-out attempt does not free a slot
	if got := p.Requests(); got != 0 {
		t.Errorf("Requests() = %d, want 0", got)
	}
}

func TestEndlessBody(t *testing.T) {
	p := Start(t, EndlessBody)
	resp, err := newClient(okTimeout, false).Get(p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var head [15]byte
	if _, err := io.ReadFull(resp.Body, head[:]); err != nil || string(head[:]) != "<!DOCTYPE html>" {
		t.Errorf("body starts %q, %v; want <!DOCTYPE html>", head, err)
	}
	const limit = 3 << 20 // more than any max_body default; small enough for a loaded CI
	if n, err := io.CopyN(io.Discard, resp.Body, limit); n != limit {
		t.Errorf("read %d bytes (%v), want %d", n, err, limit)
	}
}

func TestRedirectLoop(t *testing.T) {
	p := Start(t, RedirectLoop)
	var hops []string
	c := newClient(okTimeout, false)
	errStop := errors.New("stop")
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		hops = append(hops, req.URL.Path)
		if len(hops) == 5 {
			return errStop
		}
		return nil
	}
	_, _, err := get(t, c, p.URL()+"auth/login")
	if !errors.Is(err, errStop) {
		t.Errorf("GET = %v, want the CheckRedirect error", err)
	}
	want := "/loop/a /loop/b /loop/a /loop/b /loop/a"
	if got := strings.Join(hops, " "); got != want {
		t.Errorf("redirects = %s, want %s", got, want)
	}
	if _, _, err := get(t, newClient(okTimeout, false), p.URL()); err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Errorf("GET with the default policy = %v, want stopped after 10 redirects", err)
	}
}

func TestFlappingAlternates(t *testing.T) {
	p := Start(t, Flapping)
	c := newClient(okTimeout, false)
	steps := []struct {
		path string
		want int
	}{{"", 200}, {"auth/login", 200}, {"", 503}, {"auth/login", 503}, {"auth/login", 503}, {"", 200}, {"", 503}}
	for i, s := range steps {
		if code, _, err := get(t, c, p.URL()+s.path); err != nil || code != s.want {
			t.Errorf("step %d: GET /%s = %d, %v; want %d", i, s.path, code, err, s.want)
		}
	}
}

func skipUnlessLinux(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("ConnectTimeout needs Linux")
	}
}
