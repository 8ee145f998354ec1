package ui

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

// Seen: /en/history.atom was 404. Each feed has an English version under
// /en, in English where Constat writes it, and the pages point feed readers
// to the feed of their language.
func TestEnglishFeedsAndAutodiscovery(t *testing.T) {
	s, id, _ := newIncidentSite(t)
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/history.atom", []string{`xml:lang="fr"`, "Constat — incidents mesurés", "Panne mesurée : monlycée.net", "Fonctionne → Indisponible", "mesure n°"}},
		{"/en/history.atom", []string{`xml:lang="en"`, "Constat — measured incidents", "Measured outage: monlycée.net", "monlycée.net: Working → Down",
			"measurement no.", `href="/en/incidents/`, "tag:constat,2021:incidents:en"}},
		{"/en/components/monlycee/history.atom", []string{`xml:lang="en"`, "Measured outage: monlycée.net", `href="/en/components/monlycee/history.atom"`}},
	} {
		w := serveReq(s, http.MethodGet, tt.path, nil)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("GET %s = %d %s", tt.path, w.Code, w.Header().Get("Content-Type"))
		}
		if err := xml.Unmarshal(w.Body.Bytes(), new(atomFeed)); err != nil {
			t.Errorf("GET %s: not Atom: %v", tt.path, err)
		}
		for _, want := range tt.want {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %q", tt.path, want)
			}
		}
	}
	if w := serveReq(s, http.MethodGet, "/en/components/nope/history.atom", nil); w.Code != http.StatusNotFound {
		t.Errorf("GET /en/components/nope/history.atom = %d, want 404", w.Code)
	}
	for _, tt := range []struct{ path, feed string }{
		{"/", `<link rel="alternate" type="application/atom+xml" href="/history.atom"`},
		{"/en/", `<link rel="alternate" type="application/atom+xml" href="/en/history.atom"`},
		{"/components/monlycee", `<link rel="alternate" type="application/atom+xml" href="/components/monlycee/history.atom"`},
		{"/en/components/monlycee", `<link rel="alternate" type="application/atom+xml" href="/en/components/monlycee/history.atom"`},
		{"/incidents/" + idString(id), `<link rel="alternate" type="application/atom+xml" href="/history.atom"`},
		{"/en/incidents/" + idString(id), `<link rel="alternate" type="application/atom+xml" href="/en/history.atom"`},
	} {
		body := serveReq(s, http.MethodGet, tt.path, nil).Body.String()
		head, _, _ := strings.Cut(body, "</head>")
		if !strings.Contains(head, tt.feed) {
			t.Errorf("GET %s: <head> lacks %s", tt.path, tt.feed)
		}
		_, foot, _ := strings.Cut(body, `<footer class="site">`)
		prefix := ""
		if strings.HasPrefix(tt.path, "/en/") {
			prefix = "/en"
		}
		for _, link := range []string{`href="` + prefix + `/methode"`, `href="` + prefix + `/history.atom"`, `href="/api/v2/summary.json"`, `href="` + sourceURL + `"`} {
			if !strings.Contains(foot, link) {
				t.Errorf("GET %s: the footer lacks a link %s", tt.path, link)
			}
		}
	}
}
