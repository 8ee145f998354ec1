package ui

import (
	"html/template"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// statusView is the home page (status.html).
type statusView struct {
	Indicator string // Statuspage's overall indicator: none, minor, major, critical, maintenance
	Overall   string // one sentence for the overall state
	Count     string // how many services are not working normally; "" when all are
	Links     bool   // component pages exist (the engine is enabled)
	Query     string // the search (?q=); "" on the whole page
	Matches   int    // services matching Query
	Incidents []incidentLink
	Maints    []maintLink // in progress, then upcoming
	// Suspended are the last day's periods when Constat could not reach
	// the network, each with its day: "6 avril 2021 — mesures suspendues…".
	Suspended []suspendedView
	Groups    []groupView
	Alerts    bool // the push API is enabled: show "Recevoir les alertes"
	// Regions replaces Groups on a home page that summarises (past
	// summaryAbove services): a line per region, linking to its page.
	Regions []regionLine
	More    string // a search that matched more than it shows says so
}

type suspendedView struct {
	Day, Text string
}

type maintLink struct {
	Href, Title, Status, From, Until, Components string
}

// incidentLink is an incident in a list: the home page's open ones, a
// component's (which have an End and Duration once resolved).
type incidentLink struct {
	Href, Title, Since string
	Origin             string // measured, or declared by the Constat team, in words
	Status             string // the admins' latest status, in words; "" if they published none
	End, Duration      string // "" while open
}

type groupView struct {
	ID, Name string // ID anchors the group: #r-{ID}
	Rows     []rowView
	Links    bool // statusView.Links, for the table's template
}

type rowView struct {
	ID, Name, Operator string
	Status             string // Statuspage enum name
	Since, SinceISO    string // when the confirmed state began; "" if unknown
	Measured           bool
	Reason             string // why it fails, in plain words; "" when it works
	Outcome, Detail    string
	Code               int
	Checked            string // "9 h 02" today, "5 décembre à 9 h 02" before, in the page's language
	CheckedISO         string
	Pending            string        // the latest round's status when it disagrees with the confirmed state, awaiting confirmation
	Flapping           string        // "Instable : 4 coupures en 30 minutes, fonctionne en ce moment"; "" if stable
	Declared           string        // Status is an admin-declared impact, not measured: who declared it
	Bars               template.HTML // 90-day history, SVG with its text alternative
	Uptime             string        // over the bar's days
}

func buildStatusView(l lang, cfg *probes.Config, latest map[string]timeline.Measurement) statusView {
	return buildGroupsView(l, cfg.Groups, latest)
}

// buildGroupsView is buildStatusView of some groups (or parts of them).
func buildGroupsView(l lang, groups []*probes.Group, latest map[string]timeline.Measurement) statusView {
	var v statusView
	now := time.Now()
	for _, g := range groups {
		gv := groupView{ID: g.ID, Name: g.Name}
		for _, c := range g.Components {
			row := rowView{ID: c.ID, Name: c.Name, Operator: c.Operator, Status: probes.StatusUnknown.String()}
			if m, ok := latest[c.ID]; ok {
				fillRow(l, &row, m.Result, now)
			}
			gv.Rows = append(gv.Rows, row)
		}
		v.Groups = append(v.Groups, gv)
	}
	return v
}

// fillRow shows the failing step if there is one, else the last step.
func fillRow(l lang, row *rowView, r probes.Result, now time.Time) {
	row.Measured = true
	row.Status = r.Status.String()
	row.Checked = l.shortTime(r.Start, now)
	row.CheckedISO = r.Start.UTC().Format(time.RFC3339)
	if len(r.Steps) == 0 {
		return
	}
	st := &r.Steps[len(r.Steps)-1]
	if f := r.Failed(); f != nil {
		st = f
	}
	row.Outcome, row.Detail, row.Code = st.Outcome.String(), st.Detail, st.StatusCode
	row.Reason = l.reason(st.Outcome, st.Detail, st.StatusCode)
}

// applyStates puts the engine's confirmed states on the rows, with the
// time each began, says in words when a service is flapping, and puts on a
// row the impact the admins declare (declared, from declaredStatus) when it
// is worse than the measured one.
func (s *Server) applyStates(l lang, v *statusView, now time.Time, declared map[string]probes.Status) {
	rows := map[string]*rowView{}
	for gi := range v.Groups {
		for ri := range v.Groups[gi].Rows {
			rows[v.Groups[gi].Rows[ri].ID] = &v.Groups[gi].Rows[ri]
		}
	}
	for _, st := range s.pipe.Components() {
		row := rows[st.ID]
		if row == nil || !row.Measured || !st.Status.Valid() {
			continue
		}
		latest := row.Status
		if latest != st.Status.String() { // the latest round says otherwise, not yet confirmed
			row.Pending = latest
		}
		row.Status = st.Status.String()
		if !st.Since.IsZero() {
			row.Since, row.SinceISO = l.shortTime(st.Since, now), st.Since.UTC().Format(time.RFC3339)
		}
		if st.Flapping {
			row.Pending = "" // said in words
			row.Flapping = l.tf("home.flapping", st.Failures, l.duration(s.pipe.Thresholds().FlapWindow.Seconds()), l.t("home.now."+latest))
		}
	}
	for id, d := range declared {
		if row := rows[id]; row != nil && sev(d) > sev(worstOf(row.Status)) {
			row.Status, row.Declared = d.String(), l.t("inc.origin.declared")
			row.Since, row.SinceISO = "", "" // the measured state's start says nothing of the declared one
		}
	}
}
