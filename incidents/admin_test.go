package incidents

import (
	"context"
	"errors"
	"html/template"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// adminClock is the Admin's clock in tests.
type adminClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *adminClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *adminClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var adminComps = []*probes.Component{{ID: "monlycee-net"}, {ID: "ent-hdf"}, {ID: "pronote"}}

// adminHarness is an Admin over a real timeline in a temporary directory.
type adminHarness struct {
	t     *testing.T
	path  string
	tl    *timeline.Timeline
	p     *Pipeline
	a     *Admin // p's
	clock *adminClock
}

func newAdminHarness(t *testing.T) *adminHarness {
	t.Helper()
	h := &adminHarness{t: t, path: filepath.Join(t.TempDir(), "timeline.db"),
		clock: &adminClock{now: time.Date(2021, 4, 6, 7, 2, 0, 123_456_789, time.UTC)}}
	h.open()
	t.Cleanup(func() {
		if err := h.tl.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return h
}

// open (re)opens the timeline and builds a fresh Admin from it.
func (h *adminHarness) open() {
	h.t.Helper()
	if h.tl != nil {
		if err := h.tl.Close(); err != nil {
			h.t.Fatalf("Close() = %v", err)
		}
	}
	tl, err := timeline.Open(h.path, timeline.Options{NoSync: true})
	if err != nil {
		h.t.Fatalf("timeline.Open() = %v", err)
	}
	h.tl = tl
	p, err := NewPipeline(tl, adminComps, Config{}, nil)
	if err != nil {
		h.t.Fatalf("NewPipeline() = %v", err)
	}
	p.adm.now = h.clock.Now
	h.p, h.a = p, p.adm
}

// snapshot is everything an Admin shows.
type adminSnapshot struct {
	Updates      map[uint64][]Update
	Manual       []uint64
	Maintenances []ScheduledMaintenance
	Statements   []Statement
	Audit        []timeline.Audit
}

func (h *adminHarness) snapshot(incidents ...uint64) adminSnapshot {
	s := adminSnapshot{Updates: make(map[uint64][]Update), Manual: h.a.ManualIncidents(),
		Maintenances: h.a.Maintenances(), Statements: h.a.AllStatements(), Audit: h.a.AuditTrail(0)}
	for _, id := range append(incidents, s.Manual...) {
		s.Updates[id] = h.a.Updates(id)
	}
	return s
}

func validationField(err error) string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Field
	}
	return ""
}

func TestAdminUpdates(t *testing.T) {
	h := newAdminHarness(t)
	ctx := t.Context()
	first, err := h.a.PostUpdate(ctx, "admin@ac-paris.fr", UpdateInput{Status: StatusInvestigating,
		Impact: ImpactMajor, Title: "Connexion impossible", Body: "Nous **enquêtons**.",
		Components: []timeline.Affected{{Component: "monlycee-net", Status: probes.MajorOutage}}})
	if err != nil {
		t.Fatalf("PostUpdate(new incident) = %v", err)
	}
	id := first.Incident
	if id != first.Seq+1 || first.Root != first.Seq || first.Published != h.clock.Now().Truncate(time.Millisecond) {
		t.Errorf("PostUpdate(new incident) = %+v, want incident %d, root %d, published %v", first, first.Seq+1, first.Seq, h.clock.Now())
	}
	if got := h.a.ManualIncidents(); !reflect.DeepEqual(got, []uint64{id}) {
		t.Errorf("ManualIncidents() = %v, want [%d]", got, id)
	}
	h.clock.Advance(time.Hour)
	second, err := h.a.PostUpdate(ctx, "admin@ac-paris.fr", UpdateInput{Incident: id, Status: StatusResolved,
		Title: "Connexion rétablie", Body: "Fin de l'incident."})
	if err != nil {
		t.Fatalf("PostUpdate(incident %d) = %v", id, err)
	}
	h.clock.Advance(time.Minute)
	fixed, err := h.a.ReviseUpdate(ctx, "relecteur", first.Seq, UpdateInput{Status: StatusInvestigating,
		Impact: ImpactCritical, Title: "Connexion impossible à l'ENT", Body: "Nous enquêtons.",
		Components: []timeline.Affected{{Component: "monlycee-net", Status: probes.MajorOutage}}})
	if err != nil {
		t.Fatalf("ReviseUpdate(%d) = %v", first.Seq, err)
	}
	if fixed.Revises != first.Seq || fixed.Root != first.Seq || fixed.Incident != id || len(fixed.Revisions) != 1 ||
		!reflect.DeepEqual(fixed.Revisions[0], first) {
		t.Errorf("ReviseUpdate(%d) = %+v, want a revision of %+v", first.Seq, fixed, first)
	}
	if got := h.a.Updates(id); len(got) != 2 || !reflect.DeepEqual(got[0], fixed) || !reflect.DeepEqual(got[1], second) {
		t.Errorf("Updates(%d) = %+v, want the revised first update, then the second", id, got)
	}
	// The superseded revision cannot be revised again: a stale edit.
	if _, err := h.a.ReviseUpdate(ctx, "admin", first.Seq, UpdateInput{Status: StatusResolved, Title: "t", Body: "b"}); validationField(err) != "revises" {
		t.Errorf("ReviseUpdate(superseded %d) = %v, want a ValidationError on revises", first.Seq, err)
	}
	if _, err := h.a.ReviseUpdate(ctx, "admin", fixed.Seq, UpdateInput{Incident: id + 1000, Status: StatusResolved, Title: "t", Body: "b"}); validationField(err) != "incident" {
		t.Errorf("ReviseUpdate moving incident = %v, want a ValidationError on incident", err)
	}
	trail := h.a.AuditTrail(0)
	wantTrail := []struct {
		actor, action, detail string
		target                uint64
	}{
		{"relecteur", ActionUpdateRevise, "investigating", fixed.Seq},
		{"admin@ac-paris.fr", ActionUpdateCreate, "resolved", second.Seq},
		{"admin@ac-paris.fr", ActionIncidentCreate, "investigating", first.Seq},
	}
	if len(trail) != len(wantTrail) {
		t.Fatalf("AuditTrail(0) = %+v, want %d records", trail, len(wantTrail))
	}
	for i, w := range wantTrail {
		if g := trail[i]; g.Actor != w.actor || g.Action != w.action || g.Detail != w.detail || g.Target != w.target {
			t.Errorf("AuditTrail(0)[%d] = %+v, want %+v", i, g, w)
		}
	}
	if got := h.a.AuditTrail(1); len(got) != 1 || got[0] != trail[0] {
		t.Errorf("AuditTrail(1) = %+v, want the newest record", got)
	}
	// Every revision is in the timeline as written.
	if rec, err := h.tl.Get(first.Seq); err != nil || rec.Update == nil || rec.Update.Title != "Connexion impossible" {
		t.Errorf("Get(%d) = %+v, %v, want the first revision", first.Seq, rec.Update, err)
	}
	before := h.snapshot()
	h.open()
	if after := h.snapshot(); !reflect.DeepEqual(after, before) {
		t.Errorf("after reopening:\n%+v\nwant\n%+v", after, before)
	}
}

func TestAdminAutomaticIncident(t *testing.T) {
	h := newAdminHarness(t)
	ctx := t.Context()
	in := UpdateInput{Incident: 1, Status: StatusIdentified, Title: "Panne chez l'hébergeur", Body: "Identifiée."}
	if _, err := h.a.PostUpdate(ctx, "admin", in); !errors.Is(err, ErrNotFound) {
		t.Errorf("PostUpdate(unknown incident 1) = %v, want ErrNotFound", err)
	}
	// An engine event appended after NewPipeline, as Record does.
	seq, err := h.tl.Append(ctx, probes.Result{Component: "monlycee-net", Start: h.clock.Now(), Status: probes.MajorOutage,
		Steps: []probes.StepResult{{Outcome: probes.HTTPError, Detail: "502"}}})
	if err != nil {
		t.Fatal(err)
	}
	ev := Event{Kind: Opened, Incident: seq + 1, Component: "monlycee-net", From: probes.Operational, To: probes.MajorOutage,
		At: h.clock.Now(), Seq: seq, Cause: &probes.StepResult{Outcome: probes.HTTPError, Detail: "502"}}
	if err := h.p.persist(ctx, []Event{ev}); err != nil {
		t.Fatal(err)
	}
	in.Incident = seq + 1
	u, err := h.a.PostUpdate(ctx, "admin", in)
	if err != nil || u.Incident != seq+1 {
		t.Fatalf("PostUpdate(incident %d with an engine event) = %+v, %v", seq+1, u, err)
	}
	if got := h.a.ManualIncidents(); len(got) != 0 {
		t.Errorf("ManualIncidents() = %v, want none", got)
	}
	// After a restart the event is loaded with the rest.
	h.open()
	in.Status = StatusMonitoring
	if _, err := h.a.PostUpdate(ctx, "admin", in); err != nil {
		t.Errorf("PostUpdate(incident %d) after reopening = %v", seq+1, err)
	}
	if got := h.a.Updates(seq + 1); len(got) != 2 {
		t.Errorf("Updates(%d) = %d updates, want 2", seq+1, len(got))
	}
}

func TestAdminUpdateValidation(t *testing.T) {
	h := newAdminHarness(t)
	ctx := t.Context()
	valid := func(mod func(*UpdateInput)) UpdateInput {
		in := UpdateInput{Status: StatusInvestigating, Impact: ImpactMinor, Title: "t", Body: "b",
			Components: []timeline.Affected{{Component: "ent-hdf", Status: probes.PartialOutage}}}
		mod(&in)
		return in
	}
	tests := []struct {
		name  string
		actor string
		in    UpdateInput
		field string
	}{
		{"no actor", "", valid(func(*UpdateInput) {}), "actor"},
		{"actor with newline", "a\nb", valid(func(*UpdateInput) {}), "actor"},
		{"no status", "a", valid(func(in *UpdateInput) { in.Status = 0 }), "status"},
		{"maintenance status", "a", valid(func(in *UpdateInput) { in.Status = StatusInProgress }), "status"},
		{"unknown status", "a", valid(func(in *UpdateInput) { in.Status = 99 }), "status"},
		{"unknown impact", "a", valid(func(in *UpdateInput) { in.Impact = 4 }), "impact"},
		{"empty title", "a", valid(func(in *UpdateInput) { in.Title = "" }), "title"},
		{"blank title", "a", valid(func(in *UpdateInput) { in.Title = " \u00a0 " }), "title"},
		{"long title", "a", valid(func(in *UpdateInput) { in.Title = strings.Repeat("é", 101) }), "title"},
		{"title not UTF-8", "a", valid(func(in *UpdateInput) { in.Title = "caf\xe9" }), "title"},
		{"title with a tab", "a", valid(func(in *UpdateInput) { in.Title = "a\tb" }), "title"},
		{"empty body", "a", valid(func(in *UpdateInput) { in.Body = "" }), "body"},
		{"long body", "a", valid(func(in *UpdateInput) { in.Body = strings.Repeat("b", timeline.MaxBodyLen+1) }), "body"},
		{"body with NUL", "a", valid(func(in *UpdateInput) { in.Body = "a\x00b" }), "body"},
		{"unknown component", "a", valid(func(in *UpdateInput) {
			in.Components = append(in.Components, timeline.Affected{Component: "nope", Status: probes.MajorOutage})
		}), "components[1]"},
		{"component twice", "a", valid(func(in *UpdateInput) { in.Components = append(in.Components, in.Components[0]) }), "components[1]"},
		{"component status 0", "a", valid(func(in *UpdateInput) { in.Components[0].Status = 0 }), "components[0].status"},
		{"101 components", "a", valid(func(in *UpdateInput) {
			in.Components = make([]timeline.Affected, timeline.MaxComponents+1)
		}), "components"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := h.tl.Len()
			_, err := h.a.PostUpdate(ctx, tt.actor, tt.in)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || ve.Message == "" {
				t.Errorf("PostUpdate(%s) = %v, want a ValidationError on %s", tt.name, err, tt.field)
			}
			if h.tl.Len() != n {
				t.Errorf("PostUpdate(%s) appended %d records, want none", tt.name, h.tl.Len()-n)
			}
		})
	}
	if _, err := h.a.ReviseUpdate(ctx, "a", 0, valid(func(*UpdateInput) {})); validationField(err) != "revises" {
		t.Errorf("ReviseUpdate(0) = %v, want a ValidationError on revises", err)
	}
	if len(h.a.AuditTrail(0)) != 0 || h.tl.Len() != 0 {
		t.Errorf("after refused updates: %d audit records, Len() = %d, want none", len(h.a.AuditTrail(0)), h.tl.Len())
	}
}

func TestAdminStatements(t *testing.T) {
	h := newAdminHarness(t)
	ctx := t.Context()
	u, err := h.a.PostUpdate(ctx, "admin", UpdateInput{Status: StatusInvestigating, Title: "ENT saturés", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	saidAt := h.clock.Now().Add(-2 * time.Hour).Truncate(time.Millisecond)
	in := StatementInput{Incident: u.Incident, Speaker: "Jean-Michel Blanquer, ministre de l'Éducation nationale",
		SaidAt: saidAt, Quote: "Nous sommes prêts.", SourceURL: "https://www.francetvinfo.fr/article.html"}
	s, err := h.a.RecordStatement(ctx, "admin", in)
	if err != nil {
		t.Fatalf("RecordStatement() = %v", err)
	}
	if !s.About.Equal(saidAt) || s.Incident != u.Incident || s.Root != s.Seq {
		t.Errorf("RecordStatement() = %+v, want About = SaidAt %v", s, saidAt)
	}
	other, err := h.a.RecordStatement(ctx, "admin", StatementInput{Speaker: "Rectorat", SaidAt: saidAt,
		Quote: "Tout fonctionne.", SourceURL: "http://ac-paris.fr/", About: saidAt.Add(-time.Hour)})
	if err != nil {
		t.Fatalf("RecordStatement(no incident) = %v", err)
	}
	in.Quote = "Nous sommes prêts, tout est prêt."
	fixed, err := h.a.ReviseStatement(ctx, "relecteur", s.Seq, in)
	if err != nil {
		t.Fatalf("ReviseStatement() = %v", err)
	}
	if got := h.a.Statements(u.Incident); len(got) != 1 || !reflect.DeepEqual(got[0], fixed) || !reflect.DeepEqual(got[0].Revisions, []Statement{s}) {
		t.Errorf("Statements(%d) = %+v, want the revised statement with its first revision", u.Incident, got)
	}
	if got := h.a.AllStatements(); len(got) != 2 || got[1].Seq != other.Seq {
		t.Errorf("AllStatements() = %+v, want 2", got)
	}
	if trail := h.a.AuditTrail(2); trail[0].Action != ActionStatementRevise || trail[1].Action != ActionStatementCreate {
		t.Errorf("AuditTrail(2) = %+v", trail)
	}
	if _, err := h.a.RecordStatement(ctx, "admin", StatementInput{Incident: 999_999, Speaker: "s", SaidAt: saidAt,
		Quote: "q", SourceURL: "https://x.fr/"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("RecordStatement(unknown incident) = %v, want ErrNotFound", err)
	}
	valid := func(mod func(*StatementInput)) StatementInput {
		in := StatementInput{Speaker: "s", SaidAt: saidAt, Quote: "q", SourceURL: "https://x.fr/"}
		mod(&in)
		return in
	}
	tests := []struct {
		name  string
		in    StatementInput
		field string
	}{
		{"no speaker", valid(func(in *StatementInput) { in.Speaker = "" }), "speaker"},
		{"long speaker", valid(func(in *StatementInput) { in.Speaker = strings.Repeat("s", timeline.MaxSpeakerLen+1) }), "speaker"},
		{"no quote", valid(func(in *StatementInput) { in.Quote = " " }), "quote"},
		{"long quote", valid(func(in *StatementInput) { in.Quote = strings.Repeat("q", timeline.MaxQuoteLen+1) }), "quote"},
		{"quote not UTF-8", valid(func(in *StatementInput) { in.Quote = "\xff" }), "quote"},
		{"no date", valid(func(in *StatementInput) { in.SaidAt = time.Time{} }), "said_at"},
		{"said in the future", valid(func(in *StatementInput) { in.SaidAt = h.clock.Now().Add(time.Hour) }), "said_at"},
		{"no URL", valid(func(in *StatementInput) { in.SourceURL = "" }), "source_url"},
		{"relative URL", valid(func(in *StatementInput) { in.SourceURL = "/article" }), "source_url"},
		{"javascript URL", valid(func(in *StatementInput) { in.SourceURL = "javascript:alert(1)" }), "source_url"},
		{"ftp URL", valid(func(in *StatementInput) { in.SourceURL = "ftp://x.fr/a" }), "source_url"},
		{"URL without host", valid(func(in *StatementInput) { in.SourceURL = "https:///a" }), "source_url"},
		{"URL with password", valid(func(in *StatementInput) { in.SourceURL = "https://u:p@x.fr/" }), "source_url"},
		{"long URL", valid(func(in *StatementInput) { in.SourceURL = "https://x.fr/" + strings.Repeat("p", timeline.MaxURLLen) }), "source_url"},
		{"bad URL", valid(func(in *StatementInput) { in.SourceURL = "https://x.fr/%zz" }), "source_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.a.RecordStatement(ctx, "admin", tt.in); validationField(err) != tt.field {
				t.Errorf("RecordStatement(%s) = %v, want a ValidationError on %s", tt.name, err, tt.field)
			}
		})
	}
	before := h.snapshot()
	h.open()
	if after := h.snapshot(); !reflect.DeepEqual(after, before) {
		t.Errorf("after reopening:\n%+v\nwant\n%+v", after, before)
	}
}

func TestAdminAudit(t *testing.T) {
	h := newAdminHarness(t)
	ctx := t.Context()
	if err := h.a.Audit(ctx, "admin", "account.login", 0, ""); err != nil {
		t.Fatalf("Audit(account.login) = %v", err)
	}
	if err := h.a.Audit(ctx, "admin", "token.create", 0, "grafana"); err != nil {
		t.Fatalf("Audit(token.create) = %v", err)
	}
	tests := []struct {
		name, actor, action string
		target              uint64
		detail, field       string
	}{
		{"no actor", "", "account.login", 0, "", "actor"},
		{"no action", "admin", "", 0, "", "action"},
		{"action not dotted", "admin", "login", 0, "", "action"},
		{"action upper case", "admin", "Account.Login", 0, "", "action"},
		{"target beyond the log", "admin", "account.login", 1 << 40, "", "target"},
		{"long detail", "admin", "account.login", 0, strings.Repeat("d", 101), "detail"},
		{"detail with newline", "admin", "account.login", 0, "a\nb", "detail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := h.a.Audit(ctx, tt.actor, tt.action, tt.target, tt.detail); validationField(err) != tt.field {
				t.Errorf("Audit(%q, %q, %d, %q) = %v, want a ValidationError on %s", tt.actor, tt.action, tt.target, tt.detail, err, tt.field)
			}
		})
	}
	trail := h.a.AuditTrail(0)
	if len(trail) != 2 || trail[0].Action != "token.create" || trail[0].Detail != "grafana" || trail[1].Action != "account.login" {
		t.Errorf("AuditTrail(0) = %+v", trail)
	}
	h.open()
	if got := h.a.AuditTrail(0); !reflect.DeepEqual(got, trail) {
		t.Errorf("AuditTrail(0) after reopening = %+v, want %+v", got, trail)
	}
}

// TestAdminAppendFails: an action whose append fails leaves nothing, in the
// timeline or in memory.
func TestAdminAppendFails(t *testing.T) {
	h := newAdminHarness(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.a.PostUpdate(ctx, "admin", UpdateInput{Status: StatusInvestigating, Title: "t", Body: "b"}); !errors.Is(err, context.Canceled) {
		t.Errorf("PostUpdate(cancelled ctx) = %v, want context.Canceled", err)
	}
	if h.tl.Len() != 0 || len(h.a.ManualIncidents()) != 0 || len(h.a.AuditTrail(0)) != 0 {
		t.Errorf("after a failed append: Len() = %d, %v, %v, want nothing", h.tl.Len(), h.a.ManualIncidents(), h.a.AuditTrail(0))
	}
}

// TestAdminConcurrentRevisions: of concurrent corrections of one revision,
// exactly one wins; the others are told to revise the winner.
func TestAdminConcurrentRevisions(t *testing.T) {
	h := newAdminHarness(t)
	ctx := t.Context()
	u, err := h.a.PostUpdate(ctx, "admin", UpdateInput{Status: StatusInvestigating, Title: "t", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = h.a.ReviseUpdate(ctx, "admin", u.Seq, UpdateInput{Status: StatusIdentified, Title: "t", Body: "b"})
		})
		wg.Go(func() { h.a.Updates(u.Incident); h.a.AuditTrail(3) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case validationField(err) != "revises":
			t.Errorf("concurrent ReviseUpdate = %v, want nil or a ValidationError on revises", err)
		}
	}
	if got := h.a.Updates(u.Incident); won != 1 || len(got) != 1 || len(got[0].Revisions) != 1 {
		t.Errorf("%d concurrent revisions won, Updates = %+v, want 1 with one earlier revision", won, got)
	}
}

// TestAdminXSS: payloads are stored as typed; titles, quotes and speakers
// come out of html/template escaped, bodies out of RenderMarkdown inert.
func TestAdminXSS(t *testing.T) {
	h := newAdminHarness(t)
	ctx := t.Context()
	page := template.Must(template.New("p").Parse(
		`<h1>{{.Title}}</h1><div>{{.Body}}</div><blockquote>{{.Quote}}</blockquote><cite>{{.Speaker}}</cite>`))
	for _, p := range xssPayloads {
		line := strings.ReplaceAll(p, "\n", " ") // titles and speakers are one line
		u, err := h.a.PostUpdate(ctx, "admin", UpdateInput{Status: StatusInvestigating, Title: line, Body: p})
		if err != nil {
			t.Fatalf("PostUpdate(%q) = %v", p, err)
		}
		s, err := h.a.RecordStatement(ctx, "admin", StatementInput{Incident: u.Incident, Speaker: line,
			SaidAt: h.clock.Now(), Quote: p, SourceURL: "https://x.fr/"})
		if err != nil {
			t.Fatalf("RecordStatement(%q) = %v", p, err)
		}
		if u.Title != line || u.Body != p || s.Quote != p || s.Speaker != line {
			t.Errorf("payload %q not stored as typed: %q, %q, %q, %q", p, u.Title, u.Body, s.Quote, s.Speaker)
		}
		var out strings.Builder
		err = page.Execute(&out, struct {
			Title, Quote, Speaker string
			Body                  template.HTML
		}{u.Title, s.Quote, s.Speaker, RenderMarkdown(u.Body)})
		if err != nil {
			t.Fatal(err)
		}
		assertInert(t, p, out.String())
	}
}
