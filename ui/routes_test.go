package ui

import (
	"net/http"
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
		"day":       {today, today + ".csv", "2021-02-30", "0000-00-00", "9999-12-31", "2021-04-06.csv.csv", "%ff"},
	}
	queries := []string{"", "from=x&to=y", "from=2021-04-07&to=2021-04-06", "limit=-1", "limit=99999999999999999999",
		"cursor=%zz", "cursor=" + strings.Repeat("9", 40), "from=" + url.QueryEscape("2021-04-06T25:00:00Z"), "format=%00&a=%"}
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
		if name, ok := strings.CutPrefix(seg, ":"); ok {
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
