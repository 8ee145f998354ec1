package probes

import (
	"net/url"
	"time"
)

// DefaultConnectivityInterval is how often the connectivity targets are
// probed when the section gives no interval.
const DefaultConnectivityInterval = 30 * time.Second

// ConnectivitySettings are the configuration file's "connectivity"
// section: reference sites that tell whether Constat itself can reach the
// network (see Vantage).
//
//	connectivity:
//	  targets: ["https://www.wikipedia.org/", "https://www.service-public.fr/"]
//	  interval: 30s
type ConnectivitySettings struct {
	// Targets are sites outside the monitored services; none means the
	// vantage judges from the monitored components alone.
	Targets []*url.URL
	// Interval between two probes of the targets (DefaultConnectivityInterval).
	Interval time.Duration
}

// Section returns the "connectivity" section for LoadConfig, which fills c
// when the file is valid.
func (c *ConnectivitySettings) Section() Section {
	var raw struct {
		Targets  []string `yaml:"targets"`
		Interval *string  `yaml:"interval"`
	}
	return Section{Key: "connectivity", Raw: &raw, Compile: func(s *SectionLoader) {
		*c = ConnectivitySettings{Interval: DefaultConnectivityInterval}
		if d := s.Duration("interval", raw.Interval); d > 0 {
			c.Interval = d
		}
		if raw.Interval != nil && len(raw.Targets) == 0 {
			s.Errorf("targets", "missing targets: an interval needs sites to probe")
		}
		for i, t := range raw.Targets {
			if u := s.URL(pathIndex("targets", i), t); u != nil {
				c.Targets = append(c.Targets, u)
			}
		}
	}}
}
