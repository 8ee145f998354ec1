package incidents

import (
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

// offlineRound is a round measured while Constat's network was down, as
// probes.Vantage flags it: the connection refused is kept, the status is not.
func offlineRound(minute int) probes.Result {
	r := round(minute, true)
	r.Status = probes.StatusUnknown
	r.Steps[0].Outcome, r.Steps[0].StatusCode = probes.ConnectRefused, 0
	r.Steps[0].Duration = 2 * time.Second
	return r
}

// Rounds measured while Constat was offline are kept in the timeline, move
// no state, open no incident, and are one suspension, also after a
// restart (derived from the flagged rounds the restore replays).
func TestOfflineRoundsAreSuspended(t *testing.T) {
	h := newPipelineHarness(t)
	for i := range 6 {
		if _, err := h.p.Record(t.Context(), offlineRound(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.p.Record(t.Context(), round(6, true)); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		if evs := h.events(); len(evs) != 0 {
			t.Errorf("%s: %d events in the timeline, want none", when, len(evs))
		}
		if open := h.p.OpenIncidents(); len(open) != 0 {
			t.Errorf("%s: OpenIncidents() = %+v, want none", when, open)
		}
		if st := h.p.Components()[0].Status; st != probes.Operational {
			t.Errorf("%s: state %v, want operational", when, st)
		}
		want := []Suspension{{From: morning, Until: morning.Add(5*time.Minute + 2*time.Second)}}
		got := h.p.Suspensions(morning)
		if len(got) != 1 || !got[0].From.Equal(want[0].From) || !got[0].Until.Equal(want[0].Until) {
			t.Errorf("%s: Suspensions() = %+v, want %+v", when, got, want)
		}
	}
	check("live")
	h.restart()
	check("after restart")
	if n := h.tl.Len(); n < 7 {
		t.Errorf("timeline holds %d records, want the 7 rounds kept", n)
	}
}

func TestSuspensionsSplitByGap(t *testing.T) {
	var s suspensions
	for _, m := range []int{0, 1, 2, 30, 31} {
		r := offlineRound(m)
		s.add(&r)
	}
	if got := s.since(time.Time{}); len(got) != 2 || !got[1].From.Equal(morning.Add(30*time.Minute)) {
		t.Errorf("since() = %+v, want two suspensions, the second from 9:30", got)
	}
	if got := s.since(morning.Add(10 * time.Minute)); len(got) != 1 {
		t.Errorf("since(9:10) = %+v, want the second only", got)
	}
}
