package probes

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/config"
)

// component builds a check of urls directly, as the loader would with
// defaults: a "follow:" prefix makes a follow step.
func component(t *testing.T, urls ...string) *Component {
	t.Helper()
	c := &Component{ID: "test", Name: "Test", Interval: 30 * time.Second, Confirm: 2, MaxBody: 1 << 20,
		HTTPClientConfig: config.DefaultHTTPClientConfig}
	for _, u := range urls {
		st := &Step{Timeout: 5 * time.Second, DegradedAfter: 3 * time.Second, FailIfBodyMatches: BuiltinSignatures()}
		if expr, ok := strings.CutPrefix(u, "follow:"); ok {
			p, err := NewPattern(expr)
			if err != nil {
				t.Fatal(err)
			}
			st.Follow = p
		} else {
			pu, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			st.URL = pu
		}
		c.Steps = append(c.Steps, st)
	}
	return c
}

func runComponent(t *testing.T, c *Component) Result {
	t.Helper()
	ch, err := NewCheck(c, Options{})
	if err != nil {
		t.Fatalf("NewCheck: %v", err)
	}
	return ch.Run(t.Context())
}

func TestCheckFollowSharesCookies(t *testing.T) {
	var loginCookie string
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "42", Path: "/"})
		fmt.Fprint(w, `<a href="/auth/login?service=a&amp;b=1">Se connecter</a>`)
	})
	mux.HandleFunc("/auth/login", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("s"); err == nil {
			loginCookie = c.Value
		}
		if r.URL.RawQuery != "service=a&b=1" {
			http.Error(w, "bad query "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, `<form><input type="password" name="password"></form>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	c := component(t, srv.URL+"/", `follow:href="([^"]*/auth/login[^"]*)"`)
	marker, _ := NewPattern(`name="password"`)
	c.Steps[1].FailIfBodyNotMatches = []*Pattern{marker}
	r := runComponent(t, c)
	if r.Status != Operational || len(r.Steps) != 2 {
		t.Fatalf("Run() = %v with %d steps (%+v), want operational with 2", r.Status, len(r.Steps), r.Steps)
	}
	if got, want := r.Steps[1].URL, srv.URL+"/auth/login?service=a&b=1"; got != want {
		t.Errorf("follow step URL = %q, want %q", got, want)
	}
	if loginCookie != "42" {
		t.Errorf("login saw cookie %q, want 42 (one jar per round)", loginCookie)
	}
}

func TestCheckFollowMissing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<p>Accueil</p>") }))
	t.Cleanup(srv.Close)
	c := component(t, srv.URL+"/", `follow:href="([^"]*/auth/login)"`)
	c.Steps[1].Impact = ImpactPartial
	r := runComponent(t, c)
	if r.Status != PartialOutage {
		t.Errorf("Run().Status = %v, want partial_outage", r.Status)
	}
	if st := r.Steps[1]; st.Outcome != ContentMissing || st.Detail != `href="([^"]*/auth/login)"` {
		t.Errorf("follow step = %v (%s), want content_missing naming the pattern", st.Outcome, st.Detail)
	}
}

func TestCheckGzipAndLatin1(t *testing.T) {
	page := "<p>En raison d'un tr\xe8s grand nombre de connexions, l'acc\xe8s est restreint</p>" // Latin-1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=ISO-8859-1")
		if r.Header.Get("Accept-Encoding") == "gzip" {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write([]byte(page))
			zw.Close()
			return
		}
		fmt.Fprint(w, page)
	}))
	t.Cleanup(srv.Close)
	r := runComponent(t, component(t, srv.URL+"/"))
	if st := r.Steps[0]; st.Outcome != SoftFailure || st.Detail != "kosmos_restricted" {
		t.Errorf("gzip Latin-1 restriction page = %v (%s), want soft_failure (kosmos_restricted)", st.Outcome, st.Detail)
	}
	if r.Steps[0].BytesRead != int64(len(page)) {
		t.Errorf("BytesRead = %d, want %d (decompressed)", r.Steps[0].BytesRead, len(page))
	}
}

func TestCheckGzipBombIsBounded(t *testing.T) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zeros := make([]byte, 1<<20)
	for range 8 { // 8 MiB of zeros, about 8 KiB compressed
		zw.Write(zeros)
	}
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	}))
	t.Cleanup(srv.Close)
	c := component(t, srv.URL+"/")
	c.MaxBody = 64 << 10
	r := runComponent(t, c)
	if got := r.Steps[0].BytesRead; got != c.MaxBody {
		t.Errorf("BytesRead = %d, want max_body %d", got, c.MaxBody)
	}
}

func TestCheckRedirectsCountedAndTimed(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/", http.RedirectHandler("/cas/login", http.StatusFound))
	mux.Handle("/cas/login", http.RedirectHandler("/portail", http.StatusFound))
	mux.HandleFunc("/portail", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<h1>Portail</h1>") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r := runComponent(t, component(t, srv.URL+"/"))
	st := r.Steps[0]
	if st.Outcome != OK || st.Redirects != 2 || st.StatusCode != 200 {
		t.Errorf("Run() step = %v redirects=%d code=%d, want ok, 2, 200", st.Outcome, st.Redirects, st.StatusCode)
	}
	if st.Phases.Connect <= 0 || st.Phases.TTFB <= 0 {
		t.Errorf("Phases = %+v, want connect and ttfb measured", st.Phases)
	}
	if len(st.Addresses) != 1 || st.Addresses[0] != "127.0.0.1" {
		t.Errorf("Addresses = %v, want [127.0.0.1]", st.Addresses)
	}
}

func TestCheckStatusCodesAndSlow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/created":
			w.WriteHeader(http.StatusCreated)
		case "/slow":
			time.Sleep(60 * time.Millisecond) // the server is slow; the test waits on the probe, not on this
		}
		fmt.Fprint(w, "<p>ok</p>")
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name    string
		path    string
		valid   []int
		degrade time.Duration
		want    Outcome
		detail  string
		status  Status
	}{
		{"2xx by default", "/created", nil, time.Second, OK, "", Operational},
		{"explicit list refuses 201", "/created", []int{200}, time.Second, HTTPError, "201", MajorOutage},
		{"slower than degraded_after", "/slow", nil, 20 * time.Millisecond, Slow, "", DegradedPerformance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := component(t, srv.URL+tt.path)
			c.Steps[0].ValidStatusCodes, c.Steps[0].DegradedAfter = tt.valid, tt.degrade
			r := runComponent(t, c)
			if st := r.Steps[0]; st.Outcome != tt.want || st.Detail != tt.detail || r.Status != tt.status {
				t.Errorf("Run(%s) = %v (%q) status %v, want %v (%q) status %v", tt.path, st.Outcome, st.Detail, r.Status, tt.want, tt.detail, tt.status)
			}
		})
	}
}

func TestCheckSendsUserAgent(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.UserAgent():
		default:
		}
	}))
	t.Cleanup(srv.Close)
	runComponent(t, component(t, srv.URL+"/"))
	if ua := <-got; !strings.HasPrefix(ua, "Constat/") || !strings.Contains(ua, "https://") {
		t.Errorf("User-Agent = %q, want Constat/… with the site URL", ua)
	}
}

func TestCheckKeepAlive(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<p>ok</p>") }))
	t.Cleanup(srv.Close)
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprint("keep_alive=", keep), func(t *testing.T) {
			c := component(t, srv.URL+"/")
			c.KeepAlive = keep
			ch, err := NewCheck(c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			first, second := ch.Run(t.Context()), ch.Run(t.Context())
			if first.Steps[0].Phases.Connect <= 0 {
				t.Errorf("first round Phases.Connect = %v, want a connect", first.Steps[0].Phases.Connect)
			}
			if reused := second.Steps[0].Phases.Connect == 0; reused != keep {
				t.Errorf("second round Phases.Connect = %v: reused = %v, want %v", second.Steps[0].Phases.Connect, reused, keep)
			}
		})
	}
}

// isLatin1 answers as mime.ParseMediaType does, with or without its fast path.
func TestIsLatin1(t *testing.T) {
	tests := []struct {
		contentType string
		want        bool
	}{
		{"", false},
		{"text/html", false},
		{"text/html; charset=utf-8", false},
		{"text/html;charset=UTF-8", false},
		{"text/html; charset=iso-8859-1", true},
		{"text/html; CHARSET=Windows-1252", true},
		{`text/html; charset="iso-8859-15"`, true},
		{"text/html; xcharset=utf-8; charset=latin1", true},
		{"text/html; charset=utf-8x", false},
		{"text/html; charset=latin1; a=b", true},
		{"text/html; charset=latin1 garbage", false}, // unparsable: not converted
	}
	for _, tt := range tests {
		if got := isLatin1(tt.contentType); got != tt.want {
			t.Errorf("isLatin1(%q) = %v, want %v", tt.contentType, got, tt.want)
		}
	}
}
