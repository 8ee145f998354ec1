// Package tamper changes bytes of a bbolt file behind its owner's back, as
// someone with the file would, for tests of the evidence log: bbolt keeps
// no checksums of values, so a same-length change goes unnoticed by bbolt.
// Only tests import it.
package tamper

import (
	"fmt"
	"os"
	"unsafe"

	bolt "go.etcd.io/bbolt"
)

// FlipBit flips the low bit of byte i of the value at key in bucket, in the
// file at path itself (found through the read-only mmap), not through a
// bbolt transaction. The file must not be open elsewhere.
func FlipBit(path string, bucket, key []byte, i int) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	var off int64
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return fmt.Errorf("no bucket %q", bucket)
		}
		v := b.Get(key)
		if len(v) <= i {
			return fmt.Errorf("value of %q %x has %d bytes, want more than %d", bucket, key, len(v), i)
		}
		off = int64(uintptr(unsafe.Pointer(&v[i])) - db.Info().Data)
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	b := make([]byte, 1)
	if _, err = f.ReadAt(b, off); err == nil {
		b[0] ^= 1
		_, err = f.WriteAt(b, off)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
