package incidents_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
)

func TestEngineMaintenance(t *testing.T) {
	major := probes.MajorOutage
	tests := []struct {
		name string
		down []downSpan
		want []string
	}{
		{"failures inside the window open nothing", []downSpan{{"09:15", "09:30", major}}, []string{
			"r10 c maintenance_started 09:10 operational>under_maintenance m7",
			"r10 c state_changed 09:10 operational>under_maintenance",
			"r40 c maintenance_ended 09:40 under_maintenance>operational m7",
			"r40 c state_changed 09:40 under_maintenance>operational",
		}},
		{"still down after the window opens at once, from the window's end", []downSpan{{"09:30", "10:00", major}}, []string{
			"r10 c maintenance_started 09:10 operational>under_maintenance m7",
			"r10 c state_changed 09:10 operational>under_maintenance",
			"r40 c maintenance_ended 09:40 under_maintenance>major_outage m7",
			"r40 c state_changed 09:40 under_maintenance>major_outage I1",
			"r40 c incident_opened 09:40 under_maintenance>major_outage I1",
			"r61 c state_changed 10:00 major_outage>operational I1",
			"r61 c incident_resolved 10:00 major_outage>operational I1",
		}},
		{"failing from the window's end needs confirming", []downSpan{{"09:40", "10:00", major}}, []string{
			"r10 c maintenance_started 09:10 operational>under_maintenance m7",
			"r10 c state_changed 09:10 operational>under_maintenance",
			"r40 c maintenance_ended 09:40 under_maintenance>operational m7",
			"r40 c state_changed 09:40 under_maintenance>operational",
			"r41 c state_changed 09:40 operational>major_outage I1",
			"r41 c incident_opened 09:40 operational>major_outage I1",
			"r61 c state_changed 10:00 major_outage>operational I1",
			"r61 c incident_resolved 10:00 major_outage>operational I1",
		}},
		{"an open incident resolves when the window starts", []downSpan{{"09:02", "09:30", major}}, []string{
			"r3 c state_changed 09:02 operational>major_outage I1",
			"r3 c incident_opened 09:02 operational>major_outage I1",
			"r10 c maintenance_started 09:10 major_outage>under_maintenance I1 m7",
			"r10 c state_changed 09:10 major_outage>under_maintenance I1",
			"r10 c incident_resolved 09:10 major_outage>under_maintenance I1",
			"r40 c maintenance_ended 09:40 under_maintenance>operational m7",
			"r40 c state_changed 09:40 under_maintenance>operational",
		}},
		{"flapping stops when the window starts", []downSpan{
			{"09:01", "09:02", major}, {"09:03", "09:04", major}, {"09:05", "09:06", major}, {"09:07", "09:08", major},
		}, []string{
			"r6 c state_changed 09:01 operational>partial_outage I1",
			"r6 c incident_opened 09:01 operational>partial_outage I1",
			"r6 c flapping_started 09:06 partial_outage>partial_outage I1",
			"r9 c state_changed 09:08 partial_outage>operational I1",
			"r9 c incident_updated 09:08 partial_outage>operational I1",
			"r10 c maintenance_started 09:10 operational>under_maintenance I1 m7",
			"r10 c flapping_stopped 09:10 operational>operational I1",
			"r10 c state_changed 09:10 operational>under_maintenance I1",
			"r10 c incident_resolved 09:10 operational>under_maintenance I1",
			"r40 c maintenance_ended 09:40 under_maintenance>operational m7",
			"r40 c state_changed 09:40 under_maintenance>operational",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := incidents.Maintenance{ID: 7, Components: []string{"c", "absent"}, Start: at0406(t, "09:10"), End: at0406(t, "09:40")}
			sc := scenario{from: "09:00", to: "10:10", step: time.Minute, comps: []scenarioComp{{"c", "", "", tt.down}},
				windows: []incidents.Maintenance{w}}
			f := sc.run(t)
			if !slices.Equal(f.lines, tt.want) {
				t.Errorf("Observe(…) events =\n\t%s\nwant\n\t%s", strings.Join(f.lines, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
			sc.to = "09:25"
			cs := sc.run(t).e.Components()[0]
			if want := (incidents.ComponentState{ID: "c", Status: probes.UnderMaintenance, Since: at0406(t, "09:10"), Maintenance: 7, LastSeq: 24}); cs != want {
				t.Errorf("Components() at 09:24 = %+v, want %+v", cs, want)
			}
		})
	}
}

// TestEngineMaintenanceSetLate sets a window that began before rounds
// already counted: it cannot be dated before them.
func TestEngineMaintenanceSetLate(t *testing.T) {
	f := newFeeder(t, incidents.EngineConfig{}, []*probes.Component{testComponent("c", "", 2)})
	at := at0406(t, "09:00")
	step := func(s probes.Status) {
		f.observe("", roundResult("c", at, s, ""))
		f.round++
		at = at.Add(time.Minute)
	}
	for range 5 {
		step(probes.MajorOutage)
	}
	f.e.SetMaintenance([]incidents.Maintenance{
		{ID: 3, Components: []string{"c"}, Start: at0406(t, "08:00"), End: at0406(t, "09:10")},
		{ID: 4, Components: []string{"c"}, Start: at0406(t, "09:20"), End: at0406(t, "09:20")}, // empty: ignored
	})
	for range 15 {
		step(probes.Operational)
	}
	want := []string{
		"r1 c state_changed 09:00 operational>major_outage I1",
		"r1 c incident_opened 09:00 operational>major_outage I1",
		"r5 c maintenance_started 09:05 major_outage>under_maintenance I1 m3",
		"r5 c state_changed 09:05 major_outage>under_maintenance I1",
		"r5 c incident_resolved 09:05 major_outage>under_maintenance I1",
		"r10 c maintenance_ended 09:10 under_maintenance>operational m3",
		"r10 c state_changed 09:10 under_maintenance>operational",
	}
	if !slices.Equal(f.lines, want) {
		t.Errorf("Observe(…) events =\n\t%s\nwant\n\t%s", strings.Join(f.lines, "\n\t"), strings.Join(want, "\n\t"))
	}
}
