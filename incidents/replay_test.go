package incidents_test

import (
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
	"github.com/constat-ent/constat/probes/sim"
	"github.com/prometheus/common/config"
)

// ent is one portal of the replay: a simulator and the check of it.
type ent struct {
	id, operator string
	login        bool          // two steps: home, then its login link (impact partial)
	delay        time.Duration // how long sim.Slow holds its answer; 0: not used
	portal       *sim.Portal
	check        *probes.Check
}

// start starts the simulator and builds a real check of it. The limits
// are far from the simulated delays, so that a machine busy with other
// tests (CI runs packages in parallel on two cores) does not turn a healthy
// round into a slow one, or a slow one into a timeout: the slow portal
// holds its answer a whole second and counts as slow after half of it. A
// hanging or slow portal then costs a few seconds of wall time.
func (en *ent) start(t *testing.T) {
	t.Helper()
	opts := []sim.Option{sim.WithName(en.id)}
	timeout, degraded := 3*time.Second, 2*time.Second
	if en.delay > 0 {
		opts = append(opts, sim.WithDelay(en.delay))
		timeout, degraded = en.delay+2*time.Second, en.delay/2
	}
	en.portal = sim.Start(t, sim.Healthy, opts...)
	home, err := url.Parse(en.portal.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := &probes.Component{ID: en.id, Name: en.id, Operator: en.operator, Interval: time.Minute, Confirm: 2,
		MaxBody: 256 << 10, HTTPClientConfig: config.DefaultHTTPClientConfig}
	c.Steps = []*probes.Step{{URL: home, Timeout: timeout, DegradedAfter: degraded, FailIfBodyMatches: probes.BuiltinSignatures()}}
	if en.login {
		follow, err := probes.NewPattern(`href="([^"]*/auth/login[^"]*)"`)
		if err != nil {
			t.Fatal(err)
		}
		c.Steps = append(c.Steps, &probes.Step{Follow: follow, Timeout: timeout, DegradedAfter: degraded,
			FailIfBodyMatches: probes.BuiltinSignatures(), Impact: probes.ImpactPartial})
	}
	if en.check, err = probes.NewCheck(c, probes.Options{}); err != nil {
		t.Fatalf("NewCheck(%s): %v", en.id, err)
	}
}

// TestReplay6April2021 replays the morning of 6 April 2021 in compressed
// time: real checks against real simulators on 127.0.0.1, one round a
// simulated minute from 08:55; only Result.Start is simulated. At 09:02 the
// wave hits the ODE, Kosmos, GIP RECIA and CNED portals; some are back at
// 10:30, the others at 11:45. All simulators share 127.0.0.1, which does not
// correlate: incidents group by operator.
func TestReplay6April2021(t *testing.T) {
	const ode = "Open Digital Education"
	ents := []*ent{
		{id: "monlycee", operator: ode},
		{id: "mbn-grand-est", operator: "Kosmos"},
		{id: "educ-normandie", operator: ode, login: true},
		{id: "netocentre", operator: "GIP RECIA", delay: time.Second},
		{id: "mcalm-college", operator: "CNED"},
		{id: "toutatice", operator: "Académie de Rennes"},
		{id: "lycee-connecte", operator: ode, login: true},
		{id: "educonnect", operator: "Ministère de l'Éducation nationale"},
	}
	var comps []*probes.Component
	for _, en := range ents {
		en.start(t)
		comps = append(comps, en.check.Component)
	}
	byID := func(id string) *sim.Portal {
		for _, en := range ents {
			if en.id == id {
				return en.portal
			}
		}
		t.Fatalf("no portal %s", id)
		return nil
	}
	type change struct {
		portal string
		b      sim.Behaviour
	}
	script := map[string][]change{
		"09:02": {
			{"monlycee", sim.QueuePage}, {"mbn-grand-est", sim.Restricted}, {"educ-normandie", sim.LoginBroken},
			{"netocentre", sim.Slow}, {"mcalm-college", sim.WhitePage},
		},
		"09:04": {{"netocentre", sim.Hanging}},
		"09:06": {{"netocentre", sim.WhitePage503}},
		"10:30": {{"monlycee", sim.Healthy}, {"mbn-grand-est", sim.Healthy}},
		"11:45": {{"educ-normandie", sim.Healthy}, {"netocentre", sim.Healthy}, {"mcalm-college", sim.Healthy}},
	}

	f := newFeeder(t, incidents.EngineConfig{}, comps)
	var observed []incidents.Observation
	results := make([]probes.Result, len(ents))
	for at := at0406(t, "08:55"); at.Before(at0406(t, "11:50")); at = at.Add(time.Minute) {
		for _, ch := range script[hhmm(at)] {
			if err := byID(ch.portal).Set(ch.b); err != nil {
				t.Fatalf("at %s: Set(%v) on %s: %v", hhmm(at), ch.b, ch.portal, err)
			}
		}
		var wg sync.WaitGroup
		for i, en := range ents {
			wg.Go(func() { results[i] = en.check.Run(t.Context()) })
		}
		wg.Wait()
		for _, r := range results {
			r.Start = at
			observed = append(observed, incidents.Observation{Seq: f.seq, Result: r})
			f.observe("", r)
		}
		f.round++
	}

	want := []string{
		"r8 monlycee state_changed 09:02 operational>major_outage I1",
		"r8 monlycee incident_opened 09:02 operational>major_outage I1",
		"r8 mbn-grand-est state_changed 09:02 operational>major_outage I2",
		"r8 mbn-grand-est incident_opened 09:02 operational>major_outage I2",
		"r8 educ-normandie state_changed 09:02 operational>partial_outage I1",
		"r8 educ-normandie incident_joined 09:02 operational>partial_outage I1",
		"r8 netocentre state_changed 09:02 operational>degraded_performance I3",
		"r8 netocentre incident_opened 09:02 operational>degraded_performance I3",
		"r8 mcalm-college state_changed 09:02 operational>major_outage I4",
		"r8 mcalm-college incident_opened 09:02 operational>major_outage I4",
		"r10 netocentre state_changed 09:04 degraded_performance>major_outage I3",
		"r10 netocentre incident_updated 09:04 degraded_performance>major_outage I3",
		"r96 monlycee state_changed 10:30 major_outage>operational I1",
		"r96 monlycee incident_updated 10:30 major_outage>operational I1",
		"r96 mbn-grand-est state_changed 10:30 major_outage>operational I2",
		"r96 mbn-grand-est incident_resolved 10:30 major_outage>operational I2",
		"r171 educ-normandie state_changed 11:45 partial_outage>operational I1",
		"r171 educ-normandie incident_resolved 11:45 partial_outage>operational I1",
		"r171 netocentre state_changed 11:45 major_outage>operational I3",
		"r171 netocentre incident_resolved 11:45 major_outage>operational I3",
		"r171 mcalm-college state_changed 11:45 major_outage>operational I4",
		"r171 mcalm-college incident_resolved 11:45 major_outage>operational I4",
	}
	if !slices.Equal(f.lines, want) {
		t.Errorf("Observe(6 April 2021) events =\n\t%s\nwant\n\t%s", strings.Join(f.lines, "\n\t"), strings.Join(want, "\n\t"))
	}
	wantIncidents := []string{
		"I1 [monlycee educ-normandie] 09:02-11:45 major_outage Open Digital Education",
		"I2 [mbn-grand-est] 09:02-10:30 major_outage Kosmos",
		"I3 [netocentre] 09:02-11:45 major_outage GIP RECIA",
		"I4 [mcalm-college] 09:02-11:45 major_outage CNED",
	}
	if got := f.summaries(); !slices.Equal(got, wantIncidents) {
		t.Errorf("Observe(6 April 2021) incidents =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(wantIncidents, "\n\t"))
	}

	// The causes are what the probes really measured.
	wantCauses := []struct {
		comp    string
		kind    incidents.EventKind
		outcome probes.Outcome
		detail  string
	}{
		{"monlycee", incidents.Opened, probes.SoftFailure, "ode_quota"},
		{"mbn-grand-est", incidents.Opened, probes.SoftFailure, "kosmos_restricted"},
		{"educ-normandie", incidents.Joined, probes.HTTPError, "502"},
		{"netocentre", incidents.Opened, probes.Slow, ""},
		{"netocentre", incidents.Updated, probes.Timeout, probes.PhaseTTFB},
		{"mcalm-college", incidents.Opened, probes.SoftFailure, "service_unavailable"},
	}
	for _, w := range wantCauses {
		i := slices.IndexFunc(f.events, func(ev incidents.Event) bool { return ev.Component == w.comp && ev.Kind == w.kind })
		if i < 0 {
			t.Errorf("no %v event for %s", w.kind, w.comp)
			continue
		}
		ev := f.events[i]
		if ev.Cause == nil || ev.Cause.Outcome != w.outcome || ev.Cause.Detail != w.detail {
			t.Errorf("Observe(6 April 2021): %v of %s has Cause %+v, want %v (%q)", w.kind, w.comp, ev.Cause, w.outcome, w.detail)
		}
	}
	if i := slices.IndexFunc(f.events, func(ev incidents.Event) bool { return ev.Kind == incidents.Opened }); i >= 0 {
		// monlycee is the first component of round r7, 09:02.
		if at0902 := observed[7*len(ents)]; at0902.Component != "monlycee" || f.events[i].Incident != at0902.Seq+1 {
			t.Errorf("first incident ID = %d, want %d (Seq of %s at 09:02, plus one)", f.events[i].Incident, at0902.Seq+1, at0902.Component)
		}
	}

	// A restart replays the stored measurements through a fresh engine:
	// the same events, in the same order.
	fresh := incidents.NewEngine(incidents.EngineConfig{}, comps)
	var again []incidents.Event
	for _, o := range observed {
		again = append(again, fresh.Observe(o)...)
	}
	if !reflect.DeepEqual(again, f.events) {
		t.Errorf("replaying %d observations through a fresh engine gave %d events, differing from the %d of the first run", len(observed), len(again), len(f.events))
	}
}

// TestEngineDeterministic feeds the same synthetic morning (waves, noise,
// flapping, maintenance windows) through two fresh engines: the events must
// be identical, and every event must pass the feeder's checks.
func TestEngineDeterministic(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      incidents.EngineConfig
		vantages []string
	}{
		{"one vantage", incidents.EngineConfig{}, []string{""}},
		{"2 of 3 vantages", incidents.EngineConfig{Vantages: 3, Quorum: 2}, []string{"", "paris", "lyon"}},
		{"short window, low flap limit", incidents.EngineConfig{CorrelationWindow: time.Minute, FlapChanges: 2, FlapWindow: 10 * time.Minute}, []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fl := newFleet(80)
			windows := []incidents.Maintenance{
				{ID: 1, Components: []string{"ent-0000", "ent-0001", "ent-0020"}, Start: fl.base.Add(95 * time.Minute), End: fl.base.Add(130 * time.Minute)},
				{ID: 2, Components: []string{"ent-0050"}, Start: fl.base.Add(140 * time.Minute), End: fl.base.Add(160 * time.Minute)},
				{ID: 3, Components: []string{"ent-0050", "ent-0061"}, Start: fl.base.Add(150 * time.Minute), End: fl.base.Add(200 * time.Minute)},
			}
			run := func() *feeder {
				f := newFeeder(t, tc.cfg, fl.comps)
				f.e.SetMaintenance(windows)
				for r := range 400 {
					for i := range fl.comps {
						for v, name := range tc.vantages {
							o := fl.observation(r, i, name, uint64(v), 0)
							f.observe(name, o.Result)
						}
					}
					f.round++
				}
				return f
			}
			a, b := run(), run()
			if len(a.events) == 0 || !slices.ContainsFunc(a.events, func(ev incidents.Event) bool { return ev.Kind == incidents.Joined }) {
				t.Fatalf("Observe(fleet) gave %d events and no incident_joined, want a morning with correlated incidents", len(a.events))
			}
			if !reflect.DeepEqual(a.events, b.events) {
				for i := range min(len(a.lines), len(b.lines)) {
					if a.lines[i] != b.lines[i] {
						t.Fatalf("event %d differs between two fresh engines: %s, then %s", i, a.lines[i], b.lines[i])
					}
				}
				t.Fatalf("two fresh engines gave %d and %d events", len(a.events), len(b.events))
			}
			kinds := map[incidents.EventKind]int{}
			for _, ev := range a.events {
				kinds[ev.Kind]++
			}
			t.Logf("%d events: %v", len(a.events), kinds)
		})
	}
}
