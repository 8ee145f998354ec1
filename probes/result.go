package probes

import (
	"fmt"
	"time"
)

// Outcome is the one verdict a step gets. Its values are persisted in the
// timeline and published in the API: do not reorder, do not reuse a value,
// add new outcomes only at the end.
type Outcome uint8

const (
	OutcomeUnknown  Outcome = 0  // never produced by a probe; the zero value
	OK              Outcome = 1  // answered as expected, in time
	Slow            Outcome = 2  // answered as expected, slower than degraded_after
	DNSError        Outcome = 3  // name did not resolve; Detail: not_found, timeout, temporary, other
	ConnectRefused  Outcome = 4  // TCP connection refused (nothing listens)
	ConnectTimeout  Outcome = 5  // TCP connection not established in time (SYN unanswered)
	ConnectionReset Outcome = 6  // connection reset or closed before a full answer; Detail: reset, eof
	TLSError        Outcome = 7  // Detail: expired, unknown_authority, hostname_mismatch, handshake
	Timeout         Outcome = 8  // Detail: the phase it stopped in (dns, connect, tls, ttfb, transfer)
	HTTPError       Outcome = 9  // status not valid; Detail: the code, e.g. "502"
	RedirectLoop    Outcome = 10 // Detail: loop (a URL came back a third time) or too_many (over 10 redirects)
	SoftFailure     Outcome = 11 // fail_if_body_matches_regexp matched; Detail: the pattern
	ContentMissing  Outcome = 12 // fail_if_body_not_matches_regexp did not match; Detail: the pattern
	// ProbeError: the step failed for a reason local to Constat, not to
	// the portal; Detail: emfile, enfile (out of file descriptors), enomem
	// (out of memory or buffers), no_route (no route to the network),
	// no_interface (no local address to send from), resolver (Constat's own
	// resolver could not be reached). Such a round says nothing of the
	// portal: its Result has StatusUnknown and never counts toward a
	// component's state or an incident.
	ProbeError  Outcome = 13
	numOutcomes         = 14
)

var outcomeNames = [numOutcomes]string{
	OutcomeUnknown:  "unknown",
	OK:              "ok",
	Slow:            "slow",
	DNSError:        "dns_error",
	ConnectRefused:  "connect_refused",
	ConnectTimeout:  "connect_timeout",
	ConnectionReset: "connection_reset",
	TLSError:        "tls_error",
	Timeout:         "timeout",
	HTTPError:       "http_error",
	RedirectLoop:    "redirect_loop",
	SoftFailure:     "soft_failure",
	ContentMissing:  "content_missing",
	ProbeError:      "probe_error",
}

// String returns the public name of o ("soft_failure"), as in the API.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Valid reports whether o is one of the defined outcomes other than OutcomeUnknown.
func (o Outcome) Valid() bool { return o > OutcomeUnknown && o < numOutcomes }

// Failed reports whether o means the step did not deliver a working page.
// OK and Slow are the only non-failures.
func (o Outcome) Failed() bool { return o != OK && o != Slow }

// MarshalText makes Outcome appear by name in JSON.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText parses a public outcome name.
func (o *Outcome) UnmarshalText(b []byte) error {
	v, err := ParseOutcome(string(b))
	if err != nil {
		return err
	}
	*o = v
	return nil
}

// ParseOutcome returns the outcome named s ("tls_error").
func ParseOutcome(s string) (Outcome, error) {
	for i, n := range outcomeNames {
		if n == s && i != int(OutcomeUnknown) {
			return Outcome(i), nil
		}
	}
	return OutcomeUnknown, fmt.Errorf("unknown outcome %q", s)
}

// Status is a component's state for one round, with Atlassian Statuspage's
// names. Persisted: append-only values, as for Outcome.
type Status uint8

const (
	StatusUnknown       Status = 0
	Operational         Status = 1
	DegradedPerformance Status = 2
	PartialOutage       Status = 3
	MajorOutage         Status = 4
	UnderMaintenance    Status = 5
	numStatuses                = 6
)

var statusNames = [numStatuses]string{
	StatusUnknown:       "unknown",
	Operational:         "operational",
	DegradedPerformance: "degraded_performance",
	PartialOutage:       "partial_outage",
	MajorOutage:         "major_outage",
	UnderMaintenance:    "under_maintenance",
}

// String returns the Statuspage name of s ("major_outage").
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Valid reports whether s is one of the defined statuses other than StatusUnknown.
func (s Status) Valid() bool { return s > StatusUnknown && s < numStatuses }

// MarshalText makes Status appear by name in JSON.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a Statuspage status name.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if n == string(b) && i != int(StatusUnknown) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("unknown status %q", b)
}

// Impact is what a failing step does to its component's status.
// Persisted in config only; the zero value means major.
type Impact uint8

const (
	ImpactMajor    Impact = 0
	ImpactPartial  Impact = 1
	ImpactDegraded Impact = 2
)

var impactNames = [...]string{ImpactMajor: "major", ImpactPartial: "partial", ImpactDegraded: "degraded"}

// String returns the config name of i ("partial").
func (i Impact) String() string {
	if int(i) < len(impactNames) {
		return impactNames[i]
	}
	return fmt.Sprintf("impact(%d)", uint8(i))
}

// ParseImpact returns the impact named s.
func ParseImpact(s string) (Impact, error) {
	for i, n := range impactNames {
		if n == s {
			return Impact(i), nil
		}
	}
	return 0, fmt.Errorf("unknown impact %q (want major, partial or degraded)", s)
}

// status is the component status a failing step of this impact causes.
func (i Impact) status() Status {
	switch i {
	case ImpactPartial:
		return PartialOutage
	case ImpactDegraded:
		return DegradedPerformance
	}
	return MajorOutage
}

// Phases are the durations of one step's HTTP exchange, summed over its
// redirect hops. A phase that was not reached is zero; DNS is zero for an IP
// literal, Connect and TLS are zero when a connection was reused. A phase
// cut short (a timeout, a reset) lasts until the step ended.
type Phases struct {
	DNS      time.Duration `json:"dns"`
	Connect  time.Duration `json:"connect"`
	TLS      time.Duration `json:"tls"`
	TTFB     time.Duration `json:"ttfb"`     // request written to first response byte: server processing
	Transfer time.Duration `json:"transfer"` // first byte to end of what was read
}

// Phase names, in order, as used in metrics labels, JSON and Timeout details.
const (
	PhaseDNS      = "dns"
	PhaseConnect  = "connect"
	PhaseTLS      = "tls"
	PhaseTTFB     = "ttfb"
	PhaseTransfer = "transfer"
)

// PhaseNames lists the phases in the order they happen.
var PhaseNames = [5]string{PhaseDNS, PhaseConnect, PhaseTLS, PhaseTTFB, PhaseTransfer}

// Each returns the phases in PhaseNames order.
func (p Phases) Each() [5]time.Duration {
	return [5]time.Duration{p.DNS, p.Connect, p.TLS, p.TTFB, p.Transfer}
}

// StepResult is what one step of a check measured.
type StepResult struct {
	URL        string        // the URL requested (after follow resolution), before redirects
	Outcome    Outcome       // exactly one verdict
	Detail     string        // what qualifies the outcome (see the Outcome constants); "" for OK
	StatusCode int           // HTTP status of the last response, 0 when none arrived
	Phases     Phases        // per-phase durations, summed over redirect hops
	Duration   time.Duration // the whole step, from first DNS lookup to the end of reading
	Addresses  []string      // IP addresses connected to (or resolved, when no connection was made), in order
	BytesRead  int64         // body bytes read after decompression, at most max_body
	TLSVersion uint16        // tls.VersionTLS13 etc. of the last response; 0 for plain HTTP
	CertExpiry time.Time     // earliest NotAfter of the presented chain; zero for plain HTTP
	Redirects  int           // redirects followed
}

// Result is one round of one check: its steps, run in order until the first
// failure (later steps are not run and not listed).
type Result struct {
	Component string    // component ID from config
	Start     time.Time // when the first step started
	Status    Status    // component status for this round
	Steps     []StepResult
}

// Measured reports whether r says something of the portal: false when a
// step failed for a reason local to Constat (ProbeError), or when r has no
// status (StatusUnknown, as such rounds have). The incident engine ignores
// rounds that were not measured.
func (r *Result) Measured() bool {
	if r.Status == StatusUnknown {
		return false
	}
	for i := range r.Steps {
		if r.Steps[i].Outcome == ProbeError {
			return false
		}
	}
	return true
}

// Offline reports whether r was measured while Constat's own network was
// down (Vantage.Judge flagged it): it has steps, none of them ProbeError,
// and no status. Its steps are kept as evidence; it is not Measured.
func (r *Result) Offline() bool {
	return r.Status == StatusUnknown && len(r.Steps) > 0 && r.Steps[len(r.Steps)-1].Outcome != ProbeError
}

// Failed returns the first failing step, or nil when every step delivered.
func (r *Result) Failed() *StepResult {
	for i := range r.Steps {
		if r.Steps[i].Outcome.Failed() {
			return &r.Steps[i]
		}
	}
	return nil
}
