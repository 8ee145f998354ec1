package probes

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/prometheus/common/config"
)

// Section is a top-level key of the configuration file owned by another
// package (incidents:, site:, push:, …): probes reads the file, the owner
// defines the section's keys, types and rules. Pass the sections to
// LoadConfig or ParseConfig. For each, the loader checks the value against
// Raw's yaml tags as strictly as the rest of the file (unknown key,
// duplicate key, wrong type: each with its file:line: key.path), decodes it
// into Raw, then calls Compile, which validates it, reports each mistake
// through the SectionLoader and keeps the result where the owner wants it.
// Compile is called whether the key is present or not (Raw then stays as
// it was: set defaults before), and even when other parts of the file have
// mistakes, so that one run reports them all.
type Section struct {
	Key     string                 // the top-level key, "incidents"
	Raw     any                    // a pointer to a struct with yaml tags; values to parse stay strings, pointers tell absent from zero
	Compile func(s *SectionLoader) // validates Raw once decoded
}

// SectionLoader reports a Section's mistakes with the file, the line and
// the key path, and parses values as the rest of the file is parsed. It is
// valid only during the Compile call.
type SectionLoader struct {
	l   *loader
	key string
	cfg *Config // the probes' part, compiled before the sections
}

// Path returns the key path of key within the section
// ("incidents.flap_changes"); a key starting with "[" indexes a list
// section ("webhooks[0].url").
func (s *SectionLoader) Path(key string) string {
	if strings.HasPrefix(key, "[") {
		return s.key + key
	}
	return pathKey(s.key, key)
}

// Errorf reports a mistake at key (a path within the section, "" for the
// section itself), on the line of its value or of the nearest mapping that
// holds it.
func (s *SectionLoader) Errorf(key, format string, args ...any) {
	path := s.key
	if key != "" {
		path = s.Path(key)
	}
	s.l.fail(path, fmt.Errorf(format, args...))
}

// Duration parses the duration v at key ("30s", "5m", "1d"); nil v (an
// absent key) and a mistake, which it reports, give 0.
func (s *SectionLoader) Duration(key string, v *string) time.Duration {
	var d sourced
	s.l.duration(&d, v, s.Path(key), levelDefaults)
	return d.d
}

// URL parses the absolute http or https URL v at key; a mistake, which it
// reports, gives nil.
func (s *SectionLoader) URL(key, v string) *url.URL { return s.l.url(v, s.Path(key)) }

// File returns name, a file named in the section, resolved against the
// configuration file's directory as http_client_config's files are.
func (s *SectionLoader) File(name string) string { return config.JoinDir(s.l.dir, name) }

// TLSConfig resolves c's files against the configuration file's directory
// and builds it once, reporting a mistake (an unreadable file, a bad
// version) at key, so that it fails the load, not the first connection.
func (s *SectionLoader) TLSConfig(key string, c config.TLSConfig) config.TLSConfig {
	c.SetDirectory(s.l.dir)
	if !s.l.badUnder(s.Path(key)) {
		if _, err := config.NewTLSConfig(&c); err != nil {
			s.Errorf(key, "%v", err)
		}
	}
	return c
}

// Component reports whether the file defines a component with this ID.
func (s *SectionLoader) Component(id string) bool {
	return s.cfg != nil && s.cfg.Component(id) != nil
}

// sectionTypes returns the types of the sections' values, by key.
func (l *loader) sectionTypes() map[string]reflect.Type {
	out := make(map[string]reflect.Type, len(l.sections))
	for _, s := range l.sections {
		out[s.Key] = reflect.TypeOf(s.Raw)
	}
	return out
}

// compileSections decodes and compiles each section; the walk (check)
// already checked their values.
func (l *loader) compileSections(cfg *Config) {
	for _, s := range l.sections {
		if n := l.nodes[s.Key]; n != nil && !isNullNode(n) && !l.badUnder(s.Key) {
			if err := n.Decode(s.Raw); err != nil {
				l.decodeError(err)
			}
		}
		s.Compile(&SectionLoader{l: l, key: s.Key, cfg: cfg})
	}
}
