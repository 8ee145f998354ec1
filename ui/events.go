package ui

import (
	"github.com/constat-ent/constat/incidents"
	"time"
)

// shownEvents keeps each measured transition of an incident once. The
// engine records one transition as several events with one evidence (the
// component's state_changed, the incident's opened, joined, updated or
// resolved, and maintenance_started when a window begins): the incident's
// own event stands for them. Flapping events say what they change in words.
func shownEvents(evs []incidents.EventRecord) []incidents.EventRecord {
	type key struct {
		comp     string
		evidence uint64
	}
	told := map[key]bool{}
	for _, e := range evs {
		switch incidents.EventKind(e.EventKind) {
		case incidents.Opened, incidents.Joined, incidents.Updated, incidents.Resolved:
			told[key{e.Component, e.Evidence}] = true
		}
	}
	out := make([]incidents.EventRecord, 0, len(evs))
	for _, e := range evs {
		switch incidents.EventKind(e.EventKind) {
		case incidents.StateChanged, incidents.MaintenanceStarted, incidents.MaintenanceEnded:
			if told[key{e.Component, e.Evidence}] || e.From == e.To {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// eventText says what e records, in l: "monlycée.net : Fonctionne →
// Indisponible", or in words for flapping.
func eventText(l lang, e incidents.EventRecord, names map[string]string) string {
	name := cmpName(e.Component, names)
	switch incidents.EventKind(e.EventKind) {
	case incidents.FlappingStarted:
		return l.tf("inc.flapping_started", name)
	case incidents.FlappingStopped:
		return l.tf("inc.flapping_stopped", name)
	}
	return l.tf("inc.transition", name, l.t("status."+e.From.String()), l.t("status."+e.To.String()))
}

// secondTime formats tm to the second, in Paris: "6 avril 2021 à 9 h 02
// min 13 s". Measured transitions are dated so, as the day page lists them.
func secondTime(l lang, tm time.Time) string {
	p := tm.In(paris)
	return l.tf("fmt.time_s", p.Day(), l.month(p.Month()), p.Year(), p.Hour(), p.Minute(), p.Second())
}
