package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// maxBundleSpan bounds the period of an incident's bundle: its first two
// days. A day of one component is about 3 MB and 80 ms of CPU.
const maxBundleSpan = 48 * time.Hour

// dayBundle serves /evidence/bundles/day/{component}/{YYYY-MM-DD}: the
// evidence bundle of the component's measurements of that day (Paris), the
// "preuve" of the day page.
func (h *evidenceAPI) dayBundle(c echo.Context) error {
	comp, d, _, err := h.s.parseDay(c.Param("component"), c.Param("day"))
	if err != nil {
		return err
	}
	name := fmt.Sprintf("preuve-%s-%s.json", comp.ID, d)
	return h.bundle(c, name, []string{comp.ID}, d.Start(), d.AddDays(1).Start())
}

// incidentBundle serves /evidence/bundles/incident/{id}: the evidence
// bundle of the measurements of a measured incident's components from its
// start to its end (or now), at most its first maxBundleSpan.
func (h *evidenceAPI) incidentBundle(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil || id == 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	sum, _, measured := h.s.pipe.History().Incident(id)
	if !measured {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	end := sum.End
	if sum.Open() {
		end = h.s.now()
	}
	end = end.Add(time.Millisecond) // End is a measured start: include it
	if limit := sum.Start.Add(maxBundleSpan); end.After(limit) {
		end = limit
	}
	// The timeline keeps starts to the millisecond, rounded down.
	return h.bundle(c, fmt.Sprintf("preuve-incident-%d.json", id), sum.Components, sum.Start.Truncate(time.Millisecond), end)
}

// bundle builds and sends a bundle, one at a time: a bundle costs tens of
// milliseconds of CPU, and requests wait their turn rather than pile up.
func (h *evidenceAPI) bundle(c echo.Context, name string, comps []string, from, to time.Time) error {
	select {
	case h.busy <- struct{}{}:
		defer func() { <-h.busy }()
	case <-c.Request().Context().Done():
		return echo.NewHTTPError(http.StatusServiceUnavailable)
	}
	b, err := h.ev.RangeBundle(comps, from, to)
	if err != nil {
		return err
	}
	body, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode bundle %s: %w", name, err)
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Response().Header().Set("Cache-Control", cachePartial)
	return writeOK(c, echo.MIMEApplicationJSON, append(body, '\n'))
}
