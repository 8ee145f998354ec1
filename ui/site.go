package ui

import (
	"net/url"

	"github.com/constat-ent/constat/probes"
)

// Site is the configuration file's "site" section: how the public site is
// reached.
//
//	site:
//	  public_url: https://constat.example.org  # scheme and host, no path
type Site struct {
	// PublicURL is where people reach the public pages: scheme and host,
	// no path. With it, the links Constat hands to other sites (the
	// Statuspage API's, the Atom feeds', the pages' language alternates)
	// are absolute; nil leaves them relative to the host that answered.
	PublicURL *url.URL
}

// Section returns the "site" section for probes.LoadConfig, which fills s
// when the file is valid. The public pages link to each other from the root
// of their host, so a public_url with a path would give links that lead
// nowhere: it is refused, as are a query and a fragment.
func (s *Site) Section() probes.Section {
	var raw struct {
		PublicURL *string `yaml:"public_url"`
	}
	return probes.Section{Key: "site", Raw: &raw, Compile: func(sl *probes.SectionLoader) {
		*s = Site{}
		if raw.PublicURL == nil {
			return
		}
		const key = "public_url"
		u := sl.URL(key, *raw.PublicURL)
		switch {
		case u == nil:
		case u.Path != "" && u.Path != "/":
			sl.Errorf(key, "public_url %q has a path; the public pages are served from the root of their host", *raw.PublicURL)
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			sl.Errorf(key, "public_url %q has a query, a fragment or a user; want scheme and host only", *raw.PublicURL)
		default:
			u.Path, u.RawPath, u.ForceQuery = "", "", false
			s.PublicURL = u
		}
	}}
}
