package ui

import (
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/labstack/echo/v4"
)

// maintenancePage is a scheduled maintenance as the public reads it: the
// address the Statuspage API gives as its shortlink.
type maintenancePage struct {
	ID                uint64
	Title             string
	Status            string // scheduled, in_progress or completed, as time makes it
	From, Until       string
	FromISO, UntilISO string
	Components        []string
	Body              template.HTML
	Published         string
	Revisions         int // corrections published since it was first scheduled
}

// maintenance serves /maintenances/{id} in l. The admins' words are shown
// as they wrote them; only Constat's own are in l.
func (p *publicAPI) maintenance(l lang) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := strconv.ParseUint(c.Param("id"), 10, 64)
		if err != nil {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		names := p.s.names()
		for _, m := range p.s.pipe.Admin().Maintenances() {
			if m.ID != id {
				continue
			}
			v := maintenancePage{ID: m.ID, Title: m.Title, Status: maintenanceStatus(m, p.s.now()),
				From: l.heure(m.Start), Until: l.heure(m.End),
				FromISO: m.Start.UTC().Format(time.RFC3339), UntilISO: m.End.UTC().Format(time.RFC3339),
				Body: incidents.RenderMarkdown(m.Body), Published: l.heure(m.At), Revisions: len(m.Revisions)}
			for _, c := range m.Components {
				v.Components = append(v.Components, cmpName(c, names))
			}
			body, err := p.s.render(l, "maintenance.html", v)
			if err != nil {
				return err
			}
			return servePage(c, body, "public, max-age=60")
		}
		return echo.NewHTTPError(http.StatusNotFound)
	}
}

// maintenanceStatus is the status time gives a maintenance: a scheduled
// window whose start has passed is in progress, one whose end has passed
// is completed, whatever was last published.
func maintenanceStatus(m incidents.ScheduledMaintenance, now time.Time) string {
	switch {
	case m.Status == incidents.StatusCompleted || !now.Before(m.End):
		return "completed"
	case !now.Before(m.Start):
		return "in_progress"
	}
	return m.Status.String()
}
