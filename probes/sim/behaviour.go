package sim

import (
	"fmt"
	"strings"
)

// Behaviour is what a Portal does with the next connection or request. Each
// value reproduces one failure documented in 2020–21 (see the constants).
// Values are not persisted; add new ones at the end anyway, so that the
// demo's flag values and test names keep their meaning.
type Behaviour int

const (
	// Healthy serves an ODE-like portal: "/" is a home page with a
	// "Se connecter" link to /auth/login and a session cookie, "/auth/login"
	// a login form (email, password); every other path is a 404.
	Healthy Behaviour = iota
	// QueuePage answers 200 OK on every path with Open Digital Education's
	// quota page (QuotaText), as shown by the ENT Île-de-France on 6 April 2021.
	QueuePage
	// Restricted answers 200 OK on every path with the Kosmos restriction
	// page (RestrictedText), quoted for Mon Bureau Numérique on 6 April 2021.
	Restricted
	// WhitePage answers 200 OK on every path with an almost empty white
	// page saying only UnavailableText.
	WhitePage
	// WhitePage503 is WhitePage with status 503 Service Unavailable.
	WhitePage503
	// LoginBroken serves the healthy home page, but "/auth/login" answers
	// 502 with nginx's stock "502 Bad Gateway" page.
	LoginBroken
	// Slow serves the Healthy pages after holding the response headers back
	// for the portal's delay (WithDelay, default DefaultDelay).
	Slow
	// Hanging accepts the connection and reads the request, then never
	// answers, until the client goes away or the portal is closed.
	Hanging
	// Reset accepts the connection and reads the request, then resets the
	// connection (TCP RST): the client reads ECONNRESET.
	Reset
	// Refused stops listening while keeping the port: connect gets
	// ECONNREFUSED.
	Refused
	// ConnectTimeout leaves SYNs unanswered (a listener whose accept queue is
	// full and never drained): connect hangs until the client's timeout.
	// Linux only; elsewhere New and Set return an error wrapping
	// errors.ErrUnsupported.
	ConnectTimeout
	// EndlessBody answers 200 OK with the start of a healthy page, then sends
	// body bytes as fast as the client reads them, forever.
	EndlessBody
	// RedirectLoop answers every path with 302 Found to /loop/a, which
	// redirects to /loop/b, which redirects to /loop/a, and so on.
	RedirectLoop
	// Flapping alternates Healthy and WhitePage503 on each request to "/",
	// starting with Healthy; other paths follow the state of the last "/".
	Flapping
	// Maintenance answers 200 OK on every path with a maintenance notice
	// (MaintenanceText).
	Maintenance
	numBehaviours // keep last
)

var behaviourNames = [numBehaviours]string{
	Healthy:        "healthy",
	QueuePage:      "queue-page",
	Restricted:     "restricted",
	WhitePage:      "white-page",
	WhitePage503:   "white-page-503",
	LoginBroken:    "login-broken",
	Slow:           "slow",
	Hanging:        "hanging",
	Reset:          "reset",
	Refused:        "refused",
	ConnectTimeout: "connect-timeout",
	EndlessBody:    "endless-body",
	RedirectLoop:   "redirect-loop",
	Flapping:       "flapping",
	Maintenance:    "maintenance",
}

// Behaviours returns every Behaviour, in declaration order (for the demo's
// flag help and for table tests).
func Behaviours() []Behaviour {
	all := make([]Behaviour, numBehaviours)
	for i := range all {
		all[i] = Behaviour(i)
	}
	return all
}

// String returns the kebab-case name of b ("queue-page"), or "Behaviour(n)"
// for a value out of range.
func (b Behaviour) String() string {
	if b.valid() {
		return behaviourNames[b]
	}
	return fmt.Sprintf("Behaviour(%d)", int(b))
}

func (b Behaviour) valid() bool { return b >= 0 && b < numBehaviours }

// ParseBehaviour returns the Behaviour named s, in kebab case as String
// writes it or in snake case ("queue_page"), ignoring letter case.
func ParseBehaviour(s string) (Behaviour, error) {
	key := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-")
	for b, name := range behaviourNames {
		if name == key {
			return Behaviour(b), nil
		}
	}
	return 0, fmt.Errorf("unknown portal behaviour %q (want one of %s)", s, strings.Join(behaviourNames[:], ", "))
}

// TLSMode is the certificate a Portal presents, or PlainHTTP for none.
type TLSMode int

const (
	// PlainHTTP serves http:// without TLS.
	PlainHTTP TLSMode = iota
	// ValidTLS presents a leaf for 127.0.0.1, ::1 and localhost signed by
	// the sim CA (CertPool).
	ValidTLS
	// ExpiredCert presents a leaf signed by the sim CA whose NotAfter is a
	// day in the past.
	ExpiredCert
	// UnknownAuthority presents a leaf for the right names signed by another
	// CA, which nothing trusts.
	UnknownAuthority
	// WrongHost presents a leaf for "wrong.example" only, signed by the sim CA.
	WrongHost
	numTLSModes // keep last
)

var tlsModeNames = [numTLSModes]string{
	PlainHTTP:        "plain",
	ValidTLS:         "valid",
	ExpiredCert:      "expired",
	UnknownAuthority: "unknown-authority",
	WrongHost:        "wrong-host",
}

// String returns the kebab-case name of m ("unknown-authority"), or
// "TLSMode(n)" for a value out of range.
func (m TLSMode) String() string {
	if m.valid() {
		return tlsModeNames[m]
	}
	return fmt.Sprintf("TLSMode(%d)", int(m))
}

func (m TLSMode) valid() bool { return m >= 0 && m < numTLSModes }

// ParseTLSMode returns the TLSMode named s, in kebab or snake case as
// ParseBehaviour accepts.
func ParseTLSMode(s string) (TLSMode, error) {
	key := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-")
	for m, name := range tlsModeNames {
		if name == key {
			return TLSMode(m), nil
		}
	}
	return 0, fmt.Errorf("unknown TLS mode %q (want one of %s)", s, strings.Join(tlsModeNames[:], ", "))
}
