package incidents

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

func TestAdminMaintenance(t *testing.T) {
	h := newAdminHarness(t)
	ctx := t.Context()
	now := h.clock.Now().Truncate(time.Millisecond)
	in := MaintenanceInput{Title: "Mise à jour", Body: "Le portail sera indisponible.",
		Components: []string{"monlycee-net"}, Start: now.Add(time.Hour), End: now.Add(3 * time.Hour), Status: StatusScheduled}
	m, err := h.a.ScheduleMaintenance(ctx, "admin", in)
	if err != nil {
		t.Fatalf("ScheduleMaintenance() = %v", err)
	}
	if m.ID != m.Seq+1 || m.Root != m.Seq || !m.Start.Equal(in.Start) {
		t.Errorf("ScheduleMaintenance() = %+v", m)
	}
	win := func() []Maintenance { return h.a.Windows() }
	if got := win(); len(got) != 1 || got[0].ID != m.ID || !got[0].Start.Equal(in.Start) || !got[0].End.Equal(in.End) {
		t.Errorf("Windows() = %+v, want [%v, %v)", got, in.Start, in.End)
	}
	// Started half an hour early, then completed an hour into it.
	h.clock.Advance(30 * time.Minute)
	in.Status = StatusInProgress
	started, err := h.a.ReviseMaintenance(ctx, "admin", m.Seq, in)
	if err != nil {
		t.Fatalf("ReviseMaintenance(in_progress) = %v", err)
	}
	h.clock.Advance(time.Hour)
	in.Status = StatusCompleted
	done, err := h.a.ReviseMaintenance(ctx, "admin", started.Seq, in)
	if err != nil {
		t.Fatalf("ReviseMaintenance(completed) = %v", err)
	}
	if len(done.Revisions) != 2 || done.Revisions[1].Seq != started.Seq {
		t.Errorf("ReviseMaintenance(completed).Revisions = %+v, want the first two", done.Revisions)
	}
	if got := win(); len(got) != 1 || !got[0].Start.Equal(now.Add(30*time.Minute)) || !got[0].End.Equal(now.Add(90*time.Minute)) {
		t.Errorf("Windows() = %+v, want [%v, %v)", got, now.Add(30*time.Minute), now.Add(90*time.Minute))
	}
	// A later correction of the completed one does not move its end.
	h.clock.Advance(time.Hour)
	in.Title = "Mise à jour du portail"
	fixed, err := h.a.ReviseMaintenance(ctx, "admin", done.Seq, in)
	if err != nil {
		t.Fatalf("ReviseMaintenance(title) = %v", err)
	}
	if got := win(); len(got) != 1 || !got[0].End.Equal(now.Add(90*time.Minute)) {
		t.Errorf("Windows() after a correction = %+v, want the end at completion", got)
	}
	if _, err := h.a.ReviseMaintenance(ctx, "admin", fixed.Seq, func() MaintenanceInput {
		in2 := in
		in2.Status = StatusInProgress
		return in2
	}()); validationField(err) != "status" {
		t.Errorf("ReviseMaintenance(reopened) = %v, want a ValidationError on status", err)
	}
	// A short one that ended without being marked completed.
	short := MaintenanceInput{Title: "Redémarrage", Components: []string{"pronote"},
		Start: h.clock.Now().Add(10 * time.Minute).Truncate(time.Millisecond), End: h.clock.Now().Add(20 * time.Minute).Truncate(time.Millisecond),
		Status: StatusScheduled}
	m2, err := h.a.ScheduleMaintenance(ctx, "admin", short)
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(30 * time.Minute)
	refused := []struct {
		name  string
		mod   func(*MaintenanceInput)
		field string
	}{
		{"extended after its end", func(in *MaintenanceInput) { in.End = in.End.Add(time.Hour) }, "end"},
		{"start moved back", func(in *MaintenanceInput) { in.Start = in.Start.Add(-time.Hour) }, "start"},
		{"another kind's seq", func(in *MaintenanceInput) {}, "revises"},
	}
	for _, tt := range refused {
		in2, seq := short, m2.Seq
		tt.mod(&in2)
		if tt.field == "revises" {
			seq = h.a.AuditTrail(1)[0].Target + 1 // the audit record
		}
		if _, err := h.a.ReviseMaintenance(ctx, "admin", seq, in2); validationField(err) != tt.field {
			t.Errorf("ReviseMaintenance(%s) = %v, want a ValidationError on %s", tt.name, err, tt.field)
		}
	}
	// Its start, now past, may stay as it was.
	short.Status = StatusCompleted
	if _, err := h.a.ReviseMaintenance(ctx, "admin", m2.Seq, short); err != nil {
		t.Errorf("ReviseMaintenance(completed, start unchanged in the past) = %v", err)
	}
	// The engine: the component is under maintenance during the window,
	// its failing rounds are still observed and open no incident.
	eng := NewEngine(EngineConfig{}, adminComps)
	eng.SetMaintenance(win())
	for i := range 4 {
		eng.Observe(Observation{Seq: uint64(100 + i), Result: probes.Result{Component: "monlycee-net",
			Start: now.Add(40*time.Minute + time.Duration(i)*time.Minute), Status: probes.MajorOutage}})
	}
	if st := eng.Components()[0]; st.Status != probes.UnderMaintenance || st.Maintenance != m.ID || len(eng.OpenIncidents()) != 0 {
		t.Errorf("engine during the window: %+v, %d open incidents, want under_maintenance of %d and none", st, len(eng.OpenIncidents()), m.ID)
	}
	before := h.snapshot()
	h.open()
	if after := h.snapshot(); !reflect.DeepEqual(after, before) {
		t.Errorf("after reopening:\n%+v\nwant\n%+v", after, before)
	}
}

func TestAdminMaintenanceValidation(t *testing.T) {
	h := newAdminHarness(t)
	now := h.clock.Now()
	valid := func(mod func(*MaintenanceInput)) MaintenanceInput {
		in := MaintenanceInput{Title: "t", Components: []string{"pronote"}, Start: now.Add(time.Hour),
			End: now.Add(2 * time.Hour), Status: StatusScheduled}
		mod(&in)
		return in
	}
	tests := []struct {
		name  string
		in    MaintenanceInput
		field string
	}{
		{"incident status", valid(func(in *MaintenanceInput) { in.Status = StatusMonitoring }), "status"},
		{"no status", valid(func(in *MaintenanceInput) { in.Status = 0 }), "status"},
		{"no title", valid(func(in *MaintenanceInput) { in.Title = "" }), "title"},
		{"long body", valid(func(in *MaintenanceInput) { in.Body = strings.Repeat("b", timeline.MaxBodyLen+1) }), "body"},
		{"no components", valid(func(in *MaintenanceInput) { in.Components = nil }), "components"},
		{"unknown component", valid(func(in *MaintenanceInput) { in.Components = []string{"pronote", "x"} }), "components[1]"},
		{"no start", valid(func(in *MaintenanceInput) { in.Start = time.Time{} }), "start"},
		{"no end", valid(func(in *MaintenanceInput) { in.End = time.Time{} }), "end"},
		{"end before start", valid(func(in *MaintenanceInput) { in.End = in.Start.Add(-time.Second) }), "end"},
		{"end at start", valid(func(in *MaintenanceInput) { in.End = in.Start }), "end"},
		{"start in the past", valid(func(in *MaintenanceInput) { in.Start = now.Add(-time.Hour) }), "start"},
		{"ends in year 9999", valid(func(in *MaintenanceInput) { in.End = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) }), "end"},
		{"longer than maintenance_max", valid(func(in *MaintenanceInput) { in.End = in.Start.Add(DefaultMaintenanceMax + time.Millisecond) }), "end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.a.ScheduleMaintenance(t.Context(), "admin", tt.in); validationField(err) != tt.field {
				t.Errorf("ScheduleMaintenance(%s) = %v, want a ValidationError on %s", tt.name, err, tt.field)
			}
		})
	}
	// Within the grace period a start just past is accepted.
	if _, err := h.a.ScheduleMaintenance(t.Context(), "admin", valid(func(in *MaintenanceInput) { in.Start = now.Add(-time.Minute) })); err != nil {
		t.Errorf("ScheduleMaintenance(start a minute ago) = %v", err)
	}
	up, err := h.a.PostUpdate(t.Context(), "admin", UpdateInput{Status: StatusInvestigating, Title: "t", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.a.ReviseMaintenance(t.Context(), "admin", up.Seq, valid(func(*MaintenanceInput) {})); validationField(err) != "revises" {
		t.Errorf("ReviseMaintenance(an update's seq) = %v, want a ValidationError on revises", err)
	}
	if _, err := h.a.ReviseUpdate(t.Context(), "admin", h.a.Maintenances()[0].Seq, UpdateInput{Status: StatusResolved, Title: "t", Body: "b"}); validationField(err) != "revises" {
		t.Errorf("ReviseUpdate(a maintenance's seq) = %v, want a ValidationError on revises", err)
	}
}
