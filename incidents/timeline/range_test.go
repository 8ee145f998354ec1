package timeline

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/constat-ent/constat/probes"
)

// rangeSeqs returns the seqs Range gives, checking they come in (Start, seq) order.
func rangeSeqs(t *testing.T, tl *Timeline, comp string, from, to time.Time) []uint64 {
	t.Helper()
	var seqs []uint64
	var last Measurement
	err := tl.Range(comp, from, to, func(m Measurement) error {
		if m.Component != comp {
			t.Errorf("Range(%s) gave a measurement of %s", comp, m.Component)
		}
		if len(seqs) > 0 && (m.Start.Before(last.Start) || m.Start.Equal(last.Start) && m.Seq < last.Seq) {
			t.Errorf("Range(%s) gave %d at %v after %d at %v", comp, m.Seq, m.Start, last.Seq, last.Start)
		}
		seqs, last = append(seqs, m.Seq), m
		return nil
	})
	if err != nil {
		t.Fatalf("Range(%s, %v, %v) = %v", comp, from, to, err)
	}
	return seqs
}

func TestRangeBoundaries(t *testing.T) {
	tl, _ := openTest(t, Options{})
	base := time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC)
	var seqs []uint64
	for i := range 10 {
		r := probes.Result{Component: "c", Start: base.Add(time.Duration(i) * 30 * time.Second), Status: probes.Operational}
		seq, err := tl.Append(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	at := func(i int) time.Time { return base.Add(time.Duration(i) * 30 * time.Second) }
	tests := []struct {
		name     string
		from, to time.Time
		want     []uint64
	}{
		{"from inclusive, to exclusive", at(2), at(5), seqs[2:5]},
		{"everything", at(0), at(10), seqs},
		{"empty interval", at(3), at(3), nil},
		{"reversed interval", at(5), at(2), nil},
		{"from 1 ns after", at(2).Add(1), at(5), seqs[3:5]},
		{"to 1 ns after", at(2), at(5).Add(1), seqs[2:6]},
		{"before everything", at(-100), at(0), nil},
		{"zero from", time.Time{}, at(1), seqs[:1]},
		{"far future to", at(9), time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC), seqs[9:]},
		{"other zone", at(2).In(time.FixedZone("CEST", 7200)), at(4).In(time.FixedZone("X", -3600)), seqs[2:4]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rangeSeqs(t, tl, "c", tt.from, tt.to); !slices.Equal(got, tt.want) {
				t.Errorf("Range(c, %v, %v) = %v, want %v", tt.from, tt.to, got, tt.want)
			}
		})
	}
	if got := rangeSeqs(t, tl, "unknown", at(0), at(10)); got != nil {
		t.Errorf("Range(unknown) = %v, want nothing", got)
	}
	stop := errors.New("stop")
	if err := tl.Range("c", at(0), at(10), func(Measurement) error { return stop }); err != stop {
		t.Errorf("Range with a failing fn = %v, want fn's error", err)
	}
}

// timed is a measurement as the model knows it.
type timed struct {
	seq   uint64
	start time.Time
}

// appendMessy appends 3,000 measurements of three components whose clocks
// step back, pause for days and repeat milliseconds, and returns them per
// component.
func appendMessy(t *testing.T, tl *Timeline, rng *rand.Rand, base time.Time, comps []string) map[string][]timed {
	clock := map[string]time.Time{}
	for _, c := range comps {
		clock[c] = base
	}
	all := map[string][]timed{}
	var batch []probes.Result
	for i := range 3000 {
		comp := comps[rng.IntN(len(comps))]
		switch p := rng.IntN(1000); {
		case p < 10:
			clock[comp] = clock[comp].Add(-time.Duration(rng.IntN(7200)) * time.Second) // steps back
		case p < 13:
			clock[comp] = clock[comp].Add(time.Duration(1+rng.IntN(72)) * time.Hour) // pause
		case p < 100:
			// same millisecond as the previous one
		default:
			clock[comp] = clock[comp].Add(time.Duration(rng.IntN(60e3)) * time.Millisecond)
		}
		batch = append(batch, probes.Result{Component: comp, Start: clock[comp].Add(time.Duration(rng.IntN(1e6))), Status: probes.Operational})
		if len(batch) == 50 || i == 2999 {
			seqs, err := tl.AppendAll(t.Context(), batch)
			if err != nil {
				t.Fatal(err)
			}
			for j, r := range batch {
				all[r.Component] = append(all[r.Component], timed{seqs[j], time.UnixMilli(r.Start.UnixMilli())})
			}
			batch = batch[:0]
		}
	}
	return all
}

// TestRangeModel checks Range and Last against a plain filter and sort of
// what appendMessy appended (index blocks cut by capacity, step-backs and
// pauses), live, after a crash (replay) and after reopen.
func TestRangeModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.db")
	tl := openPath(t, path, Options{MaxBatch: 37, NoSync: true})
	tl.checkpointEvery = 1000
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)
	comps := []string{"a", "b", "c"}
	all := appendMessy(t, tl, rng, base, comps)
	check := func(t *testing.T, tl *Timeline) {
		for range 200 {
			comp := comps[rng.IntN(len(comps))]
			from := base.Add(time.Duration(rng.Int64N(int64(10 * 24 * time.Hour))))
			to := from.Add(time.Duration(rng.Int64N(int64(36 * time.Hour))))
			var want []uint64
			ms := slices.Clone(all[comp])
			slices.SortStableFunc(ms, func(a, b timed) int { return a.start.Compare(b.start) })
			for _, m := range ms {
				if !m.start.Before(from) && m.start.Before(to) {
					want = append(want, m.seq)
				}
			}
			if got := rangeSeqs(t, tl, comp, from, to); !slices.Equal(got, want) {
				t.Fatalf("Range(%s, %v, %v) = %d seqs %v, want %d %v", comp, from, to, len(got), got, len(want), want)
			}
		}
		for _, comp := range comps {
			last := all[comp][len(all[comp])-1]
			if m, ok, err := tl.Last(comp); err != nil || !ok || m.Seq != last.seq || !m.Start.Equal(last.start) {
				t.Errorf("Last(%s) = %d at %v, %v, %v, want %d at %v", comp, m.Seq, m.Start, ok, err, last.seq, last.start)
			}
		}
	}
	check(t, tl)
	// A copy taken now is what a crash would leave: Open replays the
	// records after the last tails checkpoint.
	crashed := filepath.Join(t.TempDir(), "crashed.db")
	if err := tl.db.View(func(tx *bolt.Tx) error { return tx.CopyFile(crashed, 0o600) }); err != nil {
		t.Fatal(err)
	}
	check(t, openPath(t, crashed, Options{NoSync: true}))
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	check(t, openPath(t, path, Options{NoSync: true}))
}
