package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
)

// The Statuspage v2 documents. Field names and enums are Statuspage's;
// times are RFC 3339 in UTC; absent values are JSON null, as there.
type (
	spPage struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		URL       string    `json:"url"`
		TimeZone  string    `json:"time_zone"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	spStatus struct {
		Indicator   string `json:"indicator"` // none, minor, major, critical, maintenance
		Description string `json:"description"`
	}
	spComponent struct {
		ID                 string    `json:"id"`
		Name               string    `json:"name"`
		Status             string    `json:"status"`
		CreatedAt          time.Time `json:"created_at"`
		UpdatedAt          time.Time `json:"updated_at"`
		Position           int       `json:"position"`
		Description        *string   `json:"description"`
		Showcase           bool      `json:"showcase"`
		StartDate          *string   `json:"start_date"`
		GroupID            *string   `json:"group_id"`
		PageID             string    `json:"page_id"`
		Group              bool      `json:"group"`
		OnlyShowIfDegraded bool      `json:"only_show_if_degraded"`
		Components         []string  `json:"components,omitempty"` // groups only
	}
	spAffected struct {
		Code      string `json:"code"`
		Name      string `json:"name"`
		OldStatus string `json:"old_status"`
		NewStatus string `json:"new_status"`
	}
	spUpdate struct {
		ID                   string       `json:"id"`
		Status               string       `json:"status"`
		Body                 string       `json:"body"`
		IncidentID           string       `json:"incident_id"`
		CreatedAt            time.Time    `json:"created_at"`
		UpdatedAt            time.Time    `json:"updated_at"`
		DisplayAt            time.Time    `json:"display_at"`
		AffectedComponents   []spAffected `json:"affected_components"`
		DeliverNotifications bool         `json:"deliver_notifications"`
		CustomTweet          *string      `json:"custom_tweet"`
		TweetID              *string      `json:"tweet_id"`

		bodies [numLangs]string // Body in each language, for the feeds; "" where Body is the same in all
	}
	spIncident struct {
		ID              string        `json:"id"`
		Name            string        `json:"name"`
		Status          string        `json:"status"`
		CreatedAt       time.Time     `json:"created_at"`
		UpdatedAt       time.Time     `json:"updated_at"`
		MonitoringAt    *time.Time    `json:"monitoring_at"`
		ResolvedAt      *time.Time    `json:"resolved_at"`
		Impact          string        `json:"impact"`
		Shortlink       string        `json:"shortlink"`
		StartedAt       time.Time     `json:"started_at"`
		PageID          string        `json:"page_id"`
		IncidentUpdates []spUpdate    `json:"incident_updates"`
		Components      []spComponent `json:"components"`
		ScheduledFor    *time.Time    `json:"scheduled_for,omitempty"`
		ScheduledUntil  *time.Time    `json:"scheduled_until,omitempty"`

		names [numLangs]string // Name in each language, for the feeds; "" where Name is the same in all
	}
	spStatusDoc struct {
		Page   spPage   `json:"page"`
		Status spStatus `json:"status"`
	}
	spComponentsDoc struct {
		Page       spPage        `json:"page"`
		Components []spComponent `json:"components"`
	}
	spIncidentsDoc struct {
		Page      spPage       `json:"page"`
		Incidents []spIncident `json:"incidents"`
	}
	spMaintenancesDoc struct {
		Page                  spPage       `json:"page"`
		ScheduledMaintenances []spIncident `json:"scheduled_maintenances"`
	}
	spSummaryDoc struct {
		Page                  spPage        `json:"page"`
		Components            []spComponent `json:"components"`
		Incidents             []spIncident  `json:"incidents"`
		ScheduledMaintenances []spIncident  `json:"scheduled_maintenances"`
		Status                spStatus      `json:"status"`
	}
)

// spSnapshot is everything the documents show, built once per change.
type spSnapshot struct {
	base         string // Server.base: links are base + path
	page         spPage
	status       spStatus
	components   []spComponent
	incidents    []spIncident // newest first, at most maxIncidents
	maintenances []spIncident

	listOnce sync.Once // sharedList
	list     *sharedPart
	listErr  error
	frags    *fragCache // publicAPI.frags, used under publicAPI.building; nil: encode whole
}

const (
	pageID       = "constat"
	maxIncidents = 50
)

func (v *spSnapshot) unresolved() []spIncident {
	out := []spIncident{}
	for _, inc := range v.incidents {
		if inc.Status != "resolved" && inc.Status != "postmortem" {
			out = append(out, inc)
		}
	}
	return out
}

func (v *spSnapshot) maintenancesIn(status string) []spIncident {
	out := []spIncident{}
	for _, m := range v.maintenances {
		if m.Status == status {
			out = append(out, m)
		}
	}
	return out
}

func (v *spSnapshot) summary() spSummaryDoc {
	active := append(v.maintenancesIn("in_progress"), v.maintenancesIn("scheduled")...)
	return spSummaryDoc{v.page, v.components, v.unresolved(), active, v.status}
}

func (p *publicAPI) snapshot(now time.Time) *spSnapshot {
	cfg := p.s.cfg
	v := &spSnapshot{base: p.s.base, frags: &p.frags, page: spPage{ID: pageID, Name: "Constat", URL: p.s.base + "/", TimeZone: "Europe/Paris", UpdatedAt: now.UTC().Truncate(time.Second)},
		components: make([]spComponent, 0, len(cfg.Groups)+len(cfg.Components))} // sized: 10,000 appends grew it a dozen times
	names := p.s.names()
	states := componentStates{list: p.s.pipe.Components()}
	items := p.incidentItems(french, names)
	declared := declaredStatus(items)
	latest, _ := p.s.pipe.Latest()
	unmeasured := 0
	worst := probes.Operational
	pos, k := 0, 0 // k: index of c in cfg.Components, file order
	for _, g := range cfg.Groups {
		pos++
		gi := len(v.components)
		v.components = append(v.components, spComponent{ID: g.ID, Name: g.Name, Status: "operational", Position: pos,
			PageID: pageID, Group: true, Components: make([]string, 0, len(g.Components))})
		gid := new(string) // one for the group's components: 10,000 fewer allocations
		*gid = g.ID
		for _, c := range g.Components {
			pos++
			st := states.of(k, c.ID)
			k++
			status := st.Status
			if !status.Valid() {
				status = probes.Operational // not measured yet: Statuspage has no "unknown"
			}
			if _, ok := latest[c.ID]; !ok {
				unmeasured++
			}
			if d, ok := declared[c.ID]; ok && sev(d) > sev(status) {
				status = d // the admins' declared impact, as Statuspage shows it
			}
			since := st.Since.UTC()
			if st.Since.IsZero() { // no state change since Constat began measuring it
				since = v.page.UpdatedAt
			}
			v.components = append(v.components, spComponent{ID: c.ID, Name: c.Name, Status: status.String(), Position: pos,
				PageID: pageID, GroupID: gid, Showcase: true, CreatedAt: since, UpdatedAt: since})
			grp := &v.components[gi]
			grp.Components = append(grp.Components, c.ID)
			if sev(status) > sev(worstOf(grp.Status)) {
				grp.Status = status.String()
			}
			grp.CreatedAt, grp.UpdatedAt = v.page.UpdatedAt, v.page.UpdatedAt
			if sev(status) > sev(worst) {
				worst = status
			}
		}
	}
	v.status = overall(worst)
	if unmeasured > 0 && worst == probes.Operational {
		// Statuspage has no "unknown": "none" would say every service
		// works before each was measured (see the methodology page).
		v.status = spStatus{"minor", t("api.status.starting")}
	}
	v.incidents = p.incidentDocs(names)
	v.maintenances = p.maintenanceDocs(names, now)
	return v
}

// componentStates are the engine's states, in the configuration's order
// of components as it lists them; byID is made on first need.
type componentStates struct {
	list []incidents.ComponentState
	byID map[string]incidents.ComponentState
}

// of returns the state of component id, the kth of the configuration:
// list[k] when the engine lists them in that order, as it does, else
// found by ID (the zero state if the engine has none).
func (s *componentStates) of(k int, id string) incidents.ComponentState {
	if k < len(s.list) && s.list[k].ID == id {
		return s.list[k]
	}
	if s.byID == nil {
		s.byID = make(map[string]incidents.ComponentState, len(s.list))
		for _, st := range s.list {
			s.byID[st.ID] = st
		}
	}
	return s.byID[id]
}

func worstOf(name string) probes.Status {
	var s probes.Status
	_ = s.UnmarshalText([]byte(name))
	return s
}

// sev orders statuses by gravity; maintenance ranks below any outage.
func sev(s probes.Status) int {
	switch s {
	case probes.DegradedPerformance:
		return 2
	case probes.PartialOutage:
		return 3
	case probes.MajorOutage:
		return 4
	case probes.UnderMaintenance:
		return 1
	}
	return 0
}

func overall(worst probes.Status) spStatus {
	switch worst {
	case probes.DegradedPerformance:
		return spStatus{"minor", t("api.status.minor")}
	case probes.PartialOutage:
		return spStatus{"major", t("api.status.major")}
	case probes.MajorOutage:
		return spStatus{"critical", t("api.status.critical")}
	case probes.UnderMaintenance:
		return spStatus{"maintenance", t("api.status.maintenance")}
	}
	return spStatus{"none", t("api.status.none")}
}

// impactOf maps an incident's worst measured status to Statuspage's impact.
func impactOf(s probes.Status) string {
	switch s {
	case probes.DegradedPerformance:
		return "minor"
	case probes.PartialOutage:
		return "major"
	case probes.MajorOutage:
		return "critical"
	}
	return "none"
}

func idString(id uint64) string { return strconv.FormatUint(id, 10) }

// incidentDocs merges automatic incidents (measured) with manual ones,
// newest first; admins' updates on either come first in their updates.
func (p *publicAPI) incidentDocs(names map[string]string) []spIncident {
	adm := p.s.pipe.Admin()
	out := []spIncident{}
	for _, s := range p.s.pipe.History().Incidents() {
		_, evs, _ := p.s.pipe.History().Incident(s.ID)
		inc := spIncident{ID: idString(s.ID), Name: autoName(french, s, names), Status: "investigating", CreatedAt: s.Start.UTC(),
			UpdatedAt: s.Updated.UTC(), Impact: impactOf(s.Worst), StartedAt: s.Start.UTC(), PageID: pageID,
			Shortlink: p.s.base + "/incidents/" + idString(s.ID), IncidentUpdates: []spUpdate{}, Components: []spComponent{}}
		if !s.Open() {
			end := s.End.UTC()
			inc.Status, inc.ResolvedAt = "resolved", &end
		}
		for _, c := range s.Components {
			inc.Components = append(inc.Components, spComponent{ID: c, Name: names[c], PageID: pageID, Showcase: true})
		}
		evs = shownEvents(evs)
		for l := range numLangs {
			inc.names[l] = autoName(l, s, names)
		}
		for i := len(evs) - 1; i >= 0; i-- {
			inc.IncidentUpdates = append(inc.IncidentUpdates, autoUpdate(inc.ID, evs[i], names))
		}
		if ups := adm.Updates(s.ID); len(ups) > 0 {
			inc.names = [numLangs]string{} // the admins' title names it in every language
			applyAdmin(&inc, ups, names, p.oldStatus(evs))
		}
		out = append(out, inc)
	}
	for _, id := range adm.ManualIncidents() {
		ups := adm.Updates(id)
		if len(ups) == 0 {
			continue
		}
		first := ups[0]
		inc := spIncident{ID: idString(id), CreatedAt: first.Published.UTC(), StartedAt: first.Published.UTC(), PageID: pageID,
			Shortlink: p.s.base + "/incidents/" + idString(id), IncidentUpdates: []spUpdate{}, Components: []spComponent{}, Impact: "none"}
		applyAdmin(&inc, ups, names, p.oldStatus(nil))
		out = append(out, inc)
	}
	slices.SortStableFunc(out, func(a, b spIncident) int { return b.StartedAt.Compare(a.StartedAt) })
	if len(out) > maxIncidents {
		out = out[:maxIncidents]
	}
	return out
}

// applyAdmin puts the admins' updates (current revisions) on inc: their
// title names it, the latest sets its status and impact. measured gives a
// component's measured status at a time, for the old_status of a
// component an update names first.
func applyAdmin(inc *spIncident, ups []incidents.Update, names map[string]string, measured func(string, time.Time) probes.Status) {
	declared := map[string]probes.Status{} // by the updates so far
	for _, u := range ups {
		up := spUpdate{ID: idString(u.Root), Status: u.Status.String(), Body: u.Body, IncidentID: inc.ID,
			CreatedAt: u.Published.UTC(), UpdatedAt: u.Published.UTC(), DisplayAt: u.Published.UTC(), AffectedComponents: []spAffected{}}
		for _, a := range u.Components {
			old, ok := declared[a.Component]
			if !ok {
				old = measured(a.Component, u.Published)
			}
			declared[a.Component] = a.Status
			up.AffectedComponents = append(up.AffectedComponents, spAffected{Code: a.Component, Name: names[a.Component],
				OldStatus: old.String(), NewStatus: a.Status.String()})
			if !slices.ContainsFunc(inc.Components, func(c spComponent) bool { return c.ID == a.Component }) {
				inc.Components = append(inc.Components, spComponent{ID: a.Component, Name: names[a.Component], PageID: pageID, Showcase: true})
			}
		}
		inc.IncidentUpdates = append([]spUpdate{up}, inc.IncidentUpdates...)
	}
	if len(ups) == 0 {
		return
	}
	last := ups[len(ups)-1]
	inc.Name, inc.Status, inc.Impact = ups[0].Title, last.Status.String(), last.Impact.String()
	if last.Published.After(inc.UpdatedAt) {
		inc.UpdatedAt = last.Published.UTC()
	}
	for _, u := range ups {
		if u.Status == incidents.StatusMonitoring && inc.MonitoringAt == nil {
			at := u.Published.UTC()
			inc.MonitoringAt = &at
		}
		if u.Status == incidents.StatusResolved && inc.ResolvedAt == nil {
			at := u.Published.UTC()
			inc.ResolvedAt = &at
		}
	}
}

// autoName names an automatic incident by its components, in l: the
// first maxNamed, then how many others ("… et 495 autres"), so that an
// outage of a whole académie does not make a title of 500 names.
func autoName(l lang, s incidents.IncidentSummary, names map[string]string) string {
	ns := make([]string, 0, min(len(s.Components), maxNamed))
	for _, c := range s.Components[:min(len(s.Components), maxNamed)] {
		ns = append(ns, cmpName(c, names))
	}
	title := strings.Join(ns, ", ")
	if more := len(s.Components) - len(ns); more > 0 {
		title += l.tf("api.incident.more", more)
	}
	return l.tf("api.incident.auto", title)
}

func cmpName(id string, names map[string]string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// oldStatus returns what a component's measured status was at a time, for
// an admin update's old_status: from the incident's shown events evs when
// one of them concerns it by then, else the engine's state if it has not
// changed since, else operational.
func (p *publicAPI) oldStatus(evs []incidents.EventRecord) func(string, time.Time) probes.Status {
	return func(comp string, at time.Time) probes.Status {
		st, found := probes.Operational, false
		for _, e := range evs {
			if e.Component == comp && !e.At.After(at) {
				st, found = e.To, true
			}
		}
		if found {
			return st
		}
		for _, cs := range p.s.pipe.Components() {
			if cs.ID == comp && cs.Status.Valid() && !cs.Since.After(at) {
				return cs.Status
			}
		}
		return probes.Operational
	}
}

// autoUpdate is an engine event as a Statuspage update: what was measured.
func autoUpdate(incID string, e incidents.EventRecord, names map[string]string) spUpdate {
	status := "investigating"
	if incidents.EventKind(e.EventKind) == incidents.Resolved {
		status = "resolved"
	}
	at := e.At.UTC()
	up := spUpdate{ID: "e" + idString(e.Seq), Status: status, Body: autoBody(french, e, names), IncidentID: incID, CreatedAt: at, UpdatedAt: at, DisplayAt: at,
		AffectedComponents: []spAffected{{Code: e.Component, Name: names[e.Component], OldStatus: e.From.String(), NewStatus: e.To.String()}}}
	for l := range numLangs {
		up.bodies[l] = autoBody(l, e, names)
	}
	return up
}

// autoBody says in l what an engine event measured: when, to the second,
// which component went from which state to which, why, and the evidence.
func autoBody(l lang, e incidents.EventRecord, names map[string]string) string {
	body := secondTime(l, e.At) + " — " + eventText(l, e, names)
	if e.Cause != nil {
		body += fmt.Sprintf(" (%s", l.t("outcome."+e.Cause.Outcome.String()))
		if e.Cause.Detail != "" {
			body += ", " + e.Cause.Detail
		}
		body += ")"
	}
	return body + fmt.Sprintf(" — %s %d", l.t("api.evidence"), e.Evidence)
}

// maintenanceDocs are the scheduled maintenances, with the status time
// gives them: a scheduled window whose start has passed is in progress,
// one whose end has passed is completed.
func (p *publicAPI) maintenanceDocs(names map[string]string, now time.Time) []spIncident {
	out := []spIncident{}
	for _, m := range p.s.pipe.Admin().Maintenances() {
		status := maintenanceStatus(m, now)
		from, until := m.Start.UTC(), m.End.UTC()
		doc := spIncident{ID: idString(m.ID), Name: m.Title, Status: status, CreatedAt: m.At.UTC(), UpdatedAt: m.At.UTC(),
			Impact: "maintenance", StartedAt: from, PageID: pageID, Shortlink: p.s.base + "/maintenances/" + idString(m.ID),
			ScheduledFor: &from, ScheduledUntil: &until, Components: []spComponent{},
			IncidentUpdates: []spUpdate{{ID: idString(m.Root), Status: m.Status.String(), Body: m.Body, IncidentID: idString(m.ID),
				CreatedAt: m.At.UTC(), UpdatedAt: m.At.UTC(), DisplayAt: m.At.UTC(), AffectedComponents: []spAffected{}}}}
		for _, c := range m.Components {
			doc.Components = append(doc.Components, spComponent{ID: c, Name: names[c], Status: probes.UnderMaintenance.String(), PageID: pageID, Showcase: true})
		}
		out = append(out, doc)
	}
	return out
}
