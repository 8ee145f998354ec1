package timeline

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// readChunk is how many records a read method fetches per read transaction.
// Callbacks run between transactions, never inside one.
const readChunk = 256

// entry is one index entry: a measurement's seq and its Start in ms.
type entry struct {
	seq uint64
	ms  int64
}

// Range calls fn for each measurement of component with from <= Start < to,
// in Start order, measurements with equal Start in seq order. Start is
// compared as stored, to the millisecond. Range sees the measurements
// committed when it begins. It stops at fn's first error and returns it as is.
//
// fn runs outside any transaction: it may call other methods, Append
// included, and keep what it is given.
func (t *Timeline) Range(component string, from, to time.Time, fn func(Measurement) error) error {
	if !from.Before(to) {
		return nil
	}
	es, err := t.rangeEntries(component, ceilMillis(from), ceilMillis(to))
	if err != nil {
		return fmt.Errorf("range %s: %w", component, err)
	}
	seqs := make([]uint64, len(es))
	for i, e := range es {
		seqs[i] = e.seq
	}
	return t.measurements("range "+component, seqs, fn)
}

// rangeEntries returns the component's index entries with fromMs <= ms < toMs,
// sorted, as of the last batch applied. It reads that batch's tail from
// memory and the sealed blocks from a read transaction begun under the same
// lock: that transaction may also see the next batch (committed, not yet
// applied), whose entries are dropped (seq >= next) and whose sealed blocks
// repeat entries of the tail (removed after sorting).
func (t *Timeline) rangeEntries(component string, fromMs, toMs int64) ([]entry, error) {
	var es []entry
	collect := func(seq uint64, ms int64) {
		if ms >= fromMs && ms < toMs {
			es = append(es, entry{seq, ms})
		}
	}
	t.mu.RLock()
	comp, ok := t.ids[component]
	tail, hasTail := t.tails[uint32(comp)]
	next := t.next
	var tx *bolt.Tx
	var err error
	if ok && hasTail {
		tx, err = t.db.Begin(false)
	}
	t.mu.RUnlock()
	if !ok || !hasTail || err != nil {
		return nil, closedErr(err)
	}
	defer tx.Rollback()
	err = indexBlocks(tx, uint32(comp), fromMs, toMs, func(seq uint64, ms int64) {
		if seq < next {
			collect(seq, ms)
		}
	})
	if err != nil {
		return nil, err
	}
	for i, seq := range tail.seqs {
		collect(seq, tail.times[i])
	}
	// Sorted already unless a clock stepped back.
	if !slices.IsSortedFunc(es, compareEntries) {
		slices.SortFunc(es, compareEntries)
	}
	return slices.CompactFunc(es, func(a, b entry) bool { return a.seq == b.seq }), nil
}

func compareEntries(a, b entry) int {
	return cmp.Or(cmp.Compare(a.ms, b.ms), cmp.Compare(a.seq, b.seq))
}

// indexBlocks calls fn for the entries of the component's sealed blocks
// that may lie in [fromMs, toMs): a block holds times in [first,
// first+blockSpanMs], so those whose first time is in [fromMs-blockSpanMs, toMs).
func indexBlocks(tx *bolt.Tx, comp uint32, fromMs, toMs int64, fn func(seq uint64, ms int64)) error {
	prefix := compKey(comp)
	c := tx.Bucket(bucketIndex).Cursor()
	seek := blockKey(prefix, max(fromMs-blockSpanMs, minMillis), 0)
	for k, v := c.Seek(seek); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != compKeyLen+blockKeyLen {
			return fmt.Errorf("index key %x: %w", k, ErrCorrupt)
		}
		k = k[compKeyLen:]
		first := blockTime(k)
		if first >= toMs {
			break
		}
		if span := blockSpan(v); first < fromMs && span >= 0 && first+span < fromMs {
			continue // ends before the range
		}
		if err := entries(k, v, fn); err != nil {
			return fmt.Errorf("component %d: %w", comp, err)
		}
	}
	return nil
}

// measurements decodes the measurement records seqs and calls fn for each,
// in order, outside any transaction. It returns fn's first error as is, and
// its own errors prefixed with op. It reads readChunk records per read
// transaction, up to GOMAXPROCS chunks at once: a day of one component is
// thousands of records on as many pages, and reading them is bound by
// memory latency more than by one core.
func (t *Timeline) measurements(op string, seqs []uint64, fn func(Measurement) error) error {
	workers := max(1, runtime.GOMAXPROCS(0))
	// fn gets copies, so the buffers serve every round.
	bufs := make([][]Measurement, min(workers, (len(seqs)+readChunk-1)/readChunk))
	for i := range bufs {
		bufs[i] = make([]Measurement, min(len(seqs), readChunk))
	}
	parts := make([][]Measurement, 0, len(bufs))
	for len(seqs) > 0 {
		parts = parts[:0]
		for len(seqs) > 0 && len(parts) < len(bufs) {
			part := bufs[len(parts)][:min(len(seqs), readChunk)]
			for i := range part {
				part[i].Seq = seqs[i]
			}
			parts, seqs = append(parts, part), seqs[len(part):]
		}
		errs := make([]error, len(parts))
		if len(parts) == 1 {
			errs[0] = t.fetch(parts[0])
		} else {
			var wg sync.WaitGroup
			for i, part := range parts {
				wg.Go(func() { errs[i] = t.fetch(part) })
			}
			wg.Wait()
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		for _, part := range parts {
			for _, m := range part {
				if err := fn(m); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fetch fills in the Result of each of ms, by Seq, in one read transaction.
func (t *Timeline) fetch(ms []Measurement) error {
	return t.view(func(tx *bolt.Tx) error {
		// One cursor for the chunk: Bucket.Get would allocate one per call.
		c, str := tx.Bucket(bucketRecords).Cursor(), t.stringLookup(tx)
		var key [8]byte
		for i := range ms {
			k, v := c.Seek(seqKey(key[:0], ms[i].Seq))
			if !bytes.Equal(k, key[:]) {
				return fmt.Errorf("indexed record %d missing: %w", ms[i].Seq, ErrCorrupt)
			}
			var err error
			if ms[i].Result, err = DecodeMeasurement(v, str); err != nil {
				return fmt.Errorf("record %d: %w", ms[i].Seq, err)
			}
		}
		return nil
	})
}

// Last returns the component's most recently appended measurement (highest
// seq, whatever its Start), and false if it has none.
func (t *Timeline) Last(component string) (Measurement, bool, error) {
	t.mu.RLock()
	comp, ok := t.ids[component]
	tail, hasTail := t.tails[uint32(comp)]
	t.mu.RUnlock()
	if !ok || !hasTail {
		return Measurement{}, false, nil
	}
	seq, _ := tail.last()
	var m Measurement
	err := t.measurements("last measurement of "+component, []uint64{seq}, func(got Measurement) error { m = got; return nil })
	if err != nil {
		return Measurement{}, false, err
	}
	return m, true, nil
}

// Get returns record seq, decoded, of any kind. It returns ErrNotFound when
// seq >= Len().
func (t *Timeline) Get(seq uint64) (Record, error) {
	rec := Record{Seq: seq}
	err := t.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords).Get(seqKey(nil, seq))
		if b == nil {
			return ErrNotFound
		}
		var err error
		rec, err = DecodeRecord(b, t.stringLookup(tx))
		rec.Seq = seq
		return err
	})
	if err != nil {
		return Record{}, fmt.Errorf("get record %d: %w", seq, err)
	}
	return rec, nil
}

// Scan calls fn with the canonical bytes of each record from seq from up to
// Len() as Scan begins, in seq order; these bytes are what the transparency
// log will hash. raw is valid only during fn and must not be modified: copy it
// to keep it. fn runs outside any transaction and may call other methods.
// Scan stops at fn's first error and returns it.
func (t *Timeline) Scan(from uint64, fn func(seq uint64, raw []byte) error) error {
	end := t.Len()
	var buf []byte
	var offs []int
	for from < end {
		buf, offs = buf[:0], offs[:0]
		err := t.view(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketRecords).Cursor()
			for k, v := c.Seek(seqKey(nil, from)); k != nil && len(offs) < readChunk; k, v = c.Next() {
				if seq := binary.BigEndian.Uint64(k); seq != from+uint64(len(offs)) {
					return fmt.Errorf("record %d missing (found %d): %w", from+uint64(len(offs)), seq, ErrCorrupt)
				}
				buf = append(buf, v...)
				offs = append(offs, len(buf))
			}
			return nil
		})
		if err == nil && len(offs) == 0 {
			err = fmt.Errorf("record %d missing below length %d: %w", from, end, ErrCorrupt)
		}
		if err != nil {
			return fmt.Errorf("scan from %d: %w", from, err)
		}
		prev := 0
		for _, off := range offs {
			if from >= end {
				return nil
			}
			if err := fn(from, buf[prev:off:off]); err != nil {
				return err
			}
			from, prev = from+1, off
		}
	}
	return nil
}

// Components returns the IDs of the components that have measurements,
// sorted.
func (t *Timeline) Components() []string {
	t.mu.RLock()
	ids := make([]string, 0, len(t.tails))
	for comp := range t.tails {
		ids = append(ids, t.strs[comp])
	}
	t.mu.RUnlock()
	slices.Sort(ids)
	return ids
}
