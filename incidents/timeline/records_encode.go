package timeline

import (
	"encoding/binary"
	"fmt"
	"time"
)

// EncodeEntry appends the canonical encoding of e (version, e.Kind() and
// the fields described in the package documentation) to dst and returns the
// extended slice.
//
// intern is called once for each non-empty interned string (component IDs,
// authors, actions, details) and must return its string ID, as for
// EncodeMeasurement. Texts (titles, bodies, speakers, quotes, URLs) are
// stored in the record itself and are not interned.
//
// EncodeEntry returns dst with its original length and an error wrapping
// ErrInvalid when CheckEntry rejects e or when e is an Audit with a
// TargetEntry (only AppendRecords resolves those), or an error when intern
// returns 0.
func EncodeEntry(dst []byte, e Entry, intern func(string) uint64) ([]byte, error) {
	return encodeEntry(dst, e, intern, nil)
}

func encodeEntry(dst []byte, e Entry, intern func(string) uint64, seqs []uint64) ([]byte, error) {
	n0 := len(dst)
	err := CheckEntry(e)
	if err == nil {
		dst, err = e.encode(dst, intern, seqs)
	}
	if err != nil {
		return dst[:n0], fmt.Errorf("encode %T: %w", e, err)
	}
	return dst, nil
}

// encoder appends fields to b. After the first failure (an intern
// returning 0) it keeps appending placeholders and err keeps the error.
type encoder struct {
	b      []byte
	intern func(string) uint64
	err    error
}

func newEncoder(dst []byte, k Kind, intern func(string) uint64) *encoder {
	return &encoder{b: append(dst, Version, byte(k)), intern: intern}
}

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

// millis appends t in Unix milliseconds, rounded down, as a varint.
func (e *encoder) millis(t time.Time) { e.b = binary.AppendVarint(e.b, t.UnixMilli()) }

// text appends an inline text: its length, then its bytes.
func (e *encoder) text(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// str appends the string ID of s.
func (e *encoder) str(s string) {
	id, err := stringID(e.intern, s)
	if err != nil && e.err == nil {
		e.err = err
	}
	e.uvarint(id)
}

func (e *encoder) done() ([]byte, error) { return e.b, e.err }

func (ev Event) encode(dst []byte, intern func(string) uint64, _ []uint64) ([]byte, error) {
	e := newEncoder(dst, KindEvent, intern)
	e.uvarint(uint64(ev.EventKind))
	e.uvarint(ev.Incident)
	e.str(ev.Component)
	e.uvarint(uint64(ev.From))
	e.uvarint(uint64(ev.To))
	e.millis(ev.At)
	e.uvarint(ev.Evidence)
	e.uvarint(ev.Maintenance)
	if ev.Cause == nil {
		e.uvarint(0)
		return e.done()
	}
	e.uvarint(1)
	e.uvarint(uint64(ev.Cause.Outcome))
	e.str(ev.Cause.Detail)
	for _, d := range ev.Cause.Phases.Each() {
		e.uvarint(uint64(d / time.Microsecond))
	}
	return e.done()
}

func (u Update) encode(dst []byte, intern func(string) uint64, _ []uint64) ([]byte, error) {
	e := newEncoder(dst, KindUpdate, intern)
	e.uvarint(u.Incident)
	e.uvarint(u.Revises)
	e.uvarint(uint64(u.Status))
	e.uvarint(uint64(u.Impact))
	e.text(u.Title)
	e.text(u.Body)
	e.uvarint(uint64(len(u.Components)))
	for _, a := range u.Components {
		e.str(a.Component)
		e.uvarint(uint64(a.Status))
	}
	e.str(u.Author)
	e.millis(u.Published)
	return e.done()
}

func (m Maintenance) encode(dst []byte, intern func(string) uint64, _ []uint64) ([]byte, error) {
	e := newEncoder(dst, KindMaintenance, intern)
	e.uvarint(m.Revises)
	e.text(m.Title)
	e.text(m.Body)
	e.uvarint(uint64(len(m.Components)))
	for _, c := range m.Components {
		e.str(c)
	}
	e.millis(m.Start)
	e.millis(m.End)
	e.uvarint(uint64(m.Status))
	e.str(m.Author)
	e.millis(m.At)
	return e.done()
}

func (s Statement) encode(dst []byte, intern func(string) uint64, _ []uint64) ([]byte, error) {
	e := newEncoder(dst, KindStatement, intern)
	e.uvarint(s.Revises)
	e.uvarint(s.Incident)
	e.text(s.Speaker)
	e.millis(s.SaidAt)
	e.text(s.Quote)
	e.text(s.Source)
	e.millis(s.About)
	e.str(s.Author)
	e.millis(s.At)
	return e.done()
}

func (a Audit) encode(dst []byte, intern func(string) uint64, seqs []uint64) ([]byte, error) {
	target := a.Target
	if a.TargetEntry > 0 {
		if a.TargetEntry > len(seqs) {
			return dst, invalid("audit target entry %d: only %d entries before it", a.TargetEntry, len(seqs))
		}
		target = seqs[a.TargetEntry-1]
	}
	e := newEncoder(dst, KindAudit, intern)
	e.str(a.Actor)
	e.str(a.Action)
	e.uvarint(target)
	e.millis(a.At)
	e.str(a.Detail)
	return e.done()
}
