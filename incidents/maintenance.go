package incidents

import (
	"time"

	"github.com/constat-ent/constat/probes"
)

// Maintenance is a scheduled maintenance window: its components are
// under_maintenance from Start (included) to End (excluded).
type Maintenance struct {
	ID         uint64
	Components []string // component IDs; unknown IDs are ignored
	Start, End time.Time
}

// window is a Maintenance as one component sees it.
type window struct {
	id         uint64
	start, end time.Time
}

// exitInfo describes the end of a component's maintenance, found by the
// observation being processed.
type exitInfo struct {
	id uint64
	at time.Time
}

// SetMaintenance replaces the set of maintenance windows; ws is copied,
// windows whose End is not after Start are ignored, and none lasts more
// than EngineConfig.MaintenanceMax. A window applies to the rounds whose
// Start it covers, whenever it is set: to replay as it ran live, a window
// must not cover times before it was published (see Admin.Windows). It emits nothing: the
// engine has no clock, so a component enters or leaves maintenance with the
// first observation of it inside or after a window (see Engine). Windows
// may overlap: a component is in maintenance while any window covers it.
func (e *Engine) SetMaintenance(ws []Maintenance) {
	for _, c := range e.comps {
		c.windows = c.windows[:0]
	}
	for _, w := range ws {
		if !w.End.After(w.Start) {
			continue
		}
		if lim := w.Start.Add(e.cfg.MaintenanceMax); w.End.After(lim) {
			w.End = lim
		}
		for _, id := range w.Components {
			if c := e.byID[id]; c != nil {
				c.windows = append(c.windows, window{id: w.ID, start: w.Start, end: w.End})
			}
		}
	}
}

// covering returns the window covering t for c: the earliest-started one,
// then the lowest ID.
func (c *comp) covering(t time.Time) (window, bool) {
	var best window
	found := false
	for _, w := range c.windows {
		if t.Before(w.start) || !t.Before(w.end) {
			continue
		}
		if !found || w.start.Before(best.start) || w.start.Equal(best.start) && w.id < best.id {
			best, found = w, true
		}
	}
	return best, found
}

// maintenance moves c into or out of maintenance for the round ev, before
// the round is counted. Entering emits its events at once; leaving resets
// c's tracks and returns what publish needs to emit MaintenanceEnded with
// the recomputed state.
func (e *Engine) maintenance(c *comp, ev evidence, out *[]Event) *exitInfo {
	if len(c.windows) == 0 && !c.inMaint {
		return nil
	}
	w, in := c.covering(ev.at)
	switch {
	case in && !c.inMaint:
		e.enterMaintenance(c, w, ev, out)
	case in:
		if w.end.After(c.maintEnd) {
			c.maintEnd = w.end
		}
	case c.inMaint:
		// Dated by the window's end, but never before a round already
		// counted nor after this one (the window may have been removed).
		at := c.maintEnd
		if at.After(ev.at) {
			at = ev.at
		}
		if at.Before(c.lastObs) {
			at = c.lastObs
		}
		c.inMaint = false
		for _, t := range c.tracks {
			t.reset(at, ev.seq)
		}
		return &exitInfo{id: c.maintID, at: at}
	}
	return nil
}

// enterMaintenance puts c under maintenance from w.start, or from this
// round if the window was set after rounds it covers had been counted.
func (e *Engine) enterMaintenance(c *comp, w window, ev evidence, out *[]Event) {
	at := w.start
	if c.seen && !at.After(c.lastObs) {
		at = ev.at
	}
	c.inMaint, c.maintID, c.maintEnd = true, w.id, w.end
	*out = append(*out, Event{Kind: MaintenanceStarted, Incident: c.incID(), Maintenance: w.id, Component: c.id,
		From: c.status, To: probes.UnderMaintenance, At: at, Seq: ev.seq})
	if c.flapping {
		c.flapping = false
		*out = append(*out, Event{Kind: FlappingStopped, Incident: c.incID(), Component: c.id,
			From: c.status, To: c.status, At: at, Seq: ev.seq})
	}
	for _, t := range c.tracks {
		t.stopFlapping()
	}
	e.change(c, probes.UnderMaintenance, evidence{at: at, seq: ev.seq}, out)
	c.lastInc = nil // after the window, a failure is a new incident
}
