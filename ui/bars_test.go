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
	svg, uptime := historyBar(rs, today)
	if n := strings.Count(string(svg), "<rect"); n != 4 {
		t.Errorf("historyBar drew %d rectangles, want 4 (no data, ok, outage, no data):\n%s", n, svg)
	}
	for _, want := range []string{"du 10 février 2021 au 19 février 2021 : aucune panne mesurée", "20 février 2021 : panne",
		`aria-label="90 derniers jours : 10 sans panne mesurée, 1 avec panne, 79 sans mesure"`} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("historyBar lacks %q:\n%s", want, svg)
		}
	}
	if uptime != "96,36 %" {
		t.Errorf("uptime = %q, want 96,36 %% (106 of 110 rounds)", uptime)
	}
}
