package incidents

import "time"

// Config is the file's "incidents" section: the incident engine's
// thresholds. A zero field means the engine's default.
type Config struct {
	// CorrelationWindow: failures of one operator whose measured starts lie
	// within this of an open incident's start join it (default 5m).
	CorrelationWindow time.Duration
	// FlapChanges and FlapWindow: more than FlapChanges status changes
	// within FlapWindow mark a component flapping (defaults 5 and 30m).
	FlapChanges int
	FlapWindow  time.Duration
}

// engine maps the section to the engine's configuration.
func (c Config) engine() EngineConfig {
	return EngineConfig{CorrelationWindow: c.CorrelationWindow, FlapChanges: c.FlapChanges, FlapWindow: c.FlapWindow}
}
