package timeline

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/constat-ent/constat/probes"
)

// Rollups. See "Daily rollups" in the package documentation.

// Sizes of DayRollup's arrays. They follow package probes, which only ever
// appends values: when it adds a Status or an Outcome, raise these (a test
// fails until then). Stored rollups written with fewer entries still decode.
const (
	NumStatuses = int(probes.UnderMaintenance) + 1 // probes.Status values, 0 included
	NumOutcomes = int(probes.ProbeError) + 1       // probes.Outcome values, 0 included
	NumPhases   = len(probes.PhaseNames)
	// NumDurationBuckets is the number of round duration buckets: see
	// DurationBucketBound.
	NumDurationBuckets = 28
)

// durationBounds[i] is the exclusive upper bound of bucket i in µs: 10 ms
// times √2^i, rounded (10 ms, 14.142 ms, 20 ms, …, 81.92 s); the last bucket
// has none.
var durationBounds = func() (b [NumDurationBuckets - 1]int64) {
	for i := range b {
		base := int64(10_000)
		if i%2 == 1 {
			base = 14_142
		}
		b[i] = base << (i / 2)
	}
	return b
}()

// DurationBucketBound returns the exclusive upper bound of duration bucket
// i, and false for the last bucket, which has none. Bounds grow by √2 from
// 10 ms: a quantile read from the histogram is within 41 % of the truth.
func DurationBucketBound(i int) (time.Duration, bool) {
	if i < 0 || i >= len(durationBounds) {
		return 0, false
	}
	return time.Duration(durationBounds[i]) * time.Microsecond, true
}

func durationBucket(us int64) int {
	i, _ := slices.BinarySearch(durationBounds[:], us+1)
	return i
}

// DayRollup sums up one component's measurements whose Start falls on one
// day in Europe/Paris, so that pages spanning months read one value per day
// instead of thousands of measurements. It is derived from the log and
// always agrees with it (see "Daily rollups").
type DayRollup struct {
	Component string
	Day       Date
	Rounds    int // measurements
	// ByStatus counts rounds by probes.Status (index: the Status value).
	ByStatus [NumStatuses]int
	// ByOutcome counts rounds by the outcome of their first failing step,
	// else of their last step (OK or Slow); rounds without steps count
	// under probes.OutcomeUnknown (index 0).
	ByOutcome [NumOutcomes]int
	// Steps is the number of steps of the day's rounds; PhaseMicros sums
	// each phase over them (probes.PhaseNames order, µs as stored), zeros
	// of unreached phases included: the average of phase i is
	// PhaseMicros[i] / Steps. Sums saturate at the largest int64.
	Steps       int
	PhaseMicros [NumPhases]int64
	// Durations counts rounds by total duration (the sum of their steps'
	// Duration) in the buckets of DurationBucketBound.
	Durations [NumDurationBuckets]int
	// FirstStart and LastStart are the earliest and the latest Start of the
	// day's rounds, in UTC, to the millisecond.
	FirstStart, LastStart time.Time
}

// add counts r, whose Start must fall on d.Day.
func (d *DayRollup) add(r *probes.Result) {
	start := time.UnixMilli(r.Start.UnixMilli()).UTC() // as stored
	if d.Rounds == 0 || start.Before(d.FirstStart) {
		d.FirstStart = start
	}
	if d.Rounds == 0 || start.After(d.LastStart) {
		d.LastStart = start
	}
	d.Rounds++
	d.ByStatus[r.Status]++
	outcome := probes.OutcomeUnknown
	var total int64
	for i := range r.Steps {
		s := &r.Steps[i]
		for p, v := range s.Phases.Each() {
			d.PhaseMicros[p] = addSat(d.PhaseMicros[p], v.Microseconds())
		}
		total = addSat(total, s.Duration.Microseconds())
		if outcome == probes.OutcomeUnknown || !outcome.Failed() {
			outcome = s.Outcome
		}
	}
	d.Steps += len(r.Steps)
	d.ByOutcome[outcome]++
	d.Durations[durationBucket(total)]++
}

// Add adds o's counts to d, for figures over several days (7 d, 30 d); d
// keeps its Component and Day.
func (d *DayRollup) Add(o DayRollup) {
	if o.Rounds == 0 {
		return
	}
	if d.Rounds == 0 || o.FirstStart.Before(d.FirstStart) {
		d.FirstStart = o.FirstStart
	}
	if d.Rounds == 0 || o.LastStart.After(d.LastStart) {
		d.LastStart = o.LastStart
	}
	d.Rounds += o.Rounds
	d.Steps += o.Steps
	for i := range d.ByStatus {
		d.ByStatus[i] += o.ByStatus[i]
	}
	for i := range d.ByOutcome {
		d.ByOutcome[i] += o.ByOutcome[i]
	}
	for i := range d.PhaseMicros {
		d.PhaseMicros[i] = addSat(d.PhaseMicros[i], o.PhaseMicros[i])
	}
	for i := range d.Durations {
		d.Durations[i] += o.Durations[i]
	}
}

// DurationQuantile returns the upper bound of the duration bucket holding
// the q-quantile (0 < q <= 1) of round durations, 0 without rounds, and
// the lower bound of the last bucket when the quantile lies in it.
func (d *DayRollup) DurationQuantile(q float64) time.Duration {
	if d.Rounds == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(d.Rounds)))
	n := 0
	for i, c := range d.Durations {
		if n += c; n >= rank {
			if b, ok := DurationBucketBound(i); ok {
				return b
			}
			break
		}
	}
	b, _ := DurationBucketBound(len(durationBounds) - 1)
	return b
}

func addSat(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64 // b is never negative
}

// rollupVersion is the first byte of a rollup value.
const rollupVersion = 1

// rollupKeyLen is the length of a key in the rollups bucket: component ID,
// then the day number with its sign bit flipped.
const rollupKeyLen = compKeyLen + 4

// rollupKey is the key of the component's rollup for the day numbered day.
type rollupKey struct {
	comp uint32
	day  int32
}

func (k rollupKey) append(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, k.comp)
	return binary.BigEndian.AppendUint32(dst, uint32(k.day)^(1<<31))
}

func parseRollupKey(b []byte) (rollupKey, error) {
	if len(b) != rollupKeyLen {
		return rollupKey{}, fmt.Errorf("rollup key %x: %w", b, ErrCorrupt)
	}
	return rollupKey{binary.BigEndian.Uint32(b), int32(binary.BigEndian.Uint32(b[4:]) ^ (1 << 31))}, nil
}

// appendRollup appends d's value in the rollups bucket.
func appendRollup(dst []byte, d *DayRollup) []byte {
	dst = append(dst, rollupVersion)
	dst = binary.AppendUvarint(dst, uint64(d.Rounds))
	first, last := d.FirstStart.UnixMilli(), d.LastStart.UnixMilli()
	dst = binary.AppendVarint(dst, first)
	dst = binary.AppendUvarint(dst, uint64(last-first))
	counts := func(dst []byte, cs []int) []byte {
		dst = binary.AppendUvarint(dst, uint64(len(cs)))
		for _, c := range cs {
			dst = binary.AppendUvarint(dst, uint64(c))
		}
		return dst
	}
	dst = counts(dst, d.ByStatus[:])
	dst = counts(dst, d.ByOutcome[:])
	dst = binary.AppendUvarint(dst, uint64(d.Steps))
	for _, p := range d.PhaseMicros {
		dst = binary.AppendUvarint(dst, uint64(p))
	}
	return counts(dst, d.Durations[:])
}

// decodeRollup decodes a rollup value. Component and Day are left to the
// caller, who knows the key.
func decodeRollup(b []byte) (DayRollup, error) {
	var d DayRollup
	if len(b) == 0 || b[0] != rollupVersion {
		return d, fmt.Errorf("rollup value %.8x: version: %w", b, ErrCorrupt)
	}
	off, bad := 1, ""
	next := func(what string) uint64 {
		v, n := binary.Uvarint(b[off:])
		if n <= 0 || v > math.MaxInt64 {
			if bad == "" {
				bad = what
			}
			return 0
		}
		off += n
		return v
	}
	counts := func(what string, cs []int) {
		n := next(what)
		if n > uint64(len(cs)) && bad == "" {
			bad = what
		}
		for i := range min(n, uint64(len(cs))) {
			cs[i] = int(next(what))
		}
	}
	d.Rounds = int(next("rounds"))
	first, n := binary.Varint(b[off:])
	if n <= 0 {
		return d, fmt.Errorf("rollup value: first start: %w", ErrCorrupt)
	}
	off += n
	span := next("span")
	d.FirstStart = time.UnixMilli(first).UTC()
	d.LastStart = time.UnixMilli(first + int64(min(span, math.MaxInt32))).UTC()
	counts("statuses", d.ByStatus[:])
	counts("outcomes", d.ByOutcome[:])
	d.Steps = int(next("steps"))
	for i := range d.PhaseMicros {
		d.PhaseMicros[i] = int64(next("phases"))
	}
	counts("durations", d.Durations[:])
	if bad == "" && off != len(b) {
		bad = "trailing bytes"
	}
	if bad == "" && span > math.MaxInt32 {
		bad = "span"
	}
	if bad != "" {
		return d, fmt.Errorf("rollup value: %s: %w", bad, ErrCorrupt)
	}
	return d, nil
}
