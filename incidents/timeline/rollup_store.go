package timeline

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/constat-ent/constat/probes"
)

// Reading, rebuilding and maintaining the rollups bucket. See "Daily
// rollups" in the package documentation.

// Rollups returns the component's daily rollups from day from through day
// to, both included, in date order, as of the last committed transaction.
// Days without measurements are absent, not zero-valued. It reads one
// cursor range of at most to - from + 1 values, whatever the measurement
// rate, and the open days from memory.
func (t *Timeline) Rollups(component string, from, to Date) ([]DayRollup, error) {
	return t.AppendRollups(nil, component, from, to)
}

// AppendRollups is Rollups appending to dst and returning the extended
// slice, so that a reader of many components (the home page reads 90 days
// of each, 39 KB a component) reuses one buffer.
func (t *Timeline) AppendRollups(dst []DayRollup, component string, from, to Date) ([]DayRollup, error) {
	lo, hi := from.number(), to.number()
	if lo > hi || hi < math.MinInt32 || lo > math.MaxInt32 {
		return dst, nil
	}
	lo, hi = max(lo, math.MinInt32), min(hi, math.MaxInt32)
	// As rangeEntries: the open days as of the last batch applied, and a
	// read transaction begun under the same lock.
	t.mu.RLock()
	comp, ok := t.ids[component]
	var open map[int32]*DayRollup
	if ok {
		open = t.openDays(uint32(comp), int32(lo), int32(hi))
	}
	var tx *bolt.Tx
	var err error
	if ok {
		tx, err = t.db.Begin(false)
	}
	t.mu.RUnlock()
	if !ok || err != nil {
		return dst, closedErr(err)
	}
	defer tx.Rollback()
	n := len(dst)
	out, err := storedRollups(dst, tx, uint32(comp), int32(lo), int32(hi), open)
	if err != nil {
		return dst, fmt.Errorf("rollups of %s: %w", component, err)
	}
	for i := n; i < len(out); i++ {
		out[i].Component = component
	}
	return out, nil
}

// openDays returns the component's days in [lo, hi] held in memory. The
// caller holds t.mu.
func (t *Timeline) openDays(comp uint32, lo, hi int32) map[int32]*DayRollup {
	open := make(map[int32]*DayRollup)
	if int64(hi)-int64(lo) < int64(len(t.days)) {
		for day := int64(lo); day <= int64(hi); day++ {
			if d := t.days[rollupKey{comp, int32(day)}]; d != nil {
				open[int32(day)] = d
			}
		}
		return open
	}
	for key, d := range t.days {
		if key.comp == comp && key.day >= lo && key.day <= hi {
			open[key.day] = d
		}
	}
	return open
}

// storedRollups appends to dst the rollups stored for days [lo, hi] of comp
// merged with open, which takes precedence, in day order.
func storedRollups(dst []DayRollup, tx *bolt.Tx, comp uint32, lo, hi int32, open map[int32]*DayRollup) ([]DayRollup, error) {
	n := len(dst)
	out := slices.Grow(dst, int(min(int64(hi)-int64(lo)+1, 400)))
	c := tx.Bucket(bucketRollups).Cursor()
	end := rollupKey{comp, hi}.append(nil)
	for k, v := c.Seek(rollupKey{comp, lo}.append(nil)); k != nil && bytes.Compare(k, end) <= 0; k, v = c.Next() {
		key, err := parseRollupKey(k)
		if err != nil {
			return nil, err
		}
		if open[key.day] != nil {
			continue
		}
		d, err := decodeRollup(v)
		if err != nil {
			return nil, fmt.Errorf("day %s: %w", dateOfNumber(int64(key.day)), err)
		}
		d.Day = dateOfNumber(int64(key.day))
		out = append(out, d)
	}
	for day, d := range open {
		r := *d
		r.Day = dateOfNumber(int64(day))
		out = append(out, r)
	}
	if len(open) > 0 {
		slices.SortFunc(out[n:], func(a, b DayRollup) int { return a.Day.Compare(b.Day) })
	}
	return out, nil
}

// RebuildRollups recomputes every rollup from the measurement records, in
// one write transaction that the writer runs between two of its own:
// appends wait for it (a scan of the whole log). Open calls it for files
// written before rollups existed; it is otherwise needed only if the
// rollups bucket was damaged. It returns ErrClosed after Close.
func (t *Timeline) RebuildRollups() error {
	req := &request{ctx: context.Background(), rebuild: true, done: make(chan struct{})}
	_, err := t.send(req)
	return err
}

// rebuildRollups replaces the rollups bucket with one recomputed from the
// records, which it then covers all of, and empties the open days. Only the
// writer calls it, or Open before the writer starts.
func (t *Timeline) rebuildRollups() (days, rounds int, err error) {
	var all map[rollupKey]*DayRollup
	err = t.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketRollups) != nil {
			if err := tx.DeleteBucket(bucketRollups); err != nil {
				return err
			}
		}
		b, err := tx.CreateBucket(bucketRollups)
		if err != nil {
			return err
		}
		if all, rounds, err = computeRollups(tx, t.stringLookup(tx)); err != nil {
			return err
		}
		b.FillPercent = 1 // written in key order
		for _, key := range slices.SortedFunc(maps.Keys(all), compareRollupKeys) {
			// bbolt keeps the value until the transaction ends: one each.
			if err := b.Put(key.append(nil), appendRollup(nil, all[key])); err != nil {
				return fmt.Errorf("put rollup %v: %w", key, err)
			}
		}
		return tx.Bucket(bucketMeta).Put(keyRollups, seqKey(nil, t.next))
	})
	if err != nil {
		return 0, 0, fmt.Errorf("rebuild rollups: %w", err)
	}
	clear(t.dirtyDays)
	t.mu.Lock()
	t.days = make(map[rollupKey]*DayRollup)
	t.latestDay = math.MinInt32
	t.mu.Unlock()
	return len(all), rounds, nil
}

// computeRollups returns the rollups of the measurement records in tx, and
// the number of measurements. str looks up string IDs.
func computeRollups(tx *bolt.Tx, str func(uint64) (string, bool)) (map[rollupKey]*DayRollup, int, error) {
	all, rounds := make(map[rollupKey]*DayRollup), 0
	c := tx.Bucket(bucketRecords).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if kind, err := RecordKind(v); err != nil || kind != KindMeasurement {
			continue // Open and tests check the records themselves
		}
		comp, r, err := decodeForRollup(v, str)
		if err != nil {
			return nil, 0, fmt.Errorf("record %x: %w", k, err)
		}
		key := rollupKey{comp, int32(DateOf(r.Start).number())}
		d := all[key]
		if d == nil {
			d = &DayRollup{}
			all[key] = d
		}
		d.add(&r)
		rounds++
	}
	return all, rounds, nil
}

func decodeForRollup(v []byte, str func(uint64) (string, bool)) (uint32, probes.Result, error) {
	r, err := DecodeMeasurement(v, str)
	if err != nil {
		return 0, r, err
	}
	comp, _, err := measurementHead(v)
	return comp, r, err
}

// replayRollups adds the measurements after the rollups checkpoint to the
// open days, as the writer did, and marks those days dirty. A file without
// a rollups checkpoint has no rollups bucket either: Open rebuilds it.
func (t *Timeline) replayRollups(tx *bolt.Tx) error {
	cp := tx.Bucket(bucketMeta).Get(keyRollups)
	if cp == nil || tx.Bucket(bucketRollups) == nil {
		return nil
	}
	if len(cp) != 8 || binary.BigEndian.Uint64(cp) > t.next {
		return fmt.Errorf("rollups checkpoint %x beyond %d records: %w", cp, t.next, ErrCorrupt)
	}
	b := &batch{t: t, days: make(map[rollupKey]*DayRollup), rollups: tx.Bucket(bucketRollups)}
	str := t.stringLookup(tx)
	c := tx.Bucket(bucketRecords).Cursor()
	for k, v := c.Seek(cp); k != nil; k, v = c.Next() {
		if kind, err := RecordKind(v); err != nil || kind != KindMeasurement {
			continue // replay checks the records
		}
		comp, r, err := decodeForRollup(v, str)
		if err == nil {
			err = b.rollup(comp, &r)
		}
		if err != nil {
			return fmt.Errorf("replay rollups: record %x: %w", k, err)
		}
	}
	for key, d := range b.days {
		t.days[key] = d
		t.dirtyDays[key] = struct{}{}
		t.latestDay = max(t.latestDay, key.day)
	}
	return nil
}

func compareRollupKeys(a, b rollupKey) int {
	if a.comp != b.comp {
		if a.comp < b.comp {
			return -1
		}
		return 1
	}
	return int(a.day) - int(b.day)
}

// keepDays is how many days before the latest day seen the writer keeps
// rollups in memory once they are written; an older day still gets its late
// measurements, at the cost of reading its value back from the file.
const keepDays = 2

// rollup adds r, of component comp, to its day's rollup in b, copying the
// rollup from the open days or from the file on first touch.
func (b *batch) rollup(comp uint32, r *probes.Result) error {
	// The day of Start as stored, to the millisecond, as a rebuild sees it.
	key := rollupKey{comp, int32(DateOf(time.UnixMilli(r.Start.UnixMilli())).number())}
	d := b.days[key]
	if d == nil {
		d = new(DayRollup)
		if c := b.t.days[key]; c != nil {
			*d = *c
		} else if v := b.rollups.Get(key.append(nil)); v != nil {
			var err error
			if *d, err = decodeRollup(v); err != nil {
				return fmt.Errorf("rollup of component %d, day %d: %w", comp, key.day, err)
			}
		}
		b.days[key] = d
	}
	d.add(r)
	return nil
}

// writeRollups is the rollups' checkpoint: it puts the rollups changed
// since the last one, once each, and records in meta that the rollups
// bucket covers the records before b.next.
func (b *batch) writeRollups(tx *bolt.Tx) error {
	put := func(key rollupKey, d *DayRollup) error {
		start := len(b.rollBuf)
		b.rollBuf = key.append(b.rollBuf)
		mid := len(b.rollBuf)
		b.rollBuf = appendRollup(b.rollBuf, d)
		// Earlier keys and values keep the old array if this one grew.
		if err := tx.Bucket(bucketRollups).Put(b.rollBuf[start:mid:mid], b.rollBuf[mid:]); err != nil {
			return fmt.Errorf("put rollup of component %d, day %d: %w", key.comp, key.day, err)
		}
		return nil
	}
	for key, d := range b.days {
		if err := put(key, d); err != nil {
			return err
		}
	}
	for key := range b.t.dirtyDays {
		if _, done := b.days[key]; !done {
			if err := put(key, b.t.days[key]); err != nil {
				return err
			}
		}
	}
	if err := tx.Bucket(bucketMeta).Put(keyRollups, seqKey(nil, b.next)); err != nil {
		return fmt.Errorf("put rollups checkpoint: %w", err)
	}
	return nil
}

// applyRollups moves a committed batch's rollups to the open days. After a
// checkpoint, every open day is stored: it forgets those more than keepDays
// before the latest. The caller holds t.mu.
func (t *Timeline) applyRollups(b *batch) {
	for key, d := range b.days {
		t.days[key] = d
		t.latestDay = max(t.latestDay, key.day)
	}
	if !b.checkpoint {
		for key := range b.days {
			t.dirtyDays[key] = struct{}{}
		}
		return
	}
	clear(t.dirtyDays)
	for key := range t.days {
		if key.day < t.latestDay-keepDays {
			delete(t.days, key)
		}
	}
}
