package timeline

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/constat-ent/constat/probes"
)

// checkpointEvery is how many records may follow the last tails checkpoint
// before the writer writes another; Open replays at most about that many.
const checkpointEvery = 1 << 15

// batch is one transaction's changes, applied to the Timeline only after commit.
type batch struct {
	t          *Timeline
	next       uint64                   // next seq
	strs       []string                 // strings defined in this batch, IDs from len(t.strs)
	ids        map[string]uint64        // their IDs
	tails      map[uint32]block         // tails touched in this batch
	checkpoint bool                     // the tails and rollups buckets were brought up to date
	err        error                    // first error met while interning
	arena      []byte                   // measurement records put in this transaction
	keys       []byte                   // record keys put in this transaction
	days       map[rollupKey]*DayRollup // rollups touched in this batch (copies)
	rollBuf    []byte                   // rollup keys and values put in this transaction
	recs       *bolt.Bucket
	strings    *bolt.Bucket
	index      *bolt.Bucket
	admin      *bolt.Bucket
	rollups    *bolt.Bucket
	tree       *bolt.Bucket
	chunks     *bolt.Bucket // the edge bucket
	edge       edge         // the tree's right edge, a copy of t.edge grown by this batch
}

// newBatch returns the writer's batch, emptied. Its maps and arenas are
// reused from one transaction to the next: bbolt keeps references to keys
// and values only until the transaction ends.
func (t *Timeline) newBatch() *batch {
	b := t.batch
	if b == nil {
		b = &batch{t: t, ids: make(map[string]uint64), tails: make(map[uint32]block), days: make(map[rollupKey]*DayRollup)}
		t.batch = b
	}
	clear(b.ids)
	clear(b.tails)
	clear(b.days)
	*b = batch{t: t, next: t.next, strs: b.strs[:0], ids: b.ids, tails: b.tails, arena: b.arena[:0], keys: b.keys[:0],
		days: b.days, rollBuf: b.rollBuf[:0], edge: t.edge}
	return b
}

func (b *batch) write(tx *bolt.Tx, reqs []*request) error {
	b.recs, b.strings, b.index = tx.Bucket(bucketRecords), tx.Bucket(bucketStrings), tx.Bucket(bucketIndex)
	// Keys only grow in records and strings, and within each component in
	// index: fill pages completely.
	b.recs.FillPercent, b.strings.FillPercent, b.index.FillPercent = 1, 1, 1
	b.admin = tx.Bucket(bucketAdmin)
	b.admin.FillPercent = 1
	b.rollups = tx.Bucket(bucketRollups)
	b.tree, b.chunks = tx.Bucket(bucketTree), tx.Bucket(bucketEdge)
	// Chunk keys only grow within a level, and the levels above 0 hold
	// few: fill pages completely.
	b.chunks.FillPercent = 1
	for _, req := range reqs {
		if cap(req.seqs) < req.len() {
			req.seqs = make([]uint64, 0, req.len())
		}
		req.seqs = req.seqs[:0]
		for i := range req.rs {
			seq, err := b.add(&req.rs[i])
			if err != nil {
				return err
			}
			req.seqs = append(req.seqs, seq)
		}
		for _, e := range req.es {
			seq, err := b.addEntry(e, req.seqs)
			if err != nil {
				return err
			}
			req.seqs = append(req.seqs, seq)
		}
	}
	if err := b.edge.flush(b.chunks); err != nil {
		return err
	}
	if b.next-b.t.checkpointed >= b.t.checkpointEvery {
		if err := b.writeCheckpoint(tx); err != nil {
			return err
		}
	}
	if b.t.beforeCommit != nil {
		return b.t.beforeCommit(tx)
	}
	return nil
}

// add writes r's string definitions, then r, then r's index entry. Interning
// puts string records (through put) while EncodeMeasurement appends to
// b.arena: that is why record keys have their own arena.
func (b *batch) add(r *probes.Result) (uint64, error) {
	start := len(b.arena)
	var err error
	b.arena, err = EncodeMeasurement(b.arena, r, b.intern)
	if b.err != nil {
		return 0, b.err
	}
	if err != nil {
		return 0, err
	}
	seq, err := b.put(b.arena[start:])
	if err != nil {
		return 0, fmt.Errorf("put measurement for %s: %w", r.Component, err)
	}
	comp := b.ids[r.Component]
	if comp == 0 {
		comp = b.t.ids[r.Component]
	}
	if err := b.indexEntry(uint32(comp), seq, r.Start.UnixMilli()); err != nil {
		return 0, err
	}
	return seq, b.rollup(uint32(comp), r)
}

// addEntry writes e's string definitions, then e, then its entry in the
// admin bucket. seqs are those of the entries before e in its call.
func (b *batch) addEntry(e Entry, seqs []uint64) (uint64, error) {
	start := len(b.arena)
	var err error
	b.arena, err = encodeEntry(b.arena, e, b.intern, seqs)
	if b.err != nil {
		return 0, b.err
	}
	if err != nil {
		return 0, err
	}
	b.arena = append(b.arena, byte(e.Kind())) // the admin bucket's value
	rec, kind := b.arena[start:len(b.arena)-1], b.arena[len(b.arena)-1:]
	seq, err := b.put(rec)
	if err != nil {
		return 0, fmt.Errorf("put %v: %w", e.Kind(), err)
	}
	if err := b.admin.Put(b.keys[len(b.keys)-8:], kind); err != nil {
		return 0, fmt.Errorf("put admin index entry %d: %w", seq, err)
	}
	return seq, nil
}

// put stores rec as the next record, and its hash as the next leaf of the
// tree. rec must stay unchanged until the transaction ends.
func (b *batch) put(rec []byte) (uint64, error) {
	seq := b.next
	b.keys = seqKey(b.keys, seq)
	if err := b.recs.Put(b.keys[len(b.keys)-8:], rec); err != nil {
		return 0, err
	}
	h := tlog.RecordHash(rec)
	if err := b.edge.add(b.chunks, 0, &h); err != nil {
		return 0, err
	}
	b.next++
	return seq, nil
}

// intern returns s's ID, defining it (a string record) if it is new. On
// error it records the error in b.err and returns a placeholder ID.
func (b *batch) intern(s string) uint64 {
	if id, ok := b.t.ids[s]; ok {
		return id
	}
	if id, ok := b.ids[s]; ok {
		return id
	}
	if b.err != nil {
		return 1
	}
	id := uint64(len(b.t.strs) + len(b.strs))
	if id > maxStringID {
		b.err = fmt.Errorf("define string %d: more than %d strings", id, maxStringID)
		return 1
	}
	rec, err := EncodeString(nil, s)
	if err == nil {
		var seq uint64
		if seq, err = b.put(rec); err == nil {
			err = b.strings.Put(seqKey(nil, id), seqKey(nil, seq))
		}
	}
	if err != nil {
		b.err = fmt.Errorf("define string %d: %w", id, err)
		return 1
	}
	b.strs = append(b.strs, s)
	b.ids[s] = id
	return id
}

// indexEntry adds (seq, ms) to the component's tail, first moving a tail
// that cannot take it into the index bucket.
func (b *batch) indexEntry(comp uint32, seq uint64, ms int64) error {
	blk, ok := b.tails[comp]
	if !ok {
		blk, ok = b.t.tails[comp]
	}
	blk, old, sealed := advance(blk, ok, comp, seq, ms)
	if sealed {
		k := old.key(compKey(comp))
		if err := b.index.Put(k, old.appendValue(nil)); err != nil {
			return fmt.Errorf("put index block %x: %w", k, err)
		}
	}
	b.tails[comp] = blk
	return nil
}

// writeCheckpoint writes the index tails and the rollups changed since the
// last checkpoint, and moves the tree's full groups out of the edge bucket.
func (b *batch) writeCheckpoint(tx *bolt.Tx) error {
	if err := b.edge.settle(tx.Bucket(bucketTree), tx.Bucket(bucketEdge)); err != nil {
		return err
	}
	if err := b.writeTails(tx); err != nil {
		return err
	}
	return b.writeRollups(tx)
}

// writeTails is the index's part of a checkpoint: it writes the tails
// changed since the last one, and records in meta that the tails bucket now
// covers the records before b.next.
func (b *batch) writeTails(tx *bolt.Tx) error {
	tails := tx.Bucket(bucketTails)
	put := func(comp uint32, blk block) error {
		v := blk.appendValue(blk.key(make([]byte, 0, blockKeyLen+6*len(blk.seqs))))
		if err := tails.Put(compKey(comp), v); err != nil {
			return fmt.Errorf("put tail of component %d: %w", comp, err)
		}
		return nil
	}
	for comp, blk := range b.tails {
		if err := put(comp, blk); err != nil {
			return err
		}
	}
	for comp := range b.t.dirty {
		if _, done := b.tails[comp]; !done {
			if err := put(comp, b.t.tails[comp]); err != nil {
				return err
			}
		}
	}
	if err := tx.Bucket(bucketMeta).Put(keyTails, seqKey(nil, b.next)); err != nil {
		return fmt.Errorf("put tails checkpoint: %w", err)
	}
	b.checkpoint = true
	return nil
}

// apply makes a committed batch visible. Only the writer calls it.
func (t *Timeline) apply(b *batch) {
	if b.checkpoint {
		clear(t.dirty)
		t.checkpointed = b.next
	} else {
		for comp := range b.tails {
			t.dirty[comp] = struct{}{}
		}
	}
	t.edge = b.edge
	t.mu.Lock()
	defer t.mu.Unlock()
	t.applyRollups(b)
	t.strs = append(t.strs, b.strs...)
	for s, id := range b.ids {
		t.ids[s] = id
	}
	for comp, blk := range b.tails {
		t.tails[comp] = blk
	}
	t.next = b.next
}

// finalCheckpoint writes the tails changed since the last checkpoint, so
// that the next Open replays nothing. Records without index entries (admin
// records) move the checkpoint too.
func (t *Timeline) finalCheckpoint() error {
	if len(t.dirty) == 0 && len(t.dirtyDays) == 0 && t.checkpointed == t.next {
		return nil
	}
	b := t.newBatch()
	if err := t.db.Update(b.writeCheckpoint); err != nil {
		return fmt.Errorf("checkpoint index tails and rollups: %w", err)
	}
	t.apply(b)
	return nil
}
