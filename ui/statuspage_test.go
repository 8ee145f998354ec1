package ui

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
)

// newPublicServer serves testConfig with the engine and the admin records.
func newPublicServer(t *testing.T, now time.Time) (*Server, *incidents.Pipeline, *incidents.Admin) {
	t.Helper()
	return newPublicServerWith(t, now, testConfig)
}

// newPublicServerWith is newPublicServer over the config yaml.
func newPublicServerWith(t *testing.T, now time.Time, yaml string) (*Server, *incidents.Pipeline, *incidents.Admin) {
	t.Helper()
	st := newTestStackWith(t, t.TempDir(), stackOptions{yaml: yaml, now: func() time.Time { return now }})
	return st.s, st.pipe, st.pipe.Admin()
}

// newIncidentSite serves an incident still open on monlycee, measured in
// the last 10 minutes, with an official statement. It returns the
// incident's ID and today's date in Paris, "2021-04-06".
func newIncidentSite(t *testing.T) (s *Server, id uint64, today string) {
	t.Helper()
	now := time.Now()
	s, svc, adm := newPublicServer(t, now)
	start := now.Add(-10 * time.Minute)
	for i, ok := range []bool{true, false, false, false} {
		r := quotaRound(0, ok)
		r.Start = start.Add(time.Duration(i) * time.Minute)
		if _, err := svc.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	id = svc.History().Incidents()[0].ID
	if _, err := adm.RecordStatement(t.Context(), "camille", incidents.StatementInput{Incident: id, Speaker: "Le ministre de l'Éducation nationale",
		SaidAt: now.Add(-time.Minute), Quote: "Des attaques informatiques venues de l'étranger, apparemment", SourceURL: "https://www.europe1.fr/politique/un-article-tres-long-pour-voir-si-le-lien-deborde-de-la-page"}); err != nil {
		t.Fatal(err)
	}
	return s, id, now.In(paris).Format("2006-01-02")
}

func quotaRound(minute int, ok bool) probes.Result {
	start := time.Date(2021, 4, 6, 7, 0, 0, 0, time.UTC).Add(time.Duration(minute) * time.Minute)
	r := probes.Result{Component: "monlycee", Start: start, Status: probes.Operational,
		Steps: []probes.StepResult{{URL: "https://ent.iledefrance.fr/", Outcome: probes.OK, StatusCode: 200}}}
	if !ok {
		r.Status, r.Steps[0].Outcome, r.Steps[0].Detail = probes.MajorOutage, probes.SoftFailure, "ode_quota"
	}
	return r
}

func getJSON(t *testing.T, s *Server, path string, v any) {
	t.Helper()
	w := serveReq(s, http.MethodGet, path, nil)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s = %d %s", path, w.Code, w.Header().Get("Content-Type"))
	}
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func TestStatuspageAPI(t *testing.T) {
	now := time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC)
	s, svc, _ := newPublicServer(t, now)
	for i, ok := range []bool{true, false, false, false} {
		if _, err := svc.Record(t.Context(), quotaRound(i, ok)); err != nil {
			t.Fatal(err)
		}
	}

	var status spStatusDoc
	getJSON(t, s, "/api/v2/status.json", &status)
	if status.Status.Indicator != "critical" || status.Status.Description != fr["api.status.critical"] || status.Page.ID != pageID || status.Page.TimeZone != "Europe/Paris" {
		t.Errorf("status.json = %+v, want indicator critical", status)
	}

	var comps spComponentsDoc
	getJSON(t, s, "/api/v2/components.json", &comps)
	var group, lycee *spComponent
	for i := range comps.Components {
		switch comps.Components[i].ID {
		case "idf":
			group = &comps.Components[i]
		case "monlycee":
			lycee = &comps.Components[i]
		}
	}
	if group == nil || !group.Group || !slices.Equal(group.Components, []string{"monlycee", "pcn"}) || group.Status != "major_outage" {
		t.Errorf("group idf = %+v, want a group of monlycee and pcn, major_outage", group)
	}
	if lycee == nil || lycee.Status != "major_outage" || lycee.GroupID == nil || *lycee.GroupID != "idf" {
		t.Errorf("component monlycee = %+v, want major_outage in idf", lycee)
	}

	var unresolved spIncidentsDoc
	getJSON(t, s, "/api/v2/incidents/unresolved.json", &unresolved)
	if len(unresolved.Incidents) != 1 {
		t.Fatalf("unresolved incidents = %+v, want one", unresolved.Incidents)
	}
	inc := unresolved.Incidents[0]
	if inc.Status != "investigating" || inc.Impact != "critical" || !inc.StartedAt.Equal(quotaRound(1, false).Start) ||
		len(inc.IncidentUpdates) == 0 || len(inc.Components) != 1 || inc.Components[0].ID != "monlycee" {
		t.Errorf("incident = %+v, want investigating, critical, started 9:01, with updates, on monlycee", inc)
	}

	var summary spSummaryDoc
	getJSON(t, s, "/api/v2/summary.json", &summary)
	if len(summary.Incidents) != 1 || summary.Status.Indicator != "critical" || len(summary.Components) != 3 {
		t.Errorf("summary.json = %d incidents, %s, %d components; want 1, critical, 3", len(summary.Incidents), summary.Status.Indicator, len(summary.Components))
	}
}

func TestStatuspageAdminAndMaintenance(t *testing.T) {
	now := time.Now()
	s, svc, adm := newPublicServer(t, now)
	for i, ok := range []bool{false, false, true, true} {
		if _, err := svc.Record(t.Context(), quotaRound(i, ok)); err != nil {
			t.Fatal(err)
		}
	}
	id := svc.History().Incidents()[0].ID
	if _, err := adm.PostUpdate(t.Context(), "camille", incidents.UpdateInput{Incident: id, Status: incidents.StatusIdentified,
		Impact: incidents.ImpactMajor, Title: "Saturation de monlycée.net", Body: "Page de quota **ODE**."}); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.ScheduleMaintenance(t.Context(), "camille", incidents.MaintenanceInput{Title: "Migration", Components: []string{"pcn"},
		Start: now.Add(time.Hour), End: now.Add(2 * time.Hour), Status: incidents.StatusScheduled}); err != nil {
		t.Fatal(err)
	}
	var all spIncidentsDoc
	getJSON(t, s, "/api/v2/incidents.json", &all)
	if len(all.Incidents) != 1 || all.Incidents[0].Name != "Saturation de monlycée.net" || all.Incidents[0].Status != "identified" ||
		all.Incidents[0].IncidentUpdates[0].Body != "Page de quota **ODE**." {
		t.Errorf("incidents.json = %+v, want the admin's title, status and body first", all.Incidents)
	}
	var upcoming, active spMaintenancesDoc
	getJSON(t, s, "/api/v2/scheduled-maintenances/upcoming.json", &upcoming)
	getJSON(t, s, "/api/v2/scheduled-maintenances/active.json", &active)
	if len(upcoming.ScheduledMaintenances) != 1 || len(active.ScheduledMaintenances) != 0 ||
		upcoming.ScheduledMaintenances[0].Impact != "maintenance" || upcoming.ScheduledMaintenances[0].ScheduledFor == nil {
		t.Errorf("upcoming = %+v, active = %+v; want one upcoming", upcoming.ScheduledMaintenances, active.ScheduledMaintenances)
	}
	w := serveReq(s, http.MethodGet, "/api/v2/summary.json", nil)
	if w2 := serveReq(s, http.MethodGet, "/api/v2/summary.json", http.Header{"If-None-Match": {w.Header().Get("ETag")}}); w2.Code != http.StatusNotModified {
		t.Errorf("summary.json revalidation = %d, want 304", w2.Code)
	}
}

// Every text the API documents carry comes from the catalogue.
func TestStatuspageTexts(t *testing.T) {
	for _, k := range []string{"api.status.none", "api.status.minor", "api.status.major", "api.status.critical", "api.status.maintenance", "api.incident.auto", "api.evidence"} {
		if _, ok := fr[k]; !ok {
			t.Errorf("catalogue lacks %q", k)
		}
	}
}

func TestFeedsAndBadges(t *testing.T) {
	s, svc, _ := newPublicServer(t, time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC))
	for i, ok := range []bool{false, false, false} {
		if _, err := svc.Record(t.Context(), quotaRound(i, ok)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		path    string
		entries int
	}{{"/history.atom", 1}, {"/components/monlycee/history.atom", 1}, {"/components/pcn/history.atom", 0}} {
		w := serveReq(s, http.MethodGet, tt.path, nil)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("GET %s = %d %s", tt.path, w.Code, w.Header().Get("Content-Type"))
		}
		var f atomFeed
		if err := xml.Unmarshal(w.Body.Bytes(), &f); err != nil {
			t.Fatalf("GET %s: parse Atom: %v", tt.path, err)
		}
		if len(f.Entries) != tt.entries || f.ID == "" || f.Updated == "" {
			t.Errorf("GET %s: %d entries (id %q, updated %q), want %d", tt.path, len(f.Entries), f.ID, f.Updated, tt.entries)
		}
		for _, e := range f.Entries {
			if e.ID == "" || e.Title == "" || !strings.Contains(e.Content.Body, "ode_quota") {
				t.Errorf("GET %s: entry %+v lacks id, title or the measured cause", tt.path, e)
			}
		}
	}
	if w := serveReq(s, http.MethodGet, "/components/nope/history.atom", nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown component feed = %d, want 404", w.Code)
	}
	w := serveReq(s, http.MethodGet, "/badge/monlycee.svg", nil)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("badge = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var svg struct {
		XMLName xml.Name
		Title   string `xml:"title"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &svg); err != nil || svg.XMLName.Local != "svg" || !strings.Contains(svg.Title, "Indisponible") {
		t.Errorf("badge = %v %+v, want an SVG titled with the state in words", err, svg)
	}
	for _, p := range []string{"/badge/nope.svg", "/badge/monlycee.png"} {
		if w := serveReq(s, http.MethodGet, p, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, w.Code)
		}
	}
}

// The incident page puts what was measured, what admins published and
// what officials said on one time axis, in time order.
func TestIncidentPage(t *testing.T) {
	s, svc, adm := newPublicServer(t, time.Now())
	for i, ok := range []bool{false, false, false, true, true} {
		if _, err := svc.Record(t.Context(), quotaRound(i, ok)); err != nil {
			t.Fatal(err)
		}
	}
	id := svc.History().Incidents()[0].ID
	if _, err := adm.PostUpdate(t.Context(), "camille", incidents.UpdateInput{Incident: id, Status: incidents.StatusIdentified,
		Impact: incidents.ImpactMajor, Title: "Saturation", Body: "Page de quota <script>alert(1)</script>"}); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.RecordStatement(t.Context(), "camille", incidents.StatementInput{Incident: id, Speaker: "Le ministre",
		SaidAt: time.Date(2021, 4, 6, 10, 0, 0, 0, time.UTC), Quote: "Des attaques venues de l'étranger",
		SourceURL: "https://www.europe1.fr/", About: quotaRound(1, false).Start}); err != nil {
		t.Fatal(err)
	}
	w := serveReq(s, http.MethodGet, fmt.Sprintf("/incidents/%d", id), nil)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("GET incident = %d", w.Code)
	}
	measured := strings.Index(body, "Début mesuré")
	statement := strings.Index(body, "Des attaques venues de l&#39;étranger")
	update := strings.Index(body, "<strong>Saturation</strong>")
	if measured < 0 || statement < 0 || update < 0 {
		t.Fatalf("incident page lacks the measured start, the statement or the update:\n%s", body)
	}
	// The statement is placed at the measured time it is about (9 h 01), before the update published now.
	if !(statement < update) {
		t.Errorf("statement at %d, update at %d: want the statement first on the time axis", statement, update)
	}
	for _, want := range []string{"6 avril 2021 à 9\u00a0h\u00a000", "ode_quota", "▲ Mesuré", "❝ Déclaration officielle", "✎ Mise à jour", `href="https://www.europe1.fr/"`} {
		if !strings.Contains(body, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("the update's body was not sanitised")
	}
	for _, p := range []string{"/incidents/0", "/incidents/abc", "/incidents/999999"} {
		if w := serveReq(s, http.MethodGet, p, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, w.Code)
		}
	}
}

// With the engine, the home page says the overall state in one sentence,
// links the open incidents and draws each component's 90 days.
func TestHomeWithEngine(t *testing.T) {
	s, svc, _ := newPublicServer(t, time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC))
	s.homePages[french].minAge = 0
	for i, ok := range []bool{true, false, false, false} {
		if _, err := svc.Record(t.Context(), quotaRound(i, ok)); err != nil {
			t.Fatal(err)
		}
	}
	id := svc.History().Incidents()[0].ID
	body := serveReq(s, http.MethodGet, "/", nil).Body.String()
	if strings.Contains(body, "à confirmer") {
		t.Errorf("home says a confirmed state is pending")
	}
	for _, want := range []string{fr["api.status.critical"], fmt.Sprintf(`href="/incidents/%d"`, id), "Panne mesurée : monlycée.net",
		`<svg class="bars"`, `aria-label="90 derniers jours : 0 sans panne mesurée, 1 avec panne, 89 sans mesure"`,
		"6 avril 2021 : panne", "Disponibilité mesurée : 25,00\u00a0% des 4 mesures depuis le 6 avril 2021 à 9\u00a0h\u00a000"} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %q", want)
		}
	}
}

// One failing round after good ones is shown, but as awaiting confirmation.
func TestHomePendingConfirmation(t *testing.T) {
	s, svc, _ := newPublicServer(t, time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC))
	s.homePages[french].minAge = 0
	for i, ok := range []bool{true, true, false} {
		if _, err := svc.Record(t.Context(), quotaRound(i, ok)); err != nil {
			t.Fatal(err)
		}
	}
	body := serveReq(s, http.MethodGet, "/", nil).Body.String()
	if !strings.Contains(body, french.tf("home.pending", fr["status.major_outage"])) || !strings.Contains(body, "Fonctionne") {
		t.Errorf("home after one failing round: want the confirmed state and the pending note")
	}
}

func TestComponentPage(t *testing.T) {
	now := time.Now()
	s, svc, _ := newPublicServer(t, now)
	start := now.Add(-10 * time.Minute)
	for i, ok := range []bool{true, false, false, false, true, true, true, true} {
		r := quotaRound(0, ok)
		r.Start = start.Add(time.Duration(i) * time.Minute)
		r.Steps[0].Phases = probes.Phases{DNS: 2 * time.Millisecond, Connect: 5 * time.Millisecond, TLS: 10 * time.Millisecond, TTFB: 80 * time.Millisecond, Transfer: 3 * time.Millisecond}
		if _, err := svc.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	w := serveReq(s, http.MethodGet, "/components/monlycee", nil)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("GET component = %d", w.Code)
	}
	for _, want := range []string{"<h1>monlycée.net</h1>", "24 dernières heures</th><td>62,50\u00a0%", "7 derniers jours</th><td>62,50\u00a0%",
		`<svg class="chart"`, "ttfb : 80,0 ms", `Page de saturation ou d&#39;attente</th><td class="num">3`, `href="/incidents/`,
		`href="/components/monlycee/history.atom"`} {
		if !strings.Contains(body, want) {
			t.Errorf("component page lacks %q", want)
		}
	}
	if w := serveReq(s, http.MethodGet, "/components/absent", nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown component page = %d, want 404", w.Code)
	}
	if home := serveReq(s, http.MethodGet, "/", nil).Body.String(); !strings.Contains(home, `<a href="/components/monlycee">monlycée.net</a>`) {
		t.Errorf("home does not link the component page")
	}
}

// The home page announces maintenance in progress and upcoming, not done.
func TestHomeMaintenance(t *testing.T) {
	now := time.Now()
	s, _, adm := newPublicServer(t, now)
	s.homePages[french].minAge = 0
	serveReq(s, http.MethodGet, "/", nil) // rendered before the maintenance exists: the new record must show anyway
	if _, err := adm.ScheduleMaintenance(t.Context(), "camille", incidents.MaintenanceInput{Title: "Migration du serveur", Components: []string{"pcn"},
		Start: now.Add(time.Hour), End: now.Add(2 * time.Hour), Status: incidents.StatusScheduled}); err != nil {
		t.Fatal(err)
	}
	body := serveReq(s, http.MethodGet, "/", nil).Body.String()
	for _, want := range []string{"Maintenances", "Migration du serveur", "prévue", "Paris Classe Numérique"} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %q", want)
		}
	}
}

// The Statuspage shortlink of a maintenance is a public page, in both
// languages, which the home page links to; its status follows time.
func TestMaintenancePage(t *testing.T) {
	now := time.Now()
	s, _, adm := newPublicServer(t, now)
	s.homePages[french].minAge = 0
	if _, err := adm.ScheduleMaintenance(t.Context(), "camille", incidents.MaintenanceInput{Title: "Migration du serveur", Components: []string{"pcn"},
		Body: "Le serveur **change** de salle.", Start: now.Add(time.Hour), End: now.Add(2 * time.Hour), Status: incidents.StatusScheduled}); err != nil {
		t.Fatal(err)
	}
	var doc spMaintenancesDoc
	getJSON(t, s, "/api/v2/scheduled-maintenances.json", &doc)
	if len(doc.ScheduledMaintenances) != 1 {
		t.Fatalf("scheduled maintenances = %+v, want one", doc.ScheduledMaintenances)
	}
	link := doc.ScheduledMaintenances[0].Shortlink
	for path, want := range map[string][]string{
		link:         {"Maintenance prévue", "Migration du serveur", "Paris Classe Numérique", "<strong>change</strong>", "Publiée le", "En maintenance"},
		"/en" + link: {"Scheduled maintenance", "Migration du serveur", "Paris Classe Numérique", "Published on", "Under maintenance"},
	} {
		w := serveReq(s, http.MethodGet, path, nil)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s (the API's shortlink) = %d", path, w.Code)
		}
		for _, text := range want {
			if !strings.Contains(w.Body.String(), text) {
				t.Errorf("%s lacks %q", path, text)
			}
		}
	}
	if home := serveReq(s, http.MethodGet, "/", nil).Body.String(); !strings.Contains(home, `<a href="`+link+`">Migration du serveur</a>`) {
		t.Errorf("home does not link the maintenance page %s", link)
	}
	for _, path := range []string{"/maintenances/999", "/maintenances/x", "/en/maintenances/0"} {
		if w := serveReq(s, http.MethodGet, path, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, w.Code)
		}
	}
}

// With site.public_url, the links Constat hands to other sites are
// absolute: the Statuspage page url and shortlinks, the Atom links, the
// pages' hreflang alternates. The links between pages stay root-relative.
func TestPublicURLMakesHandedLinksAbsolute(t *testing.T) {
	const base = "https://constat.example.org"
	now := time.Now()
	st := newTestStackWith(t, t.TempDir(), stackOptions{yaml: "site:\n  public_url: " + base + "/\n" + testConfig, now: func() time.Time { return now }})
	svc, adm := st.pipe, st.pipe.Admin()
	for i, ok := range []bool{false, false, false} {
		r := quotaRound(0, ok)
		r.Start = now.Add(time.Duration(i-5) * time.Minute)
		if _, err := svc.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := adm.ScheduleMaintenance(t.Context(), "camille", incidents.MaintenanceInput{Title: "Migration", Components: []string{"pcn"},
		Start: now.Add(time.Hour), End: now.Add(2 * time.Hour), Status: incidents.StatusScheduled}); err != nil {
		t.Fatal(err)
	}
	s := st.s
	var sum spSummaryDoc
	getJSON(t, s, "/api/v2/summary.json", &sum)
	if sum.Page.URL != base+"/" {
		t.Errorf("page.url = %q, want %q", sum.Page.URL, base+"/")
	}
	if len(sum.Incidents) != 1 || !strings.HasPrefix(sum.Incidents[0].Shortlink, base+"/incidents/") {
		t.Errorf("incident shortlinks = %+v, want absolute under %s", sum.Incidents, base)
	}
	if len(sum.ScheduledMaintenances) != 1 || !strings.HasPrefix(sum.ScheduledMaintenances[0].Shortlink, base+"/maintenances/") {
		t.Errorf("maintenance shortlinks = %+v, want absolute under %s", sum.ScheduledMaintenances, base)
	}
	feed := serveReq(s, http.MethodGet, "/history.atom", nil).Body.String()
	for _, want := range []string{`href="` + base + `/history.atom"`, `href="` + base + `/"`, `href="` + base + `/incidents/`} {
		if !strings.Contains(feed, want) {
			t.Errorf("Atom feed lacks %s", want)
		}
	}
	home := serveReq(s, http.MethodGet, "/en/", nil).Body.String()
	for _, want := range []string{`<link rel="alternate" hreflang="fr" href="` + base + `/">`, `<link rel="alternate" hreflang="en" href="` + base + `/en/">`} {
		if !strings.Contains(home, want) {
			t.Errorf("English home lacks %s", want)
		}
	}
	if strings.Contains(home, `<a href="`+base) {
		t.Errorf("links between pages became absolute; they must stay root-relative for static copies")
	}
}

// TestComponentPageSaysSinceAndWhy: a failing component's page says since
// when and why, in the words of its home row (seen in the demo at 360 px:
// "État : × Indisponible" and nothing more, so a parent arriving from a
// link saw neither since when nor why).
func TestComponentPageSaysSinceAndWhy(t *testing.T) {
	now := time.Date(2021, 4, 6, 7, 10, 0, 0, time.UTC)
	s, svc, _ := newPublicServer(t, now)
	for i := range 3 {
		r := quotaRound(0, false)
		r.Start = now.Add(time.Duration(i-3) * time.Minute)
		if _, err := svc.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	home := serveReq(s, http.MethodGet, "/", nil).Body.String()
	body := serveReq(s, http.MethodGet, "/components/monlycee", nil).Body.String()
	reason := template.HTMLEscapeString(french.reason(probes.SoftFailure, "ode_quota", 200))
	for _, want := range []string{"depuis\u00a09\u00a0h\u00a007", reason} {
		if !strings.Contains(home, want) {
			t.Fatalf("home lacks %q: the test's premise", want)
		}
		if !strings.Contains(body, want) {
			t.Errorf("component page lacks %q", want)
		}
	}
}
