package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/constat-ent/constat/incidents/timeline"
)

// BundleFormat is the format field of a bundle this package writes.
const BundleFormat = "constat-evidence-bundle/1"

// maxBundleLen bounds what ParseBundle reads: a day of a component is
// about 3 MB.
const maxBundleLen = 1 << 30

// Bundle is evidence that records are in the log: see "Bundles" in the
// package documentation for the format.
type Bundle struct {
	Format     string         `json:"format"`
	Key        string         `json:"key"`
	Checkpoint string         `json:"checkpoint"`
	Components []string       `json:"components,omitempty"`
	From       string         `json:"from,omitempty"`
	To         string         `json:"to,omitempty"`
	Records    []BundleRecord `json:"records"`
	Strings    []BundleString `json:"strings"`
}

// BundleRecord is one record of a bundle with its inclusion proof.
type BundleRecord struct {
	Index     uint64          `json:"index"`
	Canonical []byte          `json:"canonical"`
	Proof     [][]byte        `json:"proof"`
	Kind      string          `json:"kind"`
	Decoded   json.RawMessage `json:"decoded"`
}

// BundleString is a string-definition record the bundle's records use.
type BundleString struct {
	ID        uint64   `json:"id"`
	Index     uint64   `json:"index"`
	Canonical []byte   `json:"canonical"`
	Proof     [][]byte `json:"proof"`
	Value     string   `json:"value"`
}

// RangeBundle builds the bundle of the measurements of components with
// from <= Start < to, in seq order, against a checkpoint that covers them
// (signing one first if the tree grew).
func (l *Log) RangeBundle(components []string, from, to time.Time) (*Bundle, error) {
	var seqs []uint64
	for _, c := range components {
		err := l.tl.Range(c, from, to, func(m timeline.Measurement) error {
			seqs = append(seqs, m.Seq)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(seqs)
	b, err := l.NewBundle(seqs)
	if err != nil {
		return nil, fmt.Errorf("bundle of %s: %w", strings.Join(components, ", "), err)
	}
	b.Components, b.From, b.To = components, from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano)
	return b, nil
}

// NewBundle builds the bundle of records seqs: each with its inclusion
// proof in the latest checkpoint (signed first if the tree grew), and the
// string definitions they use.
func (l *Log) NewBundle(seqs []uint64) (*Bundle, error) {
	if _, err := l.Sign(); err != nil {
		return nil, err
	}
	msg, size := l.Checkpoint()
	b := &Bundle{Format: BundleFormat, Key: l.vkey, Checkpoint: string(msg), Records: []BundleRecord{}, Strings: []BundleString{}}
	r := newCachedReader(l.tl, size)
	strs := map[uint64]uint64{}
	for _, seq := range seqs {
		if seq >= size {
			return nil, fmt.Errorf("record %d is beyond the checkpoint of size %d", seq, size)
		}
		rec, raw, defs, err := l.tl.WithStrings(seq)
		if err != nil {
			return nil, err
		}
		p, err := prove(r, seq, size)
		if err != nil {
			return nil, err
		}
		dec, err := json.Marshal(decodedForm(rec))
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", seq, err)
		}
		b.Records = append(b.Records, BundleRecord{Index: seq, Canonical: raw, Proof: p, Kind: rec.Kind.String(), Decoded: dec})
		for id, s := range defs {
			strs[id] = s
		}
	}
	ids := make([]uint64, 0, len(strs))
	for id := range strs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		raw, err := l.tl.Raw(strs[id])
		if err != nil {
			return nil, err
		}
		p, err := prove(r, strs[id], size)
		if err != nil {
			return nil, err
		}
		s, err := timeline.DecodeString(raw)
		if err != nil {
			return nil, fmt.Errorf("string %d (record %d): %w", id, strs[id], err)
		}
		b.Strings = append(b.Strings, BundleString{ID: id, Index: strs[id], Canonical: raw, Proof: p, Value: s})
	}
	return b, nil
}

// prove returns record seq's inclusion proof in the tree of size records.
func prove(r tlog.HashReader, seq, size uint64) ([][]byte, error) {
	p, err := tlog.ProveRecord(int64(size), int64(seq), r)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of record %d: %w", seq, err)
	}
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out, nil
}

// decodedForm is what a bundle (and /evidence/record) shows of a record:
// the part its kind sets.
func decodedForm(rec timeline.Record) any {
	switch {
	case rec.Measurement != nil:
		return rec.Measurement
	case rec.Entry() != nil:
		return rec.Entry()
	}
	return rec.String
}

// DecodedForm returns the decoded form of rec a bundle carries: its
// measurement, its entry, or its string.
func DecodedForm(rec timeline.Record) any { return decodedForm(rec) }

// cachedReader is a tlog.HashReader over the timeline's tree of size
// leaves that remembers what it read: the proofs of neighbouring records
// share most of their hashes. A hash between tile levels is computed with
// every other hash of its tile, once.
type cachedReader struct {
	tl    *timeline.Timeline
	size  uint64
	cache map[int64]tlog.Hash
}

func newCachedReader(tl *timeline.Timeline, size uint64) *cachedReader {
	return &cachedReader{tl: tl, size: size, cache: map[int64]tlog.Hash{}}
}

func (r *cachedReader) ReadHashes(ix []int64) ([]tlog.Hash, error) {
	for _, x := range ix {
		if _, ok := r.cache[x]; !ok {
			if err := r.readTile(x); err != nil {
				return nil, err
			}
		}
	}
	out := make([]tlog.Hash, len(ix))
	for i, x := range ix {
		h, ok := r.cache[x]
		if !ok {
			return nil, fmt.Errorf("stored hash %d: not in a complete subtree of %d leaves", x, r.size)
		}
		out[i] = h
	}
	return out, nil
}

// readTile reads the tile holding stored hash x and caches every complete
// hash it gives: its own and those of the 7 levels above it.
func (r *cachedReader) readTile(x int64) error {
	level, n := tlog.SplitStoredHashIndex(x)
	L, sub := level/timeline.TileHeight, level%timeline.TileHeight
	first := uint64(n) << sub // at level 8L
	tile := first / timeline.TileWidth
	have := r.size >> (timeline.TileHeight * L)
	width := min(uint64(timeline.TileWidth), have-min(have, tile*timeline.TileWidth))
	if width == 0 {
		return nil // ReadHashes reports it
	}
	data, err := r.tl.Tile(L, tile, int(width))
	if err != nil {
		return err
	}
	hs := make([]tlog.Hash, width)
	for i := range hs {
		hs[i] = tlog.Hash(data[i*tlog.HashSize:])
	}
	base := int64(tile * timeline.TileWidth)
	for k := 0; len(hs) > 0 && k < timeline.TileHeight; k++ {
		for i, h := range hs {
			r.cache[tlog.StoredHashIndex(L*timeline.TileHeight+k, base+int64(i))] = h
		}
		next := hs[:len(hs)/2]
		for i := range next {
			next[i] = tlog.NodeHash(hs[2*i], hs[2*i+1])
		}
		hs, base = next, base/2
	}
	return nil
}

// ParseBundle reads a bundle, strictly: unknown fields, a format other
// than BundleFormat, or more than 1 GiB get an error wrapping ErrMalformed.
// It checks nothing cryptographic: see VerifyBundle.
func ParseBundle(data []byte) (*Bundle, error) {
	if len(data) > maxBundleLen {
		return nil, fmt.Errorf("bundle of %d bytes: %w", len(data), ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("bundle: %v: %w", err, ErrMalformed)
	}
	if dec.More() {
		return nil, fmt.Errorf("bundle: data after the object: %w", ErrMalformed)
	}
	if b.Format != BundleFormat {
		return nil, fmt.Errorf("bundle format %q, want %q: %w", b.Format, BundleFormat, ErrMalformed)
	}
	return &b, nil
}
