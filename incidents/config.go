package incidents

import (
	"time"

	"github.com/constat-ent/constat/probes"
)

// Config is the configuration file's "incidents" section: the incident
// engine's thresholds. A zero field means the engine's default.
//
//	incidents:
//	  correlation_window: 5m  # failures of one operator this close to an open incident's start join it
//	  flap_changes: 5         # more status changes than this within flap_window: flapping
//	  flap_window: 30m
//	  flap_settle: 5m         # a flapping component this long in one state is stable again
//	  maintenance_max: 7d     # the longest maintenance window
type Config struct {
	// CorrelationWindow: failures of one operator whose measured starts lie
	// within this of an open incident's start join it (default 5m).
	CorrelationWindow time.Duration
	// FlapChanges and FlapWindow: more than FlapChanges status changes
	// within FlapWindow mark a component flapping (defaults 5 and 30m).
	FlapChanges int
	FlapWindow  time.Duration
	// FlapSettle: a flapping component that has held one status this long
	// is stable again (default 5m).
	FlapSettle time.Duration
	// MaintenanceMax is the longest a maintenance window may last (default
	// 7 days).
	MaintenanceMax time.Duration
}

// Section returns the "incidents" section for probes.LoadConfig, which
// fills c when the file is valid.
func (c *Config) Section() probes.Section {
	var raw struct {
		CorrelationWindow *string `yaml:"correlation_window"`
		FlapChanges       *int    `yaml:"flap_changes"`
		FlapWindow        *string `yaml:"flap_window"`
		FlapSettle        *string `yaml:"flap_settle"`
		MaintenanceMax    *string `yaml:"maintenance_max"`
	}
	return probes.Section{Key: "incidents", Raw: &raw, Compile: func(s *probes.SectionLoader) {
		*c = Config{CorrelationWindow: s.Duration("correlation_window", raw.CorrelationWindow),
			FlapWindow: s.Duration("flap_window", raw.FlapWindow), FlapSettle: s.Duration("flap_settle", raw.FlapSettle),
			MaintenanceMax: s.Duration("maintenance_max", raw.MaintenanceMax)}
		if n := raw.FlapChanges; n != nil {
			if *n < 1 {
				s.Errorf("flap_changes", "flap_changes must be at least 1, got %d", *n)
			} else {
				c.FlapChanges = *n
			}
		}
	}}
}

// engine maps the section to the engine's configuration.
func (c Config) engine() EngineConfig {
	return EngineConfig{CorrelationWindow: c.CorrelationWindow, FlapChanges: c.FlapChanges, FlapWindow: c.FlapWindow,
		FlapSettle: c.FlapSettle, MaintenanceMax: c.MaintenanceMax}
}
