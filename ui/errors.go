package ui

import (
	"errors"
	"fmt"
	"net/http"
	"syscall"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/labstack/echo/v4"
)

// Handlers return errors; handleError, the server's HTTPErrorHandler, turns
// them into answers, with statusOf the one place an error becomes a status.
// A refusal the client can act on (a bad parameter or field, an unknown
// incident, a body too large, a missing token) is answered with its status
// and, when it has one, the JSON body {"error": "…", "field": "…"} (field
// only when one field is to blame); anything else is Constat's own fault:
// logged once and answered 500 with the status text only. A public answer
// never carries an error's text.

// apiError is the JSON body of a refused request.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// refusal is a request refused with code and a JSON body.
type refusal struct {
	code int
	body apiError
}

func (r *refusal) Error() string { return fmt.Sprintf("%d: %s", r.code, r.body.Error) }

// refuse returns a refusal with code, naming field ("" for none).
func refuse(code int, field, format string, args ...any) *refusal {
	return &refusal{code, apiError{Error: fmt.Sprintf(format, args...), Field: field}}
}

// errTooLarge is returned when a form or JSON body exceeds maxFormBytes.
var errTooLarge = errors.New("request body too large")

// statusOf returns the status of err and, for a refusal with a body, the
// body; a nil body means the status text alone.
func statusOf(err error) (int, *apiError) {
	if he, ok := errors.AsType[*echo.HTTPError](err); ok {
		return he.Code, nil
	}
	if r, ok := errors.AsType[*refusal](err); ok {
		return r.code, &r.body
	}
	if ve, ok := errors.AsType[*incidents.ValidationError](err); ok {
		return http.StatusBadRequest, &apiError{Error: ve.Message, Field: ve.Field}
	}
	if fe, ok := errors.AsType[*push.FieldError](err); ok {
		return http.StatusBadRequest, &apiError{Error: fe.Message, Field: fe.Field}
	}
	switch {
	case errors.Is(err, incidents.ErrNotFound):
		return http.StatusNotFound, &apiError{Error: "no such incident", Field: "incident"}
	case errors.Is(err, push.ErrFull):
		return http.StatusServiceUnavailable, &apiError{Error: "this server has reached its maximum number of alert subscriptions and takes no more for now"}
	case errors.Is(err, push.ErrLookup):
		return http.StatusServiceUnavailable, &apiError{Error: "the push service's address could not be checked just now; nothing was recorded; try again later"}
	case errors.Is(err, push.ErrNotFound):
		return http.StatusNotFound, &apiError{Error: "no such subscription", Field: "subscription"}
	case errors.Is(err, syscall.ENOSPC):
		return http.StatusServiceUnavailable, &apiError{Error: "storage full: nothing was recorded; try again once the server has disk space"}
	case errors.Is(err, timeline.ErrCommit):
		return http.StatusServiceUnavailable, &apiError{Error: "storage failing: nothing was recorded; try again later"}
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge, &apiError{Error: fmt.Sprintf("body larger than %d bytes", maxFormBytes)}
	}
	return http.StatusInternalServerError, nil
}

// handleError answers err (see statusOf); nothing if the answer has begun.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, body := statusOf(err)
	if code >= 500 {
		s.log.Error("request failed", "path", c.Path(), "err", err)
	}
	switch {
	case c.Request().Method == http.MethodHead:
		_ = c.NoContent(code)
	case body != nil && pagePath(c.Request().URL.Path) && s.errorPage(c, code):
	case body != nil:
		_ = c.JSON(code, body)
	case s.errorPage(c, code):
	default:
		_ = c.String(code, http.StatusText(code)+"\n")
	}
}
