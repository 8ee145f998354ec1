package incidents

import (
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

const sectionGroups = "groups:\n  - id: g\n    name: G\n    components:\n      - id: c\n        name: C\n        steps:\n          - url: https://example.test/\n"

func TestConfigSection(t *testing.T) {
	var c Config
	if _, err := probes.ParseConfig("x.yaml", []byte("incidents:\n  correlation_window: 10m\n  flap_changes: 4\n  flap_window: 1h\n  flap_settle: 10m\n  maintenance_max: 2d\n"+sectionGroups), c.Section()); err != nil {
		t.Fatal(err)
	}
	if want := (Config{CorrelationWindow: 10 * time.Minute, FlapChanges: 4, FlapWindow: time.Hour,
		FlapSettle: 10 * time.Minute, MaintenanceMax: 48 * time.Hour}); c != want {
		t.Errorf("ParseConfig(incidents) = %+v, want %+v", c, want)
	}
	if _, err := probes.ParseConfig("x.yaml", []byte(sectionGroups), c.Section()); err != nil || c != (Config{}) {
		t.Errorf("ParseConfig(no incidents section) = %+v, %v, want the zero Config (the engine's defaults)", c, err)
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"bad duration", "incidents:\n  flap_window: soon\n" + sectionGroups, `x.yaml:2: incidents.flap_window: bad duration "soon"`},
		{"unknown key", "incidents:\n  flap_chnages: 3\n" + sectionGroups, `x.yaml:2: incidents.flap_chnages: unknown key "flap_chnages" (did you mean "flap_changes"?)`},
		{"wrong type", "incidents:\n  flap_changes: many\n" + sectionGroups, `x.yaml:2: incidents.flap_changes: want an integer, got "many"`},
		{"not a mapping", "incidents: 3\n" + sectionGroups, `x.yaml:1: incidents: want a mapping`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Config
			_, err := probes.ParseConfig("x.yaml", []byte(tt.yaml), c.Section())
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("ParseConfig(%s) = %v, want %s…", tt.name, err, tt.want)
			}
		})
	}
}

// The section's testdata/invalid-*.yaml files, with their exact messages.
func TestConfigSectionInvalid(t *testing.T) {
	const path = "testdata/invalid-flap-changes.yaml"
	var c Config
	_, err := probes.LoadConfig(path, c.Section())
	if want := path + ":3: incidents.flap_changes: flap_changes must be at least 1, got 0"; err == nil || err.Error() != want {
		t.Errorf("LoadConfig(%s) = %v, want %q", path, err, want)
	}
}
