package incidents

// The checks of Admin's inputs: each returns a *ValidationError naming the
// field, before anything is recorded.

import (
	"cmp"
	"fmt"
	"github.com/prometheus/common/model"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/constat-ent/constat/incidents/timeline"
)

// maintenanceGrace is how far in the past a maintenance may start when it
// is scheduled: a form takes time to fill in, but a window must not be
// declared after the fact to hide an outage from the uptime figures.
const maintenanceGrace = 5 * time.Minute

func (a *Admin) checkUpdate(actor string, in UpdateInput) error {
	if err := checkActor(actor); err != nil {
		return err
	}
	switch {
	case in.Status == StatusNone:
		return invalidf("status", "is required")
	case in.Status.ForMaintenance():
		return invalidf("status", "%v is a maintenance status, not an incident's", in.Status)
	case !in.Status.ForIncident():
		return invalidf("status", "unknown status %d", uint8(in.Status))
	case !in.Impact.Valid():
		return invalidf("impact", "unknown impact %d", uint8(in.Impact))
	}
	if err := checkText("title", in.Title, timeline.MaxTitleLen, true, false); err != nil {
		return err
	}
	if err := checkText("body", in.Body, timeline.MaxBodyLen, true, true); err != nil {
		return err
	}
	if len(in.Components) > timeline.MaxComponents {
		return invalidf("components", "%d components, at most %d", len(in.Components), timeline.MaxComponents)
	}
	ids := make([]string, len(in.Components))
	for i, c := range in.Components {
		ids[i] = c.Component
		if !c.Status.Valid() {
			return invalidf(fmt.Sprintf("components[%d].status", i), "unknown status %d", uint8(c.Status))
		}
	}
	return a.checkComponents(ids, false)
}

// checkComponents checks a list of component IDs: known, listed once, at
// most MaxComponents, at least one if required.
func (a *Admin) checkComponents(ids []string, required bool) error {
	switch {
	case required && len(ids) == 0:
		return invalidf("components", "name at least one component")
	case len(ids) > timeline.MaxComponents:
		return invalidf("components", "%d components, at most %d", len(ids), timeline.MaxComponents)
	}
	for i, id := range ids {
		field := fmt.Sprintf("components[%d]", i)
		if !a.comps[id] {
			return invalidf(field, "unknown component %q", id)
		}
		if slices.Index(ids, id) != i {
			return invalidf(field, "%q is listed twice", id)
		}
	}
	return nil
}

func (a *Admin) checkMaintenance(actor string, in MaintenanceInput, prev *ScheduledMaintenance, now time.Time) error {
	if err := checkActor(actor); err != nil {
		return err
	}
	switch {
	case in.Status == StatusNone:
		return invalidf("status", "is required")
	case in.Status.ForIncident():
		return invalidf("status", "%v is an incident status, not a maintenance's", in.Status)
	case !in.Status.ForMaintenance():
		return invalidf("status", "unknown status %d", uint8(in.Status))
	}
	if err := checkText("title", in.Title, timeline.MaxTitleLen, true, false); err != nil {
		return err
	}
	if err := checkText("body", in.Body, timeline.MaxBodyLen, false, true); err != nil {
		return err
	}
	if err := a.checkComponents(in.Components, true); err != nil {
		return err
	}
	if err := cmp.Or(checkTime("start", in.Start), checkTime("end", in.End)); err != nil {
		return err
	}
	earliest := now.Add(-maintenanceGrace)
	switch {
	case !in.End.After(in.Start):
		return invalidf("end", "%s is not after start %s", in.End.Format(time.RFC3339), in.Start.Format(time.RFC3339))
	case in.End.Sub(in.Start) > a.maintMax:
		return invalidf("end", "%s is more than %s after start %s (incidents.maintenance_max)",
			in.End.Format(time.RFC3339), model.Duration(a.maintMax), in.Start.Format(time.RFC3339))
	case in.Start.Before(earliest) && (prev == nil || in.Start.Before(prev.Start)):
		return invalidf("start", "%s is in the past: a maintenance is announced, not declared afterwards", in.Start.Format(time.RFC3339))
	case prev == nil:
		return nil
	case prev.Status == StatusCompleted && in.Status != StatusCompleted:
		return invalidf("status", "the maintenance is completed: schedule a new one")
	case prev.End.Before(now) && in.End.After(prev.End):
		return invalidf("end", "the maintenance ended at %s: it cannot be extended afterwards", prev.End.Format(time.RFC3339))
	}
	return nil
}

func checkStatement(actor string, in StatementInput, now time.Time) error {
	err := cmp.Or(checkActor(actor),
		checkText("speaker", in.Speaker, timeline.MaxSpeakerLen, true, false),
		checkText("quote", in.Quote, timeline.MaxQuoteLen, true, true),
		checkTime("said_at", in.SaidAt), checkTime("about", in.About))
	switch {
	case err != nil:
		return err
	case in.SaidAt.After(now):
		return invalidf("said_at", "%s is in the future", in.SaidAt.Format(time.RFC3339))
	}
	return checkSourceURL(in.SourceURL)
}

func checkSourceURL(s string) error {
	const field = "source_url"
	if err := checkText(field, s, timeline.MaxURLLen, true, false); err != nil {
		return err
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return invalidf(field, "is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return invalidf(field, "must be an absolute http or https URL")
	case u.Host == "" || u.User != nil:
		return invalidf(field, "must name a host, without user or password")
	}
	return nil
}

func checkActor(actor string) error { return checkText("actor", actor, 200, true, false) }

// checkText checks a text field: what the timeline stores (timeline.TextFault:
// UTF-8, at most max bytes), and more: not blank if required, and without
// control characters but, if multiline, line breaks and tabs.
func checkText(field, s string, max int, required, multiline bool) error {
	if required && strings.TrimSpace(s) == "" {
		return invalidf(field, "is required")
	}
	if fault := timeline.TextFault(s, max); fault != "" {
		return invalidf(field, "%s", fault)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return invalidf(field, "contains the control character %U", r)
		}
	}
	return nil
}

func checkTime(field string, t time.Time) error {
	if t.IsZero() {
		return invalidf(field, "is required")
	}
	if y := t.UTC().Year(); y < 1970 || y > 9999 {
		return invalidf(field, "year %d is out of range", y)
	}
	return nil
}
