package timeline

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/constat-ent/constat/probes"
)

func TestRollupArraySizesFollowProbes(t *testing.T) {
	if !probes.Status(NumStatuses-1).Valid() || probes.Status(NumStatuses).Valid() {
		t.Errorf("NumStatuses = %d, but probes.Status(%d).Valid() = %v: update it with package probes",
			NumStatuses, NumStatuses, probes.Status(NumStatuses).Valid())
	}
	if !probes.Outcome(NumOutcomes-1).Valid() || probes.Outcome(NumOutcomes).Valid() {
		t.Errorf("NumOutcomes = %d, but probes.Outcome(%d).Valid() = %v: update it with package probes",
			NumOutcomes, NumOutcomes, probes.Outcome(NumOutcomes).Valid())
	}
}

func TestDateOf(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04:05.000", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		in   string // UTC
		want string
	}{
		{"2021-03-26 22:59:59.999", "2021-03-26"}, // 23:59:59.999 in Paris (UTC+1)
		{"2021-03-26 23:00:00.000", "2021-03-27"}, // Paris midnight
		{"2021-03-27 00:00:00.000", "2021-03-27"}, // UTC midnight, 01:00 in Paris
		{"2021-03-27 23:00:00.000", "2021-03-28"}, // the DST day begins (UTC+1)
		{"2021-03-28 00:59:59.999", "2021-03-28"}, // 01:59:59.999, then clocks jump to 03:00
		{"2021-03-28 21:59:59.999", "2021-03-28"}, // 23:59:59.999 in UTC+2
		{"2021-03-28 22:00:00.000", "2021-03-29"},
		{"2021-10-31 22:59:59.999", "2021-10-31"}, // the 25-hour day ends (UTC+1)
		{"1969-12-31 23:00:00.000", "1970-01-01"},
		{"0001-01-01 00:00:00.000", "0001-01-01"}, // LMT +0:09:21 in Paris
	}
	for _, tt := range tests {
		if got := DateOf(utc(tt.in)).String(); got != tt.want {
			t.Errorf("DateOf(%s UTC) = %s, want %s", tt.in, got, tt.want)
		}
	}
	dst := Date{2021, time.March, 28}
	if got := dst.AddDays(1).Start().Sub(dst.Start()); got != 23*time.Hour {
		t.Errorf("length of %s = %v, want 23h", dst, got)
	}
	if got := (Date{2020, time.December, 31}).AddDays(60); got != (Date{2021, time.March, 1}) {
		t.Errorf("2020-12-31 + 60 days = %v, want 2021-03-01", got)
	}
	// Keys sort by day, negative day numbers included.
	var prev []byte
	for _, d := range []Date{{1, 1, 1}, {1969, 12, 31}, {1970, 1, 1}, {2021, 3, 28}, {9999, 12, 31}} {
		k := rollupKey{7, int32(d.number())}.append(nil)
		if bytes.Compare(prev, k) >= 0 {
			t.Errorf("key of %s = %x, not after %x", d, k, prev)
		}
		if got, err := parseRollupKey(k); err != nil || dateOfNumber(int64(got.day)) != d {
			t.Errorf("parseRollupKey(%x) = %v, %v, want day %s", k, got, err, d)
		}
		prev = k
	}
}

// rollupGen makes random results over 2021-03-26 to 2021-03-30 UTC, across
// the DST change of 2021-03-28, with instants on either side of Paris and
// UTC midnights, steps of every outcome and durations in every bucket.
type rollupGen struct {
	rng   *rand.Rand
	comps []string
}

var rollupBase = time.Date(2021, 3, 26, 12, 0, 0, 0, time.UTC)

// edges are instants just around midnights (UTC offsets: +1 until the 28th
// 01:00 UTC, +2 after).
var edges = []time.Time{
	time.Date(2021, 3, 26, 22, 59, 59, 999_999_999, time.UTC),
	time.Date(2021, 3, 26, 23, 0, 0, 0, time.UTC),
	time.Date(2021, 3, 27, 0, 0, 0, 0, time.UTC),
	time.Date(2021, 3, 27, 23, 0, 0, 0, time.UTC),
	time.Date(2021, 3, 28, 0, 59, 59, 999_000_000, time.UTC),
	time.Date(2021, 3, 28, 1, 0, 0, 0, time.UTC),
	time.Date(2021, 3, 28, 21, 59, 59, 999_500_000, time.UTC),
	time.Date(2021, 3, 28, 22, 0, 0, 0, time.UTC),
	time.Date(2021, 3, 29, 0, 0, 0, 0, time.UTC),
}

func (g *rollupGen) result() probes.Result {
	start := rollupBase.Add(time.Duration(g.rng.Int64N(int64(4 * 24 * time.Hour))))
	if g.rng.IntN(10) == 0 {
		start = edges[g.rng.IntN(len(edges))]
	}
	r := probes.Result{
		Component: g.comps[g.rng.IntN(len(g.comps))],
		Start:     start,
		Status:    probes.Status(g.rng.IntN(NumStatuses)),
	}
	for range g.rng.IntN(4) {
		o := probes.OK
		if p := g.rng.IntN(10); p >= 6 {
			o = probes.Outcome(1 + g.rng.IntN(NumOutcomes-1))
		}
		scale := time.Duration(1) << g.rng.IntN(40) // 1 ns to 18 min
		s := probes.StepResult{URL: "https://ent.example/", Outcome: o, StatusCode: 200}
		s.Phases = probes.Phases{
			DNS: time.Duration(g.rng.Int64N(int64(scale))), Connect: time.Duration(g.rng.Int64N(int64(scale))),
			TTFB: time.Duration(g.rng.Int64N(int64(scale))), Transfer: time.Duration(g.rng.Int64N(int64(scale))),
		}
		for _, d := range s.Phases.Each() {
			s.Duration += d
		}
		r.Steps = append(r.Steps, s)
	}
	return r
}

// recount tallies the rollups of component from Range, day by day, without
// the package's rollup code.
func recount(t *testing.T, tl *Timeline, component string, from, to Date) []DayRollup {
	t.Helper()
	var out []DayRollup
	for day := from; day.Compare(to) <= 0; day = day.AddDays(1) {
		d := DayRollup{Component: component, Day: day}
		err := tl.Range(component, day.Start(), day.AddDays(1).Start(), func(m Measurement) error {
			if d.Rounds == 0 || m.Start.Before(d.FirstStart) {
				d.FirstStart = m.Start
			}
			if d.Rounds == 0 || m.Start.After(d.LastStart) {
				d.LastStart = m.Start
			}
			d.Rounds++
			d.ByStatus[m.Status]++
			switch f := m.Failed(); {
			case f != nil:
				d.ByOutcome[f.Outcome]++
			case len(m.Steps) > 0:
				d.ByOutcome[m.Steps[len(m.Steps)-1].Outcome]++
			default:
				d.ByOutcome[probes.OutcomeUnknown]++
			}
			var total time.Duration
			for _, s := range m.Steps {
				d.Steps++
				for i, p := range s.Phases.Each() {
					d.PhaseMicros[i] += p.Microseconds()
				}
				total += s.Duration
			}
			i := 0
			for ; i < NumDurationBuckets-1; i++ {
				if b, _ := DurationBucketBound(i); total < b {
					break
				}
			}
			d.Durations[i]++
			return nil
		})
		if err != nil {
			t.Fatalf("Range(%s, %s) = %v", component, day, err)
		}
		if d.Rounds > 0 {
			out = append(out, d)
		}
	}
	return out
}

// checkRollupsMatch compares Rollups with recount for every component.
func checkRollupsMatch(t *testing.T, tl *Timeline, comps []string) {
	t.Helper()
	from, to := Date{2021, 3, 24}, Date{2021, 4, 2}
	total := 0
	for _, c := range comps {
		got, err := tl.Rollups(c, from, to)
		if err != nil {
			t.Fatalf("Rollups(%s) = %v", c, err)
		}
		want := recount(t, tl, c, from, to)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Rollups(%s, %s, %s) differ from a recount over Range:", c, from, to)
			for i := range max(len(got), len(want)) {
				if i >= len(got) || i >= len(want) || !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("day %d:\n got %+v\nwant %+v", i, at(got, i), at(want, i))
				}
			}
		}
		for _, d := range got {
			total += d.Rounds
		}
	}
	if n := countMeasurements(t, tl); total != n {
		t.Errorf("rollups count %d rounds, want %d measurements", total, n)
	}
}

func at(ds []DayRollup, i int) any {
	if i < len(ds) {
		return ds[i]
	}
	return "none"
}

func countMeasurements(t *testing.T, tl *Timeline) int {
	n := 0
	err := tl.Scan(0, func(_ uint64, raw []byte) error {
		if k, _ := RecordKind(raw); k == KindMeasurement {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func appendRandom(t *testing.T, tl *Timeline, g *rollupGen, n int) {
	t.Helper()
	for n > 0 {
		rs := make([]probes.Result, min(n, 1+g.rng.IntN(300)))
		for i := range rs {
			rs[i] = g.result()
		}
		if _, err := tl.AppendAll(t.Context(), rs); err != nil {
			t.Fatalf("AppendAll = %v", err)
		}
		n -= len(rs)
	}
}

func TestRollupsMatchRange(t *testing.T) {
	g := &rollupGen{rng: rand.New(rand.NewPCG(7, 7)), comps: []string{"monlycee-net", "ent-hdf", "educonnect"}}
	tl, path := openTest(t, Options{MaxBatch: 256})
	tl.checkpointEvery = 500     // days leave memory after each checkpoint
	appendRandom(t, tl, g, 5000) // in random order: late results for days no longer open
	checkRollupsMatch(t, tl, g.comps)

	outer := t
	t.Run("after reopen", func(t *testing.T) {
		before, err := tl.Rollups("ent-hdf", Date{2021, 3, 1}, Date{2021, 4, 30})
		if err != nil {
			t.Fatal(err)
		}
		if err := tl.Close(); err != nil {
			t.Fatal(err)
		}
		tl = openPath(outer, path, Options{NoSync: true})
		after, err := tl.Rollups("ent-hdf", Date{2021, 3, 1}, Date{2021, 4, 30})
		if err != nil || !reflect.DeepEqual(after, before) {
			t.Errorf("Rollups after reopen = %d days, %v; want the %d days before", len(after), err, len(before))
		}
		appendRandom(t, tl, g, 2000)
		checkRollupsMatch(t, tl, g.comps)
	})

	t.Run("append", func(t *testing.T) {
		// One buffer for several components, open days included: each
		// appended part is what Rollups returns, the prefix untouched.
		from, to := Date{2021, 3, 1}, Date{2021, 4, 30}
		var buf []DayRollup
		for round := range 2 {
			buf = buf[:0]
			for _, c := range g.comps {
				n := len(buf)
				var err error
				if buf, err = tl.AppendRollups(buf, c, from, to); err != nil {
					t.Fatal(err)
				}
				want, err := tl.Rollups(c, from, to)
				if err != nil || !reflect.DeepEqual(buf[n:], want) {
					t.Errorf("round %d: AppendRollups(%s) appended %d days, want Rollups' %d (%v)", round, c, len(buf)-n, len(want), err)
				}
			}
		}
		if got, err := tl.AppendRollups(buf[:1], "absent", from, to); len(got) != 1 {
			t.Errorf("AppendRollups of an unknown component = %d days, %v; want dst unchanged", len(got), err)
		}
	})

	t.Run("bounds", func(t *testing.T) {
		one, err := tl.Rollups("ent-hdf", Date{2021, 3, 28}, Date{2021, 3, 28})
		if err != nil || len(one) != 1 || one[0].Day != (Date{2021, 3, 28}) {
			t.Errorf("Rollups(ent-hdf, 2021-03-28, 2021-03-28) = %v, %v; want that day only", one, err)
		}
		for _, tt := range []struct {
			comp     string
			from, to Date
		}{
			{"ent-hdf", Date{2021, 3, 29}, Date{2021, 3, 28}},
			{"unknown", Date{2021, 3, 1}, Date{2021, 4, 30}},
			{"ent-hdf", Date{2020, 1, 1}, Date{2020, 12, 31}},
		} {
			if got, err := tl.Rollups(tt.comp, tt.from, tt.to); len(got) != 0 || err != nil {
				t.Errorf("Rollups(%s, %s, %s) = %v, %v; want none", tt.comp, tt.from, tt.to, got, err)
			}
		}
	})
}

// TestRollupsAfterCrash opens a copy of a live file, as a crash would leave
// it: the rollups stored cover the records before the last checkpoint, and
// Open replays the others.
func TestRollupsAfterCrash(t *testing.T) {
	g := &rollupGen{rng: rand.New(rand.NewPCG(5, 5)), comps: []string{"p", "q", "r"}}
	tl, _ := openTest(t, Options{})
	tl.checkpointEvery = 700
	appendRandom(t, tl, g, 3000)
	crashed := filepath.Join(t.TempDir(), "crashed.db")
	if err := tl.db.View(func(tx *bolt.Tx) error { return tx.CopyFile(crashed, 0o600) }); err != nil {
		t.Fatal(err)
	}
	copied := openPath(t, crashed, Options{NoSync: true})
	if len(copied.dirtyDays) == 0 {
		t.Errorf("Open of a crashed file replayed no rollups; the test wants some")
	}
	checkRollupsMatch(t, copied, g.comps)
	appendRandom(t, copied, g, 500)
	checkRollupsMatch(t, copied, g.comps)
}

func TestRollupsConcurrentAppends(t *testing.T) {
	comps := []string{"a", "b", "c", "d"}
	tl, _ := openTest(t, Options{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			g := &rollupGen{rng: rand.New(rand.NewPCG(uint64(w), 3)), comps: comps}
			for range 150 {
				if _, err := tl.Append(context.Background(), g.result()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	// Readers run alongside the writers.
	for range 2 {
		wg.Go(func() {
			for range 20 {
				if _, err := tl.Rollups("a", Date{2021, 3, 1}, Date{2021, 4, 30}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		if err := tl.RebuildRollups(); err != nil {
			t.Errorf("RebuildRollups() = %v", err)
		}
	})
	wg.Wait()
	checkRollupsMatch(t, tl, comps)
}

func TestRollupsRebuiltAtOpen(t *testing.T) {
	g := &rollupGen{rng: rand.New(rand.NewPCG(11, 11)), comps: []string{"x", "y"}}
	tl, path := openTest(t, Options{})
	appendRandom(t, tl, g, 1500)
	want := map[string][]DayRollup{}
	for _, c := range g.comps {
		var err error
		if want[c], err = tl.Rollups(c, Date{2021, 3, 1}, Date{2021, 4, 30}); err != nil || len(want[c]) == 0 {
			t.Fatalf("Rollups(%s) = %d days, %v", c, len(want[c]), err)
		}
	}
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}

	// A file of before rollups: no rollups bucket.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketRollups) }); err != nil {
		t.Fatalf("delete rollups bucket: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	tl = openPath(t, path, Options{NoSync: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if !strings.Contains(logs.String(), "timeline rollups rebuilt") {
		t.Errorf("Open of a file without rollups logged %q, want a rebuild", logs.String())
	}
	for _, c := range g.comps {
		got, err := tl.Rollups(c, Date{2021, 3, 1}, Date{2021, 4, 30})
		if err != nil || !reflect.DeepEqual(got, want[c]) {
			t.Errorf("Rollups(%s) after rebuild = %d days, %v; want the %d days written", c, len(got), err, len(want[c]))
		}
	}
	checkRollupsMatch(t, tl, g.comps)
}

func TestRebuildRollupsAfterClose(t *testing.T) {
	tl, _ := openTest(t, Options{})
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tl.RebuildRollups(); err != ErrClosed {
		t.Errorf("RebuildRollups() after Close = %v, want ErrClosed", err)
	}
}

func TestDayRollupSummaries(t *testing.T) {
	var d DayRollup
	if got := d.DurationQuantile(0.5); got != 0 {
		t.Errorf("DurationQuantile(0.5) without rounds = %v, want 0", got)
	}
	d.Rounds, d.Durations[0], d.Durations[4], d.Durations[NumDurationBuckets-1] = 20, 10, 9, 1
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 10 * time.Millisecond}, {0.95, 40 * time.Millisecond}, {1, 81920 * time.Millisecond}} {
		if got := d.DurationQuantile(tt.q); got != tt.want {
			t.Errorf("DurationQuantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	a := DayRollup{Rounds: 1, FirstStart: time.UnixMilli(10), LastStart: time.UnixMilli(10)}
	a.ByStatus[probes.Operational] = 1
	b := DayRollup{Rounds: 2, FirstStart: time.UnixMilli(5), LastStart: time.UnixMilli(7)}
	b.ByStatus[probes.MajorOutage] = 2
	a.Add(b)
	if a.Rounds != 3 || a.ByStatus[probes.MajorOutage] != 2 || a.FirstStart.UnixMilli() != 5 || a.LastStart.UnixMilli() != 10 {
		t.Errorf("Add = %+v, want 3 rounds, 2 major outages, starts 5 to 10 ms", a)
	}
}

// checkRollups checks that the rollups bucket holds exactly the rollups of
// the measurement records: what the writer maintained is what a rebuild
// would compute. checkFile calls it.
func checkRollups(tx *bolt.Tx) error {
	recs := tx.Bucket(bucketRecords)
	str := func(id uint64) (string, bool) {
		v := tx.Bucket(bucketStrings).Get(seqKey(nil, id))
		if v == nil {
			return "", id == 0
		}
		s, err := DecodeString(recs.Get(v))
		return s, err == nil
	}
	want, _, err := computeRollups(tx, str)
	if err != nil {
		return err
	}
	b := tx.Bucket(bucketRollups)
	if b == nil {
		return fmt.Errorf("no rollups bucket")
	}
	n := 0
	err = b.ForEach(func(k, v []byte) error {
		key, err := parseRollupKey(k)
		if err != nil {
			return err
		}
		d := want[key]
		if d == nil {
			return fmt.Errorf("rollup %x for a day without measurements", k)
		}
		if w := appendRollup(nil, d); !bytes.Equal(v, w) {
			return fmt.Errorf("rollup %x = %x, want %x from the records", k, v, w)
		}
		n++
		return nil
	})
	if err == nil && n != len(want) {
		err = fmt.Errorf("%d rollups stored, want %d", n, len(want))
	}
	return err
}

func FuzzDecodeRollup(f *testing.F) {
	g := &rollupGen{rng: rand.New(rand.NewPCG(1, 2)), comps: []string{"c"}}
	var d DayRollup
	for range 50 {
		r := g.result()
		d.add(&r)
	}
	f.Add(appendRollup(nil, &d))
	f.Add(appendRollup(nil, &DayRollup{}))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeRollup(b)
		if err != nil {
			return
		}
		again, err := decodeRollup(appendRollup(nil, &d))
		if err != nil || !reflect.DeepEqual(again, d) {
			t.Errorf("decodeRollup(appendRollup(decodeRollup(%x))) = %+v, %v; want %+v", b, again, err, d)
		}
	})
}

// BenchmarkRollups90Days reads 90 days of rollups. 100 components at 30 s
// for 90 days would be 26 million measurements, too many to append here:
// the rollups bucket is filled directly with 100 × 90 full days (2,880
// rounds each, realistic counts), next to one real measurement per
// component that defines its ID.
func BenchmarkRollups90Days(b *testing.B) {
	tl, _ := benchTimeline(b, Options{NoSync: true})
	g := newGen(5, 100)
	last := Date{2026, 3, 29}
	first := last.AddDays(-89)
	rs := make([]probes.Result, len(g.comps))
	for i := range rs {
		rs[i] = g.result(i)
		rs[i].Start = last.Start().Add(12 * time.Hour)
	}
	if _, err := tl.AppendAll(context.Background(), rs); err != nil {
		b.Fatal(err)
	}
	err := tl.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketRollups)
		for ci, c := range g.comps {
			comp := uint32(tl.ids[c.id])
			// One day of 2,880 rounds per component, the same every day
			// but for its starts.
			var d DayRollup
			for i := range 2880 {
				r := g.result(ci)
				r.Start = first.Start().Add(time.Duration(i) * 30 * time.Second)
				d.add(&r)
			}
			for n := range 90 {
				day := first.AddDays(n)
				d.FirstStart, d.LastStart = day.Start().UTC(), day.Start().Add(24*time.Hour-30*time.Second).UTC()
				if err := bk.Put(rollupKey{comp, int32(day.number())}.append(nil), appendRollup(nil, &d)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var size int
	tl.db.View(func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bucketRollups).Cursor().First()
		size = len(k) + len(v)
		return nil
	})
	b.Run("1 component", func(b *testing.B) {
		for b.Loop() {
			ds, err := tl.Rollups(g.comps[42].id, first, last)
			if err != nil || len(ds) != 90 {
				b.Fatalf("Rollups = %d days, %v; want 90", len(ds), err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/op")
		b.ReportMetric(float64(size), "bytes/day")
	})
	b.Run("100 components", func(b *testing.B) {
		for b.Loop() {
			for _, c := range g.comps {
				ds, err := tl.Rollups(c.id, first, last)
				if err != nil || len(ds) != 90 {
					b.Fatalf("Rollups = %d days, %v; want 90", len(ds), err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/op")
	})
	// Back to the rollups of the records, for the check at cleanup.
	if err := tl.RebuildRollups(); err != nil {
		b.Fatal(err)
	}
}
