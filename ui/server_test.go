package ui

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
	"github.com/constat-ent/constat/probes"
	"github.com/prometheus/client_golang/prometheus"
)

const testConfig = `
groups:
  - id: idf
    name: Île-de-France
    components:
      - id: monlycee
        name: monlycée.net
        operator: Open Digital Education
        steps:
          - url: https://ent.iledefrance.fr/
      - id: pcn
        name: Paris Classe Numérique
        steps:
          - url: https://ent.parisclassenumerique.fr/
`

// testStack is a Server over a real timeline and accounts file in dir,
// with its pipeline: what constat serve builds, without the probes.
type testStack struct {
	cfg  *probes.Config
	tl   *timeline.Timeline
	pipe *incidents.Pipeline
	acc  *accounts.Store
	ev   *evidence.Log
	s    *Server
}

// stackOptions change what newTestStackWith builds.
type stackOptions struct {
	yaml       string           // the configuration; "" for testConfig
	now        func() time.Time // the pages' clock; nil for time.Now
	clock      func() time.Time // the accounts' clock; nil for time.Now
	trustProxy bool
	push       bool // enable the push API over a real push store in dir
}

func newTestStack(tb testing.TB, dir string) *testStack {
	tb.Helper()
	return newTestStackWith(tb, dir, stackOptions{})
}

// newTestStackWith is newTestStack built as o says. Everything is closed
// at cleanup.
func newTestStackWith(tb testing.TB, dir string, o stackOptions) *testStack {
	tb.Helper()
	if o.yaml == "" {
		o.yaml = testConfig
	}
	var site Site
	var pushSet push.Config
	cfg, err := probes.ParseConfig("test.yaml", []byte(o.yaml), site.Section(), pushSet.Section())
	if err != nil {
		tb.Fatal(err)
	}
	tl, err := timeline.Open(filepath.Join(dir, "timeline.db"), timeline.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tl.Close() })
	acc, err := accounts.Open(filepath.Join(dir, "accounts.db"), accounts.Options{
		Now: o.clock, NoSync: true, HashCost: accounts.HashCost{Time: 1, MemoryKiB: 8, Threads: 1}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { acc.Close() })
	pipe, err := incidents.NewPipeline(tl, cfg.Components, incidents.Config{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ev, err := evidence.Open(tl, evidence.Config{KeyPath: filepath.Join(dir, evidence.KeyFile), Origin: "constat.test/constat"})
	if err != nil {
		tb.Fatal(err)
	}
	var p *push.Push
	if o.push {
		p = newTestPush(tb, dir, cfg, pushSet, tl)
	}
	s, err := New(cfg, pipe, Options{Site: site, Accounts: acc, Registry: prometheus.NewRegistry(), TrustProxy: o.trustProxy, Now: o.now, Push: p, Evidence: ev})
	if err != nil {
		tb.Fatal(err)
	}
	return &testStack{cfg: cfg, tl: tl, pipe: pipe, acc: acc, ev: ev, s: s}
}

func newTestServer(tb testing.TB) (*Server, *incidents.Pipeline) {
	tb.Helper()
	st := newTestStack(tb, tb.TempDir())
	return st.s, st.pipe
}

func serveReq(s *Server, method, path string, h http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w
}

func TestHomeShowsLatestAndCaches(t *testing.T) {
	s, rec := newTestServer(t)
	start := time.Date(2021, 4, 6, 7, 2, 0, 0, time.UTC)             // 9 h 02 in Paris
	for _, at := range []time.Time{start.Add(-time.Minute), start} { // two rounds: the engine confirms
		_, err := rec.Record(t.Context(), probes.Result{Component: "monlycee", Start: at, Status: probes.MajorOutage,
			Steps: []probes.StepResult{{URL: "https://ent.iledefrance.fr/", Outcome: probes.SoftFailure, Detail: "ode_quota", StatusCode: 200,
				Phases: probes.Phases{DNS: 2 * time.Millisecond, Connect: 5 * time.Millisecond, TTFB: 80 * time.Millisecond}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	w := serveReq(s, http.MethodGet, "/", nil)
	body := w.Body.String()
	for _, want := range []string{`lang="fr"`, "Île-de-France", "Indisponible", "page d&#39;attente : trop de connexions",
		"6 avril 2021 à 9\u00a0h\u00a002", `datetime="2021-04-06T07:02:00Z"`, "Pas encore mesuré", `href="#contenu"`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET / lacks %q", want)
		}
	}
	etag := w.Header().Get("ETag")
	if w.Code != 200 || etag == "" || w.Header().Get("Cache-Control") == "" {
		t.Fatalf("GET / = %d, ETag %q, Cache-Control %q", w.Code, etag, w.Header().Get("Cache-Control"))
	}
	if w := serveReq(s, http.MethodGet, "/", http.Header{"If-None-Match": {etag}}); w.Code != http.StatusNotModified {
		t.Errorf("GET / If-None-Match = %d, want 304", w.Code)
	}
	if w := serveReq(s, http.MethodHead, "/", nil); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD / = %d with %d bytes, want 200 and no body", w.Code, w.Body.Len())
	}
	// A new result changes the page and its ETag (at most once per
	// minRender, which the test lowers).
	s.homePages[french].minAge = 0
	rec.Record(t.Context(), probes.Result{Component: "monlycee", Start: start.Add(time.Minute), Status: probes.Operational,
		Steps: []probes.StepResult{{Outcome: probes.OK, StatusCode: 200}}})
	if w := serveReq(s, http.MethodGet, "/", http.Header{"If-None-Match": {etag}}); w.Code != 200 || w.Header().Get("ETag") == etag {
		t.Errorf("after a new result: %d, ETag %q; want 200 and a new ETag", w.Code, w.Header().Get("ETag"))
	}
}

func TestUnknownPathIs404WithoutDetails(t *testing.T) {
	s, _ := newTestServer(t)
	w := serveReq(s, http.MethodGet, "/nope/../../etc", nil)
	if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "echo") {
		t.Errorf("GET unknown = %d %q, want a bare 404", w.Code, w.Body.String())
	}
}

// Every catalogue key a template names has a French text, and an English
// one when the template is a public page's; so has every status and
// outcome a page can show.
func TestCatalogueCoversTemplates(t *testing.T) {
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(path)
		if err != nil {
			return err
		}
		public := !strings.HasPrefix(filepath.Base(path), "admin_")
		for _, m := range templateKeyRe.FindAllStringSubmatch(string(b), -1) {
			for l := range numLangs {
				if _, ok := langSpecs[l].msgs[m[1]]; !ok && (l == french || public) {
					t.Errorf("%s uses key %q, missing from the %s catalogue", path, m[1], l)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for l := range numLangs {
		for s := probes.Status(0); s.Valid() || s == 0; s++ {
			if _, ok := langSpecs[l].msgs["status."+s.String()]; !ok {
				t.Errorf("no %s text for status %s", l, s)
			}
		}
		for o := probes.Outcome(0); o.Valid() || o == 0; o++ {
			if _, ok := langSpecs[l].msgs["outcome."+o.String()]; !ok {
				t.Errorf("no %s text for outcome %s", l, o)
			}
		}
	}
}

// templateKeyRe finds the catalogue keys a template names: {{t "x"}},
// (t "x"), {{tf "x" …}}, {{markup "x" …}}.
var templateKeyRe = regexp.MustCompile(`\b(?:t|tf|markup) "([^"]+)"`)

func TestHeure(t *testing.T) {
	tests := []struct {
		l    lang
		in   time.Time
		want string
	}{
		{french, time.Date(2021, 4, 6, 7, 2, 0, 0, time.UTC), "6 avril 2021 à 9\u00a0h\u00a002"},   // summer time
		{french, time.Date(2020, 3, 16, 8, 30, 0, 0, time.UTC), "16 mars 2020 à 9\u00a0h\u00a030"}, // winter time
		{french, time.Time{}, ""},
		{english, time.Date(2021, 4, 6, 7, 2, 0, 0, time.UTC), "6 April 2021 at 09:02 Paris time"},
		{english, time.Date(2020, 3, 16, 8, 30, 0, 0, time.UTC), "16 March 2020 at 09:30 Paris time"},
		{english, time.Time{}, ""},
	}
	for _, tt := range tests {
		if got := tt.l.heure(tt.in); got != tt.want {
			t.Errorf("%s.heure(%v) = %q, want %q", tt.l, tt.in, got, tt.want)
		}
	}
	if got, want := heure(tests[0].in), tests[0].want; got != want {
		t.Errorf("heure(%v) = %q, want the French %q", tests[0].in, got, want)
	}
}

// A rush of results renders the page at most once per minRender, and
// requests meanwhile get the previous version.
func TestHomeRendersAtMostOncePerMinRender(t *testing.T) {
	s, rec := newTestServer(t)
	s.homePages[french].minAge = time.Hour // no machine is that slow: the test cannot race the clock
	first := serveReq(s, http.MethodGet, "/", nil).Header().Get("ETag")
	for i := range 5 {
		rec.Record(t.Context(), probes.Result{Component: "pcn", Start: time.Date(2021, 4, 6, 7, i, 0, 0, time.UTC), Status: probes.Operational,
			Steps: []probes.StepResult{{Outcome: probes.OK, StatusCode: 200}}})
		if got := serveReq(s, http.MethodGet, "/", nil).Header().Get("ETag"); got != first {
			t.Fatalf("ETag changed to %s within minRender of the first render", got)
		}
	}
	s.homePages[french].minAge = 0
	if got := serveReq(s, http.MethodGet, "/", nil).Header().Get("ETag"); got == first {
		t.Errorf("ETag still %s once minRender passed, want a new render", got)
	}
}

// The pages share one cached stylesheet instead of repeating their styles.
func TestStylesheet(t *testing.T) {
	s, _ := newTestServer(t)
	w := serveReq(s, http.MethodGet, "/style.css", nil)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(w.Body.String(), ".skip") {
		t.Fatalf("GET /style.css = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	for _, path := range []string{"/", "/methode", "/history/monlycee/2021-04-06"} {
		body := serveReq(s, http.MethodGet, path, nil).Body.String()
		if !strings.Contains(body, `<link rel="stylesheet" href="/style.css">`) || strings.Contains(body, "<style>") {
			t.Errorf("GET %s does not use the shared stylesheet", path)
		}
	}
}

// A page slow to render is kept longer, so rendering takes at most a tenth
// of a core; a fast one keeps minRender; minAge 0 (tests) renders on every
// change.
func TestPageCacheAgeFollowsRenderCost(t *testing.T) {
	var pc pageCache
	pc.minAge = time.Second
	if _, err := pc.get(1, func() (*renderedPage, error) { return &renderedPage{gen: 1, at: time.Now()}, nil }); err != nil {
		t.Fatal(err)
	}
	if pc.cost.Load() <= 0 {
		t.Errorf("cost after a render = %d ns, want it measured", pc.cost.Load())
	}
	for _, tt := range []struct {
		minAge, cost, want time.Duration
	}{
		{time.Second, 10 * time.Millisecond, time.Second},
		{time.Second, 300 * time.Millisecond, 3 * time.Second},
		{0, 300 * time.Millisecond, 0},
	} {
		pc.minAge = tt.minAge
		pc.cost.Store(int64(tt.cost))
		if got := pc.maxAge(); got != tt.want {
			t.Errorf("maxAge with minAge %v and a %v render = %v, want %v", tt.minAge, tt.cost, got, tt.want)
		}
	}
}
