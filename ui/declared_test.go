package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

var morning0406 = time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC)

// recordRounds records monlycee's and pcn's rounds, one a minute from
// 9:00 Paris time; ok says which of monlycee's work (pcn's always do).
func recordRounds(t *testing.T, svc *incidents.Pipeline, ok ...bool) {
	t.Helper()
	for i, good := range ok {
		pcn := quotaRound(i, true)
		pcn.Component, pcn.Steps[0].URL = "pcn", "https://ent.parisclassenumerique.fr/"
		for _, r := range []probes.Result{quotaRound(i, good), pcn} {
			if _, err := svc.Record(t.Context(), r); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func getBody(t *testing.T, s *Server, path string) string {
	t.Helper()
	w := serveReq(s, http.MethodGet, path, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", path, w.Code)
	}
	return w.Body.String()
}

// Seen: /api/v2/incidents.json with no incidents gave "incidents": null.
// Every list of every v2 document is [] when empty.
func TestStatuspageListsNeverNull(t *testing.T) {
	s, _, _ := newPublicServer(t, morning0406)
	lists := map[string]bool{"components": true, "incidents": true, "scheduled_maintenances": true,
		"incident_updates": true, "affected_components": true}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if lists[k] && x == nil {
					t.Errorf("%s: %q is null, want []", path, k)
				}
				walk(path, x)
			}
		case []any:
			for _, x := range v {
				walk(path, x)
			}
		}
	}
	for _, path := range []string{"/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json",
		"/api/v2/incidents.json", "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
		"/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json"} {
		var doc any
		if err := json.Unmarshal([]byte(getBody(t, s, path)), &doc); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		walk(path, doc)
	}
}

// Seen at start-up: "Tous les services mesurés fonctionnent" and indicator
// none before any measurement.
func TestStartingSaysMeasuringHasBegun(t *testing.T) {
	s, svc, _ := newPublicServer(t, morning0406)
	s.homePages[french].minAge = 0
	check := func(when string, starting bool) {
		t.Helper()
		body := getBody(t, s, "/")
		if got := strings.Contains(body, "Mesure en cours de démarrage"); got != starting {
			t.Errorf("%s: home says measuring has begun = %v, want %v", when, got, starting)
		}
		if got := strings.Contains(body, fr["api.status.none"]); got == starting {
			t.Errorf("%s: home says %q = %v, want %v", when, fr["api.status.none"], got, !starting)
		}
		var doc spStatusDoc
		getJSON(t, s, "/api/v2/status.json", &doc)
		if got := doc.Status.Indicator == "none"; got == starting {
			t.Errorf("%s: status.json = %+v, want indicator none only once every service was measured", when, doc.Status)
		}
	}
	check("before any round", true)
	r := quotaRound(0, true)
	if _, err := svc.Record(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	check("monlycee measured, pcn not", true)
	r.Component, r.Steps[0].URL = "pcn", "https://ent.parisclassenumerique.fr/"
	if _, err := svc.Record(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	check("both measured", false)
}

// newDeclaredSite serves monlycee and pcn working, and an incident the
// Constat team declared on pcn (major outage, cause identified).
func newDeclaredSite(t *testing.T) (*Server, incidents.Update) {
	t.Helper()
	s, svc, adm := newPublicServer(t, morning0406.Add(10*time.Minute))
	s.homePages[french].minAge = 0
	recordRounds(t, svc, true, true, true)
	up, err := adm.PostUpdate(t.Context(), "camille", incidents.UpdateInput{Status: incidents.StatusIdentified, Impact: incidents.ImpactMajor,
		Title: "Connexion impossible à Pronote depuis l'ENT", Body: "Le lien vers Pronote échoue.",
		Components: []timeline.Affected{{Component: "pcn", Status: probes.MajorOutage}}})
	if err != nil {
		t.Fatal(err)
	}
	return s, up
}

// Seen: an incident declared by an admin was in the API and Atom but on no
// page, its component still said "Fonctionne", an admin's title and status
// on a measured incident showed nowhere, and old_status was "".
func TestDeclaredIncidentOnPages(t *testing.T) {
	s, up := newDeclaredSite(t)
	home := getBody(t, s, "/")
	for _, want := range []string{"Connexion impossible à Pronote depuis l&#39;ENT", esc(fr["inc.origin.declared"]), fr["incstatus.identified"],
		fmt.Sprintf(`href="/incidents/%d"`, up.Incident)} {
		if !strings.Contains(home, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	row := regexp.MustCompile(`(?s)<tr id="pcn">.*?</tr>`).FindString(home)
	if !strings.Contains(row, `class="s-major_outage"`) || strings.Contains(row, fr["status.operational"]) {
		t.Errorf("home row of pcn = %s, want the declared impact (major outage), not %q", row, fr["status.operational"])
	}
	comp := getBody(t, s, "/components/pcn")
	if !strings.Contains(comp, "Connexion impossible") || !strings.Contains(comp, esc(fr["inc.origin.declared"])) {
		t.Errorf("component page of pcn lacks the declared incident")
	}
	inc := getBody(t, s, fmt.Sprintf("/incidents/%d", up.Incident))
	for _, want := range []string{esc(fr["inc.origin.declared"]), fr["incstatus.identified"]} {
		if !strings.Contains(inc, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	var comps spComponentsDoc
	getJSON(t, s, "/api/v2/components.json", &comps)
	for _, c := range comps.Components {
		if c.ID == "pcn" && c.Status != "major_outage" {
			t.Errorf("components.json pcn = %s, want major_outage as declared", c.Status)
		}
	}
	var incs spIncidentsDoc
	getJSON(t, s, "/api/v2/incidents.json", &incs)
	if len(incs.Incidents) != 1 || len(incs.Incidents[0].IncidentUpdates) != 1 {
		t.Fatalf("incidents.json = %+v, want the declared incident", incs)
	}
	if a := incs.Incidents[0].IncidentUpdates[0].AffectedComponents; len(a) != 1 || a[0].OldStatus != "operational" || a[0].NewStatus != "major_outage" {
		t.Errorf("affected_components = %+v, want pcn operational → major_outage", a)
	}
}

func TestMeasuredIncidentWithAdminTitle(t *testing.T) {
	s, svc, adm := newPublicServer(t, morning0406.Add(10*time.Minute))
	s.homePages[french].minAge = 0
	recordRounds(t, svc, true, false, false, false)
	id := svc.History().Incidents()[0].ID
	if _, err := adm.PostUpdate(t.Context(), "camille", incidents.UpdateInput{Incident: id, Status: incidents.StatusMonitoring,
		Title: "Saturation du portail", Body: "Un correctif est en place.",
		Components: []timeline.Affected{{Component: "monlycee", Status: probes.PartialOutage}}}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", fmt.Sprintf("/incidents/%d", id)} {
		body := getBody(t, s, path)
		for _, want := range []string{"Saturation du portail", fr["incstatus.monitoring"], fr["inc.origin.measured"]} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %q", path, want)
			}
		}
		if strings.Contains(body, "<title>Panne mesurée") {
			t.Errorf("GET %s keeps the automatic title", path)
		}
	}
	var incs spIncidentsDoc
	getJSON(t, s, "/api/v2/incidents.json", &incs)
	if a := incs.Incidents[0].IncidentUpdates[0].AffectedComponents; len(a) != 1 || a[0].OldStatus != "major_outage" {
		t.Errorf("admin update's affected_components = %+v, want old_status major_outage (measured)", a)
	}
}

// Seen: every measured transition twice, with the same measurement number,
// on the page and in the feed; and to the minute.
func TestMeasuredTransitionsOnce(t *testing.T) {
	s, svc, _ := newPublicServer(t, morning0406.Add(10*time.Minute))
	recordRounds(t, svc, true, false, false, false, true, true)
	id := svc.History().Incidents()[0].ID
	page := getBody(t, s, fmt.Sprintf("/incidents/%d", id))
	feed := getBody(t, s, "/history.atom")
	evidence := regexp.MustCompile(`mesure n° (\d+)`)
	for name, body := range map[string]string{"incident page": page, "feed": feed} {
		seen := map[string]int{}
		for _, m := range evidence.FindAllStringSubmatch(body, -1) {
			seen[m[1]]++
		}
		if len(seen) != 2 {
			t.Errorf("%s cites measurements %v, want 2 (the opening and the recovery)", name, seen)
		}
		for n, c := range seen {
			if c != 1 {
				t.Errorf("%s shows measurement %s %d times, want once", name, n, c)
			}
		}
		if !strings.Contains(body, "9\u00a0h\u00a001\u00a0min\u00a000\u00a0s") {
			t.Errorf("%s lacks the transition to the second (9 h 01 min 00 s)", name)
		}
	}
	opened := svc.History().Incidents()[0]
	_, evs, _ := svc.History().Incident(opened.ID)
	link := fmt.Sprintf(`href="/history/monlycee/2021-04-06#m%d"`, evs[0].Evidence)
	if !strings.Contains(page, link) {
		t.Errorf("incident page lacks the evidence link %s", link)
	}
	day := getBody(t, s, "/history/monlycee/2021-04-06")
	if !strings.Contains(day, fmt.Sprintf(`id="m%d"`, evs[0].Evidence)) {
		t.Errorf("day page lacks the anchor of measurement %d", evs[0].Evidence)
	}
}

// While flapping, the home page says so in words.
func TestHomeSaysFlapping(t *testing.T) {
	s, svc, _ := newPublicServer(t, morning0406.Add(time.Hour))
	s.homePages[french].minAge = 0
	ok := []bool{true}
	for range 4 {
		ok = append(ok, false, true)
	}
	recordRounds(t, svc, ok...)
	home := getBody(t, s, "/")
	if want := "Instable : 4 coupures en 30 minutes, fonctionne en ce moment"; !strings.Contains(home, want) {
		t.Errorf("home lacks %q", want)
	}
}

// esc is s as html/template writes it in text.
func esc(s string) string { return strings.ReplaceAll(s, "'", "&#39;") }

// The declared incident as a parent's browser shows it: listed on the home
// page with who declared it and its status, its component not "Fonctionne",
// and its page with the admins' title and status.
func TestDeclaredIncidentInBrowser(t *testing.T) {
	s, up := newDeclaredSite(t)
	url := serveLoopback(t, s.Handler())
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("contenu"))); err != nil {
		t.Fatal(err)
	}
	text := visibleText(t, ctx)
	for _, want := range []string{"Connexion impossible à Pronote depuis l'ENT", fr["inc.origin.declared"], fr["incstatus.identified"]} {
		if !strings.Contains(text, want) {
			t.Errorf("home: visible text lacks %q", want)
		}
	}
	cell, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("tr#pcn td")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cell, fr["status.major_outage"]) || strings.Contains(cell, fr["status.operational"]) || !strings.Contains(cell, fr["inc.origin.declared"]) {
		t.Errorf("home: pcn's state reads %q, want %q declared, not %q", cell, fr["status.major_outage"], fr["status.operational"])
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/incidents/%d", url, up.Incident)), chromedp.WaitVisible(chromedp.ID("contenu"))); err != nil {
		t.Fatal(err)
	}
	text = visibleText(t, ctx)
	for _, want := range []string{"Connexion impossible à Pronote depuis l'ENT", fr["inc.origin.declared"], fr["incstatus.identified"]} {
		if !strings.Contains(text, want) {
			t.Errorf("incident page: visible text lacks %q", want)
		}
	}
}
