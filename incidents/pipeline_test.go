package incidents

import (
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

const serviceConfig = `
groups:
  - id: idf
    name: Île-de-France
    components:
      - id: monlycee
        name: monlycée.net
        operator: Open Digital Education
        steps:
          - url: https://ent.iledefrance.fr/
      - id: pronote
        name: Pronote
        steps:
          - url: https://pronote.test/
`

type pipelineHarness struct {
	t    *testing.T
	path string
	cfg  *probes.Config
	tl   *timeline.Timeline
	p    *Pipeline
}

func newPipelineHarness(t *testing.T) *pipelineHarness {
	cfg, err := probes.ParseConfig("svc.yaml", []byte(serviceConfig))
	if err != nil {
		t.Fatal(err)
	}
	h := &pipelineHarness{t: t, path: filepath.Join(t.TempDir(), "timeline.db"), cfg: cfg}
	h.open()
	t.Cleanup(func() { h.tl.Close() })
	return h
}

func (h *pipelineHarness) open() {
	h.t.Helper()
	tl, err := timeline.Open(h.path, timeline.Options{NoSync: true})
	if err != nil {
		h.t.Fatal(err)
	}
	p, err := NewPipeline(tl, h.cfg.Components, Config{}, nil)
	if err != nil {
		h.t.Fatalf("NewPipeline: %v", err)
	}
	h.tl, h.p = tl, p
}

func (h *pipelineHarness) restart() {
	h.t.Helper()
	if err := h.tl.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
}

var morning = time.Date(2021, 4, 6, 7, 0, 0, 0, time.UTC) // 9:00 in Paris

func round(minute int, ok bool) probes.Result {
	r := probes.Result{Component: "monlycee", Start: morning.Add(time.Duration(minute) * time.Minute), Status: probes.Operational,
		Steps: []probes.StepResult{{URL: "https://ent.iledefrance.fr/", Outcome: probes.OK, StatusCode: 200}}}
	if !ok {
		r.Status = probes.MajorOutage
		r.Steps[0].Outcome, r.Steps[0].Detail = probes.SoftFailure, "ode_quota"
	}
	return r
}

func (h *pipelineHarness) events() []timeline.Event {
	var evs []timeline.Event
	if err := h.tl.Events(func(_ uint64, e timeline.Event) error { evs = append(evs, e); return nil }); err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func TestPipelineRestartKeepsIncident(t *testing.T) {
	h := newPipelineHarness(t)
	var firstFail uint64
	for i, ok := range []bool{true, true, false, false, false} {
		seq, err := h.p.Record(t.Context(), round(i, ok))
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			firstFail = seq
		}
	}
	open := h.p.OpenIncidents()
	if len(open) != 1 || open[0].ID != firstFail+1 || !open[0].Start.Equal(morning.Add(2*time.Minute)) {
		t.Fatalf("OpenIncidents() = %+v, want one with ID %d starting at 9:02", open, firstFail+1)
	}
	before := len(h.events())

	h.restart()
	again := h.p.OpenIncidents()
	if len(again) != 1 || again[0].ID != open[0].ID || !again[0].Start.Equal(open[0].Start) {
		t.Fatalf("after restart OpenIncidents() = %+v, want %+v", again, open)
	}
	if n := len(h.events()); n != before {
		t.Errorf("restart wrote %d events again, want none", n-before)
	}
	for i := 5; i < 7; i++ {
		if _, err := h.p.Record(t.Context(), round(i, true)); err != nil {
			t.Fatal(err)
		}
	}
	if open := h.p.OpenIncidents(); len(open) != 0 {
		t.Fatalf("after recovery OpenIncidents() = %+v, want none", open)
	}
	evs := h.events()
	last := evs[len(evs)-1]
	if EventKind(last.EventKind) != Resolved || last.Incident != firstFail+1 || !last.At.Equal(morning.Add(5*time.Minute)) {
		t.Errorf("last event = %+v, want incident_resolved of %d at 9:05", last, firstFail+1)
	}
}

// A crash between a measurement's commit and its events' loses the events;
// the restart's replay writes them.
func TestPipelineRestoreWritesLostEvents(t *testing.T) {
	h := newPipelineHarness(t)
	for i, ok := range []bool{true, false, false, false} {
		if _, err := h.p.rec.record(t.Context(), round(i, ok)); err != nil { // bypasses the engine: events "lost"
			t.Fatal(err)
		}
	}
	if n := len(h.events()); n != 0 {
		t.Fatalf("events before restart = %d, want 0", n)
	}
	h.restart()
	evs := h.events()
	opened := false
	for _, e := range evs {
		if EventKind(e.EventKind) == Opened && e.Component == "monlycee" && e.At.Equal(morning.Add(time.Minute)) {
			opened = true
		}
	}
	if !opened {
		t.Errorf("events after restart = %+v, want incident_opened at 9:01", evs)
	}
	if open := h.p.OpenIncidents(); len(open) != 1 {
		t.Errorf("OpenIncidents() = %+v, want the restored incident", open)
	}
	h.restart()
	if n := len(h.events()); n != len(evs) {
		t.Errorf("second restart wrote %d more events, want 0", n-len(evs))
	}
}

func TestPipelineHistory(t *testing.T) {
	h := newPipelineHarness(t)
	for i, ok := range []bool{true, false, false, false, true, true} {
		if _, err := h.p.Record(t.Context(), round(i, ok)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		incs := h.p.History().Incidents()
		if len(incs) != 1 {
			t.Fatalf("%s: History().Incidents() = %+v, want one", when, incs)
		}
		s := incs[0]
		if !s.Start.Equal(morning.Add(time.Minute)) || !s.End.Equal(morning.Add(4*time.Minute)) || s.Open() ||
			s.Worst != probes.MajorOutage || len(s.Components) != 1 || s.Components[0] != "monlycee" {
			t.Errorf("%s: incident = %+v, want monlycee 9:01–9:04, major, resolved", when, s)
		}
		_, evs, ok := h.p.History().Incident(s.ID)
		if !ok || len(evs) == 0 || EventKind(evs[0].EventKind) == EventUnknown {
			t.Fatalf("%s: Incident(%d) = %v, %+v", when, s.ID, ok, evs)
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].Seq <= evs[i-1].Seq {
				t.Errorf("%s: events out of seq order: %d after %d", when, evs[i].Seq, evs[i-1].Seq)
			}
		}
	}
	check("live")
	h.restart()
	check("after restart")
}

// TestPipelineMaintenanceReachesEngine schedules a maintenance through
// Admin and records failing rounds inside its window: the engine knows the
// window without any wiring, so no incident opens, and again after a restart.
func TestPipelineMaintenanceReachesEngine(t *testing.T) {
	h := newPipelineHarness(t)
	now := morning.Add(-time.Minute)
	h.p.adm.now = func() time.Time { return now }
	_, err := h.p.Admin().ScheduleMaintenance(t.Context(), "admin", MaintenanceInput{Title: "Mise à jour",
		Components: []string{"monlycee"}, Start: morning, End: morning.Add(time.Hour), Status: StatusScheduled})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := h.p.Record(t.Context(), round(i, false)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		if open := h.p.OpenIncidents(); len(open) != 0 {
			t.Errorf("%s: OpenIncidents() = %+v during a maintenance, want none", when, open)
		}
		if st := h.p.Components()[0]; st.Status != probes.UnderMaintenance {
			t.Errorf("%s: Components()[0].Status = %v, want under_maintenance", when, st.Status)
		}
	}
	check("live")
	h.restart()
	check("after restart")
}

// Seen: times to the nanosecond while running, to the millisecond after a
// restart. Both are to the millisecond, and equal.
func TestPipelineTimePrecision(t *testing.T) {
	h := newPipelineHarness(t)
	for i, ok := range []bool{true, false, false, false, true, true} {
		r := round(i, ok)
		r.Start = r.Start.Add(123456789 * time.Nanosecond)
		if _, err := h.p.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	times := func() []time.Time {
		incs := h.p.History().Incidents()
		if len(incs) != 1 {
			t.Fatalf("History().Incidents() = %+v, want one", incs)
		}
		out := []time.Time{incs[0].Start, incs[0].End, incs[0].Updated}
		_, evs, _ := h.p.History().Incident(incs[0].ID)
		for _, e := range evs {
			out = append(out, e.At)
		}
		latest, _ := h.p.Latest()
		return append(out, latest["monlycee"].Start)
	}
	live := times()
	for _, at := range live {
		if at.Nanosecond()%int(time.Millisecond) != 0 {
			t.Errorf("live time %s has a precision finer than the millisecond", at.Format(time.RFC3339Nano))
		}
	}
	h.restart()
	if again := times(); !slices.EqualFunc(live, again, time.Time.Equal) {
		t.Errorf("times after restart = %v, want %v as live", again, live)
	}
}

// Seen: a maintenance created 4 min 50 s in the past, revised 70 s later
// to add a component whose incident had been open for minutes, keeping the
// original start, applied to that component from before it was added; and
// a restart replayed without the windows. A component enters a window no
// earlier than the revision that added it, and a restart applies the
// windows as they applied live.
func TestPipelineMaintenanceAddedLate(t *testing.T) {
	h := newPipelineHarness(t)
	now := morning.Add(10 * time.Minute)
	adm := h.p.Admin()
	adm.now = func() time.Time { return now }
	record := func(minute int) {
		t.Helper()
		if _, err := h.p.Record(t.Context(), round(minute, minute == 0)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 11 { // monlycee fails from 9:01
		record(i)
	}
	in := MaintenanceInput{Title: "Mise à jour", Components: []string{"pronote"}, Start: now.Add(-4*time.Minute - 50*time.Second),
		End: now.Add(time.Hour), Status: StatusInProgress}
	m, err := adm.ScheduleMaintenance(t.Context(), "admin", in)
	if err != nil {
		t.Fatal(err)
	}
	record(11)
	now = now.Add(70 * time.Second)
	in.Components = []string{"pronote", "monlycee"}
	if _, err := adm.ReviseMaintenance(t.Context(), "admin", m.Seq, in); err != nil {
		t.Fatal(err)
	}
	for _, w := range adm.Windows() {
		for _, c := range w.Components {
			if c == "monlycee" && w.Start.Before(now) {
				t.Errorf("Windows() has monlycee from %s, before it was added at %s", w.Start.Format(time.TimeOnly), now.Format(time.TimeOnly))
			}
		}
	}
	for i := 12; i < 15; i++ {
		record(i)
	}
	var started []timeline.Event
	for _, e := range h.events() {
		if EventKind(e.EventKind) == MaintenanceStarted && e.Component == "monlycee" {
			started = append(started, e)
		}
	}
	if len(started) != 1 || started[0].At.Before(now) {
		t.Errorf("maintenance_started events of monlycee = %+v, want one, not before %s", started, now.Format(time.TimeOnly))
	}
	live := h.p.Components()
	before := len(h.events())
	h.restart()
	if again := h.p.Components(); !slices.Equal(again, live) {
		t.Errorf("after restart Components() = %+v, want %+v as live", again, live)
	}
	record(15)
	if n := len(h.events()); n != before {
		t.Errorf("a round after the restart wrote %d events, want none (nothing changed)", n-before)
	}
}

// OnPublish's function runs after each commit of engine events or admin
// records, and not for a measurement that caused no event: the alert
// outbox reads what was published at once, without a wake-up per result.
func TestPipelineOnPublish(t *testing.T) {
	h := newPipelineHarness(t)
	var calls atomic.Int64
	h.p.OnPublish(func() { calls.Add(1) })
	if _, err := h.p.Record(t.Context(), round(0, true)); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("after a round without events: %d calls, want 0", n)
	}
	for i := 1; i <= 2; i++ { // confirm 2: the second failing round opens the incident
		if _, err := h.p.Record(t.Context(), round(i, false)); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("after the incident opened: %d calls, want 1", n)
	}
	h.p.adm.now = func() time.Time { return morning.Add(3 * time.Minute) }
	_, err := h.p.Admin().RecordStatement(t.Context(), "admin", StatementInput{Speaker: "Le ministre",
		SaidAt: morning.Add(2 * time.Minute), Quote: "Tout fonctionne.", SourceURL: "https://example.org/"})
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("after a statement: %d calls, want 2", n)
	}
}
