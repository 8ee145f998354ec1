package push

import bolt "go.etcd.io/bbolt"

// WalkOutbox counts the outbox's keys one by one: the real depth, which the
// tests compare with the counter Pending and the metric read.
func (s *Store) WalkOutbox() (n int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error { n++; return nil })
	})
	return n, err
}

// DropWebhookRegistry makes the store look as it did before bucket
// webhooks: no registry, no marker that the one-time scan was done.
func (s *Store) DropWebhookRegistry() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketWebhooks); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketWebhooks); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Delete([]byte("webhooks"))
	})
}

// CatchUp runs one catch-up pass, as Run does at each poll.
func (p *Push) CatchUp() error {
	_, err := p.catchUp()
	return err
}

// LastTx is the ID of the store's last committed write transaction.
func (s *Store) LastTx() (id int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
	return id, err
}
