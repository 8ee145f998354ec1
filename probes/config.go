package probes

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"time"

	"github.com/prometheus/common/config"
)

// Config is a loaded, validated configuration: every duration parsed, every
// regexp compiled, every default copied into the components. Build it with
// LoadConfig or ParseConfig; a Config is read-only once returned.
type Config struct {
	File       string       // the path it was read from, or the name given to ParseConfig when loaded that way; for messages
	Groups     []*Group     // in file order
	Components []*Component // every component of every group, in file order
}

// Component returns the component with the given ID, or nil.
func (c *Config) Component(id string) *Component {
	for _, comp := range c.Components {
		if comp.ID == id {
			return comp
		}
	}
	return nil
}

// Group is a region or family of services shown together.
type Group struct {
	ID         string
	Name       string
	Components []*Component
}

// Component is one service a parent would name ("monlycée.net"), checked by
// running its steps in order.
type Component struct {
	ID       string // unique across the file: [a-z0-9][a-z0-9_-]*, at most 64 characters
	Name     string
	Group    string // the Group's ID
	Operator string // vendor or host, to correlate outages; may be empty
	// Interval between two rounds; the round's steps share it.
	Interval time.Duration
	// Confirm is how many consecutive agreeing rounds change the state (incident engine).
	Confirm int
	// MaxBody is how many body bytes a step reads at most (after decompression).
	MaxBody int64
	// KeepAlive lets rounds reuse connections (keep_alive, default false).
	// A step on a reused connection measures no DNS, connect or TLS phase:
	// cheaper for Constat and the ENT, but blind to those phases' failures
	// until the connection drops.
	KeepAlive bool
	Steps     []*Step
	// HTTPClientConfig is prometheus/common's client configuration: TLS, proxy, auth.
	// Relative file paths in it are resolved against the config file's directory.
	HTTPClientConfig config.HTTPClientConfig
}

// Step is one HTTP GET of a check. Steps of one round share a cookie jar, so a
// login page sees the cookies the portal set.
type Step struct {
	// URL is absolute (http or https). Nil when Follow is set.
	URL *url.URL
	// Follow, when set, finds the URL in the previous step's body: the first
	// match's first submatch (or the whole match without a group), HTML-unescaped
	// and resolved against the previous step's final URL.
	Follow *Pattern
	// Timeout bounds the whole step: connection, redirects and body.
	Timeout time.Duration
	// DegradedAfter: a step that delivers but takes longer is Slow.
	DegradedAfter time.Duration
	// ValidStatusCodes lists the accepted final status codes; empty means any 2xx.
	ValidStatusCodes []int
	// FailIfBodyMatches are the soft-failure signatures: the built-in ones
	// (unless builtin_signatures is false), then the defaults', the component's
	// and the step's own. The first that matches makes the step a SoftFailure.
	FailIfBodyMatches []*Pattern
	// FailIfBodyNotMatches are markers a working page has; the first missing
	// one makes the step ContentMissing.
	FailIfBodyNotMatches []*Pattern
	// Impact is what this step failing does to the component's status.
	Impact Impact
}

// Pattern is a compiled regular expression with the name that a result's
// Detail shows: the built-in signatures have short names ("ode_quota"), a
// pattern from the config file is named by its source text.
type Pattern struct {
	Name string
	Re   *regexp.Regexp
	need []literal // a match contains one of these; nil: unknown (see requiredLiterals)
	// parts, when set, are the alternatives of Re, each run only around
	// the occurrences of its literals (matchWindows)
	parts []part
}

// String returns the pattern's name.
func (p *Pattern) String() string { return p.Name }

// NewPattern compiles expr, named by its own text. A bad expr gives an error
// that quotes it once: `bad regexp "x(": missing closing )`.
func NewPattern(expr string) (*Pattern, error) {
	re, err := regexp.Compile(expr)
	var se *syntax.Error
	if errors.As(err, &se) {
		// se.Error() repeats the expression: keep only its code.
		return nil, fmt.Errorf("bad regexp %q: %s", expr, se.Code)
	}
	if err != nil {
		return nil, fmt.Errorf("bad regexp %q: %w", expr, err)
	}
	return &Pattern{Name: expr, Re: re, need: requiredLiterals(expr)}, nil
}
