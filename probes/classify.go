package probes

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// errRedirectLoop and errTooManyRedirects are returned by the redirect policy
// and surface, wrapped in *url.Error, from http.Client.Do.
var (
	errRedirectLoop     = errors.New("redirect loop")
	errTooManyRedirects = errors.New("too many redirects")
)

// verdict is an outcome with its detail and, for TLS errors, the certificate
// expiry that the failed handshake revealed.
type verdict struct {
	outcome    Outcome
	detail     string
	certExpiry time.Time
}

// classify turns the error of a request or body read into the taxonomy.
// phase is where the trace says the exchange stalled; it decides between a
// connect timeout and a timeout in a later phase.
func classify(err error, phase string) verdict {
	if detail, ok := localCause(err); ok {
		return verdict{outcome: ProbeError, detail: detail}
	}
	switch {
	case errors.Is(err, errRedirectLoop):
		return verdict{outcome: RedirectLoop, detail: "loop"}
	case errors.Is(err, errTooManyRedirects):
		return verdict{outcome: RedirectLoop, detail: "too_many"}
	}
	if v, ok := classifyTLS(err); ok {
		return v
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return verdict{outcome: DNSError, detail: "not_found"}
		case dnsErr.IsTimeout:
			return verdict{outcome: DNSError, detail: "timeout"}
		case dnsErr.IsTemporary:
			return verdict{outcome: DNSError, detail: "temporary"}
		}
		return verdict{outcome: DNSError, detail: "other"}
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return verdict{outcome: ConnectRefused, detail: "refused"}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return verdict{outcome: ConnectionReset, detail: "reset"}
	case isTimeout(err):
		if phase == PhaseConnect {
			return verdict{outcome: ConnectTimeout, detail: PhaseConnect}
		}
		return verdict{outcome: Timeout, detail: phase}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return verdict{outcome: ConnectionReset, detail: "eof"}
	case errors.Is(err, syscall.EHOSTUNREACH):
		return verdict{outcome: ConnectRefused, detail: "unreachable"}
	}
	if phase == PhaseTLS {
		return verdict{outcome: TLSError, detail: "handshake"}
	}
	// Anything else cut the exchange short: the server or the network closed it.
	return verdict{outcome: ConnectionReset, detail: "other"}
}

// localCauses are the system errors that say Constat itself could not
// probe, with their ProbeError detail. ENETUNREACH is the kernel saying it
// has no route at all; EHOSTUNREACH, a host not answering, stays the
// portal's (connect_refused "unreachable").
var localCauses = []struct {
	errno  syscall.Errno
	detail string
}{
	{syscall.EMFILE, "emfile"},
	{syscall.ENFILE, "enfile"},
	{syscall.ENOMEM, "enomem"},
	{syscall.ENOBUFS, "enomem"},
	{syscall.ENETUNREACH, "no_route"},
	{syscall.EADDRNOTAVAIL, "no_interface"},
}

// localCause recognises an error local to Constat: out of descriptors or
// memory, no route or no interface, or its resolver out of reach. A
// *net.DNSError keeps only the text of its cause (net wraps nothing but
// context errors), so for it the errno's text is compared: the one place
// where an error's text is read, because the standard library leaves no
// other way.
func localCause(err error) (string, bool) {
	for _, c := range localCauses {
		if errors.Is(err, c.errno) {
			return c.detail, true
		}
	}
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) {
		return "", false
	}
	for _, c := range localCauses {
		if strings.HasSuffix(dnsErr.Err, c.errno.Error()) {
			return c.detail, true
		}
	}
	if strings.HasSuffix(dnsErr.Err, syscall.ECONNREFUSED.Error()) {
		return "resolver", true // nothing listens where Constat's resolver should be
	}
	return "", false
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// classifyTLS recognises certificate and handshake failures.
func classifyTLS(err error) (verdict, bool) {
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		v := verdict{outcome: TLSError, detail: "invalid"}
		if invalid.Reason == x509.Expired {
			v.detail = "expired"
		}
		if invalid.Cert != nil {
			v.certExpiry = invalid.Cert.NotAfter
		}
		return v, true
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		v := verdict{outcome: TLSError, detail: "unknown_authority"}
		if unknown.Cert != nil {
			v.certExpiry = unknown.Cert.NotAfter
		}
		return v, true
	}
	var host x509.HostnameError
	if errors.As(err, &host) {
		v := verdict{outcome: TLSError, detail: "hostname_mismatch"}
		if host.Certificate != nil {
			v.certExpiry = host.Certificate.NotAfter
		}
		return v, true
	}
	var verr *tls.CertificateVerificationError
	var alert tls.AlertError
	var rec tls.RecordHeaderError
	if errors.As(err, &verr) || errors.As(err, &alert) || errors.As(err, &rec) ||
		strings.HasPrefix(errString(err), "tls: ") {
		return verdict{outcome: TLSError, detail: "handshake"}, true
	}
	return verdict{}, false
}

// errString returns the innermost error's message: net/http wraps handshake
// failures in *url.Error, whose own text starts with the method.
func errString(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
