package ui

import (
	"html/template"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

type statusView struct {
	Overall   string // one sentence for the overall state
	Links     bool   // component pages exist (the engine is enabled)
	Incidents []incidentLink
	Maints    []maintLink // in progress, then upcoming
	// Suspended are the last day's periods when Constat could not reach
	// the network, each with its day: "6 avril 2021 — mesures suspendues…".
	Suspended []suspendedView
	Groups    []groupView
	Alerts    bool // the push API is enabled: show "Recevoir les alertes"
}

type suspendedView struct {
	Day, Text string
}

type maintLink struct {
	Href, Title, Status, From, Until, Components string
}

type incidentLink struct {
	Href, Title, Since string
	Origin             string // measured, or declared by the Constat team, in words
	Status             string // the admins' latest status, in words; "" if they published none
}

type groupView struct {
	Name string
	Rows []rowView
}

type rowView struct {
	ID, Name, Operator string
	Status             string // Statuspage enum name
	Measured           bool
	Outcome, Detail    string
	Code               int
	Phases             string
	Checked            string // "6 avril 2021 à 9 h 02", in the page's language
	CheckedISO         string
	Pending            bool          // the latest round disagrees with the confirmed state: awaiting confirmation
	Flapping           string        // "Instable : 4 coupures en 30 min, fonctionne en ce moment"; "" if stable
	Declared           string        // Status is an admin-declared impact, not measured: who declared it
	Bars               template.HTML // 90-day history, SVG with its text alternative
	Uptime             string        // over the bar's days
}

func buildStatusView(l lang, cfg *probes.Config, latest map[string]timeline.Measurement) statusView {
	var v statusView
	for _, g := range cfg.Groups {
		gv := groupView{Name: g.Name}
		for _, c := range g.Components {
			row := rowView{ID: c.ID, Name: c.Name, Operator: c.Operator, Status: probes.StatusUnknown.String()}
			if m, ok := latest[c.ID]; ok {
				fillRow(l, &row, m.Result)
			}
			gv.Rows = append(gv.Rows, row)
		}
		v.Groups = append(v.Groups, gv)
	}
	return v
}

// fillRow shows the failing step if there is one, else the last step.
func fillRow(l lang, row *rowView, r probes.Result) {
	row.Measured = true
	row.Status = r.Status.String()
	row.Checked = l.heure(r.Start)
	row.CheckedISO = r.Start.UTC().Format(time.RFC3339)
	if len(r.Steps) == 0 {
		return
	}
	st := &r.Steps[len(r.Steps)-1]
	if f := r.Failed(); f != nil {
		st = f
	}
	row.Outcome, row.Detail, row.Code = st.Outcome.String(), st.Detail, st.StatusCode
	row.Phases = l.phases(st.Phases)
}
