package incidents_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
	"github.com/prometheus/common/config"
)

func TestEngineCorrelation(t *testing.T) {
	const ode = "Open Digital Education"
	major := probes.MajorOutage
	tests := []struct {
		name    string
		comps   []scenarioComp
		confirm map[string]int
		want    []string
	}{
		{
			// The window is measured from the incident's start (09:02), not
			// from its latest joiner (09:05): 09:09 is 4 min after the
			// latter but 7 min after the former.
			"same operator within 5 min of the incident start",
			[]scenarioComp{
				{"c1", ode, "", []downSpan{{"09:02", "09:30", major}}},
				{"c2", ode, "", []downSpan{{"09:02:30", "09:30", major}}},
				{"c3", " open digital EDUCATION ", "", []downSpan{{"09:03", "09:30", major}}},
				{"c4", ode, "", []downSpan{{"09:05", "09:30", major}}},
				{"c5", ode, "", []downSpan{{"09:09", "09:30", major}}},
			},
			nil,
			[]string{
				"I1 [c1 c2 c3 c4] 09:02-09:30 major_outage Open Digital Education",
				"I2 [c5] 09:09-09:30 major_outage Open Digital Education",
			},
		},
		{
			"different operator, same address",
			[]scenarioComp{
				{"c1", "Kosmos", "203.0.113.10", []downSpan{{"09:02", "09:20", major}}},
				{"c2", "Hébergeur régional", "203.0.113.10", []downSpan{{"09:03", "09:25", probes.PartialOutage}}},
				{"c3", "GIP RECIA", "198.51.100.20", []downSpan{{"09:03", "09:20", major}}},
			},
			nil,
			[]string{
				"I1 [c1 c2] 09:02-09:25 major_outage",
				"I2 [c3] 09:03-09:20 major_outage GIP RECIA",
			},
		},
		{
			"no operator, loopback or unspecified address",
			[]scenarioComp{
				{"c1", "", "127.0.0.1", []downSpan{{"09:02", "09:20", major}}},
				{"c2", "", "127.0.0.1", []downSpan{{"09:02", "09:20", major}}},
				{"c3", "", "::", []downSpan{{"09:02", "09:20", major}}},
				{"c4", "", "::", []downSpan{{"09:02", "09:20", major}}},
			},
			nil,
			[]string{
				"I1 [c1] 09:02-09:20 major_outage",
				"I2 [c2] 09:02-09:20 major_outage",
				"I3 [c3] 09:02-09:20 major_outage",
				"I4 [c4] 09:02-09:20 major_outage",
			},
		},
		{
			// c2 needs 4 rounds: it joins at 09:02:30 with a start of 09:01.
			"a joiner that failed first moves the start",
			[]scenarioComp{
				{"c1", ode, "", []downSpan{{"09:02", "09:20", major}}},
				{"c2", ode, "", []downSpan{{"09:01", "09:20", major}}},
			},
			map[string]int{"c2": 4},
			[]string{"I1 [c1 c2] 09:01-09:20 major_outage Open Digital Education"},
		},
		{
			"a component back then down again returns to its open incident",
			[]scenarioComp{
				{"c1", ode, "", []downSpan{{"09:02", "09:40", major}}},
				{"c2", ode, "", []downSpan{{"09:03", "09:10", major}, {"09:20", "09:30", probes.DegradedPerformance}}},
			},
			nil,
			[]string{"I1 [c1 c2] 09:02-09:40 major_outage Open Digital Education"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := scenario{from: "09:00", to: "10:00", step: 30 * time.Second, comps: tt.comps, confirm: tt.confirm}.run(t)
			if got := f.summaries(); !slices.Equal(got, tt.want) {
				t.Errorf("Observe(…) incidents =\n\t%s\nwant\n\t%s\nevents:\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"), strings.Join(f.lines, "\n\t"))
			}
		})
	}
}

func TestEngineCorrelationEvents(t *testing.T) {
	f := scenario{from: "09:00", to: "09:50", step: time.Minute, comps: []scenarioComp{
		{"monlycee", "Open Digital Education", "", []downSpan{{"09:02", "09:40", probes.MajorOutage}}},
		{"educ-normandie", "Open Digital Education", "", []downSpan{{"09:03", "09:10", probes.PartialOutage}, {"09:20", "09:30", probes.PartialOutage}}},
	}}.run(t)
	want := []string{
		"r3 monlycee state_changed 09:02 operational>major_outage I1",
		"r3 monlycee incident_opened 09:02 operational>major_outage I1",
		"r4 educ-normandie state_changed 09:03 operational>partial_outage I1",
		"r4 educ-normandie incident_joined 09:03 operational>partial_outage I1",
		"r11 educ-normandie state_changed 09:10 partial_outage>operational I1",
		"r11 educ-normandie incident_updated 09:10 partial_outage>operational I1",
		"r21 educ-normandie state_changed 09:20 operational>partial_outage I1",
		"r21 educ-normandie incident_updated 09:20 operational>partial_outage I1",
		"r31 educ-normandie state_changed 09:30 partial_outage>operational I1",
		"r31 educ-normandie incident_updated 09:30 partial_outage>operational I1",
		"r41 monlycee state_changed 09:40 major_outage>operational I1",
		"r41 monlycee incident_resolved 09:40 major_outage>operational I1",
	}
	if !slices.Equal(f.lines, want) {
		t.Errorf("Observe(…) events =\n\t%s\nwant\n\t%s", strings.Join(f.lines, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestEngineQuorum runs three vantages, two of which must agree.
func TestEngineQuorum(t *testing.T) {
	f := newFeeder(t, incidents.EngineConfig{Vantages: 3, Quorum: 2}, []*probes.Component{testComponent("c", "", 2)})
	down := map[string][]downSpan{
		"paris": {{"09:02", "09:10", probes.MajorOutage}},
		"lyon":  {{"09:04", "09:20", probes.PartialOutage}},
		"":      nil,
	}
	for at := at0406(t, "09:00"); at.Before(at0406(t, "09:30")); at = at.Add(time.Minute) {
		for _, v := range []string{"", "paris", "lyon"} {
			s := probes.Operational
			for _, d := range down[v] {
				if !at.Before(at0406(t, d.from)) && at.Before(at0406(t, d.to)) {
					s = d.s
				}
			}
			f.observe(v, roundResult("c", at, s, ""))
		}
		f.round++
	}
	// Opens when lyon agrees (09:05), dated by paris's first failure; the
	// status is the worst two vantages agree on; paris back at 09:10 leaves
	// one vantage down: resolved.
	want := []string{
		"r5 c state_changed 09:02 operational>partial_outage I1",
		"r5 c incident_opened 09:02 operational>partial_outage I1",
		"r11 c state_changed 09:10 partial_outage>operational I1",
		"r11 c incident_resolved 09:10 partial_outage>operational I1",
	}
	if !slices.Equal(f.lines, want) {
		t.Errorf("Observe(…) events =\n\t%s\nwant\n\t%s", strings.Join(f.lines, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestEngineCorrelationProxy: behind a proxy, every step connects to the
// proxy, so its address says nothing about hosting.
func TestEngineCorrelationProxy(t *testing.T) {
	proxy, err := url.Parse("http://proxy.academie.test:3128")
	if err != nil {
		t.Fatal(err)
	}
	var comps []*probes.Component
	for _, id := range []string{"c1", "c2"} {
		c := testComponent(id, "Opérateur "+id, 2)
		c.HTTPClientConfig.ProxyURL = config.URL{URL: proxy}
		comps = append(comps, c)
	}
	f := newFeeder(t, incidents.EngineConfig{}, comps)
	for at := at0406(t, "09:00"); at.Before(at0406(t, "09:05")); at = at.Add(time.Minute) {
		for _, c := range comps {
			f.observe("", roundResult(c.ID, at, probes.MajorOutage, "203.0.113.10"))
		}
	}
	if got := f.summaries(); len(got) != 2 {
		t.Errorf("Observe(…) incidents = %v, want two: a shared proxy address does not correlate", got)
	}
}

// TestEngineCorrelationAlike: seen in the demo, a Kosmos incident opened
// for an expired certificate absorbed a saturation page of the same
// operator. Only failures that look alike share an incident.
func TestEngineCorrelationAlike(t *testing.T) {
	comps := []*probes.Component{
		testComponent("cert", "Kosmos", 2), testComponent("queue", "Kosmos", 2),
		testComponent("slow", "Kosmos", 2), testComponent("dns", "Kosmos", 2),
	}
	failing := map[string]probes.StepResult{
		"cert":  {URL: "https://cert.test/", Outcome: probes.TLSError, Detail: "expired"},
		"queue": {URL: "https://queue.test/", Outcome: probes.SoftFailure, Detail: "kosmos_restriction", StatusCode: 200},
		"slow":  {URL: "https://slow.test/", Outcome: probes.Timeout, Detail: "ttfb"},
		"dns":   {URL: "https://dns.test/", Outcome: probes.DNSError, Detail: "not_found"},
	}
	f := newFeeder(t, incidents.EngineConfig{}, comps)
	for at := at0406(t, "09:00"); at.Before(at0406(t, "09:20")); at = at.Add(time.Minute) {
		for _, c := range comps {
			r := roundResult(c.ID, at, probes.Operational, "")
			if !at.Before(at0406(t, "09:02")) && (c.ID == "cert" || at.Before(at0406(t, "09:10"))) {
				r.Status, r.Steps = probes.MajorOutage, []probes.StepResult{failing[c.ID]}
			}
			f.observe("", r)
		}
		f.round++
	}
	want := []string{
		"I1 [cert] 09:02-open major_outage Kosmos",
		"I2 [queue slow] 09:02-09:10 major_outage Kosmos",
		"I3 [dns] 09:02-09:10 major_outage Kosmos",
	}
	if got := f.summaries(); !slices.Equal(got, want) {
		t.Errorf("Observe(…) incidents =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}
