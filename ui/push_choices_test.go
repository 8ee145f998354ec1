package ui

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const pushYAML = "push:\n  subject: mailto:a@constat.test\n  allowed_services: [\"push.constat.test\"]\n"

// newRegionsPushStack is regionsConfig with the push API, summarised at
// testScale: a region of 7 services on 3 pages, and one of 2.
func newRegionsPushStack(t *testing.T) *testStack {
	t.Helper()
	st := newTestStackWith(t, t.TempDir(), stackOptions{yaml: regionsConfig() + pushYAML, push: true})
	st.s.scale = testScale
	return st
}

// TestPushChoices: past the threshold the form's list names the regions
// and their sizes without their services, which come a region page at a
// time; below it, the list has every service, as the form showed them.
func TestPushChoices(t *testing.T) {
	st := newRegionsPushStack(t)
	get := func(path string, v any) int {
		t.Helper()
		w := serveReq(st.s, http.MethodGet, path, nil)
		if w.Code == http.StatusOK {
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("GET %s: Content-Type %q", path, ct)
			}
			if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
				t.Fatalf("GET %s: %v in %s", path, err, w.Body)
			}
		}
		return w.Code
	}
	var list choicesDoc
	if code := get("/api/v1/push/choices", &list); code != 200 || !list.Summarised || len(list.Groups) != 2 ||
		list.Groups[0].ID != "big" || list.Groups[0].Name != "Académie de Versailles" || list.Groups[0].Count != 7 || list.Groups[0].Components != nil || list.Groups[1].Count != 2 || list.Groups[1].Components != nil {
		t.Errorf("GET /api/v1/push/choices = %d %+v; want the two regions, counted, without their services", code, list)
	}
	ids := func(g choiceGroup) string {
		var out []string
		for _, c := range g.Components {
			out = append(out, c.ID+"="+c.Name)
		}
		return strings.Join(out, ",")
	}
	for _, tt := range []struct {
		path, want string
		page       int
	}{
		{"/api/v1/push/choices/big", "big-0=Collège n° 0,big-1=Collège n° 1,big-2=Collège n° 2", 1},
		{"/api/v1/push/choices/big/3", "big-6=Collège n° 6", 3},
		{"/api/v1/push/choices/small", "small-0=Lycée n° 0,small-1=Lycée n° 1", 1},
	} {
		var g choiceGroup
		if code := get(tt.path, &g); code != 200 || ids(g) != tt.want || g.Page != tt.page || g.Pages != st.s.regionPageCount(g.Count) {
			t.Errorf("GET %s = %d %+v; want page %d: %s", tt.path, code, g, tt.page, tt.want)
		}
	}
	for _, path := range []string{"/api/v1/push/choices/big/4", "/api/v1/push/choices/big/1", "/api/v1/push/choices/big/02", "/api/v1/push/choices/nowhere"} {
		if w := serveReq(st.s, http.MethodGet, path, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, w.Code)
		}
	}
	// Cached and compressed as the other documents: a revalidation is a 304.
	w := serveReq(st.s, http.MethodGet, "/api/v1/push/choices/big", http.Header{"Accept-Encoding": {"gzip"}})
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("ETag") == "" {
		t.Errorf("GET /api/v1/push/choices/big with gzip: %v", w.Header())
	}
	if w2 := serveReq(st.s, http.MethodGet, "/api/v1/push/choices/big", http.Header{"Accept-Encoding": {"gzip"}, "If-None-Match": {w.Header().Get("ETag")}}); w2.Code != http.StatusNotModified {
		t.Errorf("revalidating /api/v1/push/choices/big = %d, want 304", w2.Code)
	}

	// Below the threshold: one list, every service in its region.
	small := newPushStack(t, 10)
	w = serveReq(small.s, http.MethodGet, "/api/v1/push/choices", nil)
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || list.Summarised || len(list.Groups) == 0 || len(list.Groups[0].Components) != list.Groups[0].Count {
		t.Errorf("GET /api/v1/push/choices below the threshold = %s, %v; want every service", w.Body, err)
	}
}

// TestAlertsSectionSaysWhere: each page tells the script what it is
// about, so that the form fetches no list it does not show; a component
// page links to its alerts from its state line.
func TestAlertsSectionSaysWhere(t *testing.T) {
	st := newRegionsPushStack(t)
	for _, tt := range []struct {
		path       string
		want, lack []string
	}{
		{"/", []string{`data-component="" data-component-name="" data-group="" data-group-name=""`}, []string{"data-page="}},
		{"/region/big/2", []string{`data-group="big" data-group-name="Académie de Versailles" data-page="2"`, `data-all="toute la région"`}, nil},
		{"/en/region/small", []string{`data-group="small" data-group-name="Normandie" data-page="1"`, `data-all="the whole region"`}, nil},
		{"/components/big-4", []string{`data-component="big-4" data-component-name="Collège n° 4" data-group="big" data-group-name="Académie de Versailles"`,
			`<a href="#alertes">Recevoir une alerte</a>`}, nil},
		{"/en/components/small-1", []string{`data-component="small-1" data-component-name="Lycée n° 1" data-group="small"`, `<a href="#alertes">Get an alert</a>`}, nil},
	} {
		w := serveReq(st.s, http.MethodGet, tt.path, nil)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", tt.path, w.Code)
		}
		checkBody(t, "GET "+tt.path, w.Body.String(), tt.want, tt.lack)
	}
}
