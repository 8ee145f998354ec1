package incidents_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
)

// parisTZ is Europe/Paris in April 2021 (CEST), fixed so that tests need no tzdata.
var parisTZ = time.FixedZone("CEST", 2*60*60)

// at0406 returns 6 April 2021 at hhmm ("09:02" or "09:02:30"), Paris time.
func at0406(t testing.TB, hhmm string) time.Time {
	t.Helper()
	layout := "15:04"
	if strings.Count(hhmm, ":") == 2 {
		layout = "15:04:05"
	}
	h, err := time.ParseInLocation(layout, hhmm, parisTZ)
	if err != nil {
		t.Fatalf("clock(%q): %v", hhmm, err)
	}
	return time.Date(2021, 4, 6, h.Hour(), h.Minute(), h.Second(), 0, parisTZ)
}

func hhmm(at time.Time) string {
	if at.Second() != 0 {
		return at.In(parisTZ).Format("15:04:05")
	}
	return at.In(parisTZ).Format("15:04")
}

// roundResult is a round of component id at at with status s, with the steps a
// real check would have produced for it; addr, if set, is where it connected.
func roundResult(id string, at time.Time, s probes.Status, addr string) probes.Result {
	var addrs []string
	if addr != "" {
		addrs = []string{addr}
	}
	ok := probes.StepResult{URL: "https://" + id + ".test/", Outcome: probes.OK, StatusCode: 200, Addresses: addrs}
	r := probes.Result{Component: id, Start: at, Status: s}
	switch s {
	case probes.Operational:
		r.Steps = []probes.StepResult{ok}
	case probes.DegradedPerformance:
		slow := ok
		slow.Outcome, slow.Phases.TTFB = probes.Slow, 4*time.Second
		r.Steps = []probes.StepResult{slow}
	case probes.PartialOutage:
		login := probes.StepResult{URL: ok.URL + "auth/login", Outcome: probes.HTTPError, Detail: "502", StatusCode: 502, Addresses: addrs}
		r.Steps = []probes.StepResult{ok, login}
	default:
		quota := ok
		quota.Outcome, quota.Detail = probes.SoftFailure, "ode_quota"
		r.Steps = []probes.StepResult{quota}
	}
	return r
}

// feeder runs observations through an engine, numbers them, renders the
// events as lines and checks the engine's invariants after each one.
type feeder struct {
	t      testing.TB
	e      *incidents.Engine
	seq    uint64 // Seq of the next observation
	round  int    // set by the caller: rendered as "rN"
	events []incidents.Event
	lines  []string
	names  map[uint64]string              // incident ID → "I1", "I2"… in order of appearance
	order  []uint64                       // incident IDs in order of appearance
	incs   map[uint64]*incidents.Incident // last snapshot of every incident, End set when resolved
	status map[string]probes.Status       // state per component, from StateChanged events
}

func newFeeder(t testing.TB, cfg incidents.EngineConfig, comps []*probes.Component) *feeder {
	return &feeder{t: t, e: incidents.NewEngine(cfg, comps), names: map[uint64]string{},
		incs: map[uint64]*incidents.Incident{}, status: map[string]probes.Status{}}
}

func (f *feeder) observe(vantage string, r probes.Result) []incidents.Event {
	f.t.Helper()
	o := incidents.Observation{Seq: f.seq, Vantage: vantage, Result: r}
	f.seq++
	evs := f.e.Observe(o)
	for _, ev := range evs {
		f.check(o, ev)
		f.events = append(f.events, ev)
		f.lines = append(f.lines, f.line(ev))
	}
	if len(evs) == 0 && o.Seq%100 != 0 {
		return nil // snapshots only change with events; check them now and then anyway
	}
	for _, inc := range f.e.OpenIncidents() {
		if inc.End != (time.Time{}) || len(inc.Affected) == 0 {
			f.t.Errorf("OpenIncidents() has %+v, want open with an affected component", inc)
		}
		f.incs[inc.ID] = &inc
	}
	for _, ev := range evs {
		if ev.Kind == incidents.Resolved {
			f.incs[ev.Incident].End = ev.At
			f.incs[ev.Incident].Affected = nil
		}
	}
	for _, cs := range f.e.Components() {
		if want, ok := f.status[cs.ID]; ok && cs.Status != want {
			f.t.Errorf("after Observe(%s #%d), Components() says %s is %v, want %v (its last state_changed)", o.Component, o.Seq, cs.ID, cs.Status, want)
		}
	}
	return evs
}

// check asserts what every event must satisfy.
func (f *feeder) check(o incidents.Observation, ev incidents.Event) {
	f.t.Helper()
	if ev.At.After(o.Start) {
		f.t.Errorf("Observe(%s at %s) = %v at %s, want a measured time not after the observation", o.Component, hhmm(o.Start), ev.Kind, hhmm(ev.At))
	}
	switch ev.Kind {
	case incidents.StateChanged, incidents.Opened, incidents.Joined, incidents.Updated, incidents.Resolved:
		if ev.From == ev.To {
			f.t.Errorf("Observe(%s at %s) = %v %v → %v, want a transition that changes something", o.Component, hhmm(o.Start), ev.Kind, ev.From, ev.To)
		}
	}
	switch ev.Kind {
	case incidents.StateChanged:
		f.status[ev.Component] = ev.To
		fallthrough
	case incidents.Opened, incidents.Joined, incidents.Updated:
		failing := ev.To != probes.Operational && ev.To != probes.UnderMaintenance
		if failing != (ev.Cause != nil) {
			f.t.Errorf("Observe(%s at %s) = %v to %v with Cause %v, want a cause exactly when failing", o.Component, hhmm(o.Start), ev.Kind, ev.To, ev.Cause)
		}
	}
	switch ev.Kind {
	case incidents.Opened, incidents.Joined, incidents.Updated, incidents.Resolved:
		if ev.Incident == 0 {
			f.t.Errorf("Observe(%s at %s) = %v without an incident", o.Component, hhmm(o.Start), ev.Kind)
		}
	}
	if ev.Kind == incidents.Opened {
		if _, dup := f.incs[ev.Incident]; dup {
			f.t.Errorf("Observe(%s at %s) opened incident %d again", o.Component, hhmm(o.Start), ev.Incident)
		}
	}
	if ev.Kind == incidents.Resolved {
		if inc := f.incs[ev.Incident]; inc == nil || ev.At.Before(inc.Start) {
			f.t.Errorf("Observe(%s at %s) resolved %d at %s, before its start or never opened (%+v)", o.Component, hhmm(o.Start), ev.Incident, hhmm(ev.At), inc)
		}
	}
}

func (f *feeder) name(id uint64) string {
	if id == 0 {
		return ""
	}
	if n, ok := f.names[id]; ok {
		return n
	}
	n := fmt.Sprintf("I%d", len(f.names)+1)
	f.names[id] = n
	f.order = append(f.order, id)
	return n
}

// line renders ev as "r3 c state_changed 09:02 operational>major_outage I1".
func (f *feeder) line(ev incidents.Event) string {
	s := fmt.Sprintf("r%d %s %v %s %v>%v", f.round, ev.Component, ev.Kind, hhmm(ev.At), ev.From, ev.To)
	if ev.Incident != 0 {
		s += " " + f.name(ev.Incident)
	}
	if ev.Maintenance != 0 {
		s += fmt.Sprintf(" m%d", ev.Maintenance)
	}
	return s
}

// summaries renders every incident seen, in order of appearance, as
// "I1 [c1 c2] 09:02-09:30 major_outage Open Digital Education".
func (f *feeder) summaries() []string {
	var out []string
	for _, id := range f.order {
		inc := f.incs[id]
		end := "open"
		if !inc.End.IsZero() {
			end = hhmm(inc.End)
		}
		s := fmt.Sprintf("%s %v %s-%s %v", f.names[id], inc.Components, hhmm(inc.Start), end, inc.Worst)
		if inc.Operator != "" {
			s += " " + inc.Operator
		}
		out = append(out, s)
	}
	return out
}

func testComponent(id, operator string, confirm int) *probes.Component {
	return &probes.Component{ID: id, Name: id, Operator: operator, Confirm: confirm, Interval: time.Minute}
}

// roundStatus reads a round letter: o operational, d degraded, p partial, x major.
func roundStatus(t testing.TB, r rune) probes.Status {
	switch r {
	case 'o':
		return probes.Operational
	case 'd':
		return probes.DegradedPerformance
	case 'p':
		return probes.PartialOutage
	case 'x':
		return probes.MajorOutage
	}
	t.Fatalf("bad round letter %q", r)
	return 0
}

// runRounds feeds one component "c" one round a minute from 09:00, one
// letter per round (spaces ignored).
func runRounds(t testing.TB, confirm int, rounds string) *feeder {
	t.Helper()
	f := newFeeder(t, incidents.EngineConfig{}, []*probes.Component{testComponent("c", "", confirm)})
	at := at0406(t, "09:00")
	for _, r := range strings.ReplaceAll(rounds, " ", "") {
		f.observe("", roundResult("c", at, roundStatus(t, r), ""))
		f.round++
		at = at.Add(time.Minute)
	}
	return f
}

func TestEngineStateMachine(t *testing.T) {
	flapping := strings.Repeat("o", 10) + strings.Repeat("xo", 20) + strings.Repeat("o", 60)
	flapping1 := strings.Repeat("o", 5) + strings.Repeat("xo", 10) + strings.Repeat("o", 40)
	tests := []struct {
		name    string
		confirm int
		rounds  string
		want    []string
		final   probes.Status
	}{
		{"opens after confirm, dated by the first failure", 2, "ooxxxoo", []string{
			"r3 c state_changed 09:02 operational>major_outage I1",
			"r3 c incident_opened 09:02 operational>major_outage I1",
			"r6 c state_changed 09:05 major_outage>operational I1",
			"r6 c incident_resolved 09:05 major_outage>operational I1",
		}, probes.Operational},
		{"a single failure never opens", 2, "ooxoo xoo", nil, probes.Operational},
		{"a single recovery does not resolve", 2, "xx o xx", []string{
			"r1 c state_changed 09:00 operational>major_outage I1",
			"r1 c incident_opened 09:00 operational>major_outage I1",
		}, probes.MajorOutage},
		{"confirm 3", 3, "oxxoxxxooo", []string{
			"r6 c state_changed 09:04 operational>major_outage I1",
			"r6 c incident_opened 09:04 operational>major_outage I1",
			"r9 c state_changed 09:07 major_outage>operational I1",
			"r9 c incident_resolved 09:07 major_outage>operational I1",
		}, probes.Operational},
		{"degraded performance opens a minor incident", 2, "oddoo", []string{
			"r2 c state_changed 09:01 operational>degraded_performance I1",
			"r2 c incident_opened 09:01 operational>degraded_performance I1",
			"r4 c state_changed 09:03 degraded_performance>operational I1",
			"r4 c incident_resolved 09:03 degraded_performance>operational I1",
		}, probes.Operational},
		{"partial then major is an update", 2, "ppxxoo", []string{
			"r1 c state_changed 09:00 operational>partial_outage I1",
			"r1 c incident_opened 09:00 operational>partial_outage I1",
			"r3 c state_changed 09:02 partial_outage>major_outage I1",
			"r3 c incident_updated 09:02 partial_outage>major_outage I1",
			"r5 c state_changed 09:04 major_outage>operational I1",
			"r5 c incident_resolved 09:04 major_outage>operational I1",
		}, probes.Operational},
		{"a mixed streak takes its latest status", 2, "opxxpoo", []string{
			"r2 c state_changed 09:01 operational>major_outage I1",
			"r2 c incident_opened 09:01 operational>major_outage I1",
			"r6 c state_changed 09:05 major_outage>operational I1",
			"r6 c incident_resolved 09:05 major_outage>operational I1",
		}, probes.Operational},
		{"a mixed streak ending partial is partial", 2, "oxpp", []string{
			"r2 c state_changed 09:01 operational>partial_outage I1",
			"r2 c incident_opened 09:01 operational>partial_outage I1",
		}, probes.PartialOutage},
		{"alternating non-operational statuses never move", 2, "pp xpxp", []string{
			"r1 c state_changed 09:00 operational>partial_outage I1",
			"r1 c incident_opened 09:00 operational>partial_outage I1",
		}, probes.PartialOutage},
		{"flapping between partial and major stays at the confirmed partial", 2, "pp xpxpxp", []string{
			"r1 c state_changed 09:00 operational>partial_outage I1",
			"r1 c incident_opened 09:00 operational>partial_outage I1",
			"r6 c flapping_started 09:06 partial_outage>partial_outage I1",
		}, probes.PartialOutage},
		{"changes up to the flap limit are separate incidents", 2, "oxxooxxoo", []string{
			"r2 c state_changed 09:01 operational>major_outage I1",
			"r2 c incident_opened 09:01 operational>major_outage I1",
			"r4 c state_changed 09:03 major_outage>operational I1",
			"r4 c incident_resolved 09:03 major_outage>operational I1",
			"r6 c state_changed 09:05 operational>major_outage I2",
			"r6 c incident_opened 09:05 operational>major_outage I2",
			"r8 c state_changed 09:07 major_outage>operational I2",
			"r8 c incident_resolved 09:07 major_outage>operational I2",
		}, probes.Operational},
		{"flapping every round for 40 min is one incident", 2, flapping, []string{
			"r15 c state_changed 09:10 operational>partial_outage I1",
			"r15 c incident_opened 09:10 operational>partial_outage I1",
			"r15 c flapping_started 09:15 partial_outage>partial_outage I1",
			"r50 c state_changed 09:49 partial_outage>operational I1",
			"r50 c incident_updated 09:49 partial_outage>operational I1",
			"r54 c flapping_stopped 09:54 operational>operational I1",
			"r54 c incident_resolved 09:49 partial_outage>operational I1",
		}, probes.Operational},
		{"flapping at confirm 1 follows every round in one incident", 1, flapping1, []string{
			"r5 c state_changed 09:05 operational>major_outage I1",
			"r5 c incident_opened 09:05 operational>major_outage I1",
			"r6 c state_changed 09:06 major_outage>operational I1",
			"r6 c incident_resolved 09:06 major_outage>operational I1",
			"r7 c state_changed 09:07 operational>major_outage I2",
			"r7 c incident_opened 09:07 operational>major_outage I2",
			"r8 c state_changed 09:08 major_outage>operational I2",
			"r8 c incident_resolved 09:08 major_outage>operational I2",
			"r9 c state_changed 09:09 operational>major_outage I3",
			"r9 c incident_opened 09:09 operational>major_outage I3",
			"r10 c state_changed 09:10 major_outage>operational I3",
			"r10 c incident_updated 09:10 major_outage>operational I3",
			"r10 c flapping_started 09:10 operational>operational I3",
			"r11 c state_changed 09:11 operational>major_outage I3",
			"r11 c incident_updated 09:11 operational>major_outage I3",
			"r12 c state_changed 09:12 major_outage>operational I3",
			"r12 c incident_updated 09:12 major_outage>operational I3",
			"r13 c state_changed 09:13 operational>major_outage I3",
			"r13 c incident_updated 09:13 operational>major_outage I3",
			"r14 c state_changed 09:14 major_outage>operational I3",
			"r14 c incident_updated 09:14 major_outage>operational I3",
			"r15 c state_changed 09:15 operational>major_outage I3",
			"r15 c incident_updated 09:15 operational>major_outage I3",
			"r16 c state_changed 09:16 major_outage>operational I3",
			"r16 c incident_updated 09:16 major_outage>operational I3",
			"r17 c state_changed 09:17 operational>major_outage I3",
			"r17 c incident_updated 09:17 operational>major_outage I3",
			"r18 c state_changed 09:18 major_outage>operational I3",
			"r18 c incident_updated 09:18 major_outage>operational I3",
			"r19 c state_changed 09:19 operational>major_outage I3",
			"r19 c incident_updated 09:19 operational>major_outage I3",
			"r20 c state_changed 09:20 major_outage>operational I3",
			"r20 c incident_updated 09:20 major_outage>operational I3",
			"r21 c state_changed 09:21 operational>major_outage I3",
			"r21 c incident_updated 09:21 operational>major_outage I3",
			"r22 c state_changed 09:22 major_outage>operational I3",
			"r22 c incident_updated 09:22 major_outage>operational I3",
			"r23 c state_changed 09:23 operational>major_outage I3",
			"r23 c incident_updated 09:23 operational>major_outage I3",
			"r24 c state_changed 09:24 major_outage>operational I3",
			"r24 c incident_updated 09:24 major_outage>operational I3",
			"r29 c flapping_stopped 09:29 operational>operational I3",
			"r29 c incident_resolved 09:24 major_outage>operational I3",
		}, probes.Operational},
		{"a component that goes down for good while flapping stays down", 2, strings.Repeat("xo", 5) + strings.Repeat("x", 40), []string{
			"r5 c state_changed 09:00 operational>partial_outage I1",
			"r5 c incident_opened 09:00 operational>partial_outage I1",
			"r5 c flapping_started 09:05 partial_outage>partial_outage I1",
			"r11 c state_changed 09:10 partial_outage>major_outage I1",
			"r11 c incident_updated 09:10 partial_outage>major_outage I1",
			"r15 c flapping_stopped 09:15 major_outage>major_outage I1",
		}, probes.MajorOutage},
		{"flapping slow, then down: the worsening is dated by the first failing round", 2, "odododod dd xxx", []string{
			"r6 c state_changed 09:01 operational>degraded_performance I1",
			"r6 c incident_opened 09:01 operational>degraded_performance I1",
			"r6 c flapping_started 09:06 degraded_performance>degraded_performance I1",
			"r11 c state_changed 09:10 degraded_performance>major_outage I1",
			"r11 c incident_updated 09:10 degraded_performance>major_outage I1",
		}, probes.MajorOutage},
		{"three failures in 30 min, then calm: working within confirm rounds", 2, "ooxxooxxooxxoo" + strings.Repeat("o", 30), []string{
			"r3 c state_changed 09:02 operational>major_outage I1",
			"r3 c incident_opened 09:02 operational>major_outage I1",
			"r5 c state_changed 09:04 major_outage>operational I1",
			"r5 c incident_resolved 09:04 major_outage>operational I1",
			"r7 c state_changed 09:06 operational>major_outage I2",
			"r7 c incident_opened 09:06 operational>major_outage I2",
			"r9 c state_changed 09:08 major_outage>operational I2",
			"r9 c incident_resolved 09:08 major_outage>operational I2",
			"r11 c state_changed 09:10 operational>major_outage I3",
			"r11 c incident_opened 09:10 operational>major_outage I3",
			"r12 c state_changed 09:12 major_outage>partial_outage I3",
			"r12 c incident_updated 09:12 major_outage>partial_outage I3",
			"r12 c flapping_started 09:12 partial_outage>partial_outage I3",
			"r13 c state_changed 09:12 partial_outage>operational I3",
			"r13 c incident_updated 09:12 partial_outage>operational I3",
			"r17 c flapping_stopped 09:17 operational>operational I3",
			"r17 c incident_resolved 09:12 partial_outage>operational I3",
		}, probes.Operational},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := runRounds(t, tt.confirm, tt.rounds)
			if !slices.Equal(f.lines, tt.want) {
				t.Errorf("Observe(%s) events =\n\t%s\nwant\n\t%s", tt.rounds, strings.Join(f.lines, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
			if got := f.e.Components()[0].Status; got != tt.final {
				t.Errorf("after Observe(%s), Status = %v, want %v", tt.rounds, got, tt.final)
			}
			if open := f.e.OpenIncidents(); tt.final == probes.Operational && len(open) > 0 {
				t.Errorf("after Observe(%s), OpenIncidents() = %+v, want none: every recent round works", tt.rounds, open)
			}
		})
	}
}

func TestEngineEvidence(t *testing.T) {
	f := newFeeder(t, incidents.EngineConfig{}, []*probes.Component{testComponent("monlycee", "Open Digital Education", 0)})
	f.seq = 100
	f.observe("", roundResult("monlycee", at0406(t, "09:01"), probes.Operational, ""))
	f.observe("", roundResult("monlycee", at0406(t, "09:02"), probes.MajorOutage, "")) // seq 101
	evs := f.observe("", roundResult("monlycee", at0406(t, "09:03"), probes.PartialOutage, ""))
	if len(evs) != 2 || evs[1].Kind != incidents.Opened {
		t.Fatalf("Observe(09:03) = %v, want state_changed and incident_opened", f.lines)
	}
	op := evs[1]
	if op.Incident != 102 || op.Seq != 101 || !op.At.Equal(at0406(t, "09:02")) {
		t.Errorf("Observe(09:03) opened incident %d from #%d at %s, want incident 102 from #101 at 09:02", op.Incident, op.Seq, hhmm(op.At))
	}
	if op.To != probes.PartialOutage {
		t.Errorf("Observe(09:03) opened as %v, want partial_outage (the latest round of the streak)", op.To)
	}
	if op.Cause == nil || op.Cause.Outcome != probes.SoftFailure || op.Cause.Detail != "ode_quota" {
		t.Errorf("Observe(09:03) Cause = %+v, want the 09:02 round's soft_failure (ode_quota)", op.Cause)
	}
	cs := f.e.Components()[0]
	want := incidents.ComponentState{ID: "monlycee", Status: probes.PartialOutage, Since: at0406(t, "09:02"), Incident: 102, LastSeq: 102}
	if cs != want {
		t.Errorf("Components() = %+v, want %+v", cs, want)
	}
	incs := f.e.OpenIncidents()
	if len(incs) != 1 || incs[0].ID != 102 || incs[0].Operator != "Open Digital Education" || !incs[0].Start.Equal(at0406(t, "09:02")) {
		t.Errorf("OpenIncidents() = %+v, want incident 102 of Open Digital Education from 09:02", incs)
	}
}

func TestEngineIgnores(t *testing.T) {
	tests := []struct {
		name string
		r    probes.Result
	}{
		{"unknown component", roundResult("absent", at0406(t, "09:10"), probes.MajorOutage, "")},
		{"unknown status", roundResult("c", at0406(t, "09:10"), probes.StatusUnknown, "")},
		{"status under_maintenance from a probe", roundResult("c", at0406(t, "09:10"), probes.UnderMaintenance, "")},
		{"older than the last round", roundResult("c", at0406(t, "09:00"), probes.MajorOutage, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFeeder(t, incidents.EngineConfig{}, []*probes.Component{testComponent("c", "", 1)})
			f.observe("", roundResult("c", at0406(t, "09:05"), probes.Operational, ""))
			if evs := f.observe("", tt.r); evs != nil {
				t.Errorf("Observe(%s) = %v, want nil", tt.name, f.lines)
			}
			if cs := f.e.Components()[0]; cs.Status != probes.Operational || cs.LastSeq != 0 {
				t.Errorf("after Observe(%s), Components() = %+v, want operational, last seq 0", tt.name, cs)
			}
		})
	}
}

func TestEventKindValues(t *testing.T) {
	// Persisted: these values must never change.
	want := []struct {
		k    incidents.EventKind
		v    uint8
		name string
	}{
		{incidents.StateChanged, 1, "state_changed"},
		{incidents.Opened, 2, "incident_opened"},
		{incidents.Joined, 3, "incident_joined"},
		{incidents.Updated, 4, "incident_updated"},
		{incidents.Resolved, 5, "incident_resolved"},
		{incidents.FlappingStarted, 6, "flapping_started"},
		{incidents.FlappingStopped, 7, "flapping_stopped"},
		{incidents.MaintenanceStarted, 8, "maintenance_started"},
		{incidents.MaintenanceEnded, 9, "maintenance_ended"},
		{incidents.EventKind(200), 200, "event_kind(200)"},
	}
	for _, w := range want {
		if uint8(w.k) != w.v || w.k.String() != w.name {
			t.Errorf("EventKind %d = %q, want %d %q", uint8(w.k), w.k.String(), w.v, w.name)
		}
	}
}

// downSpan is a stretch [from, to) during which a scenario component's rounds
// have status s.
type downSpan struct {
	from, to string
	s        probes.Status
}

// scenarioComp is a component of a scenario.
type scenarioComp struct {
	id, operator, addr string
	down               []downSpan
}

// scenario feeds every component one round each step, in order, from from
// to to (excluded).
type scenario struct {
	cfg      incidents.EngineConfig
	from, to string
	step     time.Duration
	comps    []scenarioComp
	confirm  map[string]int // Component.Confirm by ID; default otherwise
	windows  []incidents.Maintenance
}

func (sc scenario) run(t testing.TB) *feeder {
	t.Helper()
	var comps []*probes.Component
	for _, m := range sc.comps {
		comps = append(comps, testComponent(m.id, m.operator, sc.confirm[m.id]))
	}
	f := newFeeder(t, sc.cfg, comps)
	f.e.SetMaintenance(sc.windows)
	for at := at0406(t, sc.from); at.Before(at0406(t, sc.to)); at = at.Add(sc.step) {
		for _, m := range sc.comps {
			s := probes.Operational
			for _, d := range m.down {
				if !at.Before(at0406(t, d.from)) && at.Before(at0406(t, d.to)) {
					s = d.s
					break
				}
			}
			f.observe("", roundResult(m.id, at, s, m.addr))
		}
		f.round++
	}
	return f
}
