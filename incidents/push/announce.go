package push

import (
	"encoding/binary"
	"fmt"

	"github.com/constat-ent/constat/probes"
)

// announcement is what one target (subscription or webhook) was told about
// one component, kept in bucketAnnounced under target ID and component
// and updated in the transaction that enqueues the delivery, so that a
// restart decides as the live outbox would have.
//
// Version 1 was 9 bytes (start, announced); version 2 adds state, version
// 3 heldDue. An older record reads with the fields it lacks zero.
type announcement struct {
	start     int64         // measured time (Unix ms) of the last start sent
	announced bool          // a start was sent and its end not yet
	state     probes.Status // the last state sent to a webhook; 0: unknown
	// heldDue is when (measured, Unix ms) a start held back by the start
	// interval may be sent, if the component is still failing then; 0:
	// none held. Its entry in bucketHeld has this due time.
	heldDue int64
	known   bool // a record was found
}

const announcementLen = 8 + 1 + 1 + 8

// decodeAnnouncement reads a record of any version; false when its length
// is none of theirs.
func decodeAnnouncement(v []byte) (announcement, bool) {
	switch len(v) {
	case 9, 10, announcementLen:
	default:
		return announcement{}, false
	}
	a := announcement{start: int64(binary.BigEndian.Uint64(v)), announced: v[8] == 1, known: true}
	if len(v) >= 10 {
		a.state = probes.Status(v[9])
	}
	if len(v) == announcementLen {
		a.heldDue = int64(binary.BigEndian.Uint64(v[10:]))
	}
	return a, true
}

// announcement reads the record of target id and component comp, and
// returns its key. A damaged record reads as none (and is logged): the
// outbox must not stop for it, and the next decision rewrites it.
func (f *fanout) announcement(id targetID, comp string) ([]byte, announcement) {
	key := append(append(make([]byte, 0, idLen+len(comp)), id[:]...), comp...)
	v := f.tx.Bucket(bucketAnnounced).Get(key)
	if v == nil {
		return key, announcement{}
	}
	a, ok := decodeAnnouncement(v)
	if !ok {
		f.p.log.Warn("push announcement record damaged, read as none", "target", fmt.Sprintf("%x", id), "component", comp, "len", len(v))
	}
	return key, a
}

func (f *fanout) putAnnouncement(key []byte, a announcement) error {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, announcementLen), uint64(a.start))
	announced := byte(0)
	if a.announced {
		announced = 1
	}
	v = binary.BigEndian.AppendUint64(append(v, announced, byte(a.state)), uint64(a.heldDue))
	return f.tx.Bucket(bucketAnnounced).Put(key, v)
}

// allow decides whether Web Push subscription id is told n:
//   - an admin update, always;
//   - a start, when no outage announced to it is outstanding and its last
//     start sent is at least the start interval before n's (measured
//     times): a flapping component sends at most one start per interval;
//     a start held back is remembered (heldDue), and sent by release once
//     the interval has passed if the component is still failing then;
//   - an end, when an announced start is outstanding; exactly one end per
//     announced start, whichever event brings the component back first
//     (an incident update while flapping, or the incident's resolution
//     when it settles); the end of a start held back is never sent;
//   - a change between two failing states, never (the person knows it is
//     down; push services throttle chatty senders).
func (f *fanout) allow(id targetID, n Notice) (bool, error) {
	switch n.Kind {
	case AdminUpdate:
		return true, nil
	case Start, End:
	default:
		return false, nil
	}
	key, a := f.announcement(id, n.Component)
	at := n.At.UnixMilli()
	switch {
	case n.Kind == Start && a.announced:
		return false, nil
	case n.Kind == Start && a.known && at >= a.start && at-a.start < f.p.startInterval.Milliseconds():
		if a.heldDue != 0 {
			return false, nil // already held: the outage goes on
		}
		a.heldDue = a.start + f.p.startInterval.Milliseconds()
		if err := f.tx.Bucket(bucketHeld).Put(heldKey(n.Component, a.heldDue, id), nil); err != nil {
			return false, err
		}
		return false, f.putAnnouncement(key, a)
	case n.Kind == Start:
		if err := f.unhold(n.Component, id, &a); err != nil {
			return false, err
		}
		a.start, a.announced = at, true
	case !a.announced:
		return false, nil
	default:
		a.announced = false
	}
	return true, f.putAnnouncement(key, a)
}

// allowHook decides whether webhook id is sent n. A webhook gets, like
// Statuspage's, a component_update for every change of the component's
// published state, flapping or not, and each change once: the resolution
// that follows a flapping component's recovery repeats a change already
// sent, so it is not sent again. A webhook with no record of the
// component (new, or added during an outage) gets the change whatever it
// is. Admin updates always go.
func (f *fanout) allowHook(id targetID, n Notice) (bool, error) {
	if n.Kind == AdminUpdate {
		return true, nil
	}
	key, a := f.announcement(id, n.Component)
	if a.state != 0 && n.State == a.state {
		return false, nil
	}
	a.state = n.State
	return true, f.putAnnouncement(key, a)
}
