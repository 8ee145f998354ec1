package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
	"github.com/labstack/echo/v4"
)

// dayView is the citable page of one component's day: every round counted,
// every failing one listed to the second with its evidence.
type dayView struct {
	ID, Name, Group string
	Day             string // "6 avril 2021", in the page's language
	Date            string // "2021-04-06"
	Prev, Next      string // neighbouring dates, "" past today
	Rounds, Failing int
	Outcomes        []outcomeCount
	Rows            []dayRow
	CSV             string        // the raw data of the day: its permalink, in every language
	Bundle          string        // the day's evidence bundle, "" without an evidence log
	Periods         []dayPeriod   // the runs of rounds not operational, to the second
	Strip           template.HTML // the day minute by minute, SVG with its text alternative
}

type outcomeCount struct {
	Outcome string
	Count   int
}

type dayRow struct {
	Seq                  uint64
	Time, ISO            string // "9 h 02 min 13 s" or "09:02:13", RFC 3339
	Status               string
	Step                 int
	URL, Outcome, Detail string
	Code                 int
	Phases               string
}

var dateSyntax = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// day serves /history/{component}/{YYYY-MM-DD} in l: the day minute by
// minute (Europe/Paris), each failing measurement with its outcome and
// phases. Today's page reads the timeline's index for one day (a few
// milliseconds) on each request; a past day's page never changes, so it is
// rendered once (dayCache) and cached by clients for an hour.
// In French only, /history/{component}/{YYYY-MM-DD}.csv is the day's raw
// data (dayCSV): data has one address, whichever page links to it.
func (s *Server) day(l lang) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw, csv := strings.CutSuffix(c.Param("day"), ".csv")
		if csv && l != french {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		comp, d, today, err := s.parseDay(c.Param("component"), raw)
		if err != nil {
			return err
		}
		if csv {
			return s.dayCSV(c, comp.ID, d)
		}
		if !dayOver(d, s.now()) {
			v, err := s.dayView(l, comp, d, today)
			if err != nil {
				return err
			}
			body, err := s.render(l, "day.html", v)
			if err != nil {
				return err
			}
			return servePage(c, body, "public, max-age=60")
		}
		p, err := s.days.get(dayKey{l, comp.ID, d}, func() (*renderedPage, error) {
			v, err := s.dayView(l, comp, d, today)
			if err != nil {
				return nil, err
			}
			body, err := s.render(l, "day.html", v)
			if err != nil {
				return nil, err
			}
			r := newRendered(0, body, l.etag("d-"+comp.ID+"-"+d.String()))
			return &r, nil
		})
		if err != nil {
			return err
		}
		return serveRendered(c, *p, echo.MIMETextHTMLCharsetUTF8, "public, max-age=3600")
	}
}

// daySettle is how long after a day's end its last rounds may still be
// committed (a step's timeout, the commit delay): past it, the day is over.
const daySettle = 5 * time.Minute

// dayOver reports whether day d can no longer change at now.
func dayOver(d timeline.Date, now time.Time) bool {
	return now.Sub(d.AddDays(1).Start()) > daySettle
}

// maxDayPages bounds the past days' pages kept: a crawler walking every
// day of every component must not hold them all in memory.
const maxDayPages = 2048

// dayCache keeps the rendered pages of days that are over. It is safe for
// concurrent use; when full, it starts again empty.
type dayCache struct {
	mu    sync.Mutex
	pages map[dayKey]*renderedPage
}

type dayKey struct {
	lang lang
	id   string
	day  timeline.Date
}

// get returns the page of k, rendering it first if absent. Requests for
// other days wait while one renders: a render is a few milliseconds.
func (dc *dayCache) get(k dayKey, render func() (*renderedPage, error)) (*renderedPage, error) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if p := dc.pages[k]; p != nil {
		return p, nil
	}
	p, err := render()
	if err != nil {
		return nil, err
	}
	if dc.pages == nil || len(dc.pages) >= maxDayPages {
		dc.pages = make(map[dayKey]*renderedPage)
	}
	dc.pages[k] = p
	return p, nil
}

// parseDay finds the component and the day of a day's address, with
// today: an unknown component or a day after today is a 404, a day not
// written YYYY-MM-DD or not in the calendar a 400.
func (s *Server) parseDay(id, raw string) (comp *probes.Component, d, today timeline.Date, err error) {
	if comp = s.cfg.Component(id); comp == nil {
		return nil, d, today, echo.NewHTTPError(http.StatusNotFound)
	}
	midnight, perr := time.ParseInLocation("2006-01-02", raw, paris)
	if !dateSyntax.MatchString(raw) || perr != nil {
		return nil, d, today, echo.NewHTTPError(http.StatusBadRequest, "date: want YYYY-MM-DD")
	}
	d, today = timeline.DateOf(midnight), timeline.DateOf(time.Now())
	if d.Compare(today) > 0 {
		return nil, d, today, echo.NewHTTPError(http.StatusNotFound)
	}
	return comp, d, today, nil
}

// dayCSV serves the raw measurements of component on day d (Paris): the
// bytes of the measurements API's CSV for from=d&to=d+1, except that the
// whole day is one page (up to measurementsMaxLimit rounds, one every 1.8 s),
// so that a static copy of the site, which has no API, holds it whole.
func (s *Server) dayCSV(c echo.Context, component string, d timeline.Date) error {
	q := measurementsQuery{comp: component, from: d.Start().UTC(), to: d.AddDays(1).Start().UTC(), limit: measurementsMaxLimit, csv: true}
	return s.streamCSV(c, q)
}

func (s *Server) dayView(l lang, comp *probes.Component, d, today timeline.Date) (dayView, error) {
	v := dayView{ID: comp.ID, Name: comp.Name, Group: comp.Group, Date: d.String(), Day: l.jour(d.Start()),
		Prev: d.AddDays(-1).String(), CSV: fmt.Sprintf("/history/%s/%s.csv", comp.ID, d)}
	if s.ev != nil {
		v.Bundle = dayBundlePath(comp.ID, d)
	}
	if d.Compare(today) < 0 {
		v.Next = d.AddDays(1).String()
	}
	counts := map[probes.Outcome]int{}
	var rs runs
	err := s.tl.Range(comp.ID, d.Start(), d.AddDays(1).Start(), func(m timeline.Measurement) error {
		v.Rounds++
		rs.add(m)
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
		v.Rows = append(v.Rows, dayRow{Seq: m.Seq, Time: l.clock(m.Start),
			ISO: m.Start.UTC().Format(time.RFC3339Nano), Status: m.Status.String(), Step: st, URL: f.URL,
			Outcome: f.Outcome.String(), Detail: f.Detail, Code: f.StatusCode, Phases: l.phases(f.Phases)})
		return nil
	})
	for o := probes.Outcome(1); o.Valid(); o++ {
		if n := counts[o]; n > 0 {
			v.Outcomes = append(v.Outcomes, outcomeCount{o.String(), n})
		}
	}
	v.Periods, v.Strip = rs.periods(l), rs.strip(l, d)
	return v, err
}
