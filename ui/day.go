package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
	"github.com/labstack/echo/v4"
)

// dayView is the citable page of one component's day: every round counted,
// every failing one listed to the second with its evidence.
type dayView struct {
	ID, Name, Group string
	Day             string // "6 avril 2021"
	Date            string // "2021-04-06"
	Prev, Next      string // neighbouring dates, "" past today
	Rounds, Failing int
	Outcomes        []outcomeCount
	Rows            []dayRow
	CSV             string // the raw data of the day
}

type outcomeCount struct {
	Outcome string
	Count   int
}

type dayRow struct {
	Seq                  uint64
	Time, ISO            string // "9 h 02 min 13 s", RFC 3339
	Status               string
	Step                 int
	URL, Outcome, Detail string
	Code                 int
	Phases               string
}

var dateSyntax = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// day serves /history/{component}/{YYYY-MM-DD}: the day minute by minute
// (Europe/Paris), each failing measurement with its outcome and phases. It
// reads the timeline's index for one day (a few milliseconds) on each
// request; a past day never changes, so it is cached for an hour.
func (s *Server) day(c echo.Context) error {
	comp := s.cfg.Component(c.Param("component"))
	if comp == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	raw := c.Param("day")
	t, err := time.ParseInLocation("2006-01-02", raw, paris)
	if !dateSyntax.MatchString(raw) || err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "date: want YYYY-MM-DD")
	}
	d := timeline.DateOf(t)
	today := timeline.DateOf(time.Now())
	if d.Compare(today) > 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	v, err := s.dayView(comp, d, today)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "day.html", v); err != nil {
		return fmt.Errorf("render day page: %w", err)
	}
	cache := "public, max-age=60"
	if d.Compare(today) < 0 {
		cache = "public, max-age=3600"
	}
	c.Response().Header().Set("Cache-Control", cache)
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

func (s *Server) dayView(comp *probes.Component, d, today timeline.Date) (dayView, error) {
	v := dayView{ID: comp.ID, Name: comp.Name, Group: comp.Group, Date: d.String(), Day: jour(d.Start()),
		Prev: d.AddDays(-1).String(), CSV: fmt.Sprintf("/api/v1/components/%s/measurements.csv?from=%s&to=%s", comp.ID, d, d.AddDays(1))}
	if d.Compare(today) < 0 {
		v.Next = d.AddDays(1).String()
	}
	counts := map[probes.Outcome]int{}
	err := s.rec.Timeline().Range(comp.ID, d.Start(), d.AddDays(1).Start(), func(m timeline.Measurement) error {
		v.Rounds++
		f := m.Failed()
		if f == nil {
			return nil
		}
		v.Failing++
		counts[f.Outcome]++
		st := 1
		for i := range m.Steps {
			if &m.Steps[i] == f {
				st = i + 1
			}
		}
		p := m.Start.In(paris)
		v.Rows = append(v.Rows, dayRow{Seq: m.Seq, Time: fmt.Sprintf("%d h %02d min %02d s", p.Hour(), p.Minute(), p.Second()),
			ISO: m.Start.UTC().Format(time.RFC3339Nano), Status: m.Status.String(), Step: st, URL: f.URL,
			Outcome: f.Outcome.String(), Detail: f.Detail, Code: f.StatusCode, Phases: phasesText(f.Phases)})
		return nil
	})
	for o := probes.Outcome(1); o.Valid(); o++ {
		if n := counts[o]; n > 0 {
			v.Outcomes = append(v.Outcomes, outcomeCount{o.String(), n})
		}
	}
	return v, err
}

// jour formats the day of t as "6 avril 2021", in Paris.
func jour(t time.Time) string {
	p := t.In(paris)
	return fmt.Sprintf("%d %s %d", p.Day(), months[p.Month()-1], p.Year())
}
