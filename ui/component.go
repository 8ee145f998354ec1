package ui

import (
	"bytes"
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
	Status                    string
	Uptimes                   []uptimeRow
	Chart                     template.HTML
	Phases                    []phaseAvg // last 7 days, the chart's text alternative
	Outcomes                  []outcomeCount
	Incidents                 []incidentLink
	Today                     string
	Bars                      template.HTML
}

type uptimeRow struct{ Period, Value string }

type phaseAvg struct{ Phase, Value string }

// componentPages caches each component's page for a minute: its figures
// move slowly, and a rush on one page must not read the timeline per request.
type componentPages struct {
	mu    sync.Mutex
	pages map[string]*renderedPage
}

const componentTTL = time.Minute

func (p *publicAPI) component(c echo.Context) error {
	comp := p.s.cfg.Component(c.Param("id"))
	if comp == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	pc := &p.components
	pc.mu.Lock()
	page := pc.pages[comp.ID]
	if page == nil || time.Since(page.at) > componentTTL {
		body, err := p.renderComponent(comp)
		if err != nil {
			pc.mu.Unlock()
			return err
		}
		r := newRendered(0, body, fmt.Sprintf(`"c-%x"`, time.Now().UnixNano()))
		if pc.pages == nil {
			pc.pages = map[string]*renderedPage{}
		}
		pc.pages[comp.ID], page = &r, &r
	}
	pc.mu.Unlock()
	return serveRendered(c, *page, echo.MIMETextHTMLCharsetUTF8, "public, max-age=60")
}

func (p *publicAPI) renderComponent(comp *probes.Component) ([]byte, error) {
	now := p.cfg.Now()
	today := timeline.DateOf(now)
	tl := p.s.rec.Timeline()
	rollups, err := tl.Rollups(comp.ID, today.AddDays(1-barDays), today)
	if err != nil {
		return nil, fmt.Errorf("rollups of %s: %w", comp.ID, err)
	}
	v := componentView{ID: comp.ID, Name: comp.Name, Group: comp.Group, Operator: comp.Operator, Today: today.String(),
		Status: probes.StatusUnknown.String()}
	for _, st := range p.cfg.Service.Components() {
		if st.ID == comp.ID && st.Status.Valid() {
			v.Status = st.Status.String()
		}
	}
	v.Bars, _ = historyBar(rollups, today)
	day, err := p.lastDay(comp.ID, now)
	if err != nil {
		return nil, err
	}
	v.Uptimes = append(v.Uptimes, uptimeRow{t("comp.24h"), uptimeOf([]timeline.DayRollup{day})})
	for _, n := range []int{7, 30, 90} {
		v.Uptimes = append(v.Uptimes, uptimeRow{fmt.Sprintf(t("comp.days"), n), uptimeOf(since(rollups, today.AddDays(1-n)))})
	}
	v.Chart, v.Phases = phaseChart(rollups, today)
	var total timeline.DayRollup
	for _, r := range rollups {
		total.Add(r)
	}
	for o := probes.Outcome(1); o.Valid(); o++ {
		if n := total.ByOutcome[o]; n > 0 {
			v.Outcomes = append(v.Outcomes, outcomeCount{o.String(), n})
		}
	}
	names := p.s.names()
	for _, inc := range p.cfg.Service.History().Incidents() {
		if slices.Contains(inc.Components, comp.ID) {
			v.Incidents = append(v.Incidents, incidentLink{Href: fmt.Sprintf("/incidents/%d", inc.ID), Title: autoName(inc, names), Since: heure(inc.Start)})
		}
	}
	var buf bytes.Buffer
	if err := p.s.tmpl.ExecuteTemplate(&buf, "component.html", v); err != nil {
		return nil, fmt.Errorf("render component page: %w", err)
	}
	return buf.Bytes(), nil
}

// lastDay counts the last 24 hours of rounds into one rollup (Range over a
// day of one component: a few milliseconds, once a minute at most).
func (p *publicAPI) lastDay(id string, now time.Time) (timeline.DayRollup, error) {
	var d timeline.DayRollup
	err := p.s.rec.Timeline().Range(id, now.Add(-24*time.Hour), now, func(m timeline.Measurement) error {
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
func uptimeOf(rs []timeline.DayRollup) string {
	if share, ok := availability(rs); ok {
		return frPercent(share)
	}
	return t("comp.nodata")
}

// availability is the percentage of measured rounds not in outage
// (partial or major), maintenance rounds left out; ok is false without any.
func availability(rs []timeline.DayRollup) (share float64, ok bool) {
	var up, counted int
	for _, r := range rs {
		counted += r.Rounds - r.ByStatus[probes.UnderMaintenance]
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
// its text alternative.
func phaseChart(rs []timeline.DayRollup, today timeline.Date) (template.HTML, []phaseAvg) {
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
		barDays*3-1, template.HTMLEscapeString(fmt.Sprintf(t("comp.chart.label"), maxMs)))
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
		val := t("comp.nodata")
		if week.Steps > 0 {
			val = ms(time.Duration(week.PhaseMicros[i]/int64(week.Steps)) * time.Microsecond)
		}
		avgs = append(avgs, phaseAvg{Phase: name, Value: val})
	}
	return template.HTML(b.String()), avgs
}
