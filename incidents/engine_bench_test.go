package incidents_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
)

// fleet is a synthetic set of components with a deterministic plan of
// rounds, for the benchmark and the determinism test: operators in groups
// of 20 components, hosting addresses shared by 10.
type fleet struct {
	comps []*probes.Component
	tmpl  [][4]probes.Result // per component, one Result per severity, operational to major
	base  time.Time
}

func newFleet(n int) *fleet {
	fl := &fleet{base: time.Date(2021, 4, 6, 7, 0, 0, 0, parisTZ)}
	severities := [4]probes.Status{probes.Operational, probes.DegradedPerformance, probes.PartialOutage, probes.MajorOutage}
	for i := range n {
		id := fmt.Sprintf("ent-%04d", i)
		fl.comps = append(fl.comps, testComponent(id, fmt.Sprintf("Opérateur %d", i/20), 2))
		var tmpl [4]probes.Result
		for s, st := range severities {
			tmpl[s] = roundResult(id, time.Time{}, st, fmt.Sprintf("203.0.113.%d", i/10%250))
		}
		fl.tmpl = append(fl.tmpl, tmpl)
	}
	return fl
}

// splitmix is splitmix64's finaliser: a cheap, stateless hash.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// severity of component i in round r, seen from vantage salt: about 95%
// operational. Every 90 rounds a wave takes down three operators' components
// (3% of the fleet) for 30 rounds, each from a staggered start; one
// component in 100 flaps for 20 rounds of every 90; 3% of rounds fail alone.
func (fl *fleet) severity(r, i int, salt uint64) int {
	groups := max(len(fl.comps)/20, 1)
	phase, wave := r%90, r/90
	switch {
	case (i/20+wave*7)%groups < 3 && phase >= 10+i%5 && phase < 40:
		if i%3 == 0 {
			return 2
		}
		return 3
	case i%100 == 50 && phase >= 50 && phase < 70:
		return 3 * (r % 2)
	case splitmix(uint64(r)<<32|uint64(i)^salt<<56)%100 < 3:
		return 1 + int(splitmix(uint64(i)<<32|uint64(r))%3)
	}
	return 0
}

// observation is round r of component i from vantage v.
func (fl *fleet) observation(r, i int, v string, salt, seq uint64) incidents.Observation {
	res := fl.tmpl[i][fl.severity(r, i, salt)]
	res.Start = fl.base.Add(time.Duration(r) * time.Minute)
	return incidents.Observation{Seq: seq, Vantage: v, Result: res}
}

func TestFleetMix(t *testing.T) {
	fl := newFleet(1000)
	var bySeverity [4]int
	for r := range 900 {
		for i := range fl.comps {
			bySeverity[fl.severity(r, i, 0)]++
		}
	}
	if ok := float64(bySeverity[0]) / float64(900*len(fl.comps)); ok < 0.93 || ok > 0.97 {
		t.Errorf("fleet rounds: %v by severity, %.1f%% operational, want about 95%%", bySeverity, 100*ok)
	}
}

// BenchmarkEngineObserve is the state machine's throughput for 1,000
// components, one vantage, about 95% of rounds operational, with waves of
// correlated failures, flapping components and noise.
func BenchmarkEngineObserve(b *testing.B) {
	for _, bc := range []struct {
		name     string
		vantages []string
		cfg      incidents.EngineConfig
	}{
		{"1000 components", []string{""}, incidents.EngineConfig{}},
		{"1000 components, 2 of 3 vantages", []string{"", "paris", "lyon"}, incidents.EngineConfig{Vantages: 3, Quorum: 2}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			fl := newFleet(1000)
			e := incidents.NewEngine(bc.cfg, fl.comps)
			n, nv := len(fl.comps), len(bc.vantages)
			var seq uint64
			events := 0
			for b.Loop() {
				k := int(seq)
				v := k % nv
				i := k / nv % n
				r := k / nv / n
				events += len(e.Observe(fl.observation(r, i, bc.vantages[v], uint64(v), seq)))
				seq++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "results/s")
			b.ReportMetric(float64(events)/float64(b.N), "events/result")
		})
	}
}
