package timeline

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/constat-ent/constat/probes"
)

// Bucket names and the format version stored in the meta bucket.
var (
	bucketMeta    = []byte("meta")
	bucketRecords = []byte("records")
	bucketStrings = []byte("strings")
	bucketIndex   = []byte("index")
	bucketTails   = []byte("tails")
	bucketAdmin   = []byte("admin")
	bucketRollups = []byte("rollups")
	bucketTree    = []byte("tree")
	bucketEdge    = []byte("edge")
	keyFormat     = []byte("format")
	keyTails      = []byte("tails")
	keyRollups    = []byte("rollups")
	formatValue   = []byte("constat-timeline 1")
)

// DefaultMaxBatch is Options.MaxBatch when it is zero.
const DefaultMaxBatch = 4096

// Options configure Open. The zero value is ready to use.
type Options struct {
	// MaxBatch is how many records the writer puts in one transaction at most
	// (default DefaultMaxBatch). A single AppendAll call is never split: one
	// larger than MaxBatch gets a transaction of its own.
	MaxBatch int
	// MaxDelay is how long the writer waits, after a request arrives, for
	// more to share its transaction. Zero commits at once what is waiting.
	// A delay of a few hundred milliseconds lets the results of a spread
	// schedule share commits (and fsyncs) at the cost of that much latency
	// before Append returns.
	MaxDelay time.Duration
	// NoSync skips fsync after each commit, so a crash can lose or corrupt
	// committed records. It is for tests and benchmarks only: THIS IS UNSAFE
	// for real data.
	NoSync bool
	// Logger receives Constat's own faults and lifecycle events; nil discards.
	Logger *slog.Logger
}

// Timeline is an open timeline file. Its methods are safe for concurrent use.
type Timeline struct {
	db       *bolt.DB
	log      *slog.Logger
	health   health
	maxBatch int
	maxDelay time.Duration

	queue      queue         // requests waiting for the writer
	closing    chan struct{} // closed by Close to stop the writer
	writerDone chan struct{} // closed by the writer when it returns
	closeOnce  sync.Once
	closeErr   error

	// Committed state, written by the writer after each commit under mu.
	// The writer reads it without mu (it is the only one to write it).
	mu    sync.RWMutex
	strs  []string          // string ID → string; strs[0] == ""; append-only
	ids   map[string]uint64 // string → string ID
	tails map[uint32]block  // component ID → its open index block
	next  uint64            // number of records, the next seq
	// The open days: the rollups changed since the last checkpoint and those
	// of the latest days. A *DayRollup in days is never modified: the
	// writer replaces it.
	days      map[rollupKey]*DayRollup
	latestDay int32 // the latest day in days

	// Writer-only state: the tails bucket covers the records before
	// checkpointed; dirty lists the tails changed since.
	dirty           map[uint32]struct{}
	checkpointed    uint64
	checkpointEvery uint64                 // checkpointEvery; lowered by tests
	finalErr        error                  // the final checkpoint's, read by Close after the writer returned
	batch           *batch                 // reused by each transaction
	dirtyDays       map[rollupKey]struct{} // the days changed since the last checkpoint
	edge            edge                   // the tree's right edge, as committed

	// beforeCommit, when set by tests, runs at the end of each write
	// transaction; an error makes the transaction fail.
	beforeCommit func(*bolt.Tx) error
}

// Open opens the timeline file at path, creating it if absent, and starts
// its writer. It returns an error wrapping ErrVersion when the file holds
// another format version or is not a timeline, and ErrCorrupt when its
// string table or index cannot be loaded. Open waits at most a second for
// another process to release the file. Call Close when done.
func Open(path string, opts Options) (_ *Timeline, err error) {
	if err := checkHeader(path); err != nil {
		return nil, fmt.Errorf("open timeline %s: %w", path, err)
	}
	var db *bolt.DB
	// bbolt panics on some damaged pages (slice bounds, bad page type):
	// that is a damaged file to refuse, not a reason to die.
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				db.Close()
			}
			err = fmt.Errorf("open timeline %s: %w: bbolt: %v", path, ErrDamaged, r)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: opts.NoSync})
	if err != nil {
		if errors.Is(err, bolterrors.ErrChecksum) || errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrVersionMismatch) {
			err = fmt.Errorf("%w: %w", ErrDamaged, err)
		}
		return nil, fmt.Errorf("open timeline %s: %w", path, err)
	}
	// Grow the file 1 MiB at a time instead of bbolt's 16 MiB, and never to
	// twice the data (bbolt's rule below AllocSize): the file stays near its
	// content. Each growth costs one truncate and fsync.
	db.AllocSize = 1 << 20
	t := &Timeline{
		db:         db,
		log:        opts.Logger,
		maxBatch:   opts.MaxBatch,
		maxDelay:   opts.MaxDelay,
		queue:      newQueue(),
		closing:    make(chan struct{}),
		writerDone: make(chan struct{}),
		strs:       []string{""},
		ids:        make(map[string]uint64),
		tails:      make(map[uint32]block),
		dirty:      make(map[uint32]struct{}),
		days:       make(map[rollupKey]*DayRollup),
		latestDay:  math.MinInt32,
		dirtyDays:  make(map[rollupKey]struct{}),

		checkpointEvery: checkpointEvery,
	}
	if t.log == nil {
		t.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if t.maxBatch <= 0 {
		t.maxBatch = DefaultMaxBatch
	}
	err = db.View(checkPages)
	if err == nil {
		err = db.Update(initBuckets)
	}
	migrated := false
	if err == nil {
		err = db.Update(func(tx *bolt.Tx) (err error) {
			migrated, err = migrateEdge(tx)
			return err
		})
	}
	if err == nil && migrated {
		t.log.Info("timeline tree: unfinished groups moved to the edge bucket", "path", path)
	}
	if err == nil {
		err = db.View(t.load)
	}
	rebuild := false
	if err == nil {
		err = db.View(func(tx *bolt.Tx) error {
			rebuild = tx.Bucket(bucketRollups) == nil || tx.Bucket(bucketMeta).Get(keyRollups) == nil
			return nil
		})
	}
	if err == nil && rebuild {
		// Written before rollups existed: derive them once, before the
		// writer starts.
		var days, rounds int
		if days, rounds, err = t.rebuildRollups(); err == nil {
			t.log.Info("timeline rollups rebuilt", "path", path, "days", days, "measurements", rounds)
		}
	}
	if err == nil && t.edge[0].n < t.next {
		// Written before the tree existed, or by a version that did not
		// hash: hash the records, once, before the writer starts.
		from := t.edge[0].n
		if err = t.buildTree(); err == nil {
			t.log.Info("timeline tree built", "path", path, "from", from, "records", t.next)
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open timeline %s: %w", path, err)
	}
	if n := t.next - t.checkpointed; n > 0 {
		// Not a clean Close: worth knowing when the file is read again.
		t.log.Info("timeline replayed records after its last checkpoint", "path", path, "records", n)
	}
	t.log.Debug("timeline opened", "path", path, "records", t.next, "strings", len(t.strs)-1, "components", len(t.tails))
	go t.run()
	return t, nil
}

// initBuckets creates the buckets of a new file and checks the format of an
// existing one.
func initBuckets(tx *bolt.Tx) error {
	names := [][]byte{bucketMeta, bucketRecords, bucketStrings, bucketIndex, bucketTails}
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if !empty {
			return fmt.Errorf("bbolt file without a %q bucket: %w", bucketMeta, ErrVersion)
		}
		for _, name := range append(names, bucketAdmin, bucketRollups, bucketTree, bucketEdge) {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("create bucket %q: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyFormat, formatValue); err != nil {
			return err
		}
		if err := meta.Put(keyRollups, seqKey(nil, 0)); err != nil {
			return err
		}
		return meta.Put(keyTails, seqKey(nil, 0))
	}
	if f := meta.Get(keyFormat); !bytes.Equal(f, formatValue) {
		return fmt.Errorf("format %q, want %q: %w", f, formatValue, ErrVersion)
	}
	for _, name := range names {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("bucket %q missing: %w", name, ErrCorrupt)
		}
	}
	// Files written before the admin kinds existed hold none of them: their
	// admin index is empty.
	// Files written before the tree existed get it empty; Open hashes
	// their records.
	for _, name := range [][]byte{bucketAdmin, bucketTree} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %q: %w", name, err)
		}
	}
	return nil
}

// load rebuilds the in-memory state from the file.
func (t *Timeline) load(tx *bolt.Tx) error {
	recs := tx.Bucket(bucketRecords)
	if k, _ := recs.Cursor().Last(); k != nil {
		if len(k) != 8 {
			return fmt.Errorf("record key %x: %w", k, ErrCorrupt)
		}
		t.next = binary.BigEndian.Uint64(k) + 1
	}
	err := tx.Bucket(bucketStrings).ForEach(func(k, v []byte) error {
		id := uint64(len(t.strs))
		if len(k) != 8 || binary.BigEndian.Uint64(k) != id || len(v) != 8 {
			return fmt.Errorf("string table entry %x: want ID %d: %w", k, id, ErrCorrupt)
		}
		seq := binary.BigEndian.Uint64(v)
		s, err := DecodeString(recs.Get(v))
		if err != nil {
			return fmt.Errorf("string %d (record %d): %w", id, seq, err)
		}
		t.strs = append(t.strs, s)
		t.ids[s] = id
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketTails).ForEach(func(k, v []byte) error {
		if len(k) != compKeyLen || uint64(binary.BigEndian.Uint32(k)) >= uint64(len(t.strs)) {
			return fmt.Errorf("tail key %x: %w", k, ErrCorrupt)
		}
		b, err := decodeBlock(binary.BigEndian.Uint32(k), v)
		if err != nil {
			return err
		}
		t.tails[b.comp] = b
		return nil
	})
	if err != nil {
		return err
	}
	if t.edge, err = loadEdge(tx); err != nil {
		return err
	}
	if n := t.edge[0].n; n > t.next {
		return fmt.Errorf("tree of %d leaves for %d records: %w", n, t.next, ErrCorrupt)
	}
	if err := t.replay(tx); err != nil {
		return err
	}
	return t.replayRollups(tx)
}

// replay rebuilds the tails of the records written after the last
// checkpoint, as the writer built them, checking that the blocks it moved
// are in the index.
func (t *Timeline) replay(tx *bolt.Tx) error {
	cp := tx.Bucket(bucketMeta).Get(keyTails)
	if len(cp) != 8 || binary.BigEndian.Uint64(cp) > t.next {
		return fmt.Errorf("tails checkpoint %x beyond %d records: %w", cp, t.next, ErrCorrupt)
	}
	t.checkpointed = binary.BigEndian.Uint64(cp)
	index := tx.Bucket(bucketIndex)
	c := tx.Bucket(bucketRecords).Cursor()
	for k, v := c.Seek(cp); k != nil; k, v = c.Next() {
		seq := binary.BigEndian.Uint64(k)
		comp, ms, err := measurementHead(v)
		if err == nil && uint64(comp) >= uint64(len(t.strs)) {
			err = fmt.Errorf("component %d undefined: %w", comp, ErrCorrupt)
		}
		if err != nil {
			return fmt.Errorf("replay record %d: %w", seq, err)
		}
		if comp == 0 {
			continue // not a measurement
		}
		blk, ok := t.tails[comp]
		blk, old, sealed := advance(blk, ok, comp, seq, ms)
		if sealed && index.Get(old.key(compKey(comp))) == nil {
			return fmt.Errorf("replay record %d: index block of component %d missing: %w", seq, comp, ErrCorrupt)
		}
		t.tails[comp] = blk
		t.dirty[comp] = struct{}{}
	}
	return nil
}

// Close commits the appends already queued, stops the writer, checkpoints
// the index tails (so that the next Open replays nothing) and closes the
// file. Appends that race with Close either commit or return ErrClosed, and
// reads begun after it return ErrClosed. Close waits for read transactions in
// progress; it is idempotent and returns the first call's error.
func (t *Timeline) Close() error {
	t.closeOnce.Do(func() {
		close(t.closing)
		<-t.writerDone
		err := errors.Join(t.finalErr, t.db.Close())
		if err != nil {
			t.closeErr = fmt.Errorf("close timeline %s: %w", t.db.Path(), err)
		}
		t.log.Debug("timeline closed", "records", t.Len())
	})
	return t.closeErr
}

// Len returns the number of committed records, which is also the sequence
// number the next record will get.
func (t *Timeline) Len() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.next
}

// view runs fn in a read transaction, mapping a closed database to ErrClosed.
func (t *Timeline) view(fn func(*bolt.Tx) error) error { return closedErr(t.db.View(fn)) }

func closedErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// stringLookup returns a lookup from string ID to string for decoding records
// read in tx: the committed table first, then tx for strings committed after
// the table was read (the table is updated just after each commit).
func (t *Timeline) stringLookup(tx *bolt.Tx) func(uint64) (string, bool) {
	t.mu.RLock()
	strs := t.strs
	t.mu.RUnlock()
	return func(id uint64) (string, bool) {
		if id < uint64(len(strs)) {
			return strs[id], true
		}
		v := tx.Bucket(bucketStrings).Get(seqKey(nil, id))
		if len(v) != 8 {
			return "", false
		}
		s, err := DecodeString(tx.Bucket(bucketRecords).Get(v))
		return s, err == nil
	}
}

// Measurement is a measurement record: its sequence number and the Result it holds.
type Measurement struct {
	Seq uint64
	probes.Result
}

// Record is any record of the log, as returned by Get, AdminRecords and
// DecodeRecord: Kind says which one of the other fields is set.
type Record struct {
	Seq         uint64
	Kind        Kind
	String      string         // KindString: the string defined (its ID is its rank among string records)
	Measurement *probes.Result // KindMeasurement
	Event       *Event         // KindEvent
	Update      *Update        // KindUpdate
	Maintenance *Maintenance   // KindMaintenance
	Statement   *Statement     // KindStatement
	Audit       *Audit         // KindAudit
}

// Entry returns the record's Event, Update, Maintenance, Statement or Audit
// as an Entry (a pointer), or nil for a string definition or a measurement.
func (r Record) Entry() Entry {
	switch {
	case r.Event != nil:
		return r.Event
	case r.Update != nil:
		return r.Update
	case r.Maintenance != nil:
		return r.Maintenance
	case r.Statement != nil:
		return r.Statement
	case r.Audit != nil:
		return r.Audit
	}
	return nil
}
