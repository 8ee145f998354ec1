package push

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// StoreFile is the name of the push store in the data directory, beside
// the accounts: subscriptions are personal data and never go into the
// public timeline.
const StoreFile = "push.db"

const storeFormat = "constat-push 1"

var (
	// "format", "cursor" (8-byte next timeline seq), the counters "subs" and
	// "outbox" (8 bytes each), "webhooks" (the registry was filled once).
	bucketMeta      = []byte("meta")
	bucketSubs      = []byte("subs")       // target ID (16) → subscription JSON
	bucketByComp    = []byte("bycomp")     // component 0x00 target ID → empty
	bucketOutbox    = []byte("outbox")     // lane 0x00 ref(11) target ID(16) → delivery (1 byte: version)
	bucketMessages  = []byte("messages")   // ref: seq(8) part(2) variant(1) → message JSON
	bucketAnnounced = []byte("announced")  // target ID(16) component → last start ms (8) announced (1) state (1, from version 2) held due ms (8, from version 3)
	bucketHeld      = []byte("held")       // component 0x00 due ms(8, sign bit flipped) target ID(16) → empty: starts held back
	bucketComps     = []byte("components") // component → compState: its published state as of the cursor
	bucketWebhooks  = []byte("webhooks")   // target ID(16) → empty: the webhooks configured at the last start
	allBuckets      = [][]byte{bucketMeta, bucketSubs, bucketByComp, bucketOutbox, bucketMessages, bucketAnnounced, bucketHeld, bucketComps, bucketWebhooks}
)

// ErrVersion is returned by OpenStore when the file is not a push store
// this version reads.
var ErrVersion = errors.New("unsupported push store format")

// idLen is the length of a target ID: the first 16 bytes of the SHA-256 of
// a subscription's endpoint or of a webhook's URL.
const idLen = 16

type targetID [idLen]byte

// Store is the push store: subscriptions, the outbox of pending deliveries,
// the messages they carry and the outbox's cursor in the timeline, in one
// bbolt file. Every method is one bbolt transaction; bbolt allows one
// writer at a time. A Store is safe for concurrent use.
type Store struct {
	db *bolt.DB
}

// StoreOptions configure OpenStore.
type StoreOptions struct {
	// Timeout bounds the wait for the file lock: bbolt locks the file, and a
	// second OpenStore of the same file waits, then fails. 0 waits forever.
	Timeout time.Duration
	// NoSync skips fsync: a crash may then lose or corrupt deliveries and
	// subscriptions. It is for tests only.
	NoSync bool
}

// OpenStore opens or creates the push store at path (mode 0600: it holds
// personal data).
func OpenStore(path string, o StoreOptions) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.Timeout, NoSync: o.NoSync})
	if err != nil {
		return nil, fmt.Errorf("open push store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch f := meta.Get([]byte("format")); {
		case f == nil:
			if err := meta.Put([]byte("format"), []byte(storeFormat)); err != nil {
				return err
			}
		case string(f) != storeFormat:
			return fmt.Errorf("format %q: %w", f, ErrVersion)
		}
		if len(meta.Get(keyOutboxDepth)) != 8 { // a store from before the counter: count once
			return putOutboxDepth(tx, tx.Bucket(bucketOutbox).Stats().KeyN)
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open push store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file. Pending deliveries stay in it for the next start.
func (s *Store) Close() error { return s.db.Close() }

// cursor returns the next timeline seq the outbox will read, and false
// when the store has none yet (a new store).
func cursor(tx *bolt.Tx) (uint64, bool) {
	v := tx.Bucket(bucketMeta).Get([]byte("cursor"))
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

func putCursor(tx *bolt.Tx, next uint64) error {
	return tx.Bucket(bucketMeta).Put([]byte("cursor"), binary.BigEndian.AppendUint64(nil, next))
}

// subscription is a stored subscription (version 1).
type subscription struct {
	V          int      `json:"v"`
	Endpoint   string   `json:"endpoint"`
	P256dh     string   `json:"p256dh"`
	Auth       string   `json:"auth"`
	Components []string `json:"components"`
	Lang       string   `json:"lang"`
	// Since is the timeline length when the person subscribed: older
	// events are never sent to them.
	Since   uint64 `json:"since"`
	Created int64  `json:"created_ms"`
}

func getSub(tx *bolt.Tx, id targetID) (*subscription, error) {
	v := tx.Bucket(bucketSubs).Get(id[:])
	if v == nil {
		return nil, nil
	}
	var s subscription
	if err := json.Unmarshal(v, &s); err != nil || s.V != 1 {
		return nil, fmt.Errorf("subscription %x: bad record (%v)", id, err)
	}
	return &s, nil
}

func compKey(comp string, id targetID) []byte {
	k := make([]byte, 0, len(comp)+1+idLen)
	return append(append(append(k, comp...), 0), id[:]...)
}

// deleteSub removes a subscription and its index and flapping entries.
// Pending deliveries to it are dropped when the sender reaches them.
func deleteSub(tx *bolt.Tx, id targetID) error {
	s, err := getSub(tx, id)
	if err != nil || s == nil {
		return err
	}
	for _, c := range s.Components {
		if err := tx.Bucket(bucketByComp).Delete(compKey(c, id)); err != nil {
			return err
		}
	}
	if err := deleteAnnounced(tx, id); err != nil {
		return err
	}
	if err := tx.Bucket(bucketSubs).Delete(id[:]); err != nil {
		return err
	}
	return addSubs(tx, -1)
}

// deleteAnnounced removes what target id was told, with its held starts.
func deleteAnnounced(tx *bolt.Tx, id targetID) error {
	ann := tx.Bucket(bucketAnnounced).Cursor()
	for k, v := ann.Seek(id[:]); k != nil && bytes.HasPrefix(k, id[:]); k, v = ann.Seek(id[:]) {
		if a, ok := decodeAnnouncement(v); ok && a.heldDue != 0 {
			if err := tx.Bucket(bucketHeld).Delete(heldKey(string(k[idLen:]), a.heldDue, id)); err != nil {
				return err
			}
		}
		if err := ann.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// countSubs returns the number of subscriptions, kept in meta "subs":
// bbolt's Stats walks every page, too slow for each subscription.
func countSubs(tx *bolt.Tx) int {
	v := tx.Bucket(bucketMeta).Get([]byte("subs"))
	if len(v) != 8 {
		return tx.Bucket(bucketSubs).Stats().KeyN // a store from before the counter
	}
	return int(binary.BigEndian.Uint64(v))
}

func addSubs(tx *bolt.Tx, d int) error {
	return tx.Bucket(bucketMeta).Put([]byte("subs"), binary.BigEndian.AppendUint64(nil, uint64(countSubs(tx)+d)))
}

// Message variants: one message per event and variant.
const (
	variantFrench  byte = 0 // Web Push payload, French
	variantEnglish byte = 1 // Web Push payload, English
	variantWebhook byte = 2 // webhook body
	// A start held back by the start interval and released later (see
	// release), keyed by the component's last event: its own message, so
	// that its TTL runs from the release.
	variantFrenchLater  byte = 3
	variantEnglishLater byte = 4
)

func later(variant byte) bool { return variant == variantFrenchLater || variant == variantEnglishLater }

// message is a stored message (version 1): what every delivery of one
// event in one variant carries.
type message struct {
	V       int             `json:"v"`
	Created int64           `json:"created_ms"` // when it was enqueued
	TTL     int             `json:"ttl_s"`      // dropped this long after Created
	Topic   string          `json:"topic,omitempty"`
	Urgency string          `json:"urgency,omitempty"`
	Payload json.RawMessage `json:"payload"`
}

func (m *message) expired(now time.Time) bool {
	return now.UnixMilli() >= m.Created+int64(m.TTL)*1000
}

// outboxKey is lane 0x00 ref target: a lane's deliveries sort by event,
// so that they leave in the order the events happened.
func outboxKey(lane string, r ref, id targetID) []byte {
	k := make([]byte, 0, len(lane)+1+refLen+idLen)
	k = r.append(append(append(k, lane...), 0))
	return append(k, id[:]...)
}

// parseOutboxKey splits a key made by outboxKey.
func parseOutboxKey(k []byte) (lane string, r ref, id targetID, err error) {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k)-i-1 != refLen+idLen {
		return "", r, id, fmt.Errorf("outbox key %x: bad length", k)
	}
	copy(id[:], k[i+1+refLen:])
	return string(k[:i]), parseRef(k[i+1:]), id, nil
}

// lanes returns the lanes that have pending deliveries.
func (s *Store) lanes() ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.First(); k != nil; {
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				return fmt.Errorf("outbox key %x: no lane", k)
			}
			out = append(out, string(k[:i]))
			k, _ = c.Seek(append(append([]byte(nil), k[:i]...), 1))
		}
		return nil
	})
	return out, err
}

// keyOutboxDepth in bucketMeta is the number of keys in bucketOutbox (8
// bytes), kept by every transaction that puts or deletes one, so that
// /metrics reads it without walking the outbox.
var keyOutboxDepth = []byte("outbox")

func outboxDepth(tx *bolt.Tx) int {
	v := tx.Bucket(bucketMeta).Get(keyOutboxDepth)
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

func putOutboxDepth(tx *bolt.Tx, n int) error {
	return tx.Bucket(bucketMeta).Put(keyOutboxDepth, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// addOutboxDepth adds d (negative: removed deliveries) to the counter.
func addOutboxDepth(tx *bolt.Tx, d int) error {
	if d == 0 {
		return nil
	}
	return putOutboxDepth(tx, max(0, outboxDepth(tx)+d))
}

// Pending returns the number of pending deliveries, from the counter the
// outbox's transactions keep: it reads one key.
func (s *Store) Pending() (n int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { n = outboxDepth(tx); return nil })
	return n, err
}

// Depth returns the number of pending deliveries (as Pending) and the
// enqueue time of the oldest one's message (zero when none or when it is
// gone), which it finds by reading the first delivery of each lane.
func (s *Store) Depth() (n int, oldest time.Time, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		n = outboxDepth(tx)
		c, msgs := tx.Bucket(bucketOutbox).Cursor(), tx.Bucket(bucketMessages)
		for k, _ := c.First(); k != nil; {
			_, r, _, err := parseOutboxKey(k)
			if err != nil {
				return err
			}
			var m message
			if v := msgs.Get(r.append(nil)); v != nil && json.Unmarshal(v, &m) == nil {
				if t := time.UnixMilli(m.Created); oldest.IsZero() || t.Before(oldest) {
					oldest = t
				}
			}
			lane := k[:bytes.IndexByte(k, 0)]
			k, _ = c.Seek(append(append([]byte(nil), lane...), 1))
		}
		return nil
	})
	return n, oldest, err
}
