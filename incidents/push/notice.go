package push

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// NoticeKind is what a notification announces.
type NoticeKind uint8

const (
	// Start: an outage of the component began (it opened or joined an
	// incident, or returned to one). Urgency high, TTL 1 h.
	Start NoticeKind = 1
	// End: the component is back, or under maintenance (State says
	// which: an outage ended by a maintenance window, whose words say
	// "en maintenance depuis", not "rétabli"). Urgency normal, TTL 24 h.
	End NoticeKind = 2
	// AdminUpdate: admins published an update on an incident the component
	// is part of. Urgency normal, TTL 24 h.
	AdminUpdate NoticeKind = 3
	// Change: the component moved between two failing states (major to
	// partial outage, or worse) inside an outage, or into or out of a
	// maintenance window with no incident event to carry the change
	// (maintenance_started from operational, maintenance_ended to
	// operational). Only webhooks get it, as a component_update: a Web
	// Push subscriber already knows the component is down, or was told by
	// the page of the scheduled maintenance, and push services throttle
	// chatty senders.
	Change NoticeKind = 4
)

// String returns "start", "end", "update" or "change".
func (k NoticeKind) String() string {
	switch k {
	case Start:
		return "start"
	case End:
		return "end"
	case AdminUpdate:
		return "update"
	case Change:
		return "change"
	}
	return "notice(" + strconv.Itoa(int(k)) + ")"
}

// Notice is one thing to tell the subscribers of a component: what Words
// turns into a notification's title and body.
type Notice struct {
	Kind          NoticeKind
	Seq           uint64 // the timeline record it comes from
	Component     string
	ComponentName string
	Incident      uint64
	From, State   probes.Status // the component's state before and after (Start, End, Change)
	// At is the measured time of the start or end, or when the update was
	// published.
	At time.Time
	// Since is the measured start of the outage that End ends; zero if unknown.
	Since time.Time
	Cause probes.Outcome // Start: what the failing round met; 0 if unknown
	// The admin update's status, impact, title, Markdown body and the
	// components it names with their states (AdminUpdate).
	UpdateStatus incidents.UpdateStatus
	Impact       incidents.Impact
	Title, Body  string
	Components   []timeline.Affected
}

// Words writes the visible text of notifications and webhooks in a
// language ("fr" or "en"). Package ui implements it from its catalogue,
// where every visitor string lives.
type Words interface {
	// Notice returns the title and the body of n's notification.
	Notice(lang string, n Notice) (title, body string)
	// Indicator describes an overall Statuspage indicator ("none",
	// "minor", "major", "critical"), for the webhooks' page object.
	Indicator(lang, indicator string) string
}

// notices returns what record r tells the subscribers of each component:
// engine events (start and end of a component's outage) and admin updates.
// Other records, and event kinds it does not know (added later), give none.
func (p *Push) notices(r timeline.Record) []Notice {
	switch {
	case r.Event != nil:
		if n, ok := p.eventNotice(r.Seq, r.Event); ok {
			return []Notice{n}
		}
	case r.Update != nil:
		return p.updateNotices(r.Seq, r.Update)
	}
	return nil
}

func down(s probes.Status) bool {
	return s == probes.DegradedPerformance || s == probes.PartialOutage || s == probes.MajorOutage
}

func (p *Push) eventNotice(seq uint64, e *timeline.Event) (Notice, bool) {
	n := Notice{Seq: seq, Component: e.Component, ComponentName: p.names[e.Component], Incident: e.Incident,
		From: e.From, State: e.To, At: e.At}
	if n.ComponentName == "" {
		return Notice{}, false // a component no longer in the configuration
	}
	switch kind := incidents.EventKind(e.EventKind); {
	case (kind == incidents.Opened || kind == incidents.Joined) && down(e.To),
		kind == incidents.Updated && !down(e.From) && down(e.To):
		n.Kind = Start
		if e.Cause != nil {
			n.Cause = e.Cause.Outcome
		}
	case kind == incidents.Resolved, kind == incidents.Updated && down(e.From) && !down(e.To):
		n.Kind = End
		n.Since = p.outageStart(e.Incident, e.Component, seq)
	case kind == incidents.Updated && down(e.From) && down(e.To) && e.From != e.To,
		// Into or out of maintenance: a change to or from a failure comes
		// with its incident event (Updated, Resolved, Opened), which carries
		// it with the incident.
		kind == incidents.MaintenanceStarted && !down(e.From) && e.From != e.To,
		kind == incidents.MaintenanceEnded && !down(e.To) && e.From != e.To:
		n.Kind = Change
	default:
		return Notice{}, false
	}
	return n, true
}

// outageStart is the measured start of the component's latest outage in the
// incident before seq: the At of its last Start-like event.
func (p *Push) outageStart(incident uint64, comp string, seq uint64) time.Time {
	if p.history == nil {
		return time.Time{}
	}
	_, evs, ok := p.history.Incident(incident)
	if !ok {
		return time.Time{}
	}
	var since time.Time
	for _, e := range evs {
		if e.Seq >= seq || e.Component != comp {
			continue
		}
		if n, ok := p.eventNotice(e.Seq, &e.Event); ok && n.Kind == Start {
			since = e.At
		}
	}
	return since
}

// updateNotices gives one notice per component of the incident an admin
// update is about: those it names, and the measured incident's.
func (p *Push) updateNotices(seq uint64, u *timeline.Update) []Notice {
	inc := u.Incident
	if inc == 0 {
		inc = seq + 1 // a manual incident's ID
	}
	var comps []string
	for _, a := range u.Components {
		comps = append(comps, a.Component)
	}
	if p.history != nil {
		if s, _, ok := p.history.Incident(inc); ok {
			comps = append(comps, s.Components...)
		}
	}
	seen := map[string]bool{}
	var out []Notice
	for _, c := range comps {
		if seen[c] || p.names[c] == "" {
			continue
		}
		seen[c] = true
		out = append(out, Notice{Kind: AdminUpdate, Seq: seq, Component: c, ComponentName: p.names[c], Incident: inc,
			At: u.Published, UpdateStatus: incidents.UpdateStatus(u.Status), Impact: incidents.Impact(u.Impact), Title: u.Title, Body: u.Body, Components: u.Components})
	}
	return out
}

// Payload is the JSON a notification carries, under 3 KiB: the service
// worker shows Title and Body and opens URL on click.
type Payload struct {
	Title     string `json:"title"`
	Body      string `json:"body"`
	URL       string `json:"url"`
	Component string `json:"component"`
	Incident  uint64 `json:"incident"`
	// State is the component's state after a start or an end
	// ("major_outage", "operational"), or the update's status ("monitoring").
	State string `json:"state"`
	At    string `json:"at"` // RFC 3339, UTC, to the second
}

// MaxPayload bounds a notification's JSON: push services take 4 KiB
// encrypted, and webpush-go pads to 4,096 bytes with 103 of overhead.
const MaxPayload = 3 << 10

// payload builds n's notification in lang, shortening the body, then the
// title, if the JSON would exceed MaxPayload.
func (p *Push) payload(lang string, n Notice) ([]byte, error) {
	title, body := p.words.Notice(lang, n)
	path := "/incidents/" + strconv.FormatUint(n.Incident, 10)
	if lang == "en" {
		path = "/en" + path
	}
	state := n.State.String()
	if n.Kind == AdminUpdate {
		state = n.UpdateStatus.String()
	}
	pl := Payload{Title: title, Body: body, URL: p.publicURL + path, Component: n.Component, Incident: n.Incident,
		State: state, At: n.At.UTC().Format(time.RFC3339)}
	for {
		b, err := json.Marshal(pl)
		if err != nil || len(b) <= MaxPayload {
			return b, err
		}
		switch {
		case len(pl.Body) > 0:
			pl.Body = truncate(pl.Body, len(pl.Body)-(len(b)-MaxPayload)-8)
		case len(pl.Title) > 0:
			pl.Title = truncate(pl.Title, len(pl.Title)-(len(b)-MaxPayload)-8)
		default:
			return nil, fmt.Errorf("payload of %d bytes without text", len(b))
		}
	}
}

// truncate cuts s to at most n bytes on a rune boundary, with "…".
func truncate(s string, n int) string {
	if n <= 3 {
		return ""
	}
	r := []rune(s)
	for len(string(r)) > n-3 {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

var topicOK = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// topic is the RFC 8030 Topic for a component: its ID when it fits the
// header's 32 base64url characters, else a hash of it, so that a pending
// "down" is replaced by the "back up" inside the push service.
func topic(component string) string {
	if topicOK.MatchString(component) {
		return component
	}
	h := sha256.Sum256([]byte(component))
	return base64.RawURLEncoding.EncodeToString(h[:24])
}
