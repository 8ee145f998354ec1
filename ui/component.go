package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
	"github.com/labstack/echo/v4"
)

// componentView is a component's page: its state, availability over four
// periods, response times by phase, outcomes and incidents.
type componentView struct {
	ID, Name, Group, Operator string
	GroupName                 string
	Status                    string
	Uptimes                   []uptimeRow
	Chart                     template.HTML
	Phases                    []phaseAvg // last 7 days, the chart's text alternative
	Outcomes                  []outcomeCount
	Incidents                 []incidentLink
	Today                     string
	Bars                      template.HTML
	Alerts                    bool // the push API is enabled: show "Recevoir les alertes"
	// Row is the component's row as the home page shows it: since when,
	// why, pending confirmation, flapping, declared impact.
	Row rowView
}

type uptimeRow struct{ Period, Value string }

type phaseAvg struct{ Phase, Value string }

// componentPages caches each component's page for a minute, in each
// language: its figures move slowly, and a rush on one page must not read
// the timeline per request.
type componentPages struct {
	mu    sync.Mutex
	pages map[componentKey]*renderedPage
}

// componentKey names a component's page in one language: the languages
// never share a cached render or an ETag.
type componentKey struct {
	lang lang
	id   string
}

const componentTTL = time.Minute

// component serves /components/{id} in l.
func (p *publicAPI) component(l lang) echo.HandlerFunc {
	return func(c echo.Context) error {
		comp := p.s.cfg.Component(c.Param("id"))
		if comp == nil {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		page, err := p.components.get(componentKey{l, comp.ID}, func() ([]byte, error) { return p.renderComponent(l, comp) })
		if err != nil {
			return err
		}
		return serveRendered(c, *page, echo.MIMETextHTMLCharsetUTF8, "public, max-age=60")
	}
}

// get returns the page of k, rendering it first when it is missing or
// older than componentTTL. Requests for any page wait for the render.
func (pc *componentPages) get(k componentKey, render func() ([]byte, error)) (*renderedPage, error) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if page := pc.pages[k]; page != nil && time.Since(page.at) <= componentTTL {
		return page, nil
	}
	body, err := render()
	if err != nil {
		return nil, err
	}
	r := newRendered(0, body, k.lang.etag(fmt.Sprintf("c-%x", time.Now().UnixNano())))
	if pc.pages == nil {
		pc.pages = map[componentKey]*renderedPage{}
	}
	pc.pages[k] = &r
	return &r, nil
}

func (p *publicAPI) renderComponent(l lang, comp *probes.Component) ([]byte, error) {
	now := p.s.now()
	today := timeline.DateOf(now)
	rollups, err := p.s.tl.AppendRollups(nil, comp.ID, today.AddDays(1-barDays), today)
	if err != nil {
		return nil, fmt.Errorf("rollups of %s: %w", comp.ID, err)
	}
	v := componentView{ID: comp.ID, Name: comp.Name, Group: comp.Group, Operator: comp.Operator, Today: today.String(), Alerts: p.s.push != nil}
	for _, g := range p.s.cfg.Groups {
		if g.ID == comp.Group {
			v.GroupName = g.Name
		}
	}
	names := p.s.names()
	items := p.incidentItems(l, names)
	latest := map[string]timeline.Measurement{}
	if m, ok := p.s.pipe.LatestOf(comp.ID); ok {
		latest[comp.ID] = m
	}
	row := buildGroupsView(l, []*probes.Group{{ID: comp.Group, Components: []*probes.Component{comp}}}, latest)
	p.s.applyStates(l, &row, now, declaredStatus(items))
	v.Row = row.Groups[0].Rows[0]
	v.Status = v.Row.Status // the confirmed state, or an impact the admins declare, as on the home page
	v.Bars, _ = historyBar(l, rollups, today)
	day, err := p.lastDay(comp.ID, now)
	if err != nil {
		return nil, err
	}
	v.Uptimes = append(v.Uptimes, uptimeRow{l.t("comp.24h"), uptimeOf(l, []timeline.DayRollup{day})})
	for _, n := range []int{7, 30, 90} {
		v.Uptimes = append(v.Uptimes, uptimeRow{l.tf("comp.days", n), uptimeOf(l, since(rollups, today.AddDays(1-n)))})
	}
	v.Chart, v.Phases = phaseChart(l, rollups, today)
	var total timeline.DayRollup
	for _, r := range rollups {
		total.Add(r)
	}
	for o := probes.Outcome(1); o.Valid(); o++ {
		if n := total.ByOutcome[o]; n > 0 {
			v.Outcomes = append(v.Outcomes, outcomeCount{o.String(), n})
		}
	}
	for _, it := range items {
		if slices.Contains(it.Components, comp.ID) {
			v.Incidents = append(v.Incidents, it.link(l))
		}
	}
	return p.s.render(l, "component.html", v)
}

// lastDay counts the last 24 hours of rounds into one rollup (Range over a
// day of one component: a few milliseconds, once a minute at most).
func (p *publicAPI) lastDay(id string, now time.Time) (timeline.DayRollup, error) {
	var d timeline.DayRollup
	err := p.s.tl.Range(id, now.Add(-24*time.Hour), now, func(m timeline.Measurement) error {
		if d.Rounds == 0 || m.Start.Before(d.FirstStart) {
			d.FirstStart = m.Start
		}
		d.Rounds++
		d.ByStatus[m.Status]++
		return nil
	})
	return d, err
}

func since(rs []timeline.DayRollup, from timeline.Date) []timeline.DayRollup {
	var out []timeline.DayRollup
	for _, r := range rs {
		if r.Day.Compare(from) >= 0 {
			out = append(out, r)
		}
	}
	return out
}

// uptimeOf is the share of rounds not in outage, maintenance left out.
func uptimeOf(l lang, rs []timeline.DayRollup) string {
	if _, ok := availability(rs); ok {
		return uptimeText(l, rs)
	}
	return l.t("comp.nodata")
}

// availability is the percentage of measured rounds not in outage
// (partial or major), maintenance rounds and rounds without a status
// (probe_error, Constat offline) left out; ok is false without any.
func availability(rs []timeline.DayRollup) (share float64, ok bool) {
	var up, counted int
	for _, r := range rs {
		counted += r.Rounds - r.ByStatus[probes.UnderMaintenance] - r.ByStatus[probes.StatusUnknown]
		up += r.ByStatus[probes.Operational] + r.ByStatus[probes.DegradedPerformance]
	}
	if counted == 0 {
		return 0, false
	}
	return float64(up) * 100 / float64(counted), true
}

var phaseColour = [5]string{"#6a3d9a", "#1f78b4", "#33a02c", "#e6550d", "#636363"}

// phaseChart draws the average duration of each phase, day by day, as
// stacked bars (SVG, server-side), and returns the last 7 days' averages as
// its text alternative, in l.
func phaseChart(l lang, rs []timeline.DayRollup, today timeline.Date) (template.HTML, []phaseAvg) {
	byDay := map[timeline.Date]timeline.DayRollup{}
	var maxMs float64
	for _, r := range rs {
		byDay[r.Day] = r
		if r.Steps > 0 {
			var sum int64
			for _, us := range r.PhaseMicros {
				sum += us
			}
			maxMs = max(maxMs, float64(sum)/float64(r.Steps)/1000)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d 100" preserveAspectRatio="none" role="img" aria-labelledby="chart-title"><title id="chart-title">%s</title>`,
		barDays*3-1, template.HTMLEscapeString(l.tf("comp.chart.label", maxMs)))
	for i := 0; i < barDays && maxMs > 0; i++ {
		r := byDay[today.AddDays(i-barDays+1)]
		if r.Steps == 0 {
			continue
		}
		y := 100.0
		for ph, us := range r.PhaseMicros {
			h := float64(us) / float64(r.Steps) / 1000 / maxMs * 100
			y -= h
			fmt.Fprintf(&b, `<rect x="%d" y="%.2f" width="2" height="%.2f" fill="%s"/>`, i*3, y, h, phaseColour[ph])
		}
	}
	b.WriteString(`</svg>`)
	var week timeline.DayRollup
	for _, r := range since(rs, today.AddDays(-6)) {
		week.Add(r)
	}
	var avgs []phaseAvg
	for i, name := range probes.PhaseNames {
		val := l.t("comp.nodata")
		if week.Steps > 0 {
			val = l.ms(time.Duration(week.PhaseMicros[i]/int64(week.Steps)) * time.Microsecond)
		}
		avgs = append(avgs, phaseAvg{Phase: name, Value: val})
	}
	return template.HTML(b.String()), avgs
}
