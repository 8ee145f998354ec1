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
