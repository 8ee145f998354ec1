package probes

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Levels of the places a setting comes from, least specific first.
const (
	levelBuiltin = iota
	levelDefaults
	levelComponent
	levelStep
)

// sourced is a duration and the key path it was set at ("" when built in).
// bad marks a setting reported as wrong, not to be compared with others.
type sourced struct {
	d     time.Duration
	path  string
	level int
	bad   bool
}

func (s sourced) String() string { return model.Duration(s.d).String() }

// inherited are the settings a component inherits and may override.
type inherited struct {
	interval, timeout, degradedAfter sourced
	confirm                          int
	maxBody                          int64
	builtin, keepAlive               bool
	matches                          []*Pattern // defaults' then component's, without built-ins
	http                             config.HTTPClientConfig
}

// builtinSettings are the defaults of the defaults.
func builtinSettings() inherited {
	return inherited{
		interval:      sourced{d: 30 * time.Second},
		timeout:       sourced{d: 10 * time.Second},
		degradedAfter: sourced{d: 3 * time.Second},
		confirm:       2,
		maxBody:       1 << 20,
		builtin:       true,
		http:          config.DefaultHTTPClientConfig,
	}
}

func (l *loader) compile(raw *rawFile) *Config {
	cfg := &Config{File: l.file}
	base := l.overlay(builtinSettings(), &raw.Defaults, "defaults", levelDefaults)
	if len(raw.Groups) == 0 {
		l.errorf("groups", "missing groups")
	}
	groupIDs, compIDs := map[string]string{}, map[string]string{}
	for i := range raw.Groups {
		r, path := &raw.Groups[i], pathIndex("groups", i)
		g := &Group{ID: l.id(r.ID, path, "group", groupIDs), Name: l.name(r.Name, path)}
		if len(r.Components) == 0 {
			l.errorf(pathKey(path, "components"), "missing components")
		}
		for j := range r.Components {
			c := l.component(base, &r.Components[j], pathIndex(pathKey(path, "components"), j), compIDs)
			c.Group = g.ID
			g.Components = append(g.Components, c)
		}
		cfg.Groups = append(cfg.Groups, g)
		cfg.Components = append(cfg.Components, g.Components...)
	}
	return cfg
}

var idSyntax = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// id checks the id of the group or component at path, unique within seen.
func (l *loader) id(id, path, kind string, seen map[string]string) string {
	path = pathKey(path, "id")
	switch {
	case id == "":
		l.errorf(path, "missing id")
	case len(id) > 64 || !idSyntax.MatchString(id):
		l.errorf(path, "bad id %q, want lowercase letters, digits, _ and -, starting with a letter or digit, at most 64 characters", id)
	case seen[id] != "":
		l.errorf(path, "duplicate %s id %q, first at line %d", kind, id, l.line(seen[id]))
	default:
		seen[id] = path
	}
	return id
}

func (l *loader) name(name, path string) string {
	if strings.TrimSpace(name) == "" {
		l.errorf(pathKey(path, "name"), "missing name")
	}
	return name
}

func (l *loader) component(base inherited, r *rawComponent, path string, ids map[string]string) *Component {
	s := l.overlay(base, &r.Settings, path, levelComponent)
	c := &Component{
		ID:               l.id(r.ID, path, "component", ids),
		Name:             l.name(r.Name, path),
		Operator:         r.Operator,
		Interval:         s.interval.d,
		Confirm:          s.confirm,
		MaxBody:          s.maxBody,
		KeepAlive:        s.keepAlive,
		HTTPClientConfig: s.http,
	}
	if s.builtin {
		s.matches = slices.Concat(l.builtins, s.matches)
	}
	if len(r.Steps) == 0 {
		l.errorf(pathKey(path, "steps"), "missing steps")
	}
	for i := range r.Steps {
		c.Steps = append(c.Steps, l.step(s, &r.Steps[i], pathIndex(pathKey(path, "steps"), i), i))
	}
	return c
}

// overlay returns s with the settings r sets at path.
func (l *loader) overlay(s inherited, r *rawSettings, path string, level int) inherited {
	l.duration(&s.interval, r.Interval, pathKey(path, "interval"), level)
	l.duration(&s.timeout, r.Timeout, pathKey(path, "timeout"), level)
	l.duration(&s.degradedAfter, r.DegradedAfter, pathKey(path, "degraded_after"), level)
	if r.Confirm != nil {
		if *r.Confirm < 1 {
			l.errorf(pathKey(path, "confirm"), "confirm must be at least 1, got %d", *r.Confirm)
		}
		s.confirm = *r.Confirm
	}
	if r.MaxBody != nil {
		n, err := parseSize(*r.MaxBody)
		if err != nil {
			l.fail(pathKey(path, "max_body"), err)
		}
		s.maxBody = n
	}
	if r.BuiltinSignatures != nil {
		s.builtin = *r.BuiltinSignatures
	}
	if r.KeepAlive != nil {
		s.keepAlive = *r.KeepAlive
	}
	s.matches = slices.Concat(s.matches, l.patterns(r.FailIfBodyMatches, pathKey(path, "fail_if_body_matches_regexp")))
	if c := l.httpConfig(&r.HTTPClientConfig, pathKey(path, "http_client_config")); c != nil {
		s.http = *c
	}
	return s
}

func (l *loader) step(s inherited, r *rawStep, path string, i int) *Step {
	st := &Step{Timeout: s.timeout.d, DegradedAfter: s.degradedAfter.d}
	switch {
	case r.URL != nil && r.Follow != nil:
		l.errorf(path, "url and follow are both set, want one")
	case r.URL != nil:
		st.URL = l.url(*r.URL, pathKey(path, "url"))
	case r.Follow == nil:
		l.errorf(path, "missing url or follow")
	case i == 0:
		l.errorf(pathKey(path, "follow"), "follow is not allowed on the first step, which has no previous page")
	default:
		st.Follow = l.pattern(*r.Follow, pathKey(path, "follow"))
	}
	timeout, degraded := s.timeout, s.degradedAfter
	l.duration(&timeout, r.Timeout, pathKey(path, "timeout"), levelStep)
	l.duration(&degraded, r.DegradedAfter, pathKey(path, "degraded_after"), levelStep)
	st.Timeout, st.DegradedAfter = timeout.d, degraded.d
	if timeout.d > s.interval.d && !timeout.bad && !s.interval.bad {
		l.blame(timeout, s.interval, "%s is longer than interval %s", "%s is shorter than timeout %s")
	}
	if degraded.d >= timeout.d && !degraded.bad && !timeout.bad {
		l.blame(degraded, timeout, "%s is not shorter than timeout %s", "%s is not longer than degraded_after %s")
	}
	for j, code := range r.ValidStatusCodes {
		if code < 100 || code > 599 {
			l.errorf(pathIndex(pathKey(path, "valid_status_codes"), j), "status code %d out of range 100..599", code)
		}
	}
	st.ValidStatusCodes = r.ValidStatusCodes
	st.FailIfBodyMatches = slices.Concat(s.matches, l.patterns(r.FailIfBodyMatches, pathKey(path, "fail_if_body_matches_regexp")))
	st.FailIfBodyNotMatches = l.patterns(r.FailIfBodyNotMatches, pathKey(path, "fail_if_body_not_matches_regexp"))
	if r.Impact != nil {
		imp, err := ParseImpact(*r.Impact)
		if err != nil {
			l.fail(pathKey(path, "impact"), err)
		}
		st.Impact = imp
	}
	return st
}

// blame reports that a and b, two settings of one step, conflict: at a's path
// (a's message, with a then b) unless b was set at a more specific place.
func (l *loader) blame(a, b sourced, aMsg, bMsg string) {
	if a.level >= b.level {
		l.errorf(a.path, aMsg, a, b)
	} else {
		l.errorf(b.path, bMsg, b, a)
	}
}

// duration parses s into dst, if s is set.
func (l *loader) duration(dst *sourced, s *string, path string, level int) {
	if s == nil {
		return
	}
	d, err := model.ParseDuration(*s)
	dst.bad = err != nil || d <= 0
	switch {
	case err != nil:
		l.errorf(path, "bad duration %q, want a number and a unit (ms, s, m, h, d, w, y) such as 30s", *s)
	case d <= 0:
		l.errorf(path, "duration must be positive, got %s", *s)
	default:
		*dst = sourced{d: time.Duration(d), path: path, level: level}
	}
}

const maxMaxBody = 64 << 20

var (
	sizeSyntax = regexp.MustCompile(`^([0-9]+)(B|kB|KB|KiB|MB|MiB|GB|GiB)?$`)
	sizeUnits  = map[string]int64{"": 1, "B": 1, "kB": 1e3, "KB": 1e3, "KiB": 1 << 10, "MB": 1e6, "MiB": 1 << 20, "GB": 1e9, "GiB": 1 << 30}
)

// parseSize parses a max_body size: "1048576", "1MiB", "500kB".
func parseSize(s string) (int64, error) {
	m := sizeSyntax.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("bad size %q, want an integer with an optional unit (B, kB, KB, KiB, MB, MiB, GB, GiB)", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if unit := sizeUnits[m[2]]; err != nil || n > maxMaxBody/unit {
		return 0, fmt.Errorf("size %s is more than 64MiB", s)
	} else if n < 1 {
		return 0, fmt.Errorf("size must be at least 1 byte, got %s", s)
	} else {
		return n * unit, nil
	}
}

func (l *loader) url(s, path string) *url.URL {
	u, err := url.Parse(s)
	var ue *url.Error
	switch {
	case errors.As(err, &ue):
		l.errorf(path, "bad url %q: %v", s, ue.Err)
	case err != nil:
		l.errorf(path, "bad url %q: %v", s, err)
	case !u.IsAbs():
		l.errorf(path, "url %q is not absolute, want http:// or https://", s)
	case u.Scheme != "http" && u.Scheme != "https":
		l.errorf(path, "url scheme %q is not http or https", u.Scheme)
	case u.Hostname() == "":
		l.errorf(path, "url %q has no host", s)
	default:
		return u
	}
	return nil
}

func (l *loader) pattern(expr, path string) *Pattern {
	if expr == "" {
		l.errorf(path, "empty regexp, which matches every page")
		return nil
	}
	if p, ok := l.compiled[expr]; ok {
		return p
	}
	p, err := NewPattern(expr)
	if err != nil {
		l.fail(path, err)
		return nil
	}
	l.compiled[expr] = p
	return p
}

func (l *loader) patterns(exprs []string, path string) []*Pattern {
	var ps []*Pattern
	for i, e := range exprs {
		ps = append(ps, l.pattern(e, pathIndex(path, i)))
	}
	return ps
}

// httpFiles matches the http_client_config keys that name a file, relative
// to http_client_config.
var httpFiles = regexp.MustCompile(`^(?:(?:oauth2\.)?tls_config\.(?:ca|cert|key)_file|bearer_token_file|` +
	`basic_auth\.(?:username|password)_file|authorization\.credentials_file|` +
	`oauth2\.client_(?:secret|certificate_key)_file|http_headers\..+\.files\[\d+\])$`)

// httpConfig decodes the http_client_config at path, if set, and builds its
// round tripper once, so that an unreadable file fails the load, not a probe.
func (l *loader) httpConfig(n *yaml.Node, path string) *config.HTTPClientConfig {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == 0 || isNullNode(n) || l.badUnder(path) {
		return nil
	}
	var c config.HTTPClientConfig
	if err := n.Decode(&c); err != nil {
		l.report(n.Line, path, cleanYAMLError(err))
		return nil
	}
	c.SetDirectory(l.dir)
	for _, p := range slices.Sorted(slices.Values(l.httpPaths[path])) {
		v := l.nodes[p]
		rel, ok := strings.CutPrefix(p, path+".")
		if ok && httpFiles.MatchString(rel) && v.Kind == yaml.ScalarNode && v.Value != "" {
			if err := readable(config.JoinDir(l.dir, v.Value)); err != nil {
				l.report(v.Line, p, err)
			}
		}
	}
	if l.badUnder(path) {
		return &c
	}
	if _, err := config.NewTLSConfig(&c.TLSConfig); err != nil {
		l.errorf(pathKey(path, "tls_config"), "%v", err)
	} else if _, err := config.NewRoundTripperFromConfig(c, "constat"); err != nil {
		l.errorf(path, "%v", err)
	}
	return &c
}

// readable checks that name is a regular file that can be opened. It reads
// nothing: a named pipe or /dev/zero would block or never end.
func readable(name string) error {
	fi, err := os.Stat(name)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	return f.Close()
}
