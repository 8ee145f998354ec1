package timeline

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/constat-ent/constat/probes"
)

// DecodeMeasurement decodes a measurement record. str returns the string with
// the given non-zero ID and whether it is defined; it must be the inverse of the
// intern function the record was encoded with.
//
// DecodeMeasurement accepts only canonical encodings, so that encoding the
// result again with the inverse of str gives back b byte for byte. It returns
// an error wrapping ErrCorrupt, naming the byte offset, when b has another
// version or kind, a truncated, overlong or non-minimal varint, a value out of
// range (outcome, status, status code, times, durations), an undefined string
// ID, a string that cannot come from the encoder (an empty defined string, an
// empty address), or trailing bytes.
//
// Times come back in UTC, Start to the millisecond, CertExpiry to the second,
// durations to the microsecond. A measurement without addresses decodes with
// nil Addresses, without steps with nil Steps.
func DecodeMeasurement(b []byte, str func(id uint64) (string, bool)) (probes.Result, error) {
	d := decoder{b: b, str: str}
	r := d.measurement()
	if d.err == nil && d.off != len(b) {
		d.fail("%d trailing bytes", len(b)-d.off)
	}
	if d.err != nil {
		return probes.Result{}, fmt.Errorf("decode measurement: %w", d.err)
	}
	return r, nil
}

// decoder reads one record. After the first failure every read returns zero
// and err keeps the first error.
type decoder struct {
	b   []byte
	off int
	err error
	str func(uint64) (string, bool)
}

func (d *decoder) fail(format string, args ...any) { d.failAt(d.off, format, args...) }

// failAt records an error about the field starting at byte off.
func (d *decoder) failAt(off int, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("byte %d: %s: %w", off, fmt.Sprintf(format, args...), ErrCorrupt)
		d.b, d.off = nil, 0
	}
}

// header reads version and kind; want 0 accepts any known kind.
func (d *decoder) header(want Kind) {
	if len(d.b) < 2 {
		d.fail("record of %d bytes, shorter than its header", len(d.b))
		return
	}
	if v := d.b[0]; v != Version {
		d.fail("version %d, want %d", v, Version)
		return
	}
	switch k := Kind(d.b[1]); {
	case want != 0 && k != want:
		d.failAt(1, "kind %v, want %v", k, want)
	case !k.Known():
		d.failAt(1, "unknown kind %d", uint8(k))
	default:
		d.off = 2
	}
}

// uvarint reads a minimal uvarint. Its errors name the byte offset only:
// callers name the field when the value is out of range.
func (d *decoder) uvarint() uint64 {
	// Fast path, inlined: most fields are a single byte. After a failure
	// d.b is nil, so reads take the slow path, which returns 0.
	if b, i := d.b, d.off; i < len(b) {
		if c := b[i]; c < 0x80 {
			d.off = i + 1
			return uint64(c)
		}
	}
	return d.uvarintSlow()
}

func (d *decoder) uvarintSlow() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	switch {
	case n == 0:
		d.fail("truncated varint")
	case n < 0:
		d.fail("varint overflows 64 bits")
	case n > 1 && d.b[d.off+n-1] == 0:
		d.fail("non-minimal varint")
	default:
		d.off += n
		return v
	}
	return 0
}

// bounded reads a uvarint no larger than max.
func (d *decoder) bounded(what string, max uint64) uint64 {
	off := d.off
	v := d.uvarint()
	if d.err == nil && v > max {
		d.failAt(off, "%s %d out of range 0-%d", what, v, max)
		return 0
	}
	return v
}

// string reads a string ID and returns its string.
func (d *decoder) string(what string) string {
	off := d.off
	return d.lookup(d.uvarint(), off, what)
}

// lookup returns the string with ID id, read at byte off.
func (d *decoder) lookup(id uint64, off int, what string) string {
	if d.err != nil || id == 0 {
		return ""
	}
	s, ok := d.str(id)
	switch {
	case !ok:
		d.failAt(off, "%s: undefined string ID %d", what, id)
	case s == "":
		d.failAt(off, "%s: string ID %d is empty", what, id)
	}
	return s
}

func (d *decoder) measurement() probes.Result {
	var r probes.Result
	d.header(KindMeasurement)
	if r.Component = d.string("component"); d.err == nil && r.Component == "" {
		d.fail("component: string ID 0")
	}
	off := d.off
	ms := unzigzag(d.uvarint())
	if d.err == nil && (ms < minMillis || ms > maxMillis) {
		d.failAt(off, "start %d ms outside years 1-9999", ms)
	}
	r.Start = time.UnixMilli(ms).UTC()
	off = d.off
	if st := d.uvarint(); d.err == nil && !statusOK(st) {
		d.failAt(off, "status %d is not valid", st)
	} else {
		r.Status = probes.Status(st)
	}
	n := d.bounded("step count", MaxSteps)
	if d.err != nil || n == 0 {
		return r
	}
	r.Steps = make([]probes.StepResult, n)
	startSec := r.Start.Unix()
	for i := range r.Steps {
		d.step(&r.Steps[i], startSec)
	}
	return r
}

// The fields of a step, in encoding order, with their names for errors and
// their largest values.
const (
	fURL = iota
	fOutcome
	fDetail
	fCode
	fDNS
	fConnect
	fTLS
	fTTFB
	fTransfer
	fDuration
	fAddresses
	fBytes
	fTLSVersion
	fCert
	fRedirects
	numStepFields
)

var stepFields = [numStepFields]struct {
	name string
	max  uint64
}{
	fURL: {"url", math.MaxUint64}, fOutcome: {"outcome", math.MaxUint8},
	fDetail: {"detail", math.MaxUint64}, fCode: {"status code", maxStatusCode},
	fDNS: {probes.PhaseDNS, maxMicros}, fConnect: {probes.PhaseConnect, maxMicros},
	fTLS: {probes.PhaseTLS, maxMicros}, fTTFB: {probes.PhaseTTFB, maxMicros},
	fTransfer: {probes.PhaseTransfer, maxMicros}, fDuration: {"duration", maxMicros},
	fAddresses: {"addresses", math.MaxUint64}, fBytes: {"bytes read", math.MaxInt64},
	fTLSVersion: {"tls version", math.MaxUint16}, fCert: {"cert expiry", math.MaxUint64},
	fRedirects: {"redirects", math.MaxInt32},
}

// step reads the step's fields in one loop (most are one byte), then checks
// and converts them.
func (d *decoder) step(s *probes.StepResult, startSec int64) {
	var v [numStepFields]uint64
	var at [numStepFields]int
	for i := range v {
		at[i] = d.off
		if b, j := d.b, d.off; j < len(b) && b[j] < 0x80 {
			v[i], d.off = uint64(b[j]), j+1
		} else {
			v[i] = d.uvarintSlow()
		}
	}
	for i, f := range stepFields {
		if d.err == nil && v[i] > f.max {
			d.failAt(at[i], "%s %d out of range 0-%d", f.name, v[i], f.max)
		}
	}
	if d.err != nil {
		return
	}
	if s.Outcome = probes.Outcome(v[fOutcome]); !s.Outcome.Valid() {
		d.failAt(at[fOutcome], "outcome %d is not valid", v[fOutcome])
	}
	s.URL = d.lookup(v[fURL], at[fURL], "url")
	s.Detail = d.lookup(v[fDetail], at[fDetail], "detail")
	s.StatusCode = int(v[fCode])
	us := func(f int) time.Duration { return time.Duration(v[f]) * time.Microsecond }
	s.Phases = probes.Phases{DNS: us(fDNS), Connect: us(fConnect), TLS: us(fTLS), TTFB: us(fTTFB), Transfer: us(fTransfer)}
	s.Duration = us(fDuration)
	s.Addresses = d.addresses(d.lookup(v[fAddresses], at[fAddresses], "addresses"), at[fAddresses])
	s.BytesRead = int64(v[fBytes])
	s.TLSVersion = uint16(v[fTLSVersion])
	s.CertExpiry = d.cert(v[fCert], at[fCert], startSec)
	s.Redirects = int(v[fRedirects])
}

// addresses splits the joined addresses read at byte off.
func (d *decoder) addresses(joined string, off int) []string {
	if joined == "" {
		return nil
	}
	addrs := strings.Split(joined, ",")
	for _, a := range addrs {
		if a == "" {
			d.failAt(off, "addresses %.60q: empty address", joined)
			return nil
		}
	}
	return addrs
}

// cert decodes the cert field c read at byte off.
func (d *decoder) cert(c uint64, off int, startSec int64) time.Time {
	if d.err != nil || c == 0 {
		return time.Time{}
	}
	delta := unzigzag(c - 1)
	sec := startSec + delta
	// Reject overflow and seconds outside years 1-9999 (which includes the
	// zero time, encoded as 0 instead).
	if (delta > 0 && sec < startSec) || (delta < 0 && sec > startSec) ||
		sec < minMillis/1000 || sec > maxMillis/1000 || time.Unix(sec, 0).IsZero() {
		d.failAt(off, "cert expiry %+d s from start out of range", delta)
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// measurementHead returns the component ID and the start in ms of a
// measurement record, and component 0 for a record of another kind.
func measurementHead(b []byte) (uint32, int64, error) {
	d := decoder{b: b}
	d.header(0)
	if d.err == nil && Kind(b[1]) != KindMeasurement {
		return 0, 0, nil
	}
	comp := d.uvarint()
	ms := unzigzag(d.uvarint())
	if d.err == nil && (comp == 0 || comp > maxStringID) {
		d.fail("component string ID %d out of range", comp)
	}
	return uint32(comp), ms, d.err
}
