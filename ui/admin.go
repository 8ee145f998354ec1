package ui

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
	"github.com/labstack/echo/v4"
)

// admin serves /admin and /api/admin/v1: the admins' pages and API, over
// the accounts (login, sessions, tokens) and the pipeline's admin records.
type admin struct {
	s   *Server
	acc *accounts.Store
	log *slog.Logger
}

// records returns the admin records the pages and the API read and write.
func (a *admin) records() *incidents.Admin { return a.s.pipe.Admin() }

// render executes the template name into memory first, so that a template
// error becomes a 500 rather than half a page.
func (a *admin) render(c echo.Context, code int, name string, data any) error {
	var buf bytes.Buffer
	if err := a.s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return c.HTMLBlob(code, buf.Bytes())
}

// audit records that actor did action (a login, a logout) in the public
// audit trail: never a password, token, session or address. A failure is
// logged: the action itself has happened.
func (a *admin) audit(c echo.Context, actor, action string) {
	if err := a.records().Audit(c.Request().Context(), actor, action, 0, ""); err != nil {
		a.log.Error("audit failed", "account", actor, "action", action, "err", err)
	}
}

// adminPage is what the layout of every admin page needs.
type adminPage struct {
	Account string // "" on the login page: no navigation
	CSRF    string
}

func (a *admin) page(sess accounts.Session) adminPage {
	return adminPage{Account: sess.Account, CSRF: sess.CSRF}
}

type dashboardView struct {
	adminPage
	Open         []openIncidentView
	Manual       []manualView
	Maintenances []maintenanceView
	Statements   []statementView
	Audit        []auditView
}

type openIncidentView struct {
	ID              uint64
	Components      string
	Since, SinceISO string
	Status          string
}

type manualView struct {
	ID, Seq                 uint64 // Seq: the latest update's current revision
	Title, Status, Author   string
	Published, PublishedISO string
	Body                    template.HTML // sanitised by incidents.RenderMarkdown
	Revisions               []revisionView
}

type maintenanceView struct {
	ID, Seq                      uint64
	Title, Components, Status    string
	Start, StartISO, End, EndISO string
	Body                         template.HTML
	Revisions                    []revisionView
}

type statementView struct {
	Seq, Incident          uint64
	Speaker, Quote, Source string
	SaidAt, SaidAtISO      string
	Revisions              []revisionView
}

// revisionView is an earlier revision of a record, as the dashboard lists
// it: what it said (title, or speaker and quote), who wrote it and when.
type revisionView struct {
	Seq                   uint64
	Speaker, Text, Author string
	At, AtISO             string
}

func revision(seq uint64, text, author string, at time.Time) revisionView {
	return revisionView{Seq: seq, Text: text, Author: author, At: heure(at), AtISO: iso(at)}
}

type auditView struct {
	At, AtISO, Actor, Action, Detail string
	Target                           uint64
}

// dashboardLimit bounds each list of the dashboard.
const dashboardLimit = 30

func (a *admin) dashboard(c echo.Context) error {
	v := dashboardView{adminPage: a.page(session(c))}
	for _, inc := range a.s.pipe.OpenIncidents() {
		v.Open = append(v.Open, openIncidentView{ID: inc.ID, Components: strings.Join(inc.Affected, ", "),
			Since: heure(inc.Start), SinceISO: iso(inc.Start), Status: inc.Worst.String()})
	}
	ad := a.records()
	v.Manual = manualViews(ad)
	v.Maintenances = maintenanceViews(ad.Maintenances())
	v.Statements = statementViews(ad.AllStatements())
	for _, au := range ad.AuditTrail(dashboardLimit) {
		v.Audit = append(v.Audit, auditView{At: heure(au.At), AtISO: iso(au.At), Actor: au.Actor,
			Action: au.Action, Detail: au.Detail, Target: au.Target})
	}
	return a.render(c, http.StatusOK, "admin_dashboard.html", v)
}

// manualViews shows each manual incident by its latest update, newest first.
func manualViews(ad *incidents.Admin) []manualView {
	ids := ad.ManualIncidents()
	var out []manualView
	for i := len(ids) - 1; i >= 0 && len(out) < dashboardLimit; i-- {
		ups := ad.Updates(ids[i])
		if len(ups) == 0 {
			continue
		}
		u := ups[len(ups)-1]
		v := manualView{ID: ids[i], Seq: u.Seq, Title: u.Title, Status: t("update." + u.Status.String()), Author: u.Author,
			Published: heure(u.Published), PublishedISO: iso(u.Published), Body: incidents.RenderMarkdown(u.Body)}
		for _, r := range u.Revisions {
			v.Revisions = append(v.Revisions, revision(r.Seq, r.Title, r.Author, r.Published))
		}
		out = append(out, v)
	}
	return out
}

func maintenanceViews(ms []incidents.ScheduledMaintenance) []maintenanceView {
	var out []maintenanceView
	for i := len(ms) - 1; i >= 0 && len(out) < dashboardLimit; i-- {
		m := ms[i]
		v := maintenanceView{ID: m.ID, Seq: m.Seq, Title: m.Title, Components: strings.Join(m.Components, ", "),
			Status: t("update." + m.Status.String()), Start: heure(m.Start), StartISO: iso(m.Start),
			End: heure(m.End), EndISO: iso(m.End), Body: incidents.RenderMarkdown(m.Body)}
		for _, r := range m.Revisions {
			v.Revisions = append(v.Revisions, revision(r.Seq, r.Title, r.Author, r.At))
		}
		out = append(out, v)
	}
	return out
}

func statementViews(ss []incidents.Statement) []statementView {
	var out []statementView
	for i := len(ss) - 1; i >= 0 && len(out) < dashboardLimit; i-- {
		s := ss[i]
		v := statementView{Seq: s.Seq, Incident: s.Incident, Speaker: s.Speaker, Quote: s.Quote,
			Source: s.SourceURL, SaidAt: heure(s.SaidAt), SaidAtISO: iso(s.SaidAt)}
		for _, r := range s.Revisions {
			rv := revision(r.Seq, r.Quote, r.Author, r.At)
			rv.Speaker = r.Speaker
			v.Revisions = append(v.Revisions, rv)
		}
		out = append(out, v)
	}
	return out
}

// adminStyle serves the admin pages' style sheet: the CSP forbids inline styles.
func adminStyle(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(adminCSS))
}

const adminCSS = `body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:0 .75rem;color:#1a1a1a;background:#fff}
a{color:#0b4f9c}a:focus,:focus-visible{outline:3px solid #0b4f9c;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;background:#fff;padding:.25rem}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}th,td{text-align:left;padding:.35rem .4rem;border-bottom:1px solid #ccc;vertical-align:top}
caption{text-align:left;font-weight:700;font-size:1.15rem;padding:.5rem 0}
.s-operational{color:#1e6b2f}.s-degraded_performance{color:#7a5200}.s-partial_outage{color:#9c4000}.s-major_outage{color:#b00020}
small{color:#444}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem}
label{display:block;font-weight:600;margin-top:.75rem}
input,select,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.3rem}
textarea{min-height:8rem}
button{font:inherit;margin-top:1rem;padding:.35rem 1rem}
.error{color:#b00020;border-left:4px solid #b00020;padding-left:.5rem}
.notice{border-left:4px solid #1e6b2f;padding-left:.5rem}
.notice code{overflow-wrap:anywhere;font-size:1.05rem}
.inline{display:inline}
`

// iso formats t for a <time datetime>; "" for the zero time.
func iso(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// The forms. Each POST handler parses the form into an Admin input, calls
// one Admin method (which audits itself) and redirects to the dashboard; a
// refused field re-renders the form, with the values entered, as 400.
// A form carrying "revises" (the seq of a record's current revision)
// records a correction of that record: a new revision, the earlier ones
// staying readable. GET …/new?revises=SEQ opens the form pre-filled with
// the record's current values.

// option is one choice of a <select>.
type option struct {
	Value, Label string
	Selected     bool
}

func options(values []string, labelPrefix, selected string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{Value: v, Label: t(labelPrefix + v), Selected: v == selected}
	}
	return out
}

var (
	incidentStatuses    = []string{"investigating", "identified", "monitoring", "resolved"}
	maintenanceStatuses = []string{"scheduled", "in_progress", "completed"}
	impacts             = []string{"none", "minor", "major", "critical"}
	componentStatuses   = []string{"degraded_performance", "partial_outage", "major_outage", "under_maintenance", "operational"}
)

// componentChoice is a component in a form: a status for an update, a
// check box for a maintenance.
type componentChoice struct {
	ID, Name string
	Checked  bool
	Statuses []option
}

type updateFormView struct {
	adminPage
	Error                 string
	Revises               string // the seq corrected; "" for a new update
	Incident, Title, Body string
	Statuses, Impacts     []option
	Components            []componentChoice
}

func (a *admin) updateView(c echo.Context, f url.Values) updateFormView {
	v := updateFormView{adminPage: a.page(session(c)), Revises: f.Get("revises"), Incident: f.Get("incident"), Title: f.Get("title"), Body: f.Get("body"),
		Statuses: options(incidentStatuses, "update.", f.Get("status")), Impacts: options(impacts, "impact.", f.Get("impact"))}
	for _, comp := range a.s.cfg.Components {
		v.Components = append(v.Components, componentChoice{ID: comp.ID, Name: comp.Name,
			Statuses: options(componentStatuses, "status.", f.Get("component."+comp.ID))})
	}
	return v
}

func (a *admin) updateForm(c echo.Context) error {
	f := c.QueryParams()
	if rev := f.Get("revises"); rev != "" {
		var inc uint64
		u, ok := findRevision(a.updatesOf(f.Get("incident"), &inc), rev, func(u incidents.Update) uint64 { return u.Seq },
			func(u incidents.Update) []incidents.Update { return u.Revisions })
		if !ok {
			return echo.ErrNotFound
		}
		f = url.Values{"revises": {strconv.FormatUint(u.Seq, 10)}, "incident": {strconv.FormatUint(u.Incident, 10)},
			"status": {u.Status.String()}, "impact": {u.Impact.String()}, "title": {u.Title}, "body": {u.Body}}
		for _, af := range u.Components {
			f.Set("component."+af.Component, af.Status.String())
		}
	}
	return a.render(c, http.StatusOK, "admin_update.html", a.updateView(c, f))
}

// updatesOf returns the updates of the incident numbered s (none if s is
// not a number), and sets *id to it.
func (a *admin) updatesOf(s string, id *uint64) []incidents.Update {
	if parseID("incident", s, id) != nil {
		return nil
	}
	return a.records().Updates(*id)
}

// findRevision returns the record of recs of which seq (a form value) is
// a revision, current or earlier, at its current revision.
func findRevision[T any](recs []T, seq string, seqOf func(T) uint64, earlier func(T) []T) (T, bool) {
	var zero T
	n, err := strconv.ParseUint(strings.TrimSpace(seq), 10, 64)
	if err != nil {
		return zero, false
	}
	for _, r := range recs {
		if seqOf(r) == n || slices.ContainsFunc(earlier(r), func(e T) bool { return seqOf(e) == n }) {
			return r, true
		}
	}
	return zero, false
}

// revisesOf parses a form's "revises" field: ok is false without one.
func revisesOf(f url.Values) (seq uint64, ok bool, err error) {
	s := f.Get("revises")
	if s == "" {
		return 0, false, nil
	}
	if err := parseID("revises", s, &seq); err != nil || seq == 0 {
		return 0, false, &incidents.ValidationError{Field: "revises", Message: "want a record number"}
	}
	return seq, true, nil
}

func (a *admin) postUpdate(c echo.Context) error {
	f := c.Request().PostForm
	in, err := updateInput(f, a.s.cfg.Components)
	seq, revise, rerr := revisesOf(f)
	err = cmp.Or(rerr, err)
	switch {
	case err != nil:
	case revise:
		_, err = a.records().ReviseUpdate(c.Request().Context(), session(c).Account, seq, in)
	default:
		_, err = a.records().PostUpdate(c.Request().Context(), session(c).Account, in)
	}
	if msg, ok := formError(err); ok {
		v := a.updateView(c, f)
		v.Error = msg
		return a.render(c, http.StatusBadRequest, "admin_update.html", v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin")
}

func updateInput(f url.Values, comps []*probes.Component) (incidents.UpdateInput, error) {
	in := incidents.UpdateInput{Title: f.Get("title"), Body: f.Get("body")}
	err := cmp.Or(parseID("incident", f.Get("incident"), &in.Incident),
		parseUpdateStatus("status", f.Get("status"), &in.Status), parseImpact("impact", f.Get("impact"), &in.Impact))
	for _, comp := range comps {
		st := f.Get("component." + comp.ID)
		if st == "" || err != nil {
			continue
		}
		af := timeline.Affected{Component: comp.ID}
		err = parseComponentStatus("component."+comp.ID, st, &af.Status)
		in.Components = append(in.Components, af)
	}
	return in, err
}

type statementFormView struct {
	adminPage
	Error                                           string
	Revises                                         string
	Incident, Speaker, SaidAt, About, Quote, Source string
}

func (a *admin) statementView(c echo.Context, f url.Values) statementFormView {
	return statementFormView{adminPage: a.page(session(c)), Revises: f.Get("revises"), Incident: f.Get("incident"), Speaker: f.Get("speaker"),
		SaidAt: f.Get("said_at"), About: f.Get("about"), Quote: f.Get("quote"), Source: f.Get("source_url")}
}

func (a *admin) statementForm(c echo.Context) error {
	f := c.QueryParams()
	if rev := f.Get("revises"); rev != "" {
		s, ok := findRevision(a.records().AllStatements(), rev, func(s incidents.Statement) uint64 { return s.Seq },
			func(s incidents.Statement) []incidents.Statement { return s.Revisions })
		if !ok {
			return echo.ErrNotFound
		}
		f = url.Values{"revises": {strconv.FormatUint(s.Seq, 10)}, "speaker": {s.Speaker}, "quote": {s.Quote},
			"source_url": {s.SourceURL}, "said_at": {formLocal(s.SaidAt)}}
		if s.Incident != 0 {
			f.Set("incident", strconv.FormatUint(s.Incident, 10))
		}
		if !s.About.Equal(s.SaidAt) {
			f.Set("about", formLocal(s.About))
		}
	}
	return a.render(c, http.StatusOK, "admin_statement.html", a.statementView(c, f))
}

func (a *admin) postStatement(c echo.Context) error {
	f := c.Request().PostForm
	in := incidents.StatementInput{Speaker: f.Get("speaker"), Quote: f.Get("quote"), SourceURL: f.Get("source_url")}
	seq, revise, err := revisesOf(f)
	err = cmp.Or(err, parseID("incident", f.Get("incident"), &in.Incident),
		parseLocal("said_at", f.Get("said_at"), &in.SaidAt), parseLocal("about", f.Get("about"), &in.About))
	switch {
	case err != nil:
	case revise:
		_, err = a.records().ReviseStatement(c.Request().Context(), session(c).Account, seq, in)
	default:
		_, err = a.records().RecordStatement(c.Request().Context(), session(c).Account, in)
	}
	if msg, ok := formError(err); ok {
		v := a.statementView(c, f)
		v.Error = msg
		return a.render(c, http.StatusBadRequest, "admin_statement.html", v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin")
}

type maintenanceFormView struct {
	adminPage
	Error                   string
	Revises                 string
	Title, Body, Start, End string
	Statuses                []option
	Components              []componentChoice
}

func (a *admin) maintenanceView(c echo.Context, f url.Values) maintenanceFormView {
	v := maintenanceFormView{adminPage: a.page(session(c)), Revises: f.Get("revises"), Title: f.Get("title"), Body: f.Get("body"),
		Start: f.Get("start"), End: f.Get("end"), Statuses: options(maintenanceStatuses, "update.", f.Get("status"))}
	for _, comp := range a.s.cfg.Components {
		v.Components = append(v.Components, componentChoice{ID: comp.ID, Name: comp.Name, Checked: slices.Contains(f["components"], comp.ID)})
	}
	return v
}

func (a *admin) maintenanceForm(c echo.Context) error {
	f := c.QueryParams()
	if rev := f.Get("revises"); rev != "" {
		m, ok := findRevision(a.records().Maintenances(), rev, func(m incidents.ScheduledMaintenance) uint64 { return m.Seq },
			func(m incidents.ScheduledMaintenance) []incidents.ScheduledMaintenance { return m.Revisions })
		if !ok {
			return echo.ErrNotFound
		}
		f = url.Values{"revises": {strconv.FormatUint(m.Seq, 10)}, "title": {m.Title}, "body": {m.Body},
			"components": m.Components, "start": {formLocal(m.Start)}, "end": {formLocal(m.End)}, "status": {m.Status.String()}}
	}
	return a.render(c, http.StatusOK, "admin_maintenance.html", a.maintenanceView(c, f))
}

func (a *admin) postMaintenance(c echo.Context) error {
	f := c.Request().PostForm
	in := incidents.MaintenanceInput{Title: f.Get("title"), Body: f.Get("body"), Components: f["components"]}
	seq, revise, err := revisesOf(f)
	err = cmp.Or(err, parseUpdateStatus("status", f.Get("status"), &in.Status),
		parseLocal("start", f.Get("start"), &in.Start), parseLocal("end", f.Get("end"), &in.End))
	switch {
	case err != nil:
	case revise:
		_, err = a.records().ReviseMaintenance(c.Request().Context(), session(c).Account, seq, in)
	default:
		_, err = a.records().ScheduleMaintenance(c.Request().Context(), session(c).Account, in)
	}
	if msg, ok := formError(err); ok {
		v := a.maintenanceView(c, f)
		v.Error = msg
		return a.render(c, http.StatusBadRequest, "admin_maintenance.html", v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// formError returns the French message of a refusal (statusOf says 4xx)
// for a form to show, or false for nil and for Constat's own faults.
func formError(err error) (string, bool) {
	if err == nil {
		return "", false
	}
	code, body := statusOf(err)
	if code >= 500 || body == nil {
		return "", false
	}
	msg := body.Error
	if errors.Is(err, incidents.ErrNotFound) {
		msg = t("admin.incident.unknown")
	}
	field, _, _ := strings.Cut(body.Field, "[")
	field, _, _ = strings.Cut(field, ".")
	return fmt.Sprintf("%s « %s » : %s", t("admin.invalid"), t("field."+field), msg), true
}

// Parsers of form and JSON fields. Each leaves its target zero for "", so
// that Admin reports a missing required field, and returns a
// *incidents.ValidationError naming the field otherwise.

func parseID(field, s string, id *uint64) error {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return &incidents.ValidationError{Field: field, Message: "want a record number"}
	}
	*id = v
	return nil
}

func parseUpdateStatus(field, s string, st *incidents.UpdateStatus) error {
	if s == "" {
		return nil
	}
	if err := st.UnmarshalText([]byte(s)); err != nil {
		return &incidents.ValidationError{Field: field, Message: fmt.Sprintf("unknown status %.40q", s)}
	}
	return nil
}

func parseImpact(field, s string, im *incidents.Impact) error {
	if s == "" {
		return nil
	}
	if err := im.UnmarshalText([]byte(s)); err != nil {
		return &incidents.ValidationError{Field: field, Message: fmt.Sprintf("unknown impact %.40q", s)}
	}
	return nil
}

func parseComponentStatus(field, s string, st *probes.Status) error {
	if err := st.UnmarshalText([]byte(s)); err != nil || !st.Valid() {
		return &incidents.ValidationError{Field: field, Message: fmt.Sprintf("unknown component status %.40q", s)}
	}
	return nil
}

// parseLocal parses a form's date and time (<input type="datetime-local">),
// in Paris time.
func parseLocal(field, s string, tm *time.Time) error {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if v, err := time.ParseInLocation(layout, s, paris); err == nil {
			*tm = v
			return nil
		}
	}
	return &incidents.ValidationError{Field: field, Message: "want a date and time such as 2026-11-23T09:30"}
}

// formLocal formats tm for a datetime-local input, in Paris time, with
// seconds and milliseconds only when it has them: a corrected record keeps
// its times unless the admin changes them.
func formLocal(tm time.Time) string {
	p := tm.In(paris)
	switch {
	case p.Nanosecond() != 0:
		return p.Format("2006-01-02T15:04:05.000")
	case p.Second() != 0:
		return p.Format("2006-01-02T15:04:05")
	}
	return p.Format("2006-01-02T15:04")
}
