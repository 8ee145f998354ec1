package timeline

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/constat-ent/constat/probes"
)

// DecodeRecord decodes a record of any kind into a Record with Seq 0 and
// Kind and the field of its kind set. str is as for DecodeMeasurement
// (string definitions do not use it).
//
// Like DecodeMeasurement, it accepts only canonical encodings: encoding the
// entry again (EncodeEntry, EncodeMeasurement, EncodeString) with the
// inverse of str gives back b. It returns an error wrapping ErrCorrupt,
// naming the byte offset, for an unknown version or kind, a truncated,
// overlong or non-minimal varint, a value outside its bounds or enum, a
// required string ID 0, an undefined string ID, a text that is not UTF-8,
// a cause flag other than 0 or 1, a revision without an incident (updates),
// or trailing bytes.
func DecodeRecord(b []byte, str func(id uint64) (string, bool)) (Record, error) {
	kind, err := RecordKind(b)
	if err != nil {
		return Record{}, err
	}
	rec := Record{Kind: kind}
	switch kind {
	case KindString:
		rec.String, err = DecodeString(b)
		return rec, err
	case KindMeasurement:
		r, err := DecodeMeasurement(b, str)
		rec.Measurement = &r
		return rec, err
	}
	d := decoder{b: b, str: str}
	d.header(kind)
	switch kind {
	case KindEvent:
		rec.Event = d.event()
	case KindUpdate:
		rec.Update = d.update()
	case KindMaintenance:
		rec.Maintenance = d.maintenance()
	case KindStatement:
		rec.Statement = d.statement()
	case KindAudit:
		rec.Audit = d.audit()
	}
	if d.err == nil && d.off != len(b) {
		d.fail("%d trailing bytes", len(b)-d.off)
	}
	if d.err != nil {
		return Record{}, fmt.Errorf("decode %v: %w", kind, d.err)
	}
	return rec, nil
}

// required reads the string ID of a string that must not be empty.
func (d *decoder) required(what string) string {
	off := d.off
	s := d.string(what)
	if d.err == nil && s == "" {
		d.failAt(off, "%s: string ID 0", what)
	}
	return s
}

// millis reads a time in Unix milliseconds.
func (d *decoder) millis(what string) time.Time {
	off := d.off
	ms := unzigzag(d.uvarint())
	if d.err == nil && (ms < minMillis || ms > maxMillis) {
		d.failAt(off, "%s %d ms outside years 1-9999", what, ms)
	}
	if d.err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// text reads an inline text of at most max bytes.
func (d *decoder) text(what string, max int) string {
	n := d.bounded(what+" length", uint64(max))
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail("%s of %d bytes, %d left", what, n, len(d.b)-d.off)
		return ""
	}
	b := d.b[d.off : d.off+int(n)]
	if !utf8.Valid(b) {
		d.fail("%s is not valid UTF-8", what)
		return ""
	}
	d.off += int(n)
	return string(b)
}

// status reads a probes.Status; unknown (0) is accepted only if zeroOK.
func (d *decoder) status(what string, zeroOK bool) probes.Status {
	off := d.off
	v := d.uvarint()
	if d.err == nil && !(statusOK(v) && (zeroOK || v != 0)) {
		d.failAt(off, "%s %d is not valid", what, v)
		return 0
	}
	return probes.Status(v)
}

// byte reads a value of another package's vocabulary, carried as a byte:
// at most 255, and not 0 unless zeroOK.
func (d *decoder) byte(what string, zeroOK bool) uint8 {
	off := d.off
	v := d.bounded(what, 255)
	if d.err == nil && v == 0 && !zeroOK {
		d.failAt(off, "%s 0 is not valid", what)
	}
	return uint8(v)
}

func (d *decoder) event() *Event {
	var e Event
	e.EventKind = d.byte("event kind", false)
	e.Incident = d.uvarint()
	e.Component = d.required("component")
	e.From = d.status("from", true)
	e.To = d.status("to", true)
	e.At = d.millis("at")
	e.Evidence = d.uvarint()
	e.Maintenance = d.uvarint()
	if d.bounded("cause flag", 1) == 0 || d.err != nil {
		return &e
	}
	c := &Cause{}
	off := d.off
	if o := d.bounded("cause outcome", 255); d.err == nil && !probes.Outcome(o).Valid() {
		d.failAt(off, "cause outcome %d is not valid", o)
	} else {
		c.Outcome = probes.Outcome(o)
	}
	c.Detail = d.string("cause detail")
	var us [5]time.Duration
	for i := range us {
		us[i] = time.Duration(d.bounded(probes.PhaseNames[i], maxMicros)) * time.Microsecond
	}
	c.Phases = probes.Phases{DNS: us[0], Connect: us[1], TLS: us[2], TTFB: us[3], Transfer: us[4]}
	e.Cause = c
	return &e
}

func (d *decoder) update() *Update {
	var u Update
	u.Incident = d.uvarint()
	off := d.off
	if u.Revises = d.uvarint(); d.err == nil && u.Revises != 0 && u.Incident == 0 {
		d.failAt(off, "revision of record %d without an incident", u.Revises)
	}
	u.Status = d.byte("status", false)
	u.Impact = d.byte("impact", true)
	u.Title = d.text("title", MaxTitleLen)
	u.Body = d.text("body", MaxBodyLen)
	if n := d.bounded("component count", MaxComponents); n > 0 {
		u.Components = make([]Affected, n)
		for i := range u.Components {
			u.Components[i].Component = d.required("component")
			u.Components[i].Status = d.status("component status", false)
		}
	}
	u.Author = d.required("author")
	u.Published = d.millis("published")
	return &u
}

func (d *decoder) maintenance() *Maintenance {
	var m Maintenance
	m.Revises = d.uvarint()
	m.Title = d.text("title", MaxTitleLen)
	m.Body = d.text("body", MaxBodyLen)
	if n := d.bounded("component count", MaxComponents); n > 0 {
		m.Components = make([]string, n)
		for i := range m.Components {
			m.Components[i] = d.required("component")
		}
	}
	m.Start = d.millis("start")
	m.End = d.millis("end")
	m.Status = d.byte("status", false)
	m.Author = d.required("author")
	m.At = d.millis("at")
	return &m
}

func (d *decoder) statement() *Statement {
	var s Statement
	s.Revises = d.uvarint()
	s.Incident = d.uvarint()
	s.Speaker = d.text("speaker", MaxSpeakerLen)
	s.SaidAt = d.millis("said at")
	s.Quote = d.text("quote", MaxQuoteLen)
	s.Source = d.text("source", MaxURLLen)
	s.About = d.millis("about")
	s.Author = d.required("author")
	s.At = d.millis("at")
	return &s
}

func (d *decoder) audit() *Audit {
	var a Audit
	a.Actor = d.required("actor")
	a.Action = d.required("action")
	a.Target = d.uvarint()
	a.At = d.millis("at")
	a.Detail = d.string("detail")
	return &a
}
