package incidents

import (
	"time"

	"github.com/constat-ent/constat/probes"
)

// ComponentState is a snapshot of one component in the engine.
type ComponentState struct {
	ID       string
	Status   probes.Status
	Since    time.Time // measured time of the last state change; zero if it never changed
	Flapping bool
	// Failures is, while Flapping, how many times its rounds went from
	// working to failing within the flap window (the most any vantage saw):
	// "4 outages in 30 min". 0 otherwise.
	Failures    int
	Incident    uint64 // the open incident the component is affected in; 0 for none
	Maintenance uint64 // the window it is in while Status is under_maintenance; 0 otherwise
	LastSeq     uint64 // Seq of the last observation taken into account
}

// Incident is a snapshot of one automatic incident.
type Incident struct {
	// ID is the Seq of the first failing measurement of the component that
	// opened the incident, plus one (timeline record 0 can be a measurement,
	// and 0 means "no incident" in Event and ComponentState).
	ID         uint64
	Components []string      // every component that was affected, in the order they joined
	Affected   []string      // the components affected now, in join order; empty once resolved
	Start      time.Time     // the earliest measured start of its components
	End        time.Time     // measured end; zero while open
	Worst      probes.Status // the worst status any of its components had while affected
	Operator   string        // the operator all its components share, as spelt by the first; "" if none
}

// Components returns the state of every component, in the order given to
// NewEngine.
func (e *Engine) Components() []ComponentState {
	out := make([]ComponentState, len(e.comps))
	for i, c := range e.comps {
		out[i] = ComponentState{ID: c.id, Status: c.status, Since: c.since, Flapping: c.flapping,
			Incident: c.incID(), LastSeq: c.lastSeq}
		if c.inMaint {
			out[i].Maintenance = c.maintID
		}
		if c.flapping {
			for _, t := range c.tracks {
				out[i].Failures = max(out[i].Failures, t.flaps.failures())
			}
		}
	}
	return out
}

// OpenIncidents returns the open incidents, in the order they opened.
func (e *Engine) OpenIncidents() []Incident {
	out := make([]Incident, len(e.open))
	for i, inc := range e.open {
		out[i] = inc.snapshot()
	}
	return out
}

func (inc *incident) snapshot() Incident {
	s := Incident{ID: inc.id, Start: inc.start, End: inc.end, Worst: inc.worst,
		Components: make([]string, len(inc.members))}
	for i, m := range inc.members {
		s.Components[i] = m.c.id
		if m.affected {
			s.Affected = append(s.Affected, m.c.id)
		}
	}
	first := inc.members[0].c
	s.Operator = first.operator
	for _, m := range inc.members[1:] {
		if m.c.opKey != first.opKey {
			s.Operator = ""
			break
		}
	}
	return s
}
