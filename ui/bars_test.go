package ui

import (
	"strings"
	"testing"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// Consecutive days in one state are one rectangle, so the bar stays small.
func TestHistoryBarRuns(t *testing.T) {
	today := timeline.Date{Year: 2021, Month: 4, Day: 30}
	var rs []timeline.DayRollup
	for i := 10; i <= 20; i++ {
		r := timeline.DayRollup{Day: today.AddDays(i - barDays + 1), Rounds: 10}
		r.ByStatus[probes.Operational] = 10
		if i == 20 {
			r.ByStatus[probes.Operational], r.ByStatus[probes.MajorOutage] = 6, 4
		}
		rs = append(rs, r)
	}
	tests := []struct {
		l      lang
		want   []string
		uptime string // 106 of 110 rounds
	}{
		{french, []string{"du 10 février 2021 au 19 février 2021 : aucune panne mesurée", "20 février 2021 : panne",
			`aria-label="90 derniers jours : 10 sans panne mesurée, 1 avec panne, 79 sans mesure"`}, "96,36\u00a0% des 110 mesures depuis le 10 février 2021 à 0\u00a0h\u00a000"},
		{english, []string{"10 February 2021 to 19 February 2021: no outage measured", "20 February 2021: outage",
			`aria-label="Last 90 days: 10 without a measured outage, 1 with an outage, 79 without measurements"`}, "96.36% of 110 rounds since 10 February 2021 at 00:00 Paris time"},
	}
	for _, tt := range tests {
		svg, uptime := historyBar(tt.l, rs, today)
		if n := strings.Count(string(svg), "<rect"); n != 4 {
			t.Errorf("historyBar(%s) drew %d rectangles, want 4 (no data, ok, outage, no data):\n%s", tt.l, n, svg)
		}
		for _, want := range tt.want {
			if !strings.Contains(string(svg), want) {
				t.Errorf("historyBar(%s) lacks %q:\n%s", tt.l, want, svg)
			}
		}
		if uptime != tt.uptime {
			t.Errorf("historyBar(%s) uptime = %q, want %q", tt.l, uptime, tt.uptime)
		}
	}
}

// The cache gives what historyBar draws, per language and day: two
// components with the same days share one bar, a different history or a
// new day does not get a stale one.
func TestBarCacheMatchesHistoryBar(t *testing.T) {
	today := timeline.Date{Year: 2021, Month: 4, Day: 30}
	day := func(d timeline.Date, st probes.Status) timeline.DayRollup {
		r := timeline.DayRollup{Day: d, Rounds: 4}
		r.ByStatus[st] = 4
		return r
	}
	calm := []timeline.DayRollup{day(today.AddDays(-2), probes.Operational), day(today, probes.Operational)}
	rush := []timeline.DayRollup{day(today.AddDays(-2), probes.Operational), day(today, probes.MajorOutage)}
	var bc barCache
	for _, step := range []struct {
		rs    []timeline.DayRollup
		today timeline.Date
		l     lang
	}{
		{calm, today, french}, {calm, today, french}, {calm, today, english}, {rush, today, french},
		{calm, today.AddDays(1), french}, {rush, today.AddDays(1), english},
	} {
		got, gotUp := bc.historyBar(step.l, step.rs, step.today)
		want, wantUp := historyBar(step.l, step.rs, step.today)
		if got != want || gotUp != wantUp {
			t.Errorf("cached bar (%s, %v) differs from historyBar:\n got %s %s\nwant %s %s", step.l, step.today, got, gotUp, want, wantUp)
		}
	}
	if n := len(bc.svgs); n != 2 {
		t.Errorf("cache holds %d bars after the day changed, want the new day's 2 (the old day's dropped)", n)
	}
}

// Rounds Constat could not measure (probe_error, offline: status unknown)
// and maintenance rounds are left out of the availability.
func TestAvailabilityLeavesOutUnmeasuredRounds(t *testing.T) {
	var r timeline.DayRollup
	r.Rounds = 10
	r.ByStatus[probes.Operational] = 3
	r.ByStatus[probes.MajorOutage] = 1
	r.ByStatus[probes.UnderMaintenance] = 2
	r.ByStatus[probes.StatusUnknown] = 4
	if share, ok := availability([]timeline.DayRollup{r}); !ok || share != 75 {
		t.Errorf("availability(3 up, 1 down, 2 maintenance, 4 unmeasured) = %v, %v, want 75, true", share, ok)
	}
}
