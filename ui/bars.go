package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"sync"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// barDays is how many days the history bar shows.
const barDays = 90

// dayStatus is the worst status of a day's rounds; StatusUnknown when the
// day has no rounds.
func dayStatus(r timeline.DayRollup) probes.Status {
	for _, s := range []probes.Status{probes.MajorOutage, probes.PartialOutage, probes.DegradedPerformance, probes.Operational, probes.UnderMaintenance} {
		if r.ByStatus[s] > 0 {
			return s
		}
	}
	return probes.StatusUnknown
}

var barColour = map[probes.Status]string{
	probes.StatusUnknown:       "#c8c8c8",
	probes.Operational:         "#1e6b2f",
	probes.DegradedPerformance: "#c98a00",
	probes.PartialOutage:       "#d9661f",
	probes.MajorOutage:         "#b00020",
	probes.UnderMaintenance:    "#0b4f9c",
}

// historyBar draws a component's last barDays days, one bar a day, as an
// SVG with a text alternative (never colour alone): its aria-label counts
// the days by state, and each bar has a <title> with its date and state.
// It also returns the share of measured rounds not in outage (partial or
// major), maintenance rounds left out, as "99,80 %" ("" without data). Its
// words, dates and numbers are in l.
func historyBar(l lang, rollups []timeline.DayRollup, today timeline.Date) (template.HTML, string) {
	dates := barDates(today)
	return drawBar(l, dayStates(rollups, &dates), today), uptimeText(l, rollups)
}

// dayStates is the state of each of the bar's days, oldest first; dates
// are those days (barDates).
func dayStates(rollups []timeline.DayRollup, dates *[barDays]timeline.Date) (states [barDays]probes.Status) {
	j := 0 // rollups are sorted by day
	for i, d := range dates {
		for j < len(rollups) && rollups[j].Day.Compare(d) < 0 {
			j++
		}
		states[i] = probes.StatusUnknown
		if j < len(rollups) && rollups[j].Day == d {
			states[i] = dayStatus(rollups[j])
		}
	}
	return states
}

// barDates are the bar's days, the last one today.
func barDates(today timeline.Date) (dates [barDays]timeline.Date) {
	for i := range dates {
		dates[i] = today.AddDays(i - barDays + 1)
	}
	return dates
}

// uptimeText is the availability over the measured rounds only, saying
// how many there were and since when: "100,00 % des 12 mesures depuis le
// 6 avril 2021 à 9 h 02" ("" without data). Days without rounds count for
// nothing: 30 s of measurements are not 90 days of availability.
func uptimeText(l lang, rollups []timeline.DayRollup) string {
	share, ok := availability(rollups)
	if !ok {
		return ""
	}
	rounds, first := 0, time.Time{}
	for _, r := range rollups {
		rounds += r.Rounds - r.ByStatus[probes.UnderMaintenance]
		at := r.FirstStart
		if at.IsZero() {
			at = r.Day.Start()
		}
		if r.Rounds > 0 && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return l.tf("uptime.measured", l.percent(share), l.count(rounds), l.heure(first))
}

// drawBar draws the SVG of states, the last of which is today's.
func drawBar(l lang, states [barDays]probes.Status, today timeline.Date) template.HTML {
	var b bytes.Buffer
	days := map[probes.Status]int{}
	var bars bytes.Buffer
	// Consecutive days in the same state are one rectangle with one title
	// ("du 1 mars 2021 au 30 mars 2021 : aucune panne mesurée", in French): 90 days of
	// 1,000 components would otherwise weigh 10 MB of SVG.
	runStart, runStatus := 0, probes.Status(255)
	flush := func(end int) {
		if end == runStart {
			return
		}
		from, to := today.AddDays(runStart-barDays+1), today.AddDays(end-barDays)
		when := l.jour(from.Start())
		if end-runStart > 1 {
			when = l.tf("bar.range", l.jour(from.Start()), l.jour(to.Start()))
		}
		fmt.Fprintf(&bars, `<rect x="%d" y="0" width="%d" height="20" fill="%s"><title>%s</title></rect>`,
			runStart*3, (end-runStart)*3-1, barColour[runStatus], template.HTMLEscapeString(l.tf("bar.title", when, l.t("bar."+runStatus.String()))))
	}
	for i, st := range states {
		days[st]++
		if st != runStatus {
			flush(i)
			runStart, runStatus = i, st
		}
	}
	flush(barDays)
	label := l.tf("bar.label", barDays, days[probes.Operational]+days[probes.DegradedPerformance],
		days[probes.PartialOutage]+days[probes.MajorOutage], days[probes.StatusUnknown])
	fmt.Fprintf(&b, `<svg class="bars" viewBox="0 0 %d 20" preserveAspectRatio="none" role="img" aria-label="%s"><title>%s</title>%s</svg>`,
		barDays*3-1, template.HTMLEscapeString(label), template.HTMLEscapeString(label), bars.String())
	return template.HTML(b.String())
}

// barCache keeps the SVG of each distinct bar. A bar is a function of the
// language, the day and the days' states only, and most components share
// theirs (90 days without outage), so a home page of 1,000 components
// draws a handful of bars, not 1,000: drawing them was 40 % of its render.
type barCache struct {
	mu    sync.Mutex
	day   timeline.Date
	dates [barDays]timeline.Date // barDates(day)
	svgs  map[barKey]template.HTML
}

type barKey struct {
	l      lang
	states [barDays]probes.Status
}

// maxCachedBars bounds the cache: past it (as many distinct histories as
// that, a config of thousands of components), it starts over.
const maxCachedBars = 4096

// historyBar is historyBar, drawing each distinct bar once a day.
func (bc *barCache) historyBar(l lang, rollups []timeline.DayRollup, today timeline.Date) (template.HTML, string) {
	bc.mu.Lock()
	if bc.day != today || len(bc.svgs) >= maxCachedBars {
		bc.day, bc.dates, bc.svgs = today, barDates(today), make(map[barKey]template.HTML)
	}
	k := barKey{l: l, states: dayStates(rollups, &bc.dates)}
	svg, ok := bc.svgs[k]
	bc.mu.Unlock()
	if !ok {
		svg = drawBar(l, k.states, today)
		bc.mu.Lock()
		if bc.day == today {
			bc.svgs[k] = svg
		}
		bc.mu.Unlock()
	}
	return svg, uptimeText(l, rollups)
}
