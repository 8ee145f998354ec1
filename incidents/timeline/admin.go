package timeline

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// AppendRecords stores recs in one transaction, as consecutive records in
// the order given (string definitions they need may come between them),
// and returns their sequence numbers. Either all of recs is recorded or none
// is. Records share the writer, its group commits and the sequence with
// measurements.
//
// Each entry is checked first (CheckEntry), in the caller's goroutine: one
// that is invalid fails the call with an error wrapping ErrInvalid and
// nothing is recorded; so does an Audit whose TargetEntry does not name an
// earlier entry of recs. Otherwise AppendRecords behaves as AppendAll: ctx
// bounds the wait for the writer, ErrClosed after Close, the commit's error
// when the transaction failed. recs must not be modified until it returns.
func (t *Timeline) AppendRecords(ctx context.Context, recs ...Entry) ([]uint64, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	for i, e := range recs {
		err := CheckEntry(e)
		if err == nil {
			err = checkTargetEntry(e, i)
		}
		if err != nil {
			return nil, fmt.Errorf("append record %d of %d: %w", i, len(recs), err)
		}
	}
	return t.send(&request{ctx: ctx, es: recs, done: make(chan struct{})})
}

// checkTargetEntry checks that an Audit at index i refers to an earlier entry.
func checkTargetEntry(e Entry, i int) error {
	var k int
	switch a := e.(type) {
	case Audit:
		k = a.TargetEntry
	case *Audit:
		k = a.TargetEntry
	}
	if k > i {
		return invalid("audit target entry %d is not before it (entry %d)", k, i+1)
	}
	return nil
}

// AdminRecords calls fn with every record that is neither a string
// definition nor a measurement (events, updates, maintenances, statements,
// audit records), decoded, in seq order, up to Len() as it begins. It reads
// the "admin" index, not the whole log. fn runs outside any transaction and
// may call other methods; it may keep the Record. AdminRecords stops at
// fn's first error and returns it as is.
func (t *Timeline) AdminRecords(fn func(Record) error) error {
	return t.AdminRecordsFrom(0, fn)
}

// AdminRecordsFrom is AdminRecords for the records at seq from or later: a
// consumer that keeps a cursor (package push's outbox) reads only what was
// committed since.
func (t *Timeline) AdminRecordsFrom(from uint64, fn func(Record) error) error {
	return t.adminRecords(from, func(Kind) bool { return true }, fn)
}

// Events calls fn with every incident engine event (KindEvent), in seq
// order; see AdminRecords.
func (t *Timeline) Events(fn func(seq uint64, e Event) error) error {
	return t.EventsFrom(0, fn)
}

// EventsFrom is Events for the events at seq from or later.
func (t *Timeline) EventsFrom(from uint64, fn func(seq uint64, e Event) error) error {
	return t.adminRecords(from, func(k Kind) bool { return k == KindEvent }, func(r Record) error {
		return fn(r.Seq, *r.Event)
	})
}

// adminRecords calls fn for the admin records at seq from or later whose
// kind want accepts, readChunk records per read transaction.
func (t *Timeline) adminRecords(from uint64, want func(Kind) bool, fn func(Record) error) error {
	end := t.Len()
	var recs []Record
	for from < end {
		recs = recs[:0]
		err := t.view(func(tx *bolt.Tx) error {
			var err error
			recs, from, err = t.readAdmin(tx, recs, from, end, want)
			return err
		})
		if err != nil {
			return fmt.Errorf("read admin records: %w", err)
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// readAdmin appends to recs the admin records of seqs [from, end) that
// want accepts, stopping after readChunk records (or 16 times as many index
// entries), and returns the seq to continue from.
func (t *Timeline) readAdmin(tx *bolt.Tx, recs []Record, from, end uint64, want func(Kind) bool) ([]Record, uint64, error) {
	c, records, str := tx.Bucket(bucketAdmin).Cursor(), tx.Bucket(bucketRecords), t.stringLookup(tx)
	visited := 0
	for k, v := c.Seek(seqKey(nil, from)); k != nil; k, v = c.Next() {
		if len(k) != 8 || len(v) != 1 || !Kind(v[0]).admin() {
			return recs, from, fmt.Errorf("admin index entry %x = %x: %w", k, v, ErrCorrupt)
		}
		seq := binary.BigEndian.Uint64(k)
		if seq >= end {
			break
		}
		if len(recs) >= readChunk || visited >= 16*readChunk {
			return recs, seq, nil
		}
		visited++
		if !want(Kind(v[0])) {
			continue
		}
		b := records.Get(k)
		if b == nil {
			return recs, from, fmt.Errorf("indexed record %d missing: %w", seq, ErrCorrupt)
		}
		rec, err := DecodeRecord(b, str)
		if err == nil && rec.Kind != Kind(v[0]) {
			err = fmt.Errorf("indexed as %v: %w", Kind(v[0]), ErrCorrupt)
		}
		if err != nil {
			return recs, from, fmt.Errorf("record %d: %w", seq, err)
		}
		rec.Seq = seq
		recs = append(recs, rec)
	}
	return recs, end, nil
}
