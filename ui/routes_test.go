package ui

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// No public route answers 5xx, whatever its path parameters and query: a
// malformed request is the client's error (400 or 404), never the
// server's. Every GET route is tried with real, malformed and hostile
// parameter values, each with hostile queries.
func TestNoRouteAnswers5xx(t *testing.T) {
	s, id, today := newIncidentSite(t)
	params := map[string][]string{
		"id":        {"monlycee", strconv.FormatUint(id, 10), "9999999999999999999999", "-1", "0", "%00", "..%2F..%2Fetc", strings.Repeat("a", 5000)},
		"component": {"monlycee", "absent", "%00", strings.Repeat("é", 500)},
		"file":      {"monlycee.svg", "absent.svg", "monlycee"},
		"day":       {today, today + ".csv", "2021-02-30", "0000-00-00", "9999-12-31", "2021-04-06.csv.csv", "%ff"},
		"n":         {"0", "3", "99999999", "18446744073709551616", "-1", "01", "+1", "%00"},
		"*":         {"0/000", "0/000.p/3", "entries/000.p/2", "1/000.p/1", "0/x001/000", "63/999", "0/%00", "entries/000.p/0", "x/000"},
	}
	queries := []string{"", "from=x&to=y", "from=2021-04-07&to=2021-04-06", "limit=-1", "limit=99999999999999999999",
		"after=%zz", "after=" + strings.Repeat("9", 40), "after=1-2-3", "from=" + url.QueryEscape("2021-04-06T25:00:00Z"), "format=%00&a=%",
		"index=1&size=3", "index=3&size=1", "index=0&size=99999999999", "old=1&new=3", "old=0&new=1",
		"old=3&new=1", "old=1&new=9223372036854775808", "after=-1", "after=01", "index=%00&size=1"}
	tried := 0
	for _, r := range s.e.Routes() {
		if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/admin") || strings.HasPrefix(r.Path, "/api/admin") {
			continue
		}
		for _, path := range expand(r.Path, params) {
			for _, q := range queries {
				target := path
				if q != "" {
					target += "?" + q
				}
				w := serveReq(s, http.MethodGet, target, nil)
				tried++
				if w.Code >= 500 {
					t.Errorf("GET %s = %d, want a client error at worst", target, w.Code)
				}
			}
		}
	}
	if tried < 200 {
		t.Errorf("tried %d requests, want the public routes covered", tried)
	}
}

// expand replaces each :name of a route path by each of params[name].
func expand(path string, params map[string][]string) []string {
	out := []string{""}
	for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		vals := []string{seg}
		if name, ok := strings.CutPrefix(seg, ":"); ok || seg == "*" {
			if !ok {
				name = seg
			}
			vals = params[name]
			if vals == nil {
				vals = []string{"x"}
			}
		}
		var next []string
		for _, prefix := range out {
			for _, v := range vals {
				next = append(next, prefix+"/"+v)
			}
		}
		out = next
	}
	return out
}

// Every public answer (page, JSON, feed, CSV, badge, style sheet, error)
// carries the security headers, and HSTS exactly when it was served over
// HTTPS: directly, or through a trusted proxy saying so.
func TestPublicSecurityHeaders(t *testing.T) {
	s, id, today := newIncidentSite(t)
	paths := []string{"/", "/en/", "/methode", "/incidents/" + strconv.FormatUint(id, 10), "/components/monlycee",
		"/history/monlycee/" + today, "/history/monlycee/" + today + ".csv", "/api/v2/summary.json", "/history.atom",
		"/badge/monlycee.svg", "/api/v1/components/monlycee/measurements.csv", "/style.css", "/absent", "/api/v1/components/absent/measurements"}
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": publicCSP,
		"Referrer-Policy":         "strict-origin-when-cross-origin",
		"X-Frame-Options":         "DENY",
	}
	for _, path := range paths {
		w := serveReq(s, http.MethodGet, path, nil)
		for k, v := range want {
			if got := w.Header().Get(k); got != v {
				t.Errorf("GET %s (%d): %s = %q, want %q", path, w.Code, k, got, v)
			}
		}
		if !strings.Contains(want["Content-Security-Policy"], "frame-ancestors 'none'") {
			t.Errorf("the policy does not forbid framing")
		}
		if h := w.Header().Get("Strict-Transport-Security"); h != "" {
			t.Errorf("GET %s over plain HTTP: Strict-Transport-Security = %q, want none", path, h)
		}
	}
	tests := []struct {
		name       string
		trustProxy bool
		tls        bool
		proto      string
		hsts       bool
	}{
		{"TLS", false, true, "", true},
		{"untrusted proxy saying https", false, false, "https", false},
		{"trusted proxy saying https", true, false, "https", true},
		{"trusted proxy saying http", true, false, "http", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.trustProxy = tt.trustProxy
			t.Cleanup(func() { s.trustProxy = false })
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, req)
			if got := w.Header().Get("Strict-Transport-Security"); (got != "") != tt.hsts || (tt.hsts && !strings.HasPrefix(got, "max-age=")) {
				t.Errorf("GET / (%s): Strict-Transport-Security = %q, want set: %v", tt.name, got, tt.hsts)
			}
		})
	}
}
