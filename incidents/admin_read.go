package incidents

// The reads of Admin: current revisions with their earlier ones, from memory.

import (
	"slices"

	"github.com/constat-ent/constat/incidents/timeline"
)

// Updates returns the updates of incident, at their current revisions, in
// the order they were first posted; each carries its earlier revisions.
// It returns nil for an incident without updates.
func (a *Admin) Updates(incident uint64) []Update {
	a.mu.RLock()
	defer a.mu.RUnlock()
	roots := a.byInc[incident]
	if len(roots) == 0 {
		return nil
	}
	out := make([]Update, len(roots))
	for i, root := range roots {
		out[i] = a.currentUpdate(root)
	}
	return out
}

func (a *Admin) currentUpdate(root uint64) Update {
	return a.updates.current(root, func(cur Update, earlier []Update) Update { cur.Revisions = earlier; return cur })
}

func (a *Admin) currentMaintenance(root uint64) ScheduledMaintenance {
	return a.maints.current(root, func(cur ScheduledMaintenance, earlier []ScheduledMaintenance) ScheduledMaintenance {
		cur.Revisions = earlier
		return cur
	})
}

func (a *Admin) currentStatement(root uint64) Statement {
	return a.stmts.current(root, func(cur Statement, earlier []Statement) Statement { cur.Revisions = earlier; return cur })
}

// Statements returns the statements linked to incident, current
// revisions, in the order they were first recorded.
func (a *Admin) Statements(incident uint64) []Statement {
	var out []Statement
	for _, s := range a.AllStatements() {
		if s.Incident == incident {
			out = append(out, s)
		}
	}
	return out
}

// AllStatements returns every statement, current revisions, in the order
// they were first recorded.
func (a *Admin) AllStatements() []Statement {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]Statement, len(a.stmts.order))
	for i, root := range a.stmts.order {
		out[i] = a.currentStatement(root)
	}
	return out
}

// Maintenances returns every maintenance, current revisions, in the order
// they were first scheduled.
func (a *Admin) Maintenances() []ScheduledMaintenance {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]ScheduledMaintenance, len(a.maints.order))
	for i, root := range a.maints.order {
		out[i] = a.currentMaintenance(root)
	}
	return out
}

// Windows returns the maintenance windows for Engine.SetMaintenance.
//
// The engine learns of a revision when it is published, and a restart
// must apply the windows as they applied live, so each revision counts
// only from its publication (At) until the next one: a window is never
// applied to a time before the revision that set it, and a component
// added to a maintenance enters it no earlier than when it was added. Within
// that span, a revision's window is [Start, End), except that a maintenance
// marked in_progress (or completed) before its Start begins when it was so
// marked, one marked completed before its End ends then, and none lasts
// more than incidents.maintenance_max. One maintenance can thus give
// several windows with its ID, one per revision.
func (a *Admin) Windows() []Maintenance {
	var out []Maintenance
	for _, m := range a.Maintenances() {
		revs := append(slices.Clone(m.Revisions), m)
		began, ended := -1, -1 // where the trailing in_progress/completed and completed runs begin
		for i, r := range revs {
			switch {
			case r.Status == StatusScheduled:
				began, ended = -1, -1
			case began < 0:
				began = i
			}
			if r.Status == StatusCompleted && ended < 0 {
				ended = i
			}
			start, end := r.Start, r.End
			if began >= 0 && revs[began].At.Before(start) {
				start = revs[began].At
			}
			if ended >= 0 && revs[ended].At.Before(end) {
				end = revs[ended].At
			}
			if lim := start.Add(a.maintMax); end.After(lim) {
				end = lim
			}
			if r.At.After(start) {
				start = r.At
			}
			if i+1 < len(revs) && revs[i+1].At.Before(end) {
				end = revs[i+1].At
			}
			if end.After(start) {
				out = append(out, Maintenance{ID: m.ID, Components: slices.Clone(r.Components), Start: start, End: end})
			}
		}
	}
	return out
}

// ManualIncidents returns the IDs of the manual incidents, in the order
// they were opened.
func (a *Admin) ManualIncidents() []uint64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return slices.Clone(a.manual)
}

// AuditTrail returns the latest limit audit records, newest first (all of
// them if limit <= 0).
func (a *Admin) AuditTrail(limit int) []timeline.Audit {
	a.mu.RLock()
	defer a.mu.RUnlock()
	n := len(a.audit)
	if limit > 0 {
		n = min(n, limit)
	}
	out := make([]timeline.Audit, n)
	for i := range out {
		out[i] = a.audit[len(a.audit)-1-i]
	}
	return out
}

// Generation changes whenever a record is added (every action adds at
// least its audit record), for cache validation.
func (a *Admin) Generation() uint64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return uint64(len(a.audit))
}
