package push

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// A start held back by the start interval is not forgotten: allow records
// it (announcement.heldDue and a key in bucketHeld), and release, in the
// transaction that moves the cursor to the end of the timeline, sends it
// once the component's latest measured round is at or after the due time,
// if the component's published state (compState, as of the cursor) is
// still a failure. Everything it decides from is in the push store and
// the timeline, so that a restart releases what the live outbox would
// have, once.

// heldKey is component 0x00 due(8) target: a component's held starts in
// due order.
func heldKey(comp string, due int64, id targetID) []byte {
	k := make([]byte, 0, len(comp)+1+8+idLen)
	k = binary.BigEndian.AppendUint64(append(append(k, comp...), 0), uint64(due)^1<<63)
	return append(k, id[:]...)
}

// parseHeldKey splits a key made by heldKey.
func parseHeldKey(k []byte) (comp string, due int64, id targetID, ok bool) {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k)-i-1 != 8+idLen {
		return "", 0, id, false
	}
	copy(id[:], k[i+1+8:])
	return string(k[:i]), int64(binary.BigEndian.Uint64(k[i+1:]) ^ 1<<63), id, true
}

// unhold forgets a's held start, if any.
func (f *fanout) unhold(comp string, id targetID, a *announcement) error {
	if a.heldDue == 0 {
		return nil
	}
	due := a.heldDue
	a.heldDue = 0
	return f.tx.Bucket(bucketHeld).Delete(heldKey(comp, due, id))
}

// compState is a component's published state as the events up to the
// cursor recorded it, kept in bucketComps (version 1, 27 bytes).
type compState struct {
	state    probes.Status
	since    int64  // measured start (Unix ms) of the current failure; 0 when not failing
	seq      uint64 // the last event that changed this record
	incident uint64 // the incident of the last failing event
	cause    probes.Outcome
}

const compStateLen = 1 + 1 + 8 + 8 + 8 + 1

func (f *fanout) compState(comp string) (compState, bool) {
	v := f.tx.Bucket(bucketComps).Get([]byte(comp))
	if len(v) != compStateLen || v[0] != 1 {
		return compState{}, false
	}
	return compState{state: probes.Status(v[1]), since: int64(binary.BigEndian.Uint64(v[2:])),
		seq: binary.BigEndian.Uint64(v[10:]), incident: binary.BigEndian.Uint64(v[18:]), cause: probes.Outcome(v[26])}, true
}

// track follows a component's published state through engine event e.
func (f *fanout) track(seq uint64, e *timeline.Event) error {
	if f.p.names[e.Component] == "" {
		return nil
	}
	cs, _ := f.compState(e.Component)
	switch {
	case down(e.To) && !down(cs.state):
		cs.since, cs.cause = e.At.UnixMilli(), 0
		if e.Cause != nil {
			cs.cause = e.Cause.Outcome
		}
	case !down(e.To):
		cs.since, cs.cause, cs.incident = 0, 0, 0
	}
	if down(e.To) && e.Incident != 0 {
		cs.incident = e.Incident
	}
	cs.state, cs.seq = e.To, seq
	v := append(make([]byte, 0, compStateLen), 1, byte(cs.state))
	v = binary.BigEndian.AppendUint64(v, uint64(cs.since))
	v = binary.BigEndian.AppendUint64(v, cs.seq)
	v = binary.BigEndian.AppendUint64(v, cs.incident)
	return f.tx.Bucket(bucketComps).Put([]byte(e.Component), append(v, byte(cs.cause)))
}

// release sends the held starts that are due: for each component with
// held starts, its latest measured round, if recorded before upTo (the
// cursor this transaction moves to, so that the published state read is
// as of that round or later), is the measured time; a start due by then
// is sent if the component is still failing, with the measured start of
// the current failure, and forgotten otherwise.
func (f *fanout) release(upTo uint64) error {
	var comps []string
	c := f.tx.Bucket(bucketHeld).Cursor()
	for k, _ := c.First(); k != nil; {
		comp, _, _, ok := parseHeldKey(k)
		if !ok {
			k = append([]byte(nil), k...)
			if err := c.Delete(); err != nil {
				return err
			}
			k, _ = c.Seek(k)
			continue
		}
		comps = append(comps, comp)
		k, _ = c.Seek(append([]byte(comp), 1))
	}
	for _, comp := range comps {
		if f.p.names[comp] == "" { // no longer configured: forget its held starts
			if err := f.releaseComp(comp, math.MaxInt64); err != nil {
				return err
			}
			continue
		}
		m, ok, err := f.p.tl.Last(comp)
		if err != nil {
			return fmt.Errorf("last measurement of %s: %w", comp, err)
		}
		if !ok || m.Seq >= upTo || !m.Measured() {
			continue
		}
		if err := f.releaseComp(comp, m.Start.UnixMilli()); err != nil {
			return err
		}
	}
	return nil
}

// releaseComp sends or forgets the held starts of comp due by now.
func (f *fanout) releaseComp(comp string, now int64) error {
	cs, _ := f.compState(comp)
	prefix := append([]byte(comp), 0)
	c := f.tx.Bucket(bucketHeld).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		_, due, id, ok := parseHeldKey(k)
		if ok && due > now {
			return nil
		}
		if err := c.Delete(); err != nil {
			return err
		}
		if !ok {
			continue
		}
		key, a := f.announcement(id, comp)
		if a.heldDue != due {
			continue // an entry the record no longer names
		}
		a.heldDue = 0
		send := !a.announced && down(cs.state) && f.p.names[comp] != "" && f.subscribed(id, comp)
		if send {
			a.start, a.announced = now, true
		}
		if err := f.putAnnouncement(key, a); err != nil {
			return err
		}
		if send {
			if err := f.releaseTo(id, comp, cs); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *fanout) subscribed(id targetID, comp string) bool {
	return f.tx.Bucket(bucketByComp).Get(compKey(comp, id)) != nil
}

// releaseTo enqueues the start of comp's current failure for subscription
// id. Its message is keyed by the component's last event and the Later
// variant: one message per state and language, shared by every target
// released while the state holds.
func (f *fanout) releaseTo(id targetID, comp string, cs compState) error {
	s, err := getSub(f.tx, id)
	if err != nil || s == nil {
		return nil // gone, or damaged: nothing to send
	}
	lane, ok := laneOf(s)
	if !ok {
		return nil
	}
	n := Notice{Kind: Start, Seq: cs.seq, Component: comp, ComponentName: f.p.names[comp], Incident: cs.incident,
		From: probes.Operational, State: cs.state, At: time.UnixMilli(cs.since), Cause: cs.cause}
	variant := variantFrenchLater
	if s.Lang == "en" {
		variant = variantEnglishLater
	}
	if err := f.put(lane, ref{cs.seq, 0, variant}, id, n); err != nil {
		return err
	}
	f.counts["webpush"]++
	return nil
}
