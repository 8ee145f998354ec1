package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

// homeConfig is testConfig with two more groups, so that the search and
// the region index have something to choose from.
const homeConfig = testConfig + `
  - id: grand-est
    name: Grand Est
    components:
      - id: mbn
        name: Mon Bureau Numérique
        operator: Kosmos
        steps:
          - url: https://www.monbureaunumerique.fr/
  - id: normandie
    name: Normandie
    components:
      - id: ent27
        name: ENT27 (Eure, collèges)
        operator: Kosmos
        steps:
          - url: https://ent27.fr/
`

// newHomeStack records, from 9 h 02 in Paris, three rounds (enough to
// confirm each state) of a quota page on monlycee, a Kosmos restriction
// page on mbn, an expired certificate on ent27, and pcn working.
func newHomeStack(t *testing.T) *testStack {
	t.Helper()
	st := newTestStackWith(t, t.TempDir(), stackOptions{yaml: homeConfig})
	start := time.Date(2021, 4, 6, 7, 2, 0, 0, time.UTC)
	rounds := []probes.Result{
		{Component: "monlycee", Start: start, Status: probes.MajorOutage,
			Steps: []probes.StepResult{{URL: "https://ent.iledefrance.fr/", Outcome: probes.SoftFailure, Detail: "ode_quota", StatusCode: 200}}},
		{Component: "pcn", Start: start, Status: probes.Operational,
			Steps: []probes.StepResult{{URL: "https://ent.parisclassenumerique.fr/", Outcome: probes.OK, StatusCode: 200}}},
		{Component: "mbn", Start: start, Status: probes.MajorOutage,
			Steps: []probes.StepResult{{URL: "https://www.monbureaunumerique.fr/", Outcome: probes.SoftFailure, Detail: "kosmos_restricted", StatusCode: 200}}},
		{Component: "ent27", Start: start, Status: probes.MajorOutage,
			Steps: []probes.StepResult{{URL: "https://ent27.fr/", Outcome: probes.TLSError, Detail: "expired"}}},
	}
	for i := range 3 {
		for _, r := range rounds {
			r.Start = start.Add(time.Duration(i) * 30 * time.Second)
			if _, err := st.pipe.Record(t.Context(), r); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st
}

// Seen: "(ode_quota)", "(kosmos_restricted)" and "(expired)" on the French
// home page. Parents read plain words; the codes stay on the day pages.
func TestHomeSaysWhyInPlainWords(t *testing.T) {
	st := newHomeStack(t)
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/", []string{"page d&#39;attente : trop de connexions", "accès restreint : trop de connexions", "certificat expiré",
			`class="banner b-critical"`, "3 services sur 4 ne fonctionnent pas normalement"}},
		{"/en/", []string{"waiting page: too many connections", "access restricted: too many connections", "certificate expired",
			`class="banner b-critical"`, "3 services of 4 are not working normally"}},
	} {
		w := serveReq(st.s, http.MethodGet, tt.path, nil)
		body := w.Body.String()
		for _, want := range tt.want {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %q", tt.path, want)
			}
		}
		for _, code := range []string{"ode_quota", "kosmos_restricted", "(expired)", "soft_failure", "tls_error"} {
			if strings.Contains(body, code) {
				t.Errorf("GET %s shows the internal code %q", tt.path, code)
			}
		}
	}
	day := serveReq(st.s, http.MethodGet, "/history/monlycee/2021-04-06", nil)
	if day.Code == http.StatusOK && !strings.Contains(day.Body.String(), "ode_quota") {
		t.Errorf("GET /history/monlycee/2021-04-06 lacks the code ode_quota, which the day page keeps")
	}
}

func TestHomeReason(t *testing.T) {
	for _, tt := range []struct {
		outcome probes.Outcome
		detail  string
		code    int
		want    string
	}{
		{probes.OK, "", 200, ""},
		{probes.Slow, "", 200, "réponse lente"},
		{probes.SoftFailure, "ode_quota", 200, "page d'attente : trop de connexions"},
		{probes.SoftFailure, "my_own_pattern", 200, "page d'attente ou de saturation"},
		{probes.TLSError, "expired", 0, "certificat expiré"},
		{probes.HTTPError, "502", 502, "erreur du serveur (502)"},
		{probes.Timeout, "ttfb", 0, "pas de réponse à temps"},
	} {
		if got := french.reason(tt.outcome, tt.detail, tt.code); got != tt.want {
			t.Errorf("reason(%v, %q, %d) = %q, want %q", tt.outcome, tt.detail, tt.code, got, tt.want)
		}
	}
}

// The search filters server-side, and never stands in for the cached
// whole page.
func TestHomeSearch(t *testing.T) {
	st := newHomeStack(t)
	full := serveReq(st.s, http.MethodGet, "/", nil)
	etag := full.Header().Get("ETag")
	for _, tt := range []struct {
		q          string
		want, lack []string
	}{
		{"monlycee", []string{`id="monlycee"`, "Services pour « monlycee » : 1"}, []string{`id="pcn"`, `id="mbn"`, `id="r-grand-est"`}},
		{"MONLYCÉE", []string{`id="monlycee"`}, []string{`id="pcn"`}},
		{"kosmos", []string{`id="mbn"`, `id="ent27"`, "Services pour « kosmos » : 2"}, []string{`id="monlycee"`}},
		{"normandie", []string{`id="ent27"`}, []string{`id="mbn"`}},
		{"paris numerique", []string{`id="pcn"`}, []string{`id="monlycee"`}},
		{"eure college", []string{`id="ent27"`}, nil},
		{"atlantide", []string{"Aucun service ne correspond à « atlantide »", `href="/"`}, []string{`<table`}},
		{`<script>alert(1)</script>`, []string{"&lt;script&gt;"}, []string{"<script>"}},
	} {
		w := serveReq(st.s, http.MethodGet, "/?q="+url.QueryEscape(tt.q), nil)
		body := w.Body.String()
		if w.Code != http.StatusOK || w.Header().Get("ETag") != "" {
			t.Errorf("GET /?q=%s = %d, ETag %q; want 200 without an ETag", tt.q, w.Code, w.Header().Get("ETag"))
		}
		for _, want := range tt.want {
			if !strings.Contains(body, want) {
				t.Errorf("GET /?q=%s lacks %q", tt.q, want)
			}
		}
		for _, lack := range tt.lack {
			if strings.Contains(body, lack) {
				t.Errorf("GET /?q=%s has %q", tt.q, lack)
			}
		}
	}
	// The banner speaks of every service, whatever the search.
	if w := serveReq(st.s, http.MethodGet, "/?q=pcn", nil); !strings.Contains(w.Body.String(), "b-critical") {
		t.Errorf("GET /?q=pcn: the banner no longer says that other services are down")
	}
	// After the searches, the whole page is still the cached one.
	again := serveReq(st.s, http.MethodGet, "/", nil)
	if again.Header().Get("ETag") != etag || again.Body.String() != full.Body.String() {
		t.Errorf("GET / after searches: ETag %q, want %q and the same page", again.Header().Get("ETag"), etag)
	}
	if w := serveReq(st.s, http.MethodGet, "/en/?q=monlycee", nil); !strings.Contains(w.Body.String(), "Services for “monlycee”: 1") {
		t.Errorf("GET /en/?q=monlycee lacks the English count")
	}
	if w := serveReq(st.s, http.MethodGet, "/?q=+", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Errorf("GET /?q=+ = %d to %q, want 303 to /", w.Code, w.Header().Get("Location"))
	}
}

// Hostile searches get a page, never a 5xx, and never more than maxQuery
// characters back.
func TestHomeSearchHostile(t *testing.T) {
	st := newHomeStack(t)
	long := url.QueryEscape(strings.Repeat("é", 5000))
	for _, raw := range []string{"%ff%fe", "%00", long, "a%0d%0aSet-Cookie:x=1", strings.Repeat("%25", 2000), "q&q=2"} {
		w := serveReq(st.s, http.MethodGet, "/?q="+raw, nil)
		if w.Code >= 500 || w.Code == 0 {
			t.Errorf("GET /?q=%.40s… = %d", raw, w.Code)
		}
		if strings.Contains(w.Body.String(), strings.Repeat("é", maxQuery+1)) {
			t.Errorf("GET /?q=%.40s…: the page repeats more than %d characters of the search", raw, maxQuery)
		}
		if w.Header().Get("Set-Cookie") != "" {
			t.Errorf("GET /?q=%.40s…: Set-Cookie %q", raw, w.Header().Get("Set-Cookie"))
		}
	}
}
