package ui

import (
	"testing"

	"github.com/constat-ent/constat/probes"
)

const siteGroups = "groups:\n  - id: g\n    name: G\n    components:\n      - id: c\n        name: C\n        steps:\n          - url: https://example.test/\n"

func TestSiteSection(t *testing.T) {
	var s Site
	if _, err := probes.ParseConfig("x.yaml", []byte("site:\n  public_url: https://constat.example.org/\n"+siteGroups), s.Section()); err != nil {
		t.Fatal(err)
	}
	// The trailing slash goes: pages append their own root-relative paths.
	if u := s.PublicURL; u == nil || u.String() != "https://constat.example.org" {
		t.Errorf("ParseConfig(site).PublicURL = %v, want https://constat.example.org", u)
	}
	tests := []struct{ path, want string }{
		{"testdata/invalid-public-url-path.yaml", `:2: site.public_url: public_url "https://constat.example.org/ent/" has a path; the public pages are served from the root of their host`},
	}
	for _, tt := range tests {
		var s Site
		_, err := probes.LoadConfig(tt.path, s.Section())
		if err == nil || err.Error() != tt.path+tt.want {
			t.Errorf("LoadConfig(%s) = %v, want %q", tt.path, err, tt.path+tt.want)
		}
	}
	if _, err := probes.ParseConfig("x.yaml", []byte("site:\n  public_url: https://constat.example.org/?a=1\n"+siteGroups), s.Section()); err == nil {
		t.Errorf("ParseConfig(public_url with a query) = nil, want an error")
	}
}
