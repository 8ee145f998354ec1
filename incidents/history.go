package incidents

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// History is the measured side of every automatic incident, open or
// resolved, as the persisted engine events tell it: what pages, the
// Statuspage API and feeds show beside the admins' updates (Admin) and the
// official statements. Pipeline loads it once from the timeline and then
// feeds it each event as it persists it. Safe for concurrent use.
type History struct {
	mu        sync.RWMutex
	incidents map[uint64]*incidentHistory
	gen       uint64
}

type incidentHistory struct {
	summary IncidentSummary
	events  []EventRecord
}

// IncidentSummary is an automatic incident in brief.
type IncidentSummary struct {
	ID         uint64
	Start      time.Time // measured start: the earliest failing round of its components
	End        time.Time // measured end; zero while open
	Components []string  // every component it affected, in the order they joined
	Worst      probes.Status
	Updated    time.Time // measured time of its latest event
}

// Open reports whether the incident is not resolved.
func (s IncidentSummary) Open() bool { return s.End.IsZero() }

// EventRecord is a persisted engine event with its sequence number: the
// automatic updates of an incident, each citing its evidence measurement.
type EventRecord struct {
	Seq uint64
	timeline.Event
}

// loadHistory reads every persisted engine event of tl.
func loadHistory(tl *timeline.Timeline) (*History, error) {
	h := &History{incidents: map[uint64]*incidentHistory{}}
	err := tl.Events(func(seq uint64, e timeline.Event) error {
		h.add(seq, e)
		return nil
	})
	return h, err
}

// addEvent takes a newly persisted event.
func (h *History) addEvent(seq uint64, e timeline.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.add(seq, e)
}

func (h *History) add(seq uint64, e timeline.Event) {
	h.gen++
	if e.Incident == 0 {
		return
	}
	inc := h.incidents[e.Incident]
	if inc == nil {
		inc = &incidentHistory{summary: IncidentSummary{ID: e.Incident, Start: e.At}}
		h.incidents[e.Incident] = inc
	}
	s := &inc.summary
	inc.events = append(inc.events, EventRecord{Seq: seq, Event: e})
	switch EventKind(e.EventKind) {
	case Opened, Joined:
		if e.At.Before(s.Start) {
			s.Start = e.At
		}
		if !slices.Contains(s.Components, e.Component) {
			s.Components = append(s.Components, e.Component)
		}
	case Resolved:
		s.End = e.At
	}
	if severity(e.To) > severity(s.Worst) && e.To != probes.UnderMaintenance {
		s.Worst = e.To
	}
	if e.At.After(s.Updated) {
		s.Updated = e.At
	}
}

// Generation changes whenever an event is added, for cache validation.
func (h *History) Generation() uint64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.gen
}

// Incidents returns every automatic incident, newest start first.
func (h *History) Incidents() []IncidentSummary {
	h.mu.RLock()
	out := make([]IncidentSummary, 0, len(h.incidents))
	for _, inc := range h.incidents {
		s := inc.summary
		s.Components = slices.Clone(s.Components)
		out = append(out, s)
	}
	h.mu.RUnlock()
	slices.SortFunc(out, func(a, b IncidentSummary) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}

// Incident returns one incident and its events in seq order.
func (h *History) Incident(id uint64) (IncidentSummary, []EventRecord, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	inc := h.incidents[id]
	if inc == nil {
		return IncidentSummary{}, nil, false
	}
	s := inc.summary
	s.Components = slices.Clone(s.Components)
	return s, slices.Clone(inc.events), true
}

// Exists reports whether id is an automatic incident with a persisted event.
func (h *History) Exists(id uint64) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.incidents[id] != nil
}
