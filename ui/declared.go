package ui

import (
	"cmp"
	"slices"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
)

// incidentItem is one incident as the pages list it: measured by Constat
// (automatic) or declared by an admin with no measurement behind it, under
// the admins' title and status when they published any.
type incidentItem struct {
	ID         uint64
	Title      string
	Status     incidents.UpdateStatus // the admins' latest; StatusNone if they published nothing
	Measured   bool
	Open       bool
	Start      time.Time
	End        time.Time // when it was resolved: measured, or the admins' resolving update; zero while open
	Components []string  // IDs, in the order they were affected or named
	// Declared is, while the admins' status is not resolved, the impact
	// their latest update naming components declares for each.
	Declared map[string]probes.Status
}

// incidentItems lists every incident, measured or declared, newest start
// first.
func (p *publicAPI) incidentItems(l lang, names map[string]string) []incidentItem {
	var out []incidentItem
	for _, s := range p.s.pipe.History().Incidents() {
		it := incidentItem{ID: s.ID, Title: autoName(l, s, names), Measured: true, Open: s.Open(), Start: s.Start,
			Components: s.Components}
		if !s.Open() {
			it.End = s.End
		}
		p.withUpdates(&it, p.s.pipe.Admin().Updates(s.ID))
		out = append(out, it)
	}
	for _, id := range p.s.pipe.Admin().ManualIncidents() {
		ups := p.s.pipe.Admin().Updates(id)
		if len(ups) == 0 {
			continue
		}
		it := incidentItem{ID: id, Start: ups[0].Published}
		p.withUpdates(&it, ups)
		it.Open = it.Status != incidents.StatusResolved
		if !it.Open {
			it.End = ups[len(ups)-1].Published
		}
		for _, u := range ups {
			for _, a := range u.Components {
				if !slices.Contains(it.Components, a.Component) {
					it.Components = append(it.Components, a.Component)
				}
			}
		}
		out = append(out, it)
	}
	slices.SortStableFunc(out, func(a, b incidentItem) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}

// withUpdates puts the admins' updates on it: the first one's title names
// it, the latest sets its status, and the latest naming components
// declares their impact while the incident is not resolved.
func (p *publicAPI) withUpdates(it *incidentItem, ups []incidents.Update) {
	if len(ups) == 0 {
		return
	}
	it.Title, it.Status = ups[0].Title, ups[len(ups)-1].Status
	if it.Status == incidents.StatusResolved {
		return
	}
	for i := len(ups) - 1; i >= 0; i-- {
		if len(ups[i].Components) > 0 {
			it.Declared = make(map[string]probes.Status, len(ups[i].Components))
			for _, a := range ups[i].Components {
				it.Declared[a.Component] = a.Status
			}
			return
		}
	}
}

// declaredStatus is, for each component, the worst impact the admins
// declare for it in an incident they have not resolved.
func declaredStatus(items []incidentItem) map[string]probes.Status {
	out := map[string]probes.Status{}
	for _, it := range items {
		for c, st := range it.Declared {
			if sev(st) > sev(out[c]) {
				out[c] = st
			}
		}
	}
	return out
}

// link is it as the home and component pages list it, in l.
func (it incidentItem) link(l lang) incidentLink {
	il := incidentLink{Href: l.href("/incidents/", it.ID), Title: it.Title, Since: l.heure(it.Start), Origin: l.t("inc.origin.declared")}
	if it.Measured {
		il.Origin = l.t("inc.origin.measured")
	}
	if it.Status != incidents.StatusNone {
		il.Status = l.t("incstatus." + it.Status.String())
	}
	if !it.Open && !it.End.IsZero() {
		il.End, il.Duration = l.heure(it.End), l.span(it.End.Sub(it.Start))
	}
	return il
}
