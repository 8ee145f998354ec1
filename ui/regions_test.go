package ui

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
)

// testScale summarises past 3 services, splits regions every 3 and shows 2
// search results: the shapes of 10,000 services, at a test's size.
var testScale = scaleLimits{summaryAbove: 3, regionRows: 3, searchRows: 2}

// regionsConfig has a region of 7 services (3 pages at testScale), 6 of
// which fail, and a region of 2 that work.
func regionsConfig() string {
	var b strings.Builder
	b.WriteString("groups:\n  - id: big\n    name: Académie de Versailles\n    components:\n")
	for i := range 7 {
		fmt.Fprintf(&b, "      - {id: big-%d, name: Collège n° %d, operator: Vie scolaire, steps: [url: 'https://big-%d.test/']}\n", i, i, i)
	}
	b.WriteString("  - id: small\n    name: Normandie\n    components:\n")
	for i := range 2 {
		fmt.Fprintf(&b, "      - {id: small-%d, name: Lycée n° %d, steps: [url: 'https://small-%d.test/']}\n", i, i, i)
	}
	return b.String()
}

// newRegionsStack records three rounds (enough to confirm) of every
// service of regionsConfig: big-0 to big-5 serve a quota page, the others
// work. The server summarises at testScale.
func newRegionsStack(t *testing.T) *testStack {
	t.Helper()
	st := newTestStackWith(t, t.TempDir(), stackOptions{yaml: regionsConfig()})
	st.s.scale = testScale
	start := time.Date(2021, 4, 6, 7, 2, 0, 0, time.UTC)
	for round := range 3 {
		for _, c := range st.cfg.Components {
			r := probes.Result{Component: c.ID, Start: start.Add(time.Duration(round) * 30 * time.Second), Status: probes.Operational,
				Steps: []probes.StepResult{{URL: "https://" + c.ID + ".test/", Outcome: probes.OK, StatusCode: 200}}}
			if strings.HasPrefix(c.ID, "big-") && c.ID != "big-6" {
				r.Status, r.Steps[0].Outcome, r.Steps[0].Detail = probes.MajorOutage, probes.SoftFailure, "ode_quota"
			}
			if _, err := st.pipe.Record(t.Context(), r); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st
}

// checkBody fails the test for each of want that body lacks and each of
// lack that it has.
func checkBody(t *testing.T, what, body string, want, lack []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
	for _, l := range lack {
		if strings.Contains(body, l) {
			t.Errorf("%s has %q", what, l)
		}
	}
}

// Past the threshold, the home page keeps the banner, the search and the
// open incidents, and says each region in one line linking to its page;
// a region with few failing services names them.
func TestHomeSummarisesByRegion(t *testing.T) {
	for _, tt := range []struct {
		name       string
		st         func(*testing.T) *testStack
		path       string
		want, lack []string
	}{
		{"few failing, named", newHomeStack, "/", []string{`class="banner b-critical"`, "3 services sur 4 ne fonctionnent pas normalement",
			`<form class="find"`, `<h2 id="incidents">`, `<h2 id="regions">Par région</h2>`,
			`<a href="/region/idf">Île-de-France</a> : <span class="s-major_outage">2 services, 1 en panne</span><small><a href="/components/monlycee">monlycée.net</a> (Indisponible)</small>`,
			`<a href="/region/normandie">Normandie</a> : <span class="s-major_outage">1 service, 1 en panne</span>`},
			[]string{`<table`, `id="pcn"`, "Aller à ma région"}},
		{"few failing, in English", newHomeStack, "/en/", []string{`class="banner b-critical"`, "By region",
			`<a href="/en/region/idf">Île-de-France</a>: <span class="s-major_outage">2 services, 1 down</span><small><a href="/en/components/monlycee">monlycée.net</a> (Down)</small>`},
			[]string{`<table`, `href="/region/`}},
		{"many failing, counted", newRegionsStack, "/", []string{
			`<a href="/region/big">Académie de Versailles</a> : <span class="s-major_outage">7 services, 6 en panne</span></li>`,
			`<a href="/region/small">Normandie</a> : <span class="s-operational">2 services, tous fonctionnent</span></li>`,
			"6 services sur 9 ne fonctionnent pas normalement"},
			[]string{`<table`, `href="/components/big-0"`}},
		{"many failing, in English", newRegionsStack, "/en/", []string{"7 services, 6 down", "2 services, all working"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st(t)
			st.s.scale = testScale
			w := serveReq(st.s, http.MethodGet, tt.path, nil)
			if w.Code != http.StatusOK || w.Header().Get("ETag") == "" {
				t.Fatalf("GET %s = %d, ETag %q", tt.path, w.Code, w.Header().Get("ETag"))
			}
			checkBody(t, "GET "+tt.path, w.Body.String(), tt.want, tt.lack)
		})
	}
}

// Below the threshold the home page is today's, row by row.
func TestHomeBelowThresholdListsEveryRow(t *testing.T) {
	st := newHomeStack(t)
	st.s.scale = scaleLimits{summaryAbove: 4, regionRows: 3, searchRows: 2} // 4 services: not past it
	body := serveReq(st.s, http.MethodGet, "/", nil).Body.String()
	checkBody(t, "GET /", body, []string{`<table class="svc" id="r-idf">`, `<tr id="pcn">`, "Aller à ma région"}, []string{`href="/region/`})
}

// A region's page has the home page's rows, a page at a time, linked to
// the others in its language; a wrong region or page is a 404 page.
func TestRegionPages(t *testing.T) {
	st := newRegionsStack(t)
	for _, tt := range []struct {
		path       string
		want, lack []string
	}{
		{"/region/big", []string{`<h1>Académie de Versailles</h1>`, `<span class="s-major_outage">7 services, 6 en panne</span>`,
			`<table class="svc" id="r-big">`, `<tr id="big-0">`, `<a href="/components/big-2">Collège n° 2</a>`, "page d&#39;attente : trop de connexions",
			`<span aria-current="page">1</span>`, `<a href="/region/big/2">2</a>`, `<a href="/region/big/3">3</a>`, "Services 1 à 3 sur 7",
			`<a href="/#regions">Toutes les régions</a>`, `hreflang="en" lang="en"`, `href="/en/region/big"`, `<svg class="bars"`},
			[]string{`<tr id="big-3">`, `id="small-0"`}},
		{"/region/big/3", []string{`<tr id="big-6">`, "Services 7 à 7 sur 7", `<a href="/region/big">1</a>`, `<span aria-current="page">3</span>`},
			[]string{`<tr id="big-5">`}},
		{"/en/region/big/2", []string{`<html lang="en">`, "7 services, 6 down", `<tr id="big-3">`, `<a href="/en/components/big-3">`,
			"waiting page: too many connections", `<a href="/en/region/big">1</a>`, `<a href="/en/region/big/3">3</a>`, "Services 4 to 6 of 7",
			`<a href="/en/#regions">All regions</a>`, `href="/region/big/2"`},
			[]string{`<tr id="big-2">`, `<a href="/region/big/3">`}},
		{"/region/small", []string{"2 services, tous fonctionnent", `<tr id="small-1">`}, []string{`class="pages"`}},
	} {
		t.Run(tt.path, func(t *testing.T) {
			w := serveReq(st.s, http.MethodGet, tt.path, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s = %d", tt.path, w.Code)
			}
			checkBody(t, "GET "+tt.path, w.Body.String(), tt.want, tt.lack)
		})
	}
	for _, path := range []string{"/region/nope", "/region/big/4", "/region/big/1", "/region/big/02", "/region/big/0", "/region/big/-1", "/en/region/big/x"} {
		if w := serveReq(st.s, http.MethodGet, path, nil); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `id="contenu"`) {
			t.Errorf("GET %s = %d, want the 404 page", path, w.Code)
		}
	}
}

// A region page is cached and compressed like the home page: an ETag per
// encoding, 304 on a match, no body for HEAD, and a new render after a
// change.
func TestRegionPageCached(t *testing.T) {
	st := newRegionsStack(t)
	st.s.regions.minAge = 0
	w := serveReq(st.s, http.MethodGet, "/region/small", http.Header{"Accept-Encoding": {"br"}})
	etag := w.Header().Get("ETag")
	if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "br" || etag == "" || w.Header().Get("Cache-Control") == "" {
		t.Fatalf("GET /region/small (br) = %d, encoding %q, ETag %q, Cache-Control %q", w.Code, w.Header().Get("Content-Encoding"), etag, w.Header().Get("Cache-Control"))
	}
	if w := serveReq(st.s, http.MethodGet, "/region/small", http.Header{"Accept-Encoding": {"br"}, "If-None-Match": {etag}}); w.Code != http.StatusNotModified {
		t.Errorf("GET /region/small If-None-Match = %d, want 304", w.Code)
	}
	if w := serveReq(st.s, http.MethodHead, "/region/small", nil); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD /region/small = %d with %d bytes", w.Code, w.Body.Len())
	}
	if _, err := st.pipe.Record(t.Context(), probes.Result{Component: "small-0", Start: time.Date(2021, 4, 6, 7, 5, 0, 0, time.UTC), Status: probes.Operational,
		Steps: []probes.StepResult{{Outcome: probes.OK, StatusCode: 200}}}); err != nil {
		t.Fatal(err)
	}
	if w := serveReq(st.s, http.MethodGet, "/region/small", http.Header{"Accept-Encoding": {"br"}, "If-None-Match": {etag}}); w.Code != http.StatusOK {
		t.Errorf("GET /region/small after a new result = %d, want 200 and a new page", w.Code)
	}
}

// Past the threshold the search still finds a service among all, shows at
// most scale.searchRows of the matches, says how many there are, and keeps
// the banner of every service.
func TestSearchPastThreshold(t *testing.T) {
	st := newRegionsStack(t)
	for _, tt := range []struct {
		path       string
		want, lack []string
	}{
		{"/?q=college+6", []string{`<tr id="big-6">`, "Services pour « college 6 » : 1", `class="banner b-critical"`, "6 services sur 9"},
			[]string{`<tr id="big-5">`, "premiers"}},
		{"/?q=lycee", []string{`<tr id="small-0">`, `<tr id="small-1">`, "Services pour « lycee » : 2 — "}, []string{"premiers", `id="big-0"`}},
		{"/?q=versailles", []string{"Services pour « versailles » : 7, voici les 2 premiers : précisez la recherche pour les autres",
			`<tr id="big-0">`, `<tr id="big-1">`, `class="banner b-critical"`}, []string{`<tr id="big-2">`}},
		{"/en/?q=versailles", []string{"Services for “versailles”: 7, here are the first 2: add words to find the others"}, nil},
		{"/?q=atlantide", []string{"Aucun service ne correspond à « atlantide »"}, []string{"<table"}},
	} {
		w := serveReq(st.s, http.MethodGet, tt.path, nil)
		if w.Code != http.StatusOK || w.Header().Get("ETag") != "" {
			t.Errorf("GET %s = %d, ETag %q; want 200 without an ETag", tt.path, w.Code, w.Header().Get("ETag"))
		}
		checkBody(t, "GET "+tt.path, w.Body.String(), tt.want, tt.lack)
	}
}

// The static copy has the region pages the summarised home page links to.
func TestExportWritesRegionPages(t *testing.T) {
	st := newRegionsStack(t)
	dir := t.TempDir()
	if _, err := st.s.Export(dir, 1); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"region/big/index.html", "region/big/3/index.html", "en/region/small/index.html"} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			t.Errorf("export lacks %s: %v", f, err)
		}
	}
}

// An outage of a whole region is named by its first maxNamed services and
// how many others, not by hundreds of names.
func TestAutoNameIsBounded(t *testing.T) {
	names := map[string]string{}
	var comps []string
	for i := range 7 {
		id := fmt.Sprintf("c%d", i)
		names[id], comps = fmt.Sprintf("Collège %d", i), append(comps, id)
	}
	for _, tt := range []struct {
		l     lang
		comps []string
		want  string
	}{
		{french, comps[:2], "Panne mesurée : Collège 0, Collège 1"},
		{french, comps[:5], "Panne mesurée : Collège 0, Collège 1, Collège 2, Collège 3, Collège 4"},
		{french, comps, "Panne mesurée : Collège 0, Collège 1, Collège 2, Collège 3, Collège 4 et 2 autres"},
		{english, comps, "Measured outage: Collège 0, Collège 1, Collège 2, Collège 3, Collège 4 and 2 others"},
	} {
		if got := autoName(tt.l, incidents.IncidentSummary{Components: tt.comps}, names); got != tt.want {
			t.Errorf("autoName(%s, %d components) = %q, want %q", tt.l, len(tt.comps), got, tt.want)
		}
	}
}

// A region whose services all work by their confirmed state, but whose
// latest round failed for one, does not say "tous fonctionnent": it says a
// failure awaits confirmation (seen at 10,000 services, every first round
// failing: "✓ 500 services, 499 pas encore mesurés" over a failed round).
// A slow round or a maintenance awaiting confirmation is no failure.
func TestRegionLineSaysPendingFailures(t *testing.T) {
	rows := []rowView{
		{Measured: true, Status: "operational", Pending: "major_outage"},
		{Measured: true, Status: "operational", Pending: "partial_outage"},
		{Measured: true, Status: "operational", Pending: "degraded_performance"},
		{Measured: true, Status: "operational"},
		{},
	}
	var tally regionTally
	for i := range rows {
		tally.add(&rows[i])
	}
	if got, want := tally.text(french), "5 services, 2 en échec (à confirmer), 1 pas encore mesuré"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	var ok regionTally
	for i := 2; i < 4; i++ {
		ok.add(&rows[i])
	}
	if got, want := ok.text(english), "2 services, all working"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
}
