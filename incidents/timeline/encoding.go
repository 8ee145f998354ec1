package timeline

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/constat-ent/constat/probes"
)

// Version is byte 0 of every record: the version of the encoding described in
// the package documentation. A record, once written, keeps its version forever.
const Version = 1

// Kind is byte 1 of every record. Its values are persisted: do not reorder, do
// not reuse a value, add new kinds only at the end (and only with a new Version
// if older readers must reject them).
type Kind uint8

const (
	KindString      Kind = 1 // string definition: defines the next string ID
	KindMeasurement Kind = 2 // one probes.Result
	KindEvent       Kind = 3 // an incident engine event (Event)
	KindUpdate      Kind = 4 // an admin's incident update (Update)
	KindMaintenance Kind = 5 // a scheduled maintenance (Maintenance)
	KindStatement   Kind = 6 // an official statement (Statement)
	KindAudit       Kind = 7 // an admin action (Audit)
	numKinds             = 8
)

var kindNames = [numKinds]string{
	KindString: "string", KindMeasurement: "measurement", KindEvent: "event", KindUpdate: "update",
	KindMaintenance: "maintenance", KindStatement: "statement", KindAudit: "audit",
}

// String returns the kind's name ("measurement", "update"), or "kind(n)".
func (k Kind) String() string {
	if k > 0 && k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Known reports whether k is one of the kinds above.
func (k Kind) Known() bool { return k > 0 && k < numKinds }

// admin reports whether records of kind k are listed in the "admin" bucket:
// every kind but string definitions and measurements.
func (k Kind) admin() bool { return k.Known() && k != KindString && k != KindMeasurement }

// Bounds of the encoding. A record outside them is rejected by the encoder
// (ErrInvalid) and by the decoder (ErrCorrupt).
const (
	MaxSteps      = 64                   // steps in one measurement
	MaxStringLen  = 65530                // bytes in one string definition: its record fits an entry bundle's 65,535
	maxStatusCode = 999                  // net/http rejects status codes with more than 3 digits
	maxMicros     = math.MaxInt64 / 1000 // durations in µs that fit time.Duration
)

// Times from year 1 to year 9999 (UTC) are representable.
var (
	minMillis = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	maxMillis = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - 1
)

// EncodeMeasurement appends the canonical encoding of r (version, kind 2 and
// the fields described in the package documentation) to dst and returns the
// extended slice.
//
// intern is called once for each non-empty string (component, URLs, details,
// addresses joined with ",") and must return its string ID: non-zero, the same
// ID for equal strings and distinct IDs for distinct strings. The empty string
// is ID 0 and is not passed to intern.
//
// EncodeMeasurement returns dst with its original length and an error
// wrapping ErrInvalid when CheckResult rejects r, or an error when intern
// returns 0.
func EncodeMeasurement(dst []byte, r *probes.Result, intern func(string) uint64) ([]byte, error) {
	n0 := len(dst)
	err := CheckResult(r)
	if err == nil {
		dst, err = appendMeasurement(dst, r, intern)
	}
	if err != nil {
		return dst[:n0], fmt.Errorf("encode measurement for %q: %w", r.Component, err)
	}
	return dst, nil
}

// CheckResult returns an error wrapping ErrInvalid when r cannot be recorded
// faithfully: empty component, Start or CertExpiry outside years 1-9999 (or
// CertExpiry in the zero time's second), an invalid outcome, a status that is
// neither StatusUnknown nor valid, a negative duration, byte count or redirect
// count, a status code above 999, an address that is empty or contains ",",
// a string over MaxStringLen bytes, or more than MaxSteps steps.
func CheckResult(r *probes.Result) error {
	switch {
	case r.Component == "":
		return invalid("empty component")
	case len(r.Component) > MaxStringLen:
		return invalid("component of %d bytes, at most %d", len(r.Component), MaxStringLen)
	case !inRange(r.Start):
		return invalid("start %v outside years 1-9999", r.Start)
	case !statusOK(uint64(r.Status)):
		return invalid("status %d is not valid", uint8(r.Status))
	case len(r.Steps) > MaxSteps:
		return invalid("%d steps, at most %d", len(r.Steps), MaxSteps)
	}
	for i := range r.Steps {
		if err := checkStep(&r.Steps[i]); err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
	}
	return nil
}

func checkStep(s *probes.StepResult) error {
	switch {
	case !s.Outcome.Valid():
		return invalid("outcome %d is not valid", uint8(s.Outcome))
	case s.StatusCode < 0 || s.StatusCode > maxStatusCode:
		return invalid("status code %d out of range 0-%d", s.StatusCode, maxStatusCode)
	case s.BytesRead < 0 || s.Redirects < 0 || s.Redirects > math.MaxInt32:
		return invalid("bytes read %d, redirects %d: negative or too large", s.BytesRead, s.Redirects)
	case s.Duration < 0:
		return invalid("negative duration %v", s.Duration)
	case len(s.URL) > MaxStringLen || len(s.Detail) > MaxStringLen:
		return invalid("URL or detail over %d bytes", MaxStringLen)
	case !s.CertExpiry.IsZero() && (!inRange(s.CertExpiry) || s.CertExpiry.Unix() == minMillis/1000):
		// A non-zero expiry in the zero time's second would decode as zero.
		return invalid("certificate expiry %v outside years 1-9999 or in the first second of year 1", s.CertExpiry)
	}
	for i, d := range s.Phases.Each() {
		if d < 0 {
			return invalid("negative %s phase %v", probes.PhaseNames[i], d)
		}
	}
	n := 0
	for _, a := range s.Addresses {
		if a == "" || strings.Contains(a, ",") {
			return invalid("address %q is empty or contains a comma", a)
		}
		n += len(a) + 1
	}
	if n > MaxStringLen+1 {
		return invalid("addresses of %d bytes, at most %d", n-1, MaxStringLen)
	}
	return nil
}

// inRange reports whether t lies in years 1-9999 (UTC).
func inRange(t time.Time) bool {
	sec := t.Unix()
	return sec >= minMillis/1000 && sec <= maxMillis/1000
}

// appendMeasurement encodes r, which CheckResult accepted.
func appendMeasurement(dst []byte, r *probes.Result, intern func(string) uint64) ([]byte, error) {
	comp, err := stringID(intern, r.Component)
	if err != nil {
		return dst, err
	}
	start := r.Start.UnixMilli()
	dst = append(dst, Version, byte(KindMeasurement))
	dst = binary.AppendUvarint(dst, comp)
	dst = binary.AppendVarint(dst, start)
	dst = binary.AppendUvarint(dst, uint64(r.Status))
	dst = binary.AppendUvarint(dst, uint64(len(r.Steps)))
	startSec := time.UnixMilli(start).Unix()
	for i := range r.Steps {
		if dst, err = appendStep(dst, &r.Steps[i], startSec, intern); err != nil {
			return dst, fmt.Errorf("step %d: %w", i, err)
		}
	}
	return dst, nil
}

func appendStep(dst []byte, s *probes.StepResult, startSec int64, intern func(string) uint64) ([]byte, error) {
	var ids [3]uint64
	var err error
	for i, str := range [3]string{s.URL, s.Detail, strings.Join(s.Addresses, ",")} {
		if ids[i], err = stringID(intern, str); err != nil {
			return dst, err
		}
	}
	dst = binary.AppendUvarint(dst, ids[0])
	dst = binary.AppendUvarint(dst, uint64(s.Outcome))
	dst = binary.AppendUvarint(dst, ids[1])
	dst = binary.AppendUvarint(dst, uint64(s.StatusCode))
	for _, d := range s.Phases.Each() {
		dst = binary.AppendUvarint(dst, uint64(d/time.Microsecond))
	}
	dst = binary.AppendUvarint(dst, uint64(s.Duration/time.Microsecond))
	dst = binary.AppendUvarint(dst, ids[2])
	dst = binary.AppendUvarint(dst, uint64(s.BytesRead))
	dst = binary.AppendUvarint(dst, uint64(s.TLSVersion))
	var cert uint64 // 0 for no certificate, else 1 + zigzag(expiry second - start second)
	if !s.CertExpiry.IsZero() {
		cert = 1 + zigzag(s.CertExpiry.Unix()-startSec)
	}
	dst = binary.AppendUvarint(dst, cert)
	return binary.AppendUvarint(dst, uint64(s.Redirects)), nil
}

func stringID(intern func(string) uint64, s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	id := intern(s)
	if id == 0 {
		return 0, fmt.Errorf("intern(%.40q) = 0 for a non-empty string", s)
	}
	return id, nil
}

func statusOK(v uint64) bool {
	return v == uint64(probes.StatusUnknown) || (v <= math.MaxUint8 && probes.Status(v).Valid())
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalid)
}

// EncodeString appends the canonical string-definition record for s (version,
// kind 1, length, bytes) to dst. s must be non-empty and at most MaxStringLen
// bytes long; otherwise EncodeString returns an error wrapping ErrInvalid.
func EncodeString(dst []byte, s string) ([]byte, error) {
	if s == "" || len(s) > MaxStringLen {
		return dst, invalid("string definition of %d bytes, want 1-%d", len(s), MaxStringLen)
	}
	dst = append(dst, Version, byte(KindString))
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...), nil
}

// DecodeString decodes a string-definition record. The returned string does
// not share memory with b.
func DecodeString(b []byte) (string, error) {
	d := decoder{b: b}
	d.header(KindString)
	n := d.uvarint()
	if d.err == nil && (n == 0 || n > MaxStringLen) {
		d.fail("length %d out of range 1-%d", n, MaxStringLen)
	}
	if d.err == nil && n != uint64(len(b)-d.off) {
		d.fail("length %d, %d bytes follow", n, len(b)-d.off)
	}
	if d.err != nil {
		return "", fmt.Errorf("decode string: %w", d.err)
	}
	return string(b[d.off:]), nil
}

// RecordKind returns the kind of the record b after checking its version.
func RecordKind(b []byte) (Kind, error) {
	d := decoder{b: b}
	d.header(0)
	if d.err != nil {
		return 0, fmt.Errorf("decode record: %w", d.err)
	}
	return Kind(b[1]), nil
}
