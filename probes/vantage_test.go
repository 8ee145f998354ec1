package probes

import (
	"net/url"
	"testing"

	"github.com/constat-ent/constat/probes/sim"
)

// With connectivity targets on loopback: a portal that refuses while the
// targets answer is the portal's failure; when the targets are flipped
// down too, the round is flagged offline; flipped up, blame returns.
func TestVantageTargets(t *testing.T) {
	portal := sim.Start(t, sim.Healthy)
	a, b := sim.Start(t, sim.Healthy), sim.Start(t, sim.Healthy)
	comp := simComponent(t, portal, false)
	ch, err := NewCheck(comp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs := ConnectivitySettings{Targets: []*url.URL{mustURL(t, a.URL()), mustURL(t, b.URL())}}
	v := NewVantage(cs, []*Component{comp}, Options{}, nil)
	v.fresh = 0 // every network failure probes the targets again
	judge := func() Result { return v.Judge(t.Context(), ch.Run(t.Context())) }

	if r := judge(); r.Status != Operational || r.Offline() {
		t.Fatalf("healthy portal, targets up: %v offline %v, want operational", r.Status, r.Offline())
	}
	portal.Set(sim.Refused)
	if r := judge(); r.Status != MajorOutage || r.Offline() {
		t.Errorf("portal refusing, targets up: %v offline %v, want major_outage, the portal's", r.Status, r.Offline())
	}
	a.Set(sim.Refused)
	if r := judge(); r.Status != MajorOutage || v.Offline() {
		t.Errorf("portal refusing, one target down: %v, vantage offline %v; want major_outage, online", r.Status, v.Offline())
	}
	b.Set(sim.Refused)
	r := judge()
	if r.Status != StatusUnknown || !r.Offline() || r.Measured() || r.Steps[0].Outcome != ConnectRefused {
		t.Errorf("every target down: %v offline %v measured %v outcome %v; want unknown, offline, not measured, connect_refused kept",
			r.Status, r.Offline(), r.Measured(), r.Steps[0].Outcome)
	}
	a.Set(sim.Healthy)
	if r := judge(); r.Status != MajorOutage || r.Offline() || v.Offline() {
		t.Errorf("a target back: %v offline %v, want major_outage, online", r.Status, r.Offline())
	}
}

// Without targets: the vantage is offline once the latest round of every
// component failed at the network level, and online again at the first
// round that reached a server.
func TestVantageWithoutTargets(t *testing.T) {
	p1, p2 := sim.Start(t, sim.Refused), sim.Start(t, sim.Refused)
	c1, c2 := simComponent(t, p1, false), simComponent(t, p2, false)
	c2.ID = "other"
	ch1, err := NewCheck(c1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ch2, err := NewCheck(c2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := NewVantage(ConnectivitySettings{}, []*Component{c1, c2}, Options{}, nil)
	steps := []struct {
		name     string
		ch       *Check
		set      func()
		want     Status
		offlines bool
	}{
		{"first component down, the other not yet seen", ch1, nil, MajorOutage, false},
		{"every component down at once", ch2, nil, StatusUnknown, true},
		{"still down", ch1, nil, StatusUnknown, true},
		{"first back", ch1, func() { p1.Set(sim.Healthy) }, Operational, false},
		{"the other alone down: its own failure", ch2, nil, MajorOutage, false},
	}
	for _, st := range steps {
		if st.set != nil {
			st.set()
		}
		r := v.Judge(t.Context(), st.ch.Run(t.Context()))
		if r.Status != st.want || r.Offline() != st.offlines {
			t.Errorf("%s: %v offline %v, want %v offline %v", st.name, r.Status, r.Offline(), st.want, st.offlines)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
