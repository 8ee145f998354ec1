package push

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// forgetWebhooks deletes, at start, what the push store keeps for webhooks
// no longer in the configuration: their announcement records and their
// pending deliveries. A webhook added again later is then a new one, told
// the component's next change whatever it is, rather than judged against
// what it was told before it left. The configured webhooks are kept in
// bucketWebhooks; a store from before it is scanned once for announcement
// records of targets that are neither a subscription nor a webhook.
func (p *Push) forgetWebhooks() error {
	configured := map[targetID]bool{}
	for _, w := range p.webhooks {
		configured[w.id] = true
	}
	var removed int
	err := p.store.db.Update(func(tx *bolt.Tx) error {
		removed = 0
		known := tx.Bucket(bucketWebhooks)
		var gone []targetID
		if tx.Bucket(bucketMeta).Get([]byte("webhooks")) == nil {
			gone = unknownTargets(tx, configured)
			if err := tx.Bucket(bucketMeta).Put([]byte("webhooks"), []byte{1}); err != nil {
				return err
			}
		}
		c := known.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) == idLen && !configured[targetID(k)] {
				gone = append(gone, targetID(k))
			}
		}
		for _, id := range gone {
			if err := deleteAnnounced(tx, id); err != nil {
				return err
			}
			if err := known.Delete(id[:]); err != nil {
				return err
			}
		}
		n, err := deleteHookLanes(tx, func(lane string) bool {
			for _, w := range p.webhooks {
				if w.lane == lane {
					return false
				}
			}
			return true
		})
		if err != nil {
			return err
		}
		removed = n
		if err := addOutboxDepth(tx, -n); err != nil {
			return err
		}
		for id := range configured {
			if err := known.Put(id[:], nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("push: forget removed webhooks: %w", err)
	}
	if removed > 0 {
		p.log.Info("pending webhook deliveries dropped: webhook no longer configured", "deliveries", removed)
	}
	return nil
}

// unknownTargets returns the targets of announcement records that are
// neither a subscription nor a configured webhook.
func unknownTargets(tx *bolt.Tx, configured map[targetID]bool) []targetID {
	var out []targetID
	subs := tx.Bucket(bucketSubs)
	c := tx.Bucket(bucketAnnounced).Cursor()
	for k, _ := c.First(); k != nil; {
		if len(k) < idLen {
			k, _ = c.Next()
			continue
		}
		var id targetID
		copy(id[:], k)
		if !configured[id] && subs.Get(id[:]) == nil {
			out = append(out, id)
		}
		next := append(id[:0:0], id[:]...)
		k, _ = c.Seek(increment(next))
	}
	return out
}

// increment returns the smallest key after every key starting with b, or
// nil after the last; b is modified.
func increment(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return b
		}
	}
	return nil
}

// deleteHookLanes deletes the pending deliveries of the webhook lanes
// gone says are gone, and returns how many.
func deleteHookLanes(tx *bolt.Tx, gone func(lane string) bool) (int, error) {
	n := 0
	c := tx.Bucket(bucketOutbox).Cursor()
	prefix := []byte(hookLanePrefix)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return n, fmt.Errorf("outbox key %x: no lane", k)
		}
		lane := append([]byte(nil), k[:i+1]...)
		if !gone(string(lane[:i])) {
			lane[i] = 1
			k, _ = c.Seek(lane)
			continue
		}
		for ; k != nil && bytes.HasPrefix(k, lane); k, _ = c.Seek(lane) {
			if err := c.Delete(); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
