package incidents

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
)

func TestVocabularyNames(t *testing.T) {
	for s := StatusNone + 1; s < numUpdateStatuses; s++ {
		var got UpdateStatus
		if err := got.UnmarshalText([]byte(s.String())); err != nil || got != s {
			t.Errorf("UnmarshalText(%q) = %v, %v, want %v", s, got, err, uint8(s))
		}
		if s.ForIncident() == s.ForMaintenance() {
			t.Errorf("%v: ForIncident() = ForMaintenance() = %v", s, s.ForIncident())
		}
	}
	var s UpdateStatus
	if err := s.UnmarshalText([]byte("none")); err == nil {
		t.Errorf("UnmarshalText(none) = nil error, want one")
	}
	for i := Impact(0); i < numImpacts; i++ {
		var got Impact
		if err := got.UnmarshalText([]byte(i.String())); err != nil || got != i {
			t.Errorf("Impact UnmarshalText(%q) = %v, %v", i, got, err)
		}
	}
	if got := EventKind(numEventKinds).String(); got != "event_kind(10)" {
		t.Errorf("EventKind(10).String() = %q, want event_kind(10)", got)
	}
}

// The timeline carries statuses and impacts as bytes; incidents refuses,
// when it loads them, a record whose status does not suit its kind.
func TestPipelineRefusesForeignStatus(t *testing.T) {
	at := time.Date(2021, 4, 6, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		e    timeline.Entry
	}{
		{"update with a maintenance status", timeline.Update{Status: uint8(StatusScheduled), Title: "t", Author: "a", Published: at}},
		{"update with impact 4", timeline.Update{Status: uint8(StatusInvestigating), Impact: 4, Title: "t", Author: "a", Published: at}},
		{"maintenance with an incident status", timeline.Maintenance{Status: uint8(StatusResolved), Components: []string{"monlycee-net"},
			Start: at, End: at.Add(time.Hour), Author: "a", At: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl, err := timeline.Open(filepath.Join(t.TempDir(), "timeline.db"), timeline.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer tl.Close()
			if _, err := tl.AppendRecords(t.Context(), tt.e); err != nil {
				t.Fatalf("AppendRecords(%s) = %v: the timeline carries any byte", tt.name, err)
			}
			if _, err := NewPipeline(tl, adminComps, Config{}, nil); !errors.Is(err, timeline.ErrCorrupt) {
				t.Errorf("NewPipeline over %s = %v, want ErrCorrupt", tt.name, err)
			}
		})
	}
}
