package ui

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/labstack/echo/v4"
)

// incidentView is one incident on one time axis: what Constat measured,
// what the admins published and what officials said, each at its time.
type incidentView struct {
	ID         uint64
	Title      string
	Measured   bool   // an automatic incident (else declared by an admin)
	Start, End string // measured, "" when not measured / still open
	StartISO   string
	Components []string
	Entries    []axisEntry
	Open       bool
	Bundle     string // the evidence bundle of its measurements, "" without an evidence log or measurements
	Origin     string // measured, or declared by the Constat team, in words
	Status     string // the admins' latest status, in words; "" if they published none
}

// axisEntry is one point of the time axis.
type axisEntry struct {
	at       time.Time
	Time     string // "6 avril 2021 à 9 h 02"
	ISO      string
	Kind     string // "measure", "update", "statement": a word and an icon, never colour alone
	Text     string // plain text
	Body     template.HTML
	Speaker  string
	Source   string
	SaidAt   string
	Evidence uint64
	DayHref  string // the evidence's day page, anchored at its row
	Recorded string // by when an independent witness had seen the measurement, in words; "" if none has
	Detail   string
}

// incident serves /incidents/{id} in l. What admins and officials wrote is
// shown as they wrote it, in French: only Constat's own words are in l.
func (p *publicAPI) incident(l lang) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := strconv.ParseUint(c.Param("id"), 10, 64)
		if err != nil || id == 0 {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		v, ok := p.incidentView(l, id)
		if !ok {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		body, err := p.s.render(l, "incident.html", v)
		if err != nil {
			return err
		}
		return servePage(c, body, "public, max-age=10")
	}
}

func (p *publicAPI) incidentView(l lang, id uint64) (incidentView, bool) {
	names := p.s.names()
	v := incidentView{ID: id}
	sum, events, measured := p.s.pipe.History().Incident(id)
	updates := p.s.pipe.Admin().Updates(id)
	if !measured && len(updates) == 0 {
		return v, false
	}
	if measured {
		v.Measured, v.Open = true, sum.Open()
		v.Start, v.StartISO = l.heure(sum.Start), sum.Start.UTC().Format(time.RFC3339)
		if !sum.Open() {
			v.End = l.heure(sum.End)
		}
		for _, c := range sum.Components {
			v.Components = append(v.Components, cmpName(c, names))
		}
		v.Title = autoName(l, sum, names)
		if p.s.ev != nil {
			v.Bundle = incidentBundlePath(id)
		}
	}
	v.Origin = l.t("inc.origin.declared")
	if measured {
		v.Origin = l.t("inc.origin.measured")
	}
	if len(updates) > 0 {
		v.Title, v.Status = updates[0].Title, l.t("incstatus."+updates[len(updates)-1].Status.String())
	}
	for _, e := range shownEvents(events) {
		ent := axisEntry{at: e.At, Kind: "measure", Text: eventText(l, e, names), Evidence: e.Evidence,
			DayHref:  l.href("/history/", e.Component, "/", timeline.DateOf(e.At).String()) + fmt.Sprintf("#m%d", e.Evidence),
			Recorded: p.s.recordedBy(l, e.Evidence, e.At)}
		if e.Cause != nil {
			ent.Detail = l.t("outcome."+e.Cause.Outcome.String()) + detailSuffix(e.Cause.Detail) + " — " + l.phases(e.Cause.Phases)
		}
		v.Entries = append(v.Entries, ent)
	}
	for _, u := range updates {
		v.Entries = append(v.Entries, axisEntry{at: u.Published, Kind: "update", Text: u.Title, Body: incidents.RenderMarkdown(u.Body),
			Speaker: u.Author})
	}
	for _, s := range p.s.pipe.Admin().Statements(id) {
		at := s.About
		if at.IsZero() {
			at = s.SaidAt
		}
		v.Entries = append(v.Entries, axisEntry{at: at, Kind: "statement", Text: s.Quote, Speaker: s.Speaker, Source: s.SourceURL,
			SaidAt: l.heure(s.SaidAt)})
	}
	slices.SortStableFunc(v.Entries, func(a, b axisEntry) int { return cmp.Compare(a.at.UnixMilli(), b.at.UnixMilli()) })
	for i := range v.Entries {
		v.Entries[i].Time, v.Entries[i].ISO = secondTime(l, v.Entries[i].at), v.Entries[i].at.UTC().Format(time.RFC3339)
	}
	return v, true
}

func detailSuffix(d string) string {
	if d == "" {
		return ""
	}
	return " (" + d + ")"
}
