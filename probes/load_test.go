package probes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/config"
)

// invalidFiles are the testdata/invalid-*.yaml files, one per kind of
// mistake, and the exact error each gives.
type invalidFile struct {
	file string
	want string // without the "testdata/<file>" prefix of each line
}

var invalidFiles = []invalidFile{
	{"invalid-unknown-key.yaml", `:7: groups[0].components[0].step: unknown key "step" (did you mean "steps"?)`},
	{"invalid-unknown-key-http.yaml", `:9: groups[0].components[0].http_client_config.tls_config.ca_fille: unknown key "ca_fille" (did you mean "ca_file"?)`},
	{"invalid-duplicate-key.yaml", `:10: groups[0].components[0].steps[0].url: duplicate key "url", first at line 8`},
	{"invalid-type.yaml", `:8: groups[0].components[0].steps: want a list, got a mapping`},
	{"invalid-type-scalar.yaml", `:2: defaults.confirm: want an integer, got "two"`},
	{"invalid-duration.yaml", `:2: defaults.interval: bad duration "30", want a number and a unit (ms, s, m, h, d, w, y) such as 30s`},
	{"invalid-duration-zero.yaml", `:9: groups[0].components[0].steps[0].timeout: duration must be positive, got 0s`},
	{"invalid-size.yaml", `:2: defaults.max_body: bad size "1 MB", want an integer with an optional unit (B, kB, KB, KiB, MB, MiB, GB, GiB)`},
	{"invalid-size-large.yaml", `:7: groups[0].components[0].max_body: size 100MiB is more than 64MiB`},
	{"invalid-size-zero.yaml", `:2: defaults.max_body: size must be at least 1 byte, got 0`},
	{"invalid-regexp.yaml", ":9: groups[0].components[0].steps[0].fail_if_body_not_matches_regexp[1]: bad regexp \"name=\\\"(password\\\"\": missing closing )"},
	{"invalid-regexp-empty.yaml", `:2: defaults.fail_if_body_matches_regexp[0]: empty regexp, which matches every page`},
	{"invalid-id.yaml", `:5: groups[0].components[0].id: bad id "MonLycee", want lowercase letters, digits, _ and -, starting with a letter or digit, at most 64 characters`},
	{"invalid-id-duplicate.yaml", `:12: groups[1].components[0].id: duplicate component id "monlycee", first at line 5`},
	{"invalid-id-duplicate-group.yaml", `:9: groups[1].id: duplicate group id "idf", first at line 2`},
	{"invalid-id-missing.yaml", `:2: groups[0].id: missing id`},
	{"invalid-name-missing.yaml", `:5: groups[0].components[0].name: missing name`},
	{"invalid-steps-missing.yaml", `:5: groups[0].components[0].steps: missing steps`},
	{"invalid-components-missing.yaml", `:4: groups[0].components: missing components`},
	{"invalid-url-and-follow.yaml", `:9: groups[0].components[0].steps[1]: url and follow are both set, want one`},
	{"invalid-url-or-follow-missing.yaml", `:8: groups[0].components[0].steps[0]: missing url or follow`},
	{"invalid-follow-first.yaml", `:8: groups[0].components[0].steps[0].follow: follow is not allowed on the first step, which has no previous page`},
	{"invalid-url-relative.yaml", `:8: groups[0].components[0].steps[0].url: url "monlycee.net/auth/login" is not absolute, want http:// or https://`},
	{"invalid-url-scheme.yaml", `:8: groups[0].components[0].steps[0].url: url scheme "ftp" is not http or https`},
	{"invalid-url-host.yaml", `:8: groups[0].components[0].steps[0].url: url "https:///auth/login" has no host`},
	{"invalid-status-code.yaml", `:9: groups[0].components[0].steps[0].valid_status_codes[1]: status code 2000 out of range 100..599`},
	{"invalid-impact.yaml", `:9: groups[0].components[0].steps[0].impact: unknown impact "total" (want major, partial or degraded)`},
	{"invalid-confirm.yaml", `:7: groups[0].components[0].confirm: confirm must be at least 1, got 0`},
	{"invalid-timeout-interval.yaml", `:10: groups[0].components[0].steps[1].timeout: 45s is longer than interval 30s`},
	{"invalid-interval-timeout.yaml", `:9: groups[0].components[0].interval: 15s is shorter than timeout 20s`},
	{"invalid-degraded-after.yaml", `:11: groups[0].components[0].steps[0].timeout: 5s is not longer than degraded_after 5s`},
	{"invalid-empty.yaml", `: empty file`},
	{"invalid-no-groups.yaml", `:1: groups: missing groups`},
	{"invalid-http-validate.yaml", `:3: defaults.http_client_config: at most one of bearer_token & bearer_token_file must be configured`},
	{"invalid-http-tls-version.yaml", `:9: groups[0].components[0].http_client_config.tls_config.min_version: unknown TLS version: TLS14`},
	{"invalid-ca-file.yaml", `:9: groups[0].components[0].http_client_config.tls_config.ca_file: stat testdata/missing-ca.pem: no such file or directory`},
	{"invalid-syntax.yaml", `:4: did not find expected node content`},
	{"invalid-tab.yaml", `:4: found a tab character that violates indentation`},
	{"invalid-two-documents.yaml", `:9: more than one yaml document`},
}

// TestLoadConfigInvalid checks the exact message of each kind of mistake,
// one testdata/invalid-*.yaml file each.
func TestLoadConfigInvalid(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	for _, f := range files {
		if !slices.ContainsFunc(invalidFiles, func(tt invalidFile) bool { return "testdata/"+tt.file == f }) && f != severalFile {
			t.Errorf("%s has no case in invalidFiles", f)
		}
	}
	for _, tt := range invalidFiles {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			cfg, err := LoadConfig(path)
			if err == nil {
				t.Fatalf("LoadConfig(%s) error = nil, want %q", path, path+tt.want)
			}
			if got := err.Error(); got != path+tt.want {
				t.Errorf("LoadConfig(%s) error = %q, want %q", path, got, path+tt.want)
			}
			if cfg != nil {
				t.Errorf("LoadConfig(%s) config = %v, want nil", path, cfg)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.File != path {
				t.Errorf("LoadConfig(%s) error = %#v, want a *ConfigError for %s", path, err, path)
			}
		})
	}
}

// severalFile has several mistakes, for TestLoadConfigAllErrors.
const severalFile = "testdata/invalid-several.yaml"

// TestLoadConfigAllErrors checks that one load reports every mistake of a
// file, in file order, each its own *ConfigError.
func TestLoadConfigAllErrors(t *testing.T) {
	const path = severalFile
	_, err := LoadConfig(path)
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("LoadConfig(%s) error = %#v, want an errors.Join", path, err)
	}
	want := []string{
		`2 defaults.interval: bad duration "30", want a number and a unit (ms, s, m, h, d, w, y) such as 30s`,
		`3 defaults.confirm: confirm must be at least 1, got 0`,
		`11 groups[0].components[0].steps[0].url: url "monlycee.net" is not absolute, want http:// or https://`,
		`12 groups[0].components[0].steps[0].impact: unknown impact "total" (want major, partial or degraded)`,
		`13 groups[0].components[1].id: duplicate component id "monlycee", first at line 8`,
		`14 groups[0].components[1].nom: unknown key "nom" (did you mean "name"?)`,
		`15 groups[0].components[1].steps: missing steps`,
	}
	var got []string
	for _, e := range joined.Unwrap() {
		ce, ok := e.(*ConfigError)
		if !ok {
			t.Fatalf("LoadConfig(%s) error %#v is not a *ConfigError", path, e)
		}
		got = append(got, fmt.Sprintf("%d %s: %v", ce.Line, ce.Path, ce.Err))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadConfig(%s) errors =\n%s\nwant\n%s", path, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if lines := strings.Count(err.Error(), "\n") + 1; lines != len(want) {
		t.Errorf("LoadConfig(%s) error has %d lines, want %d", path, lines, len(want))
	}
}

// TestParseConfigInline covers mistakes that need no file of their own.
func TestParseConfigInline(t *testing.T) {
	const head = "groups:\n  - id: g\n    name: G\n    components:\n      - id: c\n        name: C\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key, nothing close", "colour: blue\n" + head + "        steps: [url: 'https://e.fr/']\n",
			`c.yaml:1: colour: unknown key "colour"`},
		{"root is a list", "- groups\n", `c.yaml:1: want a mapping, got a list`},
		{"http header map elements", head + "        http_client_config: {http_headers: {X-A: {valeurs: [a]}}}\n        steps: [url: 'https://e.fr/']\n",
			`c.yaml:7: groups[0].components[0].http_client_config.http_headers.X-A.valeurs: unknown key "valeurs" (did you mean "values"?)`},
		{"tls validate", head + "        http_client_config: {tls_config: {cert_file: x.pem}}\n        steps: [url: 'https://e.fr/']\n",
			`c.yaml:7: groups[0].components[0].http_client_config.tls_config: exactly one of key or key_file must be configured when a client certificate is configured`},
		{"http_client_config not a mapping", head + "        http_client_config: none\n        steps: [url: 'https://e.fr/']\n",
			`c.yaml:7: groups[0].components[0].http_client_config: want a mapping, got "none"`},
		{"bad proxy url", head + "        http_client_config: {proxy_url: ':x'}\n        steps: [url: 'https://e.fr/']\n",
			`c.yaml:7: groups[0].components[0].http_client_config.proxy_url: parse ":x": missing protocol scheme`},
		{"bad boolean", "defaults: {builtin_signatures: maybe}\n" + head + "        steps: [url: 'https://e.fr/']\n",
			`c.yaml:1: defaults.builtin_signatures: want true or false, got "maybe"`},
		{"unknown key in a merged mapping", "x: &x {intervale: 1m}\n" + head + "        <<: *x\n        steps: [url: 'https://e.fr/']\n",
			"c.yaml:1: x: unknown key \"x\"\nc.yaml:1: groups[0].components[0].intervale: unknown key \"intervale\" (did you mean \"interval\"?)"},
		{"id too long", "groups:\n  - id: " + strings.Repeat("a", 65) + "\n    name: G\n    components: [{id: c, name: C, steps: [url: 'https://e.fr/']}]\n",
			`c.yaml:2: groups[0].id: bad id "` + strings.Repeat("a", 65) + `", want lowercase letters, digits, _ and -, starting with a letter or digit, at most 64 characters`},
		{"file too large", strings.Repeat("#", maxConfigSize+1), `c.yaml: file is 16777217 bytes, more than the 16 MiB limit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("c.yaml", []byte(tt.yaml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParseConfig(%s) error = %v, want %q", tt.name, err, tt.want)
			}
		})
	}
}

// TestParseConfigAliasBomb checks that a small file whose aliases expand
// to 100⁴ values is rejected quickly, naming the value past the limit.
func TestParseConfigAliasBomb(t *testing.T) {
	list := func(anchor, first string) string {
		return "[&" + anchor + " " + first + strings.Repeat(", *"+anchor, 99) + "]"
	}
	re := list("r", "a")
	steps := list("s", "{url: 'https://e.fr/', fail_if_body_matches_regexp: "+re+"}")
	comps := list("c", "{id: c, name: C, steps: "+steps+"}")
	data := "groups: " + list("g", "{id: g, name: G, components: "+comps+"}")
	_, err := ParseConfig("bomb.yaml", []byte(data))
	if want := "bomb.yaml:1: groups[0].components[97].steps[4].fail_if_body_matches_regexp[87]: more than 1000000 values, aliases expanded"; err == nil || err.Error() != want {
		t.Errorf("ParseConfig(bomb.yaml) error = %v, want %q", err, want)
	}
}

// TestParseConfigTenThousand checks that a file of 10,000 schools loads:
// it has 130,000 values, which a limit of 100,000 once refused.
func TestParseConfigTenThousand(t *testing.T) {
	cfg, err := ParseConfig("schools.yaml", schoolsConfig(10_000))
	if err != nil {
		t.Fatalf("ParseConfig(schools.yaml) error = %v", err)
	}
	if len(cfg.Components) != 10_000 || len(cfg.Groups) != 20 {
		t.Errorf("ParseConfig(schools.yaml) = %d components in %d groups, want 10000 in 20", len(cfg.Components), len(cfg.Groups))
	}
	a, b := cfg.Components[0].Steps[1], cfg.Components[9_999].Steps[1]
	if a.Follow != b.Follow || a.Follow == nil {
		t.Errorf("Steps[1].Follow of two components = %p, %p, want one shared Pattern", a.Follow, b.Follow)
	}
}

// stepSummary is a Step with its patterns reduced to their names.
type stepSummary struct {
	URL, Follow            string
	Timeout, DegradedAfter time.Duration
	ValidStatusCodes       []int
	Matches, NotMatches    []string
	Impact                 Impact
}

func summarizeStep(st *Step) stepSummary {
	s := stepSummary{Timeout: st.Timeout, DegradedAfter: st.DegradedAfter, ValidStatusCodes: st.ValidStatusCodes,
		Matches: patternNames(st.FailIfBodyMatches), NotMatches: patternNames(st.FailIfBodyNotMatches), Impact: st.Impact}
	if st.URL != nil {
		s.URL = st.URL.String()
	}
	if st.Follow != nil {
		s.Follow = st.Follow.Name
	}
	return s
}

func patternNames(ps []*Pattern) []string {
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return names
}

func withBuiltins(names ...string) []string {
	return append(patternNames(BuiltinSignatures()), names...)
}

// componentSummary is what TestLoadConfigFull compares of a Component.
type componentSummary struct {
	Group, ID, Name, Operator string
	Interval                  time.Duration
	Confirm                   int
	MaxBody                   int64
	FollowRedirects, HTTP2    bool
	WithCA                    bool // tls_config.ca is set
	Steps                     []stepSummary
}

func summarizeComponent(c *Component) componentSummary {
	h := c.HTTPClientConfig
	s := componentSummary{c.Group, c.ID, c.Name, c.Operator, c.Interval, c.Confirm, c.MaxBody,
		h.FollowRedirects, h.EnableHTTP2, strings.Contains(h.TLSConfig.CA, "BEGIN CERTIFICATE"), nil}
	for _, st := range c.Steps {
		s.Steps = append(s.Steps, summarizeStep(st))
	}
	return s
}

// fullComponents are the components of testdata/valid-full.yaml: monlycee
// inherits every default, ent-occitanie overrides every one (its
// http_client_config replaces the defaults' whole), pronote overrides none.
func fullComponents() []componentSummary {
	return []componentSummary{
		{"idf", "monlycee", "monlycée.net", "ODE", time.Minute, 3, 512 << 10, false, true, true, []stepSummary{
			{URL: "https://monlycee.net/", Timeout: 20 * time.Second, DegradedAfter: 5 * time.Second,
				Matches: withBuiltins("Erreur 500")},
			{Follow: `href="([^"]*/auth/login[^"]*)"`, Timeout: 15 * time.Second, DegradedAfter: 4 * time.Second,
				ValidStatusCodes: []int{200, 302}, Matches: withBuiltins("Erreur 500", "compte verrouillé"),
				NotMatches: []string{`name="password"`, "Connexion"}, Impact: ImpactPartial},
		}},
		{"occitanie", "ent-occitanie", "ENT Occitanie", "", 2 * time.Minute, 1, 2e6, true, false, false, []stepSummary{
			{URL: "http://ent.laclasse.com/portail", Timeout: 30 * time.Second, DegradedAfter: 10 * time.Second,
				Matches: []string{"Erreur 500", "Acc.s refus."}, Impact: ImpactDegraded},
		}},
		{"occitanie", "pronote", "Pronote", "", time.Minute, 3, 512 << 10, false, true, true, []stepSummary{
			{URL: "https://0340001a.index-education.net/pronote/", Timeout: 20 * time.Second, DegradedAfter: 5 * time.Second,
				Matches: withBuiltins("Erreur 500")},
		}},
	}
}

func TestLoadConfigFull(t *testing.T) {
	const path = "testdata/valid-full.yaml"
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatalf("LoadConfig(%s) error = %v", path, err)
	}
	if cfg.File != path {
		t.Errorf("LoadConfig(%s).File = %q, want %q", path, cfg.File, path)
	}
	wants := fullComponents()
	if len(cfg.Components) != len(wants) {
		t.Fatalf("LoadConfig(%s) has %d components, want %d", path, len(cfg.Components), len(wants))
	}
	for i, want := range wants {
		c := cfg.Components[i]
		if got := summarizeComponent(c); !reflect.DeepEqual(got, want) {
			t.Errorf("LoadConfig(%s).Components[%d] =\n%+v\nwant\n%+v", path, i, got, want)
		}
		if cfg.Component(want.ID) != c {
			t.Errorf("LoadConfig(%s).Component(%q) = %v, want Components[%d]", path, want.ID, cfg.Component(want.ID), i)
		}
	}
	var groups []string
	for _, g := range cfg.Groups {
		for _, c := range g.Components {
			groups = append(groups, g.ID+"/"+g.Name+"/"+c.ID)
		}
	}
	want := []string{"idf/Île-de-France/monlycee", "occitanie/Occitanie/ent-occitanie", "occitanie/Occitanie/pronote"}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("LoadConfig(%s).Groups = %v, want %v", path, groups, want)
	}
	if cfg.Groups[1].Components[1] != cfg.Components[2] {
		t.Errorf("LoadConfig(%s).Groups[1].Components[1] is not Components[2]", path)
	}
}

func TestParseConfigBuiltinDefaults(t *testing.T) {
	const data = "groups: [{id: g, name: G, components: [{id: c, name: C, steps: [{url: 'https://e.fr/'}]}]}]"
	cfg, err := ParseConfig("min.yaml", []byte(data))
	if err != nil {
		t.Fatalf("ParseConfig(min.yaml) error = %v", err)
	}
	c := cfg.Components[0]
	got := fmt.Sprint(c.Interval, c.Confirm, c.MaxBody, c.Steps[0].Timeout, c.Steps[0].DegradedAfter, c.Steps[0].Impact)
	if want := "30s 2 1048576 10s 3s major"; got != want {
		t.Errorf("ParseConfig(min.yaml) component = %s, want %s", got, want)
	}
	if !reflect.DeepEqual(c.HTTPClientConfig, config.DefaultHTTPClientConfig) {
		t.Errorf("ParseConfig(min.yaml).HTTPClientConfig = %+v, want the default", c.HTTPClientConfig)
	}
	if got, want := patternNames(c.Steps[0].FailIfBodyMatches), withBuiltins(); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseConfig(min.yaml) FailIfBodyMatches = %v, want %v", got, want)
	}
}

// TestLoadConfigFiles checks that http_client_config files are found next
// to the configuration file, whatever the working directory, and that one
// missing or unusable is reported at load, at its key.
func TestLoadConfigFiles(t *testing.T) {
	full, err := os.ReadFile("testdata/valid-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pem := full[strings.Index(string(full), "-----BEGIN"):strings.Index(string(full), "groups:")]
	dir := t.TempDir()
	write := func(name, data string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("ca.pem", strings.ReplaceAll(string(pem), "        ", ""))
	write("password", "s3cr3t")
	write("token", "t0k3n")
	const head = "defaults:\n  http_client_config:\n    tls_config: {ca_file: ca.pem}\n    basic_auth: {username: u, password_file: password}\n"
	const tail = "groups: [{id: g, name: G, components: [{id: c, name: C, steps: [{url: 'https://e.fr/'}]}]}]\n"
	path := write("constat.yaml", head+"    http_headers: {X-Token: {files: [token]}}\n"+tail)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatalf("LoadConfig(%s) error = %v", path, err)
	}
	h := cfg.Components[0].HTTPClientConfig
	got := []string{h.TLSConfig.CAFile, h.BasicAuth.PasswordFile, h.HTTPHeaders.Headers["X-Token"].Files[0]}
	if want := []string{filepath.Join(dir, "ca.pem"), filepath.Join(dir, "password"), filepath.Join(dir, "token")}; !reflect.DeepEqual(got, want) {
		t.Errorf("LoadConfig(%s) files = %q, want %q", path, got, want)
	}

	path = write("constat.yaml", head+"    http_headers: {X-Token: {files: [missing]}}\n"+tail)
	_, err = LoadConfig(path)
	want := path + ":5: defaults.http_client_config.http_headers.X-Token.files[0]: stat " + filepath.Join(dir, "missing") + ": no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("LoadConfig(%s) with a missing header file error = %v, want %q", path, err, want)
	}

	write("ca.pem", "not a certificate")
	path = write("constat.yaml", head+tail)
	_, err = LoadConfig(path)
	want = path + ":3: defaults.http_client_config.tls_config: unable to use specified CA cert file " + filepath.Join(dir, "ca.pem")
	if err == nil || err.Error() != want {
		t.Errorf("LoadConfig(%s) with a bad CA error = %v, want %q", path, err, want)
	}
}

func TestConfigErrorError(t *testing.T) {
	base := errors.New("45s is longer than interval 30s")
	tests := []struct {
		err  *ConfigError
		want string
	}{
		{&ConfigError{"constat.yaml", 41, "groups[3].components[0].steps[1].timeout", base},
			"constat.yaml:41: groups[3].components[0].steps[1].timeout: 45s is longer than interval 30s"},
		{&ConfigError{"constat.yaml", 0, "", errors.New("empty file")}, "constat.yaml: empty file"},
		{&ConfigError{"constat.yaml", 3, "", errors.New("did not find expected key")}, "constat.yaml:3: did not find expected key"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("ConfigError.Error() = %q, want %q", got, tt.want)
			}
		})
	}
	if !errors.Is(tests[0].err, base) {
		t.Errorf("errors.Is(%v, base) = false, want true", tests[0].err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1", 1, true}, {"1B", 1, true}, {"500kB", 500e3, true}, {"500KB", 500e3, true},
		{"1KiB", 1024, true}, {"1MB", 1e6, true}, {"1MiB", 1 << 20, true}, {"64MiB", 64 << 20, true},
		{"67108864", 64 << 20, true}, {"67108865", 0, false}, {"1GB", 0, false}, {"1GiB", 0, false},
		{"0", 0, false}, {"-1", 0, false}, {"1 MB", 0, false}, {"1mb", 0, false}, {"1.5MB", 0, false},
		{"", 0, false}, {"99999999999999999999999", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSize(tt.in)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("parseSize(%q) = %d, %v, want %d (ok %v)", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("fuzz.yaml", data)
		if err != nil {
			checkErrors(t, err)
			return
		}
		checkConfig(t, cfg)
	})
}

// checkErrors checks that err joins *ConfigError values with messages.
func checkErrors(t *testing.T, err error) {
	t.Helper()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		ce, ok := e.(*ConfigError)
		if !ok || ce.File != "fuzz.yaml" || ce.Line < 0 || ce.Err == nil || ce.Err.Error() == "" {
			t.Fatalf("ParseConfig(fuzz.yaml) error %#v is not a complete *ConfigError", e)
		}
	}
}

// checkConfig checks what a successful load promises.
func checkConfig(t *testing.T, cfg *Config) {
	t.Helper()
	if len(cfg.Groups) == 0 || len(cfg.Components) == 0 {
		t.Fatalf("ParseConfig(fuzz.yaml) = %d groups, %d components, want some", len(cfg.Groups), len(cfg.Components))
	}
	var n int
	for _, g := range cfg.Groups {
		for _, c := range g.Components {
			if cfg.Components[n] != c || c.Group != g.ID {
				t.Fatalf("ParseConfig(fuzz.yaml) component %s is not Components[%d] of group %s", c.ID, n, g.ID)
			}
			n++
			checkComponent(t, c)
		}
	}
	if n != len(cfg.Components) {
		t.Fatalf("ParseConfig(fuzz.yaml) groups hold %d components, Components %d", n, len(cfg.Components))
	}
}

func checkComponent(t *testing.T, c *Component) {
	t.Helper()
	if !idSyntax.MatchString(c.ID) || c.Name == "" || c.Interval <= 0 || c.Confirm < 1 ||
		c.MaxBody < 1 || c.MaxBody > maxMaxBody || len(c.Steps) == 0 {
		t.Fatalf("ParseConfig(fuzz.yaml) component = %+v, want it valid", c)
	}
	for i, st := range c.Steps {
		if (st.URL == nil) == (st.Follow == nil) || (i == 0 && st.URL == nil) ||
			st.URL != nil && st.URL.Scheme != "http" && st.URL.Scheme != "https" {
			t.Fatalf("ParseConfig(fuzz.yaml) %s step %d: url %v, follow %v", c.ID, i, st.URL, st.Follow)
		}
		if st.DegradedAfter <= 0 || st.DegradedAfter >= st.Timeout || st.Timeout > c.Interval || st.Impact.String() == "" {
			t.Fatalf("ParseConfig(fuzz.yaml) %s step %d = %+v, want durations in order", c.ID, i, st)
		}
		for _, p := range append(st.FailIfBodyMatches, st.FailIfBodyNotMatches...) {
			if p == nil || p.Re == nil {
				t.Fatalf("ParseConfig(fuzz.yaml) %s step %d has a nil pattern", c.ID, i)
			}
		}
	}
}

func TestKeepAliveSetting(t *testing.T) {
	cfg, err := ParseConfig("x.yaml", []byte("defaults:\n  keep_alive: true\n"+
		"groups:\n  - id: g\n    name: G\n    components:\n      - id: a\n        name: A\n        steps:\n          - url: https://a.test/\n"+
		"      - id: b\n        name: B\n        keep_alive: false\n        steps:\n          - url: https://b.test/\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Component("a").KeepAlive || cfg.Component("b").KeepAlive {
		t.Errorf("KeepAlive = %v, %v; want true (from defaults), false (overridden)", cfg.Component("a").KeepAlive, cfg.Component("b").KeepAlive)
	}
}
