package probes

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// ConfigError is one mistake in a configuration file. LoadConfig and
// ParseConfig return every mistake of a file at once, as an errors.Join of
// *ConfigError values: use errors.As to get the first one, or the
// Unwrap() []error method of the joined error to get them all.
type ConfigError struct {
	File string // as given to LoadConfig, or ParseConfig's name
	Line int    // 1-based; 0 if unknown
	Path string // groups[3].components[0].steps[1].timeout; empty for a syntax error
	Err  error
}

// Error reads "constat.yaml:41: groups[3].components[0].steps[1].timeout: 45s is longer than interval 30s".
// An unknown line or an empty path is left out ("constat.yaml: empty file").
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Path != "" {
		b.WriteString(": " + e.Path)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// maxConfigSize bounds the file LoadConfig and ParseConfig accept.
const maxConfigSize = 4 << 20

// LoadConfig reads and compiles the YAML configuration at path. Relative file
// names in http_client_config (tls_config.ca_file…) are resolved against the
// file's directory. On failure it returns a nil Config and an errors.Join of
// *ConfigError, one per mistake, in file order; a file it cannot read is
// returned as os.ReadFile's *fs.PathError.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data)
}

// ParseConfig compiles the YAML configuration data. name is what messages and
// Config.File show; relative file names in http_client_config are resolved
// against filepath.Dir(name). Errors are as for LoadConfig. Building the
// http_client_config round trippers reads the files they name but opens no
// connection.
func ParseConfig(name string, data []byte) (*Config, error) {
	l := &loader{file: name, dir: filepath.Dir(name), nodes: map[string]*yaml.Node{}, bad: map[string]bool{}}
	cfg := l.load(data)
	if len(l.errs) > 0 {
		slices.SortStableFunc(l.errs, func(a, b *ConfigError) int { return cmp.Compare(a.Line, b.Line) })
		errs := make([]error, len(l.errs))
		for i, e := range l.errs {
			errs[i] = e
		}
		return nil, errors.Join(errs...)
	}
	return cfg, nil
}

// The raw types mirror the YAML schema key for key: the walk (check) takes
// the allowed keys from their yaml tags. Values that need parsing stay
// strings; pointers tell an absent key from a zero value.
type rawFile struct {
	Defaults rawSettings `yaml:"defaults"`
	Groups   []rawGroup  `yaml:"groups"`
}

// rawSettings are the keys that defaults and components share.
type rawSettings struct {
	Interval          *string  `yaml:"interval"`
	Timeout           *string  `yaml:"timeout"`
	DegradedAfter     *string  `yaml:"degraded_after"`
	Confirm           *int     `yaml:"confirm"`
	MaxBody           *string  `yaml:"max_body"`
	BuiltinSignatures *bool    `yaml:"builtin_signatures"`
	FailIfBodyMatches []string `yaml:"fail_if_body_matches_regexp"`
	// HTTPClientConfig is checked against config.HTTPClientConfig's keys and
	// decoded on its own, so that its Validate errors get its path.
	HTTPClientConfig yaml.Node `yaml:"http_client_config"`
}

type rawGroup struct {
	ID         string         `yaml:"id"`
	Name       string         `yaml:"name"`
	Components []rawComponent `yaml:"components"`
}

type rawComponent struct {
	ID       string      `yaml:"id"`
	Name     string      `yaml:"name"`
	Operator string      `yaml:"operator"`
	Settings rawSettings `yaml:",inline"`
	Steps    []rawStep   `yaml:"steps"`
}

type rawStep struct {
	URL                  *string  `yaml:"url"`
	Follow               *string  `yaml:"follow"`
	Timeout              *string  `yaml:"timeout"`
	DegradedAfter        *string  `yaml:"degraded_after"`
	ValidStatusCodes     []int    `yaml:"valid_status_codes"`
	FailIfBodyMatches    []string `yaml:"fail_if_body_matches_regexp"`
	FailIfBodyNotMatches []string `yaml:"fail_if_body_not_matches_regexp"`
	Impact               *string  `yaml:"impact"`
}

// loader holds the state of one ParseConfig call.
type loader struct {
	file, dir string
	nodes     map[string]*yaml.Node // key path → value node
	bad       map[string]bool       // key paths already reported
	errs      []*ConfigError
	visits    int // nodes walked, bounding alias expansion
	builtins  []*Pattern
}

// report records err at path and line, unless path already has an error.
func (l *loader) report(line int, path string, err error) {
	if path != "" && l.bad[path] {
		return
	}
	l.bad[path] = true
	l.errs = append(l.errs, &ConfigError{File: l.file, Line: line, Path: path, Err: err})
}

// errorf reports at path, on the line of its value or, for an absent key, of
// the nearest mapping or list that holds it.
func (l *loader) errorf(path, format string, args ...any) {
	l.fail(path, fmt.Errorf(format, args...))
}

// fail reports err at path, on the line errorf would use.
func (l *loader) fail(path string, err error) { l.report(l.line(path), path, err) }

func (l *loader) line(path string) int {
	for {
		if n, ok := l.nodes[path]; ok {
			return n.Line
		}
		if path == "" {
			return 0
		}
		path = pathParent(path)
	}
}

// badUnder reports whether an error was reported at path or below it.
func (l *loader) badUnder(path string) bool {
	for p := range l.bad {
		if p == path || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
			return true
		}
	}
	return false
}

func pathParent(path string) string {
	return path[:max(0, strings.LastIndexAny(path, ".["))]
}

func pathKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func pathIndex(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// load parses data, walks it against rawFile and compiles it.
func (l *loader) load(data []byte) *Config {
	if len(data) > maxConfigSize {
		l.report(0, "", fmt.Errorf("file is %d bytes, more than the %d MiB limit", len(data), maxConfigSize>>20))
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, extra yaml.Node
	err := dec.Decode(&doc)
	if err == nil {
		if err2 := dec.Decode(&extra); err2 == nil && len(extra.Content) > 0 && !isNullNode(extra.Content[0]) {
			l.report(extra.Line, "", errors.New("more than one yaml document"))
		} else if err2 != io.EOF {
			err = err2
		}
	}
	if err != nil && err != io.EOF {
		l.syntaxError(err)
		return nil
	}
	if len(doc.Content) == 0 || isNullNode(doc.Content[0]) {
		l.report(0, "", errors.New("empty file"))
		return nil
	}
	root := doc.Content[0]
	l.check(root, reflect.TypeFor[rawFile](), "")
	if isNullNode(root) || l.visits >= maxVisits {
		return nil
	}
	var raw rawFile
	if err := root.Decode(&raw); err != nil {
		l.decodeError(err)
		return nil
	}
	l.builtins = BuiltinSignatures()
	return l.compile(&raw)
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// syntaxError reports a YAML parse error ("yaml: line 3: did not find expected key").
func (l *loader) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	l.report(line, "", errors.New(msg))
}

// decodeError reports what decoding the checked tree still found: the walk
// should have caught every type error, so this is a fallback that puts each
// message on the deepest key path of its line.
func (l *loader) decodeError(err error) {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		l.syntaxError(err)
		return
	}
	for _, msg := range te.Errors {
		m := yamlLine.FindStringSubmatch(msg)
		if m == nil {
			l.report(0, "", errors.New(msg))
			continue
		}
		line, _ := strconv.Atoi(m[1])
		path := ""
		for p, n := range l.nodes {
			if n.Line == line && (len(p) > len(path) || len(p) == len(path) && p < path) {
				path = p
			}
		}
		l.report(line, path, errors.New(m[2]))
	}
}

func isNullNode(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// nullify replaces a value already reported as wrong by null, so that
// decoding skips it instead of reporting it again.
func nullify(n *yaml.Node) {
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
}

func cleanYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = m
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			msgs[i] = sm[2]
		}
	}
	return errors.New(strings.Join(msgs, "; "))
}

// maxVisits bounds the nodes check walks, aliases expanded: a real file has
// a few thousand, an alias bomb billions.
const maxVisits = 100_000

var (
	nodeType        = reflect.TypeFor[yaml.Node]()
	httpConfigType  = reflect.TypeFor[config.HTTPClientConfig]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	// obsoleteUnmarshalerType is the yaml.v2 interface that prometheus/common implements.
	obsoleteUnmarshalerType = reflect.TypeFor[interface{ UnmarshalYAML(func(any) error) error }]()
)

// hasTags reports whether struct t has yaml-tagged fields, to tell a struct
// decoded from a mapping (config.TLSConfig) from one decoded from a scalar
// (config.URL).
func hasTags(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("yaml") != "" {
			return true
		}
	}
	return false
}

func hasUnmarshaler(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(unmarshalerType) || pt.Implements(obsoleteUnmarshalerType)
}

// check walks n against type t, as found at path. It records each value node
// by path; reports unknown keys, duplicate keys and values of the wrong type;
// and removes or nulls them, so that decoding the tree afterwards succeeds.
// A yaml.Node field is checked as a config.HTTPClientConfig.
func (l *loader) check(n *yaml.Node, t reflect.Type, path string) {
	if l.visits++; l.visits == maxVisits {
		l.report(n.Line, path, fmt.Errorf("more than %d values, aliases expanded", maxVisits))
	}
	if l.visits >= maxVisits {
		return
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	l.nodes[path] = n
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType {
		t = httpConfigType
	}
	switch {
	case isNullNode(n) || t.Kind() == reflect.Interface:
	case t.Kind() == reflect.Struct && (n.Kind == yaml.MappingNode || !hasUnmarshaler(t) || hasTags(t)):
		if !l.wantKind(n, yaml.MappingNode, t, path) {
			return
		}
		l.checkStruct(n, t, path)
		if hasUnmarshaler(t) && !l.badUnder(path) {
			// Its Validate runs only now: report what it finds here.
			if err := n.Decode(reflect.New(t).Interface()); err != nil {
				l.report(n.Line, path, cleanYAMLError(err))
			}
		}
	case t.Kind() == reflect.Map:
		if l.wantKind(n, yaml.MappingNode, t, path) {
			l.mapping(n, path, func(k, v *yaml.Node) bool {
				l.check(v, t.Elem(), pathKey(path, k.Value))
				return true
			})
		}
	case t.Kind() == reflect.Slice && !hasUnmarshaler(t):
		if l.wantKind(n, yaml.SequenceNode, t, path) {
			for i, e := range n.Content {
				l.check(e, t.Elem(), pathIndex(path, i))
			}
		}
	default:
		l.checkLeaf(n, t, path)
	}
}

// wantKind reports whether n is of kind k, and reports and nulls it if not.
func (l *loader) wantKind(n *yaml.Node, k yaml.Kind, t reflect.Type, path string) bool {
	if n.Kind == k {
		return true
	}
	l.report(n.Line, path, fmt.Errorf("want %s, got %s", describeType(t), describeNode(n)))
	nullify(n)
	return false
}

// checkLeaf checks a scalar by decoding it alone.
func (l *loader) checkLeaf(n *yaml.Node, t reflect.Type, path string) {
	custom := hasUnmarshaler(t)
	if !custom && !l.wantKind(n, yaml.ScalarNode, t, path) {
		return
	}
	if !custom && t.Kind() == reflect.String {
		return
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		if !custom {
			err = fmt.Errorf("want %s, got %s", describeType(t), describeNode(n))
		}
		l.report(n.Line, path, cleanYAMLError(err))
		nullify(n)
	}
}

// checkStruct checks the keys of mapping n against the yaml tags of struct t.
func (l *loader) checkStruct(n *yaml.Node, t reflect.Type, path string) {
	known, rest := structKeys(t)
	seen, meant := map[string]bool{}, map[string]bool{}
	l.mapping(n, path, func(k, v *yaml.Node) bool {
		seen[k.Value] = true
		ft, ok := known[k.Value]
		if !ok && rest == nil {
			guess := closest(k.Value, known)
			l.report(k.Line, pathKey(path, k.Value), unknownKey(k.Value, guess))
			meant[guess] = guess != ""
			return false
		}
		l.check(v, cmp.Or(ft, rest), pathKey(path, k.Value))
		return true
	})
	for key := range meant {
		if meant[key] && !seen[key] {
			l.bad[pathKey(path, key)] = true // no "missing steps" after "did you mean "steps"?"
		}
	}
}

// mapping calls visit on each key/value pair of n, following merge keys
// (<<: *anchor). It reports and drops non-string and duplicate keys, and the
// pairs visit returns false for.
func (l *loader) mapping(n *yaml.Node, path string, visit func(k, v *yaml.Node) bool) {
	seen := map[string]int{}
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge":
			l.merge(v, path, visit)
		case k.Kind != yaml.ScalarNode:
			l.report(k.Line, path, fmt.Errorf("want a string key, got %s", describeNode(k)))
			continue
		case seen[k.Value] > 0:
			l.report(k.Line, pathKey(path, k.Value), fmt.Errorf("duplicate key %q, first at line %d", k.Value, seen[k.Value]))
			continue
		default:
			seen[k.Value] = k.Line
			if !visit(k, v) {
				continue
			}
		}
		kept = append(kept, k, v)
	}
	n.Content = kept
}

func (l *loader) merge(v *yaml.Node, path string, visit func(k, v *yaml.Node) bool) {
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.MappingNode:
		l.mapping(v, path, visit)
	case yaml.SequenceNode:
		for _, m := range v.Content {
			l.merge(m, path, visit)
		}
	default:
		l.report(v.Line, path, fmt.Errorf("want a mapping to merge, got %s", describeNode(v)))
	}
}

// structKeys returns the yaml keys of struct t and their types, following
// inline structs; rest is the element type of an inline map, which takes
// every other key (nil without one).
func structKeys(t reflect.Type) (known map[string]reflect.Type, rest reflect.Type) {
	known = map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-":
		case strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Map:
			rest = f.Type.Elem()
		case strings.Contains(opts, "inline"):
			k, r := structKeys(f.Type)
			maps.Copy(known, k)
			rest = cmp.Or(r, rest)
		case f.IsExported():
			known[cmp.Or(name, strings.ToLower(f.Name))] = f.Type
		}
	}
	return known, rest
}

// closest returns the known key within two edits of key, or "".
func closest(key string, known map[string]reflect.Type) string {
	best, dist := "", 3
	for _, k := range slices.Sorted(maps.Keys(known)) {
		if d := editDistance(key, k); d < dist {
			best, dist = k, d
		}
	}
	return best
}

func unknownKey(key, guess string) error {
	if guess == "" {
		return fmt.Errorf("unknown key %q", key)
	}
	return fmt.Errorf("unknown key %q (did you mean %q?)", key, guess)
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := range ra {
		cur[0] = i + 1
		for j := range rb {
			sub := prev[j]
			if ra[i] != rb[j] {
				sub++
			}
			cur[j+1] = min(sub, prev[j+1]+1, cur[j]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "a mapping"
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if r := []rune(n.Value); len(r) > 40 {
		return strconv.Quote(string(r[:40]) + "…")
	}
	return strconv.Quote(n.Value)
}

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
	builtin                          bool
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
	p, err := NewPattern(expr)
	if err != nil {
		l.fail(path, err)
	}
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
	for _, p := range slices.Sorted(maps.Keys(l.nodes)) {
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
