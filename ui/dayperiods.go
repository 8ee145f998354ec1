package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// A run is consecutive rounds of one day in one status. The day page shows
// the runs that are not operational as periods, to the second, with the
// evidence numbers of their first and last rounds, and all of them as a
// strip of the day: the exact minutes of each outage, which is what a
// journalist quotes.
type run struct {
	status        probes.Status
	first, last   time.Time // starts of the run's first and last rounds
	next          time.Time // start of the next round, in another status; zero if none that day or a silence came first in the same one
	firstSeq, seq uint64    // evidence numbers of the first and last rounds
	rounds        int
	outcomes      []outcomeCount // in order of first appearance
}

// runGap is the silence after which a run stops at its last round instead
// of lasting until the next one: Constat itself was not measuring.
const runGap = 5 * time.Minute

// runs groups a day's rounds, given in order.
type runs []*run

func (rs *runs) add(m timeline.Measurement) {
	if n := len(*rs); n > 0 {
		cur := (*rs)[n-1]
		if cur.status == m.Status && m.Start.Sub(cur.last) <= runGap {
			cur.extend(m)
			return
		}
		if cur.status != m.Status {
			cur.next = m.Start // after a silence in the same state, nothing says when it changed
		}
	}
	r := &run{status: m.Status, first: m.Start, firstSeq: m.Seq}
	r.extend(m)
	*rs = append(*rs, r)
}

func (r *run) extend(m timeline.Measurement) {
	r.last, r.seq = m.Start, m.Seq
	r.rounds++
	o := roundOutcome(m)
	if o == probes.OutcomeUnknown {
		return
	}
	for i := range r.outcomes { // a handful at most
		if r.outcomes[i].Outcome == o.String() {
			r.outcomes[i].Count++
			return
		}
	}
	r.outcomes = append(r.outcomes, outcomeCount{o.String(), 1})
}

// roundOutcome is what went wrong in a round: the failing step's outcome,
// or slow for a degraded round; OutcomeUnknown for a round that worked.
func roundOutcome(m timeline.Measurement) probes.Outcome {
	if f := m.Failed(); f != nil {
		return f.Outcome
	}
	if m.Status == probes.DegradedPerformance {
		return probes.Slow
	}
	return probes.OutcomeUnknown
}

// dayPeriod is a run that was not operational, as the page shows it.
type dayPeriod struct {
	Status            string
	From, Until       string // clock times of its first and last rounds
	FromISO, UntilISO string
	Next              string // clock time of the next round, in another state; "" when none that day
	Rounds            string // "91 mesures, n° 1234 à n° 5678"
	Outcomes          []outcomeCount
}

// periods are the runs that were not operational.
func (rs runs) periods(l lang) []dayPeriod {
	var out []dayPeriod
	for _, r := range rs {
		if r.status == probes.Operational || !r.status.Valid() {
			continue
		}
		p := dayPeriod{Status: r.status.String(), From: l.clock(r.first), Until: l.clock(r.last),
			FromISO: r.first.UTC().Format(time.RFC3339Nano), UntilISO: r.last.UTC().Format(time.RFC3339Nano)}
		if !r.next.IsZero() {
			p.Next = l.clock(r.next)
		}
		p.Rounds = l.tf("day.period.rounds", r.rounds, r.firstSeq, r.seq)
		if r.rounds == 1 {
			p.Rounds = l.tf("day.period.one", r.firstSeq)
		}
		p.Outcomes = r.outcomes
		out = append(out, p)
	}
	return out
}

// strip draws the day d as an SVG, one unit a minute (1,380 to 1,500 of
// them, daylight saving time included): each run from its first round to
// the next round (or its last round's minute after a silence), grey where
// nothing was measured. Its text alternative counts the periods; each run
// has a <title> with its times and state, so the colours are never alone.
func (rs runs) strip(l lang, d timeline.Date) template.HTML {
	start := d.Start()
	minutes := int(d.AddDays(1).Start().Sub(start) / time.Minute)
	at := func(t time.Time) int { return min(max(int(t.Sub(start)/time.Minute), 0), minutes) }
	var rects bytes.Buffer
	periods := 0
	for _, r := range rs {
		from, to := at(r.first), at(r.last)+1
		if !r.next.IsZero() && r.next.Sub(r.last) <= runGap {
			to = max(at(r.next), from+1)
		}
		if r.status != probes.Operational {
			periods++
		}
		title := l.tf("bar.title", l.tf("day.period", l.clock(r.first), l.clock(r.last)), l.t("status."+r.status.String()))
		fmt.Fprintf(&rects, `<rect x="%d" y="0" width="%d" height="20" fill="%s"><title>%s</title></rect>`,
			from, to-from, barColour[r.status], template.HTMLEscapeString(title))
	}
	label := l.tf("day.strip.label", periods)
	return template.HTML(fmt.Sprintf(`<svg class="bars strip" viewBox="0 0 %d 20" preserveAspectRatio="none" role="img" aria-label="%s"><title>%s</title><rect x="0" y="0" width="%d" height="20" fill="%s"></rect>%s</svg>`,
		minutes, template.HTMLEscapeString(label), template.HTMLEscapeString(label), minutes, barColour[probes.StatusUnknown], rects.String()))
}
