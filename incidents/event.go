package incidents

import (
	"fmt"
	"time"

	"github.com/constat-ent/constat/probes"
)

// EventKind says what an Event records. Its values are persisted: do not
// reorder, do not reuse a value, add new kinds only at the end.
type EventKind uint8

const (
	EventUnknown EventKind = 0 // never produced; the zero value

	// StateChanged: the component's published state went From → To.
	// Incident is the incident the change belongs to, if any.
	StateChanged EventKind = 1
	// Opened: a component left operational and opened an incident.
	Opened EventKind = 2
	// Joined: a component left operational and joined an open incident
	// (correlation). At may precede the incident's start, which then moves.
	Joined EventKind = 3
	// Updated: a component affected by an open incident changed state (got
	// worse or better, came back while others are still down, went into
	// maintenance, or returned to the incident).
	Updated EventKind = 4
	// Resolved: the last affected component came back (or went into
	// maintenance, or settled after flapping); At is the incident's
	// measured end, From → To the recovery that ended it.
	Resolved EventKind = 5
	// FlappingStarted: the component's rounds changed status more than
	// FlapChanges times within FlapWindow. From and To are both its
	// state: flapping is shown in words, not as a transition.
	FlappingStarted EventKind = 6
	// FlappingStopped: the component held one status for FlapSettle, or
	// the changes within FlapWindow fell to FlapChanges. From and To are
	// both its state.
	FlappingStopped EventKind = 7
	// MaintenanceStarted: the first round inside a maintenance window.
	MaintenanceStarted EventKind = 8
	// MaintenanceEnded: the first round after it; To is the recomputed state.
	MaintenanceEnded EventKind = 9
	numEventKinds              = 10
)

var eventKindNames = [numEventKinds]string{
	EventUnknown:       "unknown",
	StateChanged:       "state_changed",
	Opened:             "incident_opened",
	Joined:             "incident_joined",
	Updated:            "incident_updated",
	Resolved:           "incident_resolved",
	FlappingStarted:    "flapping_started",
	FlappingStopped:    "flapping_stopped",
	MaintenanceStarted: "maintenance_started",
	MaintenanceEnded:   "maintenance_ended",
}

// String returns the public name of k ("incident_opened").
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return fmt.Sprintf("event_kind(%d)", uint8(k))
}

// MarshalText makes EventKind appear by name in JSON.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Event is one transition of the state machine.
type Event struct {
	Kind        EventKind
	Incident    uint64 // 0 for events outside an incident
	Maintenance uint64 // the window, for MaintenanceStarted and MaintenanceEnded; 0 otherwise
	Component   string
	From, To    probes.Status
	// At is the measured time: the Start of the round that is the evidence
	// (the first failing or first recovered one), a window's start or end,
	// or when a flapping count fell. Never the time the engine noticed: At
	// is usually earlier than the observation that caused the event.
	At time.Time
	// Seq is the Seq of the observation that is the evidence; for
	// maintenance and FlappingStopped events, of the observation that
	// revealed it.
	Seq uint64
	// Cause is the step that made the evidence round fail (or be slow), with
	// its outcome, detail, phases and addresses; nil on recovery. It points
	// into the Steps of an observation: do not modify it.
	Cause *probes.StepResult
}
