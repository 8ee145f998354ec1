package ui

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/labstack/echo/v4"
)

// The admin API: JSON in, JSON out, for automation. Every request carries
// "Authorization: Bearer cst_…" (accounts.Store.TokenAuth) and the route's
// scope. A refused request gets {"error": "…", "field": "…"} with 400, 401,
// 403, 404 or 413 (statusOf); Constat's own faults a bare 500.

const ctxTokenAccount = "admin.token_account"

// requireToken authenticates the bearer token and checks it grants scope.
func (a *admin) requireToken(scope accounts.Scope) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			tok, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
			if !ok || tok == "" {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="constat"`)
				return refuse(http.StatusUnauthorized, "", "missing bearer token")
			}
			name, scopes, err := a.acc.TokenAuth(strings.TrimSpace(tok))
			if errors.Is(err, accounts.ErrBadCredentials) {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="constat", error="invalid_token"`)
				return refuse(http.StatusUnauthorized, "", "invalid or revoked token")
			}
			if err != nil {
				return err
			}
			if !accounts.Has(scopes, scope) {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="constat", error="insufficient_scope", scope="`+scope.String()+`"`)
				return refuse(http.StatusForbidden, "", "token lacks scope %s", scope)
			}
			c.Set(ctxTokenAccount, name)
			return next(c)
		}
	}
}

func tokenAccount(c echo.Context) string {
	s, _ := c.Get(ctxTokenAccount).(string)
	return s
}

// updateRequest is the body of POST /incidents and /incidents/{id}/updates.
type updateRequest struct {
	Status     string `json:"status"`
	Impact     string `json:"impact"`
	Title      string `json:"title"`
	Body       string `json:"body"`
	Components []struct {
		Component string `json:"component"`
		Status    string `json:"status"`
	} `json:"components"`
}

func (r updateRequest) input(incident uint64) (incidents.UpdateInput, error) {
	in := incidents.UpdateInput{Incident: incident, Title: r.Title, Body: r.Body}
	if err := parseUpdateStatus("status", r.Status, &in.Status); err != nil {
		return in, err
	}
	if err := parseImpact("impact", r.Impact, &in.Impact); err != nil {
		return in, err
	}
	for i, c := range r.Components {
		af := timeline.Affected{Component: c.Component}
		if err := parseComponentStatus("components["+strconv.Itoa(i)+"].status", c.Status, &af.Status); err != nil {
			return in, err
		}
		in.Components = append(in.Components, af)
	}
	return in, nil
}

// updateResponse is the answer to a posted update.
type updateResponse struct {
	Seq       uint64    `json:"seq"`
	Root      uint64    `json:"root"`
	Incident  uint64    `json:"incident"`
	Status    string    `json:"status"`
	Published time.Time `json:"published"`
}

func (a *admin) apiCreateIncident(c echo.Context) error {
	return a.apiPostUpdate(c, 0)
}

func (a *admin) apiIncidentUpdate(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil || id == 0 {
		return refuse(http.StatusNotFound, "incident", "no such incident")
	}
	return a.apiPostUpdate(c, id)
}

func (a *admin) apiPostUpdate(c echo.Context, incident uint64) error {
	return apiWrite(c, func(r updateRequest) (incidents.UpdateInput, error) { return r.input(incident) },
		func(in incidents.UpdateInput) (incidents.Update, error) {
			return a.records().PostUpdate(c.Request().Context(), tokenAccount(c), in)
		},
		updateAnswer)
}

// updateAnswer answers a posted or revised update; as for statements and
// maintenance, root is the first revision's seq (the record's own on a
// first revision).
func updateAnswer(u incidents.Update) any {
	return updateResponse{Seq: u.Seq, Root: u.Root, Incident: u.Incident, Status: u.Status.String(), Published: u.Published}
}

// apiWrite is every write of the admin API: decode the JSON body into a
// request R, make its input I, record it, and answer 201 with what answer
// makes of the record O; a failure is returned, for handleError.
func apiWrite[R, I, O any](c echo.Context, input func(R) (I, error), record func(I) (O, error), answer func(O) any) error {
	var req R
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	in, err := input(req)
	if err != nil {
		return err
	}
	out, err := record(in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, answer(out))
}

// statementRequest is the body of POST /statements.
type statementRequest struct {
	Incident  uint64 `json:"incident"`
	Speaker   string `json:"speaker"`
	SaidAt    string `json:"said_at"` // RFC 3339
	Quote     string `json:"quote"`
	SourceURL string `json:"source_url"`
	About     string `json:"about"` // RFC 3339; "" means said_at
}

func (r statementRequest) input() (incidents.StatementInput, error) {
	in := incidents.StatementInput{Incident: r.Incident, Speaker: r.Speaker, Quote: r.Quote, SourceURL: r.SourceURL}
	return in, cmp.Or(parseRFC3339("said_at", r.SaidAt, &in.SaidAt), parseRFC3339("about", r.About, &in.About))
}

// statementResponse is the answer to a recorded or revised statement.
type statementResponse struct {
	Seq      uint64    `json:"seq"`
	Root     uint64    `json:"root"`
	Incident uint64    `json:"incident,omitempty"`
	At       time.Time `json:"at"`
}

func statementAnswer(st incidents.Statement) any {
	return statementResponse{st.Seq, st.Root, st.Incident, st.At}
}

func (a *admin) apiStatement(c echo.Context) error {
	return apiWrite(c, statementRequest.input, func(in incidents.StatementInput) (incidents.Statement, error) {
		return a.records().RecordStatement(c.Request().Context(), tokenAccount(c), in)
	}, statementAnswer)
}

// maintenanceRequest is the body of POST /maintenances.
type maintenanceRequest struct {
	Title      string   `json:"title"`
	Body       string   `json:"body"`
	Components []string `json:"components"`
	Start      string   `json:"start"`  // RFC 3339
	End        string   `json:"end"`    // RFC 3339
	Status     string   `json:"status"` // "" means scheduled
}

func (r maintenanceRequest) input() (incidents.MaintenanceInput, error) {
	in := incidents.MaintenanceInput{Title: r.Title, Body: r.Body, Components: r.Components, Status: incidents.StatusScheduled}
	if r.Status != "" {
		if err := parseUpdateStatus("status", r.Status, &in.Status); err != nil {
			return in, err
		}
	}
	return in, cmp.Or(parseRFC3339("start", r.Start, &in.Start), parseRFC3339("end", r.End, &in.End))
}

// maintenanceResponse is the answer to a scheduled or revised maintenance.
type maintenanceResponse struct {
	Seq  uint64 `json:"seq"`
	Root uint64 `json:"root"`
	ID   uint64 `json:"id"`
}

func maintenanceAnswer(m incidents.ScheduledMaintenance) any {
	return maintenanceResponse{m.Seq, m.Root, m.ID}
}

func (a *admin) apiMaintenance(c echo.Context) error {
	return apiWrite(c, maintenanceRequest.input, func(in incidents.MaintenanceInput) (incidents.ScheduledMaintenance, error) {
		return a.records().ScheduleMaintenance(c.Request().Context(), tokenAccount(c), in)
	}, maintenanceAnswer)
}

// The revision routes, POST /{updates,statements,maintenances}/{seq}/revisions,
// take the body of the matching create route and record a correction of
// record seq, which must be its record's current revision (else 400 with
// field "revises"). They answer 201 with the new revision's seq, and the
// root, the stable seq of the record's first revision.

// revisedSeq parses the route's :seq; a malformed one is refused with 400.
func revisedSeq(c echo.Context) (uint64, bool) {
	seq, err := strconv.ParseUint(c.Param("seq"), 10, 64)
	return seq, err == nil && seq != 0
}

func badSeq() error {
	return refuse(http.StatusBadRequest, "revises", "want a record number in the path")
}

func (a *admin) apiReviseUpdate(c echo.Context) error {
	seq, ok := revisedSeq(c)
	if !ok {
		return badSeq()
	}
	return apiWrite(c, func(r updateRequest) (incidents.UpdateInput, error) { return r.input(0) },
		func(in incidents.UpdateInput) (incidents.Update, error) {
			return a.records().ReviseUpdate(c.Request().Context(), tokenAccount(c), seq, in)
		},
		updateAnswer)
}

func (a *admin) apiReviseStatement(c echo.Context) error {
	seq, ok := revisedSeq(c)
	if !ok {
		return badSeq()
	}
	return apiWrite(c, statementRequest.input, func(in incidents.StatementInput) (incidents.Statement, error) {
		return a.records().ReviseStatement(c.Request().Context(), tokenAccount(c), seq, in)
	}, statementAnswer)
}

func (a *admin) apiReviseMaintenance(c echo.Context) error {
	seq, ok := revisedSeq(c)
	if !ok {
		return badSeq()
	}
	return apiWrite(c, maintenanceRequest.input, func(in incidents.MaintenanceInput) (incidents.ScheduledMaintenance, error) {
		return a.records().ReviseMaintenance(c.Request().Context(), tokenAccount(c), seq, in)
	}, maintenanceAnswer)
}

// parseRFC3339 parses s into *t; "" leaves *t zero (Admin says if required).
func parseRFC3339(field, s string, t *time.Time) error {
	if s == "" {
		return nil
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return &incidents.ValidationError{Field: field, Message: "want an RFC 3339 time such as 2026-11-23T09:30:00+01:00"}
	}
	*t = v
	return nil
}
