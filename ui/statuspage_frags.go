package ui

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// Encoding the list of 10,000 components with encoding/json took about a
// third of the CPU of a change, though a change touches one component or
// a few. Each component's JSON is now kept from one snapshot to the next
// and encoded again only when the component differs; the list is spliced
// from the fragments.
//
// A component with no state change since Constat began measuring it shows
// the snapshot's time as created_at and updated_at, so that time differs
// in every snapshot for most components. A fragment whose time is its
// snapshot's is reused with the new snapshot's time written over the old:
// both are RFC 3339 in UTC to the second, of equal length.

// compFrag is a component as last encoded.
type compFrag struct {
	c    spComponent // its group's list cloned
	snap time.Time   // the time of the snapshot c was in
	enc  []byte      // json.Marshal(c)
	// Offsets in enc of created_at's and updated_at's text when the
	// time is snap, else -1; stamp is the length of snap's text, 0 when
	// neither time is snap, -1 if a time is snap but was not found (the
	// fragment is then never reused).
	created, updated, stamp int
}

// fragCache keeps each component's encoded JSON by position in the list.
// It is used by one goroutine at a time (publicAPI.building).
type fragCache struct {
	frags []compFrag
	// Of the last list: fragments encoded anew and reused.
	encoded, reused int
}

// list returns comps encoded as json.Marshal does, snap being the time of
// their snapshot, re-encoding only the components that differ from the
// last list's at the same position.
func (fc *fragCache) list(comps []spComponent, snap time.Time) ([]byte, error) {
	if comps == nil {
		return []byte("null"), nil
	}
	stamp, err := json.Marshal(snap)
	if err != nil {
		return nil, err
	}
	if len(fc.frags) != len(comps) {
		fc.frags = make([]compFrag, len(comps))
	}
	fc.encoded, fc.reused = 0, 0
	size := 2
	for i := range comps {
		f := &fc.frags[i]
		if f.enc != nil && sameComponent(f.c, f.snap, comps[i], snap) && (f.stamp == 0 || f.stamp == len(stamp)) {
			fc.reused++
		} else {
			if *f, err = encodeFrag(comps[i], snap); err != nil {
				return nil, err
			}
			fc.encoded++
		}
		size += len(f.enc) + 1
	}
	out := make([]byte, 0, size)
	out = append(out, '[')
	for i := range fc.frags {
		if i > 0 {
			out = append(out, ',')
		}
		f := &fc.frags[i]
		at := len(out)
		out = append(out, f.enc...)
		for _, off := range [2]int{f.created, f.updated} {
			if off >= 0 {
				copy(out[at+off:], stamp)
			}
		}
	}
	return append(out, ']'), nil
}

// encodeFrag encodes c, a component of the snapshot of time snap.
func encodeFrag(c spComponent, snap time.Time) (compFrag, error) {
	enc, err := json.Marshal(c)
	if err != nil {
		return compFrag{}, err
	}
	c.Components = slices.Clone(c.Components)
	f := compFrag{c: c, snap: snap, enc: enc, created: -1, updated: -1}
	// `,"` cannot occur inside a JSON string, where `"` is escaped: the
	// first match is the member's name.
	if c.CreatedAt == snap {
		f.created = stampOffset(enc, `,"created_at":`)
	}
	if c.UpdatedAt == snap {
		f.updated = stampOffset(enc, `,"updated_at":`)
	}
	if c.CreatedAt == snap || c.UpdatedAt == snap {
		f.stamp = len(mustStamp(snap))
		if c.CreatedAt == snap && f.created < 0 || c.UpdatedAt == snap && f.updated < 0 {
			f.stamp = -1
		}
	}
	return f, nil
}

// mustStamp is t as encoding/json writes it, quoted; t has encoded once
// already (as a field of the component).
func mustStamp(t time.Time) []byte {
	b, _ := t.MarshalJSON()
	return b
}

// stampOffset returns where the value of the member named by key begins.
func stampOffset(enc []byte, key string) int {
	i := bytes.Index(enc, []byte(key))
	if i < 0 {
		return -1 // not possible for an spComponent: no reuse then
	}
	return i + len(key)
}

// sameComponent reports whether a, of the snapshot of time aSnap, and b,
// of bSnap, encode alike but for times that are their snapshot's. A field
// added to spComponent must be compared here (TestSameComponentFields).
func sameComponent(a spComponent, aSnap time.Time, b spComponent, bSnap time.Time) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Status == b.Status &&
		sameTime(a.CreatedAt, aSnap, b.CreatedAt, bSnap) && sameTime(a.UpdatedAt, aSnap, b.UpdatedAt, bSnap) &&
		a.Position == b.Position && samePtr(a.Description, b.Description) && a.Showcase == b.Showcase &&
		samePtr(a.StartDate, b.StartDate) && samePtr(a.GroupID, b.GroupID) && a.PageID == b.PageID &&
		a.Group == b.Group && a.OnlyShowIfDegraded == b.OnlyShowIfDegraded &&
		(a.Components == nil) == (b.Components == nil) && slices.Equal(a.Components, b.Components)
}

// sameTime reports whether a and b are the same time, or both their
// snapshot's. == rather than Equal: the location is encoded too.
func sameTime(a, aSnap, b, bSnap time.Time) bool {
	aFloat, bFloat := a == aSnap, b == bSnap
	if aFloat || bFloat {
		return aFloat && bFloat
	}
	return a == b
}

func samePtr(a, b *string) bool {
	return a == b || a != nil && b != nil && *a == *b
}
