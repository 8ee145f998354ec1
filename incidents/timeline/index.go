package timeline

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"
)

// Index blocks. See "The index" in the package documentation.
const (
	blockCap    = 128                                      // entries per block at most
	blockSpanMs = int64(24 * time.Hour / time.Millisecond) // entry times lie in [first, first+blockSpanMs]
	blockKeyLen = 8 + 8                                    // first time, first seq
	compKeyLen  = 4                                        // component ID
	signBit     = uint64(1) << 63                          // flipped so that negative times sort first
	maxStringID = uint64(^uint32(0))                       // component IDs must fit the 4-byte key prefix
)

// block is a run of one component's measurements in seq order: the index
// entries (seq, Start in ms). The writer shares seqs and times with the
// committed copy and only appends beyond its length, so a failed transaction
// leaves the committed copy intact.
type block struct {
	comp  uint32
	seqs  []uint64
	times []int64
}

func newBlock(comp uint32, seq uint64, ms int64) block {
	b := block{comp: comp, seqs: make([]uint64, 1, blockCap), times: make([]int64, 1, blockCap)}
	b.seqs[0], b.times[0] = seq, ms
	return b
}

// advance adds the entry (seq, ms) to the component's tail blk (ok: blk
// exists). It returns the new tail and, when blk could not take the entry
// (sealed true), blk itself, which belongs in the index bucket from then
// on. It is the one rule that decides blocks: the writer and the replay at
// Open both use it. (A *block result would cost an allocation per entry.)
func advance(blk block, ok bool, comp uint32, seq uint64, ms int64) (tail, old block, sealed bool) {
	switch {
	case !ok:
		return newBlock(comp, seq, ms), block{}, false
	case blk.accepts(ms):
		blk.add(seq, ms)
		return blk, block{}, false
	}
	return newBlock(comp, seq, ms), blk, true
}

// accepts reports whether an entry at ms may join b.
func (b *block) accepts(ms int64) bool {
	first := b.times[0]
	return len(b.seqs) < blockCap && ms >= first && ms-first <= blockSpanMs
}

func (b *block) add(seq uint64, ms int64) {
	b.seqs = append(b.seqs, seq)
	b.times = append(b.times, ms)
}

func (b *block) last() (uint64, int64) { return b.seqs[len(b.seqs)-1], b.times[len(b.times)-1] }

// key is the block's key in its component's index bucket.
func (b *block) key(dst []byte) []byte { return blockKey(dst, b.times[0], b.seqs[0]) }

func blockKey(dst []byte, ms int64, seq uint64) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(ms)^signBit)
	return binary.BigEndian.AppendUint64(dst, seq)
}

// appendValue appends the block value: the span (latest time minus first
// time) as a uvarint, then the entries after the first as (seq delta, time
// delta) pairs.
func (b *block) appendValue(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(slices.Max(b.times)-b.times[0]))
	for i := 1; i < len(b.seqs); i++ {
		dst = binary.AppendUvarint(dst, b.seqs[i]-b.seqs[i-1])
		dst = binary.AppendVarint(dst, b.times[i]-b.times[i-1])
	}
	return dst
}

// blockSpan returns the span stored at the start of a block value, or -1 if
// it does not decode.
func blockSpan(val []byte) int64 {
	span, n := binary.Uvarint(val)
	if n <= 0 || span > uint64(blockSpanMs) {
		return -1
	}
	return int64(span)
}

// entries calls fn for each entry of the block stored as key and val, in seq
// order, after checking the block's invariants.
func entries(key, val []byte, fn func(seq uint64, ms int64)) error {
	if len(key) != blockKeyLen {
		return fmt.Errorf("index block key of %d bytes: %w", len(key), ErrCorrupt)
	}
	span := blockSpan(val)
	if span < 0 {
		return fmt.Errorf("index block %x: bad span: %w", key, ErrCorrupt)
	}
	seq, first := binary.BigEndian.Uint64(key[8:]), blockTime(key)
	ms, latest := first, first
	fn(seq, ms)
	n, off := 1, uvarintLen(uint64(span))
	for ; off < len(val); n++ {
		ds, k := binary.Uvarint(val[off:])
		if k <= 0 || ds == 0 || seq+ds < seq {
			return fmt.Errorf("index block %x: bad seq delta at byte %d: %w", key, off, ErrCorrupt)
		}
		off += k
		dt, k := binary.Varint(val[off:])
		if k <= 0 {
			return fmt.Errorf("index block %x: bad time delta at byte %d: %w", key, off, ErrCorrupt)
		}
		off += k
		seq, ms = seq+ds, ms+dt
		if ms < first || ms-first > span || n >= blockCap {
			return fmt.Errorf("index block %x: entry %d breaks the block invariants: %w", key, n, ErrCorrupt)
		}
		latest = max(latest, ms)
		fn(seq, ms)
	}
	if latest-first != span {
		return fmt.Errorf("index block %x: span %d, entries span %d: %w", key, span, latest-first, ErrCorrupt)
	}
	return nil
}

func uvarintLen(v uint64) int {
	return len(binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64), v))
}

// blockTime returns the first entry's time from a block key.
func blockTime(key []byte) int64 { return int64(binary.BigEndian.Uint64(key) ^ signBit) }

// decodeBlock decodes the component's tail: block key then block value.
func decodeBlock(comp uint32, v []byte) (block, error) {
	if len(v) < blockKeyLen {
		return block{}, fmt.Errorf("tail of component %d: %d bytes: %w", comp, len(v), ErrCorrupt)
	}
	b := block{comp: comp, seqs: make([]uint64, 0, blockCap), times: make([]int64, 0, blockCap)}
	err := entries(v[:blockKeyLen], v[blockKeyLen:], b.add)
	return b, err
}

// seqKey is a record's key in the records bucket, and a string ID's key in
// the strings bucket.
func seqKey(dst []byte, seq uint64) []byte { return binary.BigEndian.AppendUint64(dst, seq) }

// compKey is a component's key in the tails and index buckets.
func compKey(comp uint32) []byte { return binary.BigEndian.AppendUint32(nil, comp) }

// ceilMillis returns the least whole millisecond not before t, clamped to the
// representable range.
func ceilMillis(t time.Time) int64 {
	switch y := t.UTC().Year(); {
	case y < 1:
		return minMillis
	case y > 9999:
		return maxMillis + 1
	}
	ms := t.UnixMilli()
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		ms++
	}
	return ms
}
