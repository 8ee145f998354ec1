package probes

import (
	"testing"
	"time"
)

const connectivityGroups = `
groups:
  - id: g
    name: G
    components:
      - id: c
        name: C
        steps:
          - url: https://ent.example/
`

func TestConnectivitySection(t *testing.T) {
	var c ConnectivitySettings
	yaml := "connectivity:\n  targets: [\"https://www.wikipedia.org/\", \"https://www.service-public.fr/\"]\n  interval: 45s\n" + connectivityGroups
	if _, err := ParseConfig("c.yaml", []byte(yaml), c.Section()); err != nil {
		t.Fatal(err)
	}
	if len(c.Targets) != 2 || c.Targets[1].String() != "https://www.service-public.fr/" || c.Interval != 45*time.Second {
		t.Errorf("connectivity = %+v, want 2 targets every 45s", c)
	}
	var none ConnectivitySettings
	if _, err := ParseConfig("c.yaml", []byte(connectivityGroups), none.Section()); err != nil {
		t.Fatal(err)
	}
	if len(none.Targets) != 0 || none.Interval != DefaultConnectivityInterval {
		t.Errorf("without the section: %+v, want no targets, the default interval", none)
	}
}

func TestConnectivitySectionInvalid(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"bad scheme", "connectivity:\n  targets: [\"https://www.wikipedia.org/\", \"ftp://example.org/\"]\n",
			`c.yaml:2: connectivity.targets[1]: url scheme "ftp" is not http or https`},
		{"interval without targets", "connectivity:\n  interval: 30s\n",
			`c.yaml:2: connectivity.targets: missing targets: an interval needs sites to probe`},
		{"unknown key", "connectivity:\n  target: [\"https://www.wikipedia.org/\"]\n",
			`c.yaml:2: connectivity.target: unknown key "target" (did you mean "targets"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c ConnectivitySettings
			_, err := ParseConfig("c.yaml", []byte(tt.yaml+connectivityGroups), c.Section())
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParseConfig(%s) error = %v, want %q", tt.name, err, tt.want)
			}
		})
	}
}
