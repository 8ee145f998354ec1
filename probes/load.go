package probes

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

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

// maxConfigSize bounds the file LoadConfig and ParseConfig accept: a
// component of two steps takes about 330 bytes, so 16 MiB holds 50,000.
const maxConfigSize = 16 << 20

// LoadConfig reads and compiles the YAML configuration at path. Relative file
// names in http_client_config (tls_config.ca_file…) are resolved against the
// file's directory. On failure it returns a nil Config and an errors.Join of
// *ConfigError, one per mistake, in file order; a file it cannot read is
// returned as os.ReadFile's *fs.PathError.
func LoadConfig(path string, sections ...Section) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data, sections...)
}

// ParseConfig compiles the YAML configuration data. name is what messages and
// Config.File show; relative file names in http_client_config are resolved
// against filepath.Dir(name). Errors are as for LoadConfig. Building the
// http_client_config round trippers reads the files they name but opens no
// connection. The sections are the top-level keys other packages own (see
// Section); a key that is neither probes' nor a section's is a mistake.
func ParseConfig(name string, data []byte, sections ...Section) (*Config, error) {
	// Real files have about a value per 25 bytes: size the map of paths once.
	l := &loader{file: name, dir: filepath.Dir(name), nodes: make(map[string]*yaml.Node, len(data)/25), bad: map[string]bool{},
		sections: sections, compiled: map[string]*Pattern{}, keys: map[reflect.Type]structKeySet{}, httpPaths: map[string][]string{}}
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
	KeepAlive         *bool    `yaml:"keep_alive"`
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
	builtins  []*Pattern
	sections  []Section
	// compiled shares one Pattern among the steps that give the same
	// regexp, as thousands of schools of one vendor do: a Pattern is
	// read-only once compiled.
	compiled map[string]*Pattern
	keys     map[reflect.Type]structKeySet // structKeys by struct type
	// httpPaths are the key paths below each http_client_config, by the
	// path of that config, so that each config looks only at its own.
	httpPaths map[string][]string
	httpRoot  string // the http_client_config check is in, if any
	data      []byte // the file, for errors yaml places on the wrong line
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
	l.data = data
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
	sizes := map[*yaml.Node]int{}
	if expanded(root, sizes) > maxValues {
		line, path := locateValue(root, "", maxValues, sizes)
		l.report(line, path, fmt.Errorf("more than %d values, aliases expanded", maxValues))
		return nil
	}
	l.check(root, reflect.TypeFor[rawFile](), "")
	if isNullNode(root) {
		return nil
	}
	var raw rawFile
	if err := root.Decode(&raw); err != nil {
		l.decodeError(err)
		return nil
	}
	l.builtins = BuiltinSignatures()
	cfg := l.compile(&raw)
	l.compileSections(cfg)
	return cfg
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
	if strings.Contains(msg, "tab character") {
		line = tabLine(l.data, line)
	}
	l.report(line, "", errors.New(msg))
}

// tabLine is the line of the first tab indenting a line, from line from
// on (1-based): yaml reports a tab that breaks the indentation at the line
// of the key before it, one line early.
func tabLine(data []byte, from int) int {
	for i, text := range strings.Split(string(data), "\n") {
		indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
		if i+1 >= from && strings.Contains(indent, "\t") {
			return i + 1
		}
	}
	return from
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
