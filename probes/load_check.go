package probes

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"
)

// maxValues bounds the values of a file, aliases expanded: a component of
// two steps has about 13, so 1,000,000 leaves room for 50,000 components
// of 20 values; an alias bomb of a few hundred bytes has billions.
const maxValues = 1_000_000

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
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	l.nodes[path] = n
	if l.httpRoot != "" {
		l.httpPaths[l.httpRoot] = append(l.httpPaths[l.httpRoot], path)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType {
		t = httpConfigType
		l.httpRoot = path
		defer func() { l.httpRoot = "" }()
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

// nullify replaces a value already reported as wrong by null, so that
// decoding skips it instead of reporting it again.
func nullify(n *yaml.Node) {
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
}

// checkStruct checks the keys of mapping n against the yaml tags of struct t.
// At the root, the sections' keys are known too.
func (l *loader) checkStruct(n *yaml.Node, t reflect.Type, path string) {
	ks, ok := l.keys[t]
	if !ok {
		ks.known, ks.rest = structKeys(t)
		l.keys[t] = ks
	}
	known, rest := ks.known, ks.rest
	if path == "" {
		known = maps.Clone(known) // the cached set must stay probes' own
		maps.Copy(known, l.sectionTypes())
	}
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

// structKeySet is what structKeys returns, kept by the loader for each type.
type structKeySet struct {
	known map[string]reflect.Type
	rest  reflect.Type
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
