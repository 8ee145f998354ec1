package push

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	bolt "go.etcd.io/bbolt"
)

// readBatch is how many timeline records the outbox turns into deliveries
// per push store transaction.
const readBatch = 64

// ref names one message: the timeline record, the notice's rank among that
// record's notices, and the variant.
type ref struct {
	seq     uint64
	part    uint16
	variant byte
}

const refLen = 8 + 2 + 1

func (r ref) append(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, r.seq)
	return append(binary.BigEndian.AppendUint16(dst, r.part), r.variant)
}

func parseRef(b []byte) ref {
	return ref{seq: binary.BigEndian.Uint64(b), part: binary.BigEndian.Uint16(b[8:]), variant: b[10]}
}

// initCursor puts the cursor at the end of the timeline in a new store.
func (p *Push) initCursor() error {
	return p.store.db.Update(func(tx *bolt.Tx) error {
		if _, ok := cursor(tx); ok {
			return nil
		}
		return putCursor(tx, p.tl.Len())
	})
}

var errEnough = errors.New("enough records")

// catchUp turns the timeline records after the cursor into deliveries,
// readBatch records per transaction, each transaction advancing the cursor
// past what it enqueued: a crash between an event's commit and its
// deliveries' loses nothing (the cursor is still before it) and a restart
// enqueues nothing twice (the cursor moved in the same transaction). It
// returns the lanes that got deliveries.
//
// When only measurements followed the cursor, no start is held back and
// no message has expired, there is nothing to write: the cursor stays
// where it is, rather than costing push.db a commit and its fsync at every
// poll. The next pass reads the admin records from there (an index seek),
// so a lagging cursor costs nothing more.
func (p *Push) catchUp() (map[string]bool, error) {
	touched := map[string]bool{}
	for {
		var next uint64
		var idle bool // nothing to release or collect
		err := p.store.db.View(func(tx *bolt.Tx) error {
			next, _ = cursor(tx)
			idle = !pendingChores(tx, p.now())
			return nil
		})
		if err != nil {
			return touched, err
		}
		end := p.tl.Len()
		if next >= end {
			return touched, nil
		}
		var recs []timeline.Record
		upTo := end
		err = p.tl.AdminRecordsFrom(next, func(r timeline.Record) error {
			if r.Seq >= end {
				return errEnough
			}
			recs = append(recs, r)
			if len(recs) == readBatch {
				upTo = r.Seq + 1
				return errEnough
			}
			return nil
		})
		if err != nil && !errors.Is(err, errEnough) {
			return touched, fmt.Errorf("read timeline from %d: %w", next, err)
		}
		if len(recs) == 0 && idle {
			return touched, nil
		}
		if err := p.enqueue(next, upTo, recs, touched); err != nil {
			return touched, err
		}
	}
}

// pendingChores reports whether an enqueue transaction would change
// push.db even without records: a held start waits for release, or the
// oldest message is past gc's horizon.
func pendingChores(tx *bolt.Tx, now time.Time) bool {
	if k, _ := tx.Bucket(bucketHeld).Cursor().First(); k != nil {
		return true
	}
	_, v := tx.Bucket(bucketMessages).Cursor().First()
	if v == nil {
		return false
	}
	var m message
	return json.Unmarshal(v, &m) != nil || m.expired(now.Add(-time.Hour))
}

// enqueue puts the deliveries of recs (records from..upTo-1) and moves the
// cursor to upTo, in one transaction, unless the cursor is no longer at from.
func (p *Push) enqueue(from, upTo uint64, recs []timeline.Record, touched map[string]bool) error {
	lanes := map[string]bool{}
	counts := map[string]int{}
	err := p.store.db.Update(func(tx *bolt.Tx) error {
		clear(lanes)
		clear(counts)
		if cur, _ := cursor(tx); cur != from {
			return nil // someone else moved it: nothing to do twice
		}
		f := &fanout{p: p, tx: tx, lanes: lanes, counts: counts, now: p.now()}
		for _, r := range recs {
			if err := f.record(r); err != nil {
				return fmt.Errorf("record %d: %w", r.Seq, err)
			}
		}
		if err := f.release(upTo); err != nil {
			return fmt.Errorf("release held starts: %w", err)
		}
		if err := addOutboxDepth(tx, f.added); err != nil {
			return err
		}
		if err := f.gc(); err != nil {
			return err
		}
		return putCursor(tx, upTo)
	})
	if err != nil {
		return fmt.Errorf("enqueue records %d-%d: %w", from, upTo-1, err)
	}
	for l := range lanes {
		touched[l] = true
	}
	for k, n := range counts {
		p.metrics.enqueued.WithLabelValues(k).Add(float64(n))
	}
	return nil
}

// fanout is one enqueue transaction.
type fanout struct {
	p      *Push
	tx     *bolt.Tx
	lanes  map[string]bool
	counts map[string]int // channel or "suppressed" → deliveries
	now    time.Time
	msgs   map[ref]bool // messages put in this transaction
	added  int          // deliveries put in this transaction
}

func (f *fanout) record(r timeline.Record) error {
	if r.Event != nil {
		if err := f.track(r.Seq, r.Event); err != nil {
			return err
		}
	}
	sent := map[targetID]bool{} // one notification per subscriber per record
	for i, n := range f.p.notices(r) {
		if err := f.notice(uint16(i), n, sent); err != nil {
			return err
		}
	}
	return nil
}

func (f *fanout) notice(part uint16, n Notice, sent map[targetID]bool) error {
	if n.Kind != Change { // webhooks only
		if err := f.subscribers(part, n, sent); err != nil {
			return err
		}
	}
	for _, w := range f.p.webhooks {
		if !w.wants(n.Component) {
			continue
		}
		ok, err := f.allowHook(w.id, n)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := f.put(w.lane, ref{n.Seq, part, variantWebhook}, w.id, n); err != nil {
			return err
		}
		f.counts["webhook"]++
	}
	return nil
}

// subscribers enqueues n for the Web Push subscriptions of its component
// that allow it.
func (f *fanout) subscribers(part uint16, n Notice, sent map[targetID]bool) error {
	c := f.tx.Bucket(bucketByComp).Cursor()
	prefix := compKey(n.Component, targetID{})[:len(n.Component)+1]
	for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+idLen && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		var id targetID
		copy(id[:], k[len(prefix):])
		if sent[id] {
			continue
		}
		s, err := getSub(f.tx, id)
		if err != nil || s == nil || s.Since > n.Seq {
			continue // a subscription newer than the event, or a damaged one
		}
		ok, err := f.allow(id, n)
		if err != nil {
			return err
		}
		if !ok {
			f.counts["suppressed"]++
			continue
		}
		lane, ok := laneOf(s)
		if !ok {
			continue
		}
		variant := variantFrench
		if s.Lang == "en" {
			variant = variantEnglish
		}
		if err := f.put(lane, ref{n.Seq, part, variant}, id, n); err != nil {
			return err
		}
		sent[id] = true
		f.counts["webpush"]++
	}
	return nil
}

// laneOf is the lane of a subscription: its push service host.
func laneOf(s *subscription) (string, bool) {
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		return "", false
	}
	return strings.ToLower(u.Host), true
}

// put stores the delivery of message r to target id in lane, and the
// message if this transaction has not yet. A released start's message
// may have been stored by an earlier transaction: it is kept while its
// TTL lasts.
func (f *fanout) put(lane string, r ref, id targetID, n Notice) error {
	if f.msgs == nil {
		f.msgs = map[ref]bool{}
	}
	if !f.msgs[r] && later(r.variant) {
		var m message
		if v := f.tx.Bucket(bucketMessages).Get(r.append(nil)); v != nil && json.Unmarshal(v, &m) == nil && !m.expired(f.now) {
			f.msgs[r] = true
		}
	}
	if !f.msgs[r] {
		m, err := f.p.message(r.variant, n, f.now)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(m)
		if err := f.tx.Bucket(bucketMessages).Put(r.append(nil), b); err != nil {
			return err
		}
		f.msgs[r] = true
	}
	f.lanes[lane] = true
	key, b := outboxKey(lane, r, id), f.tx.Bucket(bucketOutbox)
	if b.Get(key) == nil {
		f.added++
	}
	return b.Put(key, []byte{1})
}

// message builds the stored message of n in a variant.
func (p *Push) message(variant byte, n Notice, now time.Time) (*message, error) {
	m := &message{V: 1, Created: now.UnixMilli(), TTL: 24 * 3600, Urgency: "normal"}
	if n.Kind == Start {
		m.TTL, m.Urgency = 3600, "high"
	}
	var err error
	switch variant {
	case variantFrench, variantFrenchLater:
		m.Topic = topic(n.Component)
		m.Payload, err = p.payload("fr", n)
	case variantEnglish, variantEnglishLater:
		m.Topic = topic(n.Component)
		m.Payload, err = p.payload("en", n)
	case variantWebhook:
		m.Payload, err = p.webhookBody(n)
	default:
		err = fmt.Errorf("unknown variant %d", variant)
	}
	return m, err
}

// gc deletes the messages whose TTL has passed, oldest first: their
// deliveries are dropped as expired when the sender reaches them.
func (f *fanout) gc() error {
	c := f.tx.Bucket(bucketMessages).Cursor()
	for k, v := c.First(); k != nil; k, v = c.First() {
		var m message
		if json.Unmarshal(v, &m) == nil && !m.expired(f.now.Add(-time.Hour)) {
			return nil
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}
