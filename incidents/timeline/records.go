package timeline

import (
	"cmp"
	"fmt"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/constat-ent/constat/probes"
)

// Bounds of the incident and admin records (kinds 3 to 7). The encoder
// rejects a record outside them (ErrInvalid) and the decoder too (ErrCorrupt).
const (
	MaxTitleLen   = 200    // bytes in an update's or a maintenance's title
	MaxBodyLen    = 20_000 // bytes in a body (Markdown source)
	MaxSpeakerLen = 200    // bytes in a statement's speaker
	MaxQuoteLen   = 5_000  // bytes in a statement's quote
	MaxURLLen     = 2_000  // bytes in a statement's source URL
	MaxComponents = 100    // components named by one update or maintenance
)

// Entry is a record AppendRecords stores: an Event, Update, Maintenance,
// Statement or Audit (as a value or a pointer). The interface is closed:
// other packages cannot implement it.
type Entry interface {
	// Kind is the record kind the entry is stored as.
	Kind() Kind
	check() error
	// encode appends the record. seqs are the seqs of the entries before
	// it in the same AppendRecords call.
	encode(dst []byte, intern func(string) uint64, seqs []uint64) ([]byte, error)
}

// Event is an incident engine event (kind 3): an incidents.Event as stored.
// Package incidents converts between the two; timeline does not import it.
type Event struct {
	EventKind   uint8  // an incidents.EventKind, carried as a byte; not 0
	Incident    uint64 // 0 outside an incident
	Component   string // never empty
	From, To    probes.Status
	At          time.Time // the measured time, stored to the millisecond
	Evidence    uint64    // seq of the measurement that is the evidence
	Maintenance uint64    // the maintenance window's ID; 0 for none
	Cause       *Cause    // nil when the event has no cause (recovery)
}

// Cause is what made the evidence round fail or be slow: its step's outcome,
// detail and phases (the URL, addresses and the rest are in the measurement
// record Evidence).
type Cause struct {
	Outcome probes.Outcome // valid, never 0
	Detail  string
	Phases  probes.Phases // stored to the microsecond
}

// Update is an admin's incident update (kind 4). A correction is a new
// Update whose Revises names the record it corrects; nothing is rewritten.
type Update struct {
	// Incident is the incident updated: an automatic incident's ID or a
	// manual one's. 0 means this record creates a manual incident, whose ID
	// is then this record's seq plus one. A revision (Revises != 0) never
	// has Incident 0.
	Incident   uint64
	Revises    uint64     // seq of the record corrected; 0 for none
	Status     uint8      // an incidents.UpdateStatus (investigating to resolved), carried as a byte; not 0
	Impact     uint8      // an incidents.Impact, carried as a byte
	Title      string     // plain text, UTF-8, at most MaxTitleLen bytes
	Body       string     // Markdown source, UTF-8, at most MaxBodyLen bytes
	Components []Affected // at most MaxComponents
	Author     string     // never empty
	Published  time.Time  // stored to the millisecond
}

// Affected is a component named by an update, with the status the admin
// gives it.
type Affected struct {
	Component string        // never empty
	Status    probes.Status // valid, never 0
}

// Maintenance is a scheduled maintenance window (kind 5), or a revision of
// one: its components are under maintenance from Start to End.
type Maintenance struct {
	Revises    uint64 // seq of the record corrected; 0 for none
	Title      string // as Update's
	Body       string
	Components []string  // at most MaxComponents; none empty
	Start, End time.Time // stored to the millisecond
	Status     uint8     // an incidents.UpdateStatus (scheduled to completed), carried as a byte; not 0
	Author     string    // never empty
	At         time.Time // when the admin published it
}

// Statement is an official statement (kind 6): who said what, when, where,
// about which measured time.
type Statement struct {
	Revises  uint64 // seq of the record corrected; 0 for none
	Incident uint64 // the incident it is about; 0 for none
	Speaker  string // plain text, UTF-8, at most MaxSpeakerLen bytes
	SaidAt   time.Time
	Quote    string // plain text, UTF-8, at most MaxQuoteLen bytes
	Source   string // the source URL, UTF-8, at most MaxURLLen bytes
	About    time.Time
	Author   string // never empty
	At       time.Time
}

// Audit is one admin action (kind 7). Audit records are public like every
// record: never put passwords, tokens, addresses or session IDs in them.
type Audit struct {
	Actor  string // never empty
	Action string // "incident_update.create", "account.login", …; never empty
	Target uint64 // seq of the record acted on; 0 for none
	At     time.Time
	Detail string // short, from a bounded set: it is interned
	// TargetEntry, when k > 0, makes AppendRecords store as Target the seq
	// of the k-th entry of the same call (1-based), which must come before
	// this one; Target must then be 0. It is not stored: decoded records
	// have 0.
	TargetEntry int
}

// Kind returns KindEvent.
func (Event) Kind() Kind { return KindEvent }

// Kind returns KindUpdate.
func (Update) Kind() Kind { return KindUpdate }

// Kind returns KindMaintenance.
func (Maintenance) Kind() Kind { return KindMaintenance }

// Kind returns KindStatement.
func (Statement) Kind() Kind { return KindStatement }

// Kind returns KindAudit.
func (Audit) Kind() Kind { return KindAudit }

// CheckEntry returns an error wrapping ErrInvalid when e cannot be recorded
// faithfully: a value outside its bounds or enum, a required string empty, a
// text that is not UTF-8, a time outside years 1-9999 (see the package
// documentation for each kind). AppendRecords and EncodeEntry call it.
func CheckEntry(e Entry) error {
	if v := reflect.ValueOf(e); e == nil || v.Kind() == reflect.Pointer && v.IsNil() {
		return invalid("nil entry")
	}
	return e.check()
}

func (e Event) check() error {
	switch {
	case e.EventKind == 0:
		return invalid("event kind 0 is not valid")
	case !statusOK(uint64(e.From)) || !statusOK(uint64(e.To)):
		return invalid("status %d → %d is not valid", uint8(e.From), uint8(e.To))
	}
	if err := checkID("component", e.Component, true); err != nil {
		return err
	}
	if err := checkTime("at", e.At); err != nil {
		return err
	}
	if c := e.Cause; c != nil {
		if !c.Outcome.Valid() {
			return invalid("cause outcome %d is not valid", uint8(c.Outcome))
		}
		if err := checkID("cause detail", c.Detail, false); err != nil {
			return err
		}
		for i, d := range c.Phases.Each() {
			if d < 0 {
				return invalid("negative cause %s phase %v", probes.PhaseNames[i], d)
			}
		}
	}
	return nil
}

func (u Update) check() error {
	switch {
	case u.Status == 0:
		return invalid("update status 0 is not valid")
	case u.Revises != 0 && u.Incident == 0:
		return invalid("revision of record %d without an incident", u.Revises)
	case len(u.Components) > MaxComponents:
		return invalid("%d components, at most %d", len(u.Components), MaxComponents)
	}
	for i, a := range u.Components {
		if err := checkID(fmt.Sprintf("component %d", i), a.Component, true); err != nil {
			return err
		}
		if !a.Status.Valid() {
			return invalid("component %d: status %d is not valid", i, uint8(a.Status))
		}
	}
	return cmp.Or(checkText("title", u.Title, MaxTitleLen), checkText("body", u.Body, MaxBodyLen),
		checkID("author", u.Author, true), checkTime("published", u.Published))
}

func (m Maintenance) check() error {
	switch {
	case m.Status == 0:
		return invalid("maintenance status 0 is not valid")
	case len(m.Components) > MaxComponents:
		return invalid("%d components, at most %d", len(m.Components), MaxComponents)
	}
	for i, c := range m.Components {
		if err := checkID(fmt.Sprintf("component %d", i), c, true); err != nil {
			return err
		}
	}
	return cmp.Or(checkText("title", m.Title, MaxTitleLen), checkText("body", m.Body, MaxBodyLen),
		checkTime("start", m.Start), checkTime("end", m.End), checkID("author", m.Author, true), checkTime("at", m.At))
}

func (s Statement) check() error {
	return cmp.Or(checkText("speaker", s.Speaker, MaxSpeakerLen), checkTime("said at", s.SaidAt),
		checkText("quote", s.Quote, MaxQuoteLen), checkText("source", s.Source, MaxURLLen),
		checkTime("about", s.About), checkID("author", s.Author, true), checkTime("at", s.At))
}

func (a Audit) check() error {
	if a.TargetEntry < 0 || a.TargetEntry > 0 && a.Target != 0 {
		return invalid("audit target entry %d with target %d", a.TargetEntry, a.Target)
	}
	return cmp.Or(checkID("actor", a.Actor, true), checkID("action", a.Action, true),
		checkTime("at", a.At), checkID("detail", a.Detail, false))
}

// checkID checks an interned string.
func checkID(what, s string, required bool) error {
	switch {
	case required && s == "":
		return invalid("empty %s", what)
	case len(s) > MaxStringLen:
		return invalid("%s of %d bytes, at most %d", what, len(s), MaxStringLen)
	}
	return nil
}

// TextFault says why s cannot be stored as a text of at most max bytes
// ("is 250 bytes long, at most 200", "is not valid UTF-8"), or returns ""
// when it can. Package incidents checks its fields with it, then with its
// own, stricter rules.
func TextFault(s string, max int) string {
	switch {
	case len(s) > max:
		return fmt.Sprintf("is %d bytes long, at most %d", len(s), max)
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	return ""
}

// checkText checks an inline text.
func checkText(what, s string, max int) error {
	if fault := TextFault(s, max); fault != "" {
		return invalid("%s %s", what, fault)
	}
	return nil
}

func checkTime(what string, t time.Time) error {
	if !inRange(t) {
		return invalid("%s %v outside years 1-9999", what, t)
	}
	return nil
}
