package timeline

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/constat-ent/constat/probes"
)

// openTest opens a timeline without fsync in a fresh temporary directory. At
// cleanup it closes it and checks the file (see checkFile).
func openTest(t testing.TB, opts Options) (*Timeline, string) {
	t.Helper()
	opts.NoSync = true
	path := filepath.Join(t.TempDir(), "timeline.db")
	return openPath(t, path, opts), path
}

// openPath opens path with opts; at cleanup it checks the tree against the
// records (VerifyTree), closes the timeline and checks the file.
func openPath(t testing.TB, path string, opts Options) *Timeline {
	t.Helper()
	tl, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	t.Cleanup(func() {
		if err := tl.VerifyTree(0); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("VerifyTree(0) = %v", err)
		}
		if err := tl.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		checkFile(t, path)
	})
	return tl
}

// checkFile checks the bbolt file's consistency (tx.Check) and the timeline's
// invariants: records contiguous from 0 and decodable; the strings bucket
// lists the string records in order; every measurement is in exactly one
// index block or tail, with its component and start; blocks obey their rules;
// the rollups are those of the measurements (checkRollups).
func checkFile(t testing.TB, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("bolt.Open(%s) = %v", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt Check: %v", err)
		}
		want, err := checkRecords(tx)
		if err != nil {
			return err
		}
		k, _ := tx.Bucket(bucketRecords).Cursor().Last()
		if cp := tx.Bucket(bucketMeta).Get(keyTails); k != nil && binary.BigEndian.Uint64(cp) != binary.BigEndian.Uint64(k)+1 {
			t.Errorf("tails checkpoint at %x after Close, want %d", cp, binary.BigEndian.Uint64(k)+1)
		}
		got, err := indexedEntries(tx)
		if err != nil {
			return err
		}
		if !maps2Equal(got, want) {
			t.Errorf("index entries differ from the measurement records")
		}
		if err := checkRollups(tx); err != nil {
			t.Errorf("rollups: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("check %s: %v", path, err)
	}
}

func maps2Equal(a, b map[uint32][]entry) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// checkRecords decodes every record and returns the expected index entries
// per component, in seq order.
func checkRecords(tx *bolt.Tx) (map[uint32][]entry, error) {
	var strs []string
	ids := make(map[string]uint32)
	want := make(map[uint32][]entry)
	sc := tx.Bucket(bucketStrings).Cursor()
	sk, sv := sc.First()
	c := tx.Bucket(bucketRecords).Cursor()
	next := uint64(0)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if seq := binary.BigEndian.Uint64(k); seq != next {
			return nil, fmt.Errorf("record %d follows %d", seq, next-1)
		}
		kind, err := RecordKind(v)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", next, err)
		}
		if kind == KindString {
			s, err := DecodeString(v)
			if err != nil {
				return nil, err
			}
			strs = append(strs, s)
			ids[s] = uint32(len(strs))
			if sk == nil || binary.BigEndian.Uint64(sk) != uint64(len(strs)) || !bytes.Equal(sv, k) {
				return nil, fmt.Errorf("strings bucket entry %x=%x for string %d at record %d", sk, sv, len(strs), next)
			}
			sk, sv = sc.Next()
		} else {
			rec, err := DecodeRecord(v, func(id uint64) (string, bool) {
				if id == 0 || id > uint64(len(strs)) {
					return "", false
				}
				return strs[id-1], true
			})
			if err != nil {
				return nil, fmt.Errorf("record %d: %w", next, err)
			}
			if r := rec.Measurement; r != nil {
				comp := ids[r.Component]
				want[comp] = append(want[comp], entry{next, r.Start.UnixMilli()})
			} else if a := tx.Bucket(bucketAdmin).Get(k); !bytes.Equal(a, []byte{byte(kind)}) {
				return nil, fmt.Errorf("record %d of kind %v indexed as %x in admin", next, kind, a)
			}
		}
		next++
	}
	if sk != nil {
		return nil, fmt.Errorf("strings bucket entry %x beyond the string records", sk)
	}
	// The admin bucket lists nothing else.
	err := tx.Bucket(bucketAdmin).ForEach(func(k, v []byte) error {
		if kind, err := RecordKind(tx.Bucket(bucketRecords).Get(k)); err != nil || !kind.admin() {
			return fmt.Errorf("admin index entry %x = %x for a record of kind %v, %v", k, v, kind, err)
		}
		return nil
	})
	return want, err
}

// indexedEntries returns the entries of the index blocks and the tails, per
// component, in seq order, checking that blocks do not overlap in seqs.
func indexedEntries(tx *bolt.Tx) (map[uint32][]entry, error) {
	got := make(map[uint32][]entry)
	add := func(comp uint32, k, v []byte) error {
		return entries(k, v, func(seq uint64, ms int64) { got[comp] = append(got[comp], entry{seq, ms}) })
	}
	err := tx.Bucket(bucketIndex).ForEach(func(k, v []byte) error {
		if len(k) != compKeyLen+blockKeyLen {
			return fmt.Errorf("index key %x", k)
		}
		return add(binary.BigEndian.Uint32(k), k[compKeyLen:], v)
	})
	if err != nil {
		return nil, err
	}
	err = tx.Bucket(bucketTails).ForEach(func(k, v []byte) error {
		if len(v) < blockKeyLen || len(k) != compKeyLen {
			return fmt.Errorf("tail %x = %x", k, v)
		}
		return add(binary.BigEndian.Uint32(k), v[:blockKeyLen], v[blockKeyLen:])
	})
	for _, es := range got {
		// Blocks were visited by first time; a component's seqs must still
		// be distinct once sorted.
		slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(a.seq, b.seq) })
		if len(slices.CompactFunc(slices.Clone(es), func(a, b entry) bool { return a.seq == b.seq })) != len(es) {
			return nil, fmt.Errorf("a measurement is indexed twice")
		}
	}
	return got, err
}

// gen makes realistic results: components with portal and login URLs, one or
// two addresses, mostly OK steps with phases in plausible millisecond ranges,
// some slow rounds and some failures with their details.
type gen struct {
	rng      *rand.Rand
	comps    []genComp
	start    time.Time
	twoSteps int // percentage of rounds with a second (login) step
}

type genComp struct {
	id, portal, login string
	addrs             []string
	expiry            time.Time
}

var regions = []string{"iledefrance", "hautsdefrance", "occitanie", "bretagne", "grandest",
	"auvergnerhonealpes", "normandie", "paysdelaloire", "nouvelleaquitaine", "bourgogne"}

func newGen(seed uint64, n int) *gen {
	g := &gen{rng: rand.New(rand.NewPCG(seed, 1)), start: time.Date(2026, 3, 30, 6, 0, 0, 0, time.UTC), twoSteps: 30}
	for i := range n {
		reg := regions[i%len(regions)]
		c := genComp{
			id:     fmt.Sprintf("ent-%s-%03d", reg, i),
			portal: fmt.Sprintf("https://%07d.ent.%s.fr/", 750000+i*7, reg),
			login:  fmt.Sprintf("https://cas.ent.%s.fr/login?service=https%%3A%%2F%%2F%07d.ent.%s.fr%%2Fsso", reg, 750000+i*7, reg),
			addrs:  []string{fmt.Sprintf("185.%d.%d.%d", 20+i%200, i/200, 10+i%97)},
			expiry: g.start.Add(time.Duration(10+i%80) * 24 * time.Hour).Truncate(time.Second),
		}
		if i%3 == 0 {
			c.addrs = append(c.addrs, fmt.Sprintf("2a01:cb1%d:%x::%x", i%10, i, 1+i%7))
		}
		g.comps = append(g.comps, c)
	}
	return g
}

// result returns the i-th result: component i mod n, every 30 s per component.
func (g *gen) result(i int) probes.Result {
	c := &g.comps[i%len(g.comps)]
	start := g.start.Add(time.Duration(i/len(g.comps))*30*time.Second + time.Duration(g.rng.IntN(2e9)))
	r := probes.Result{Component: c.id, Start: start, Status: probes.Operational}
	urls := []string{c.portal, c.login}
	n := 1
	if g.rng.IntN(100) < g.twoSteps {
		n = 2
	}
	for _, u := range urls[:n] {
		s := g.step(c, u)
		r.Steps = append(r.Steps, s)
		if s.Outcome == probes.Slow && r.Status == probes.Operational {
			r.Status = probes.DegradedPerformance
		}
		if s.Outcome.Failed() {
			r.Status = probes.MajorOutage
			break
		}
	}
	return r
}

var failures = []struct {
	o probes.Outcome
	d string
}{
	{probes.HTTPError, "502"}, {probes.HTTPError, "503"}, {probes.Timeout, "ttfb"},
	{probes.SoftFailure, "ode_quota"}, {probes.ConnectTimeout, ""}, {probes.DNSError, "timeout"},
}

func (g *gen) step(c *genComp, url string) probes.StepResult {
	ms := func(lo, hi int) time.Duration {
		return time.Duration(lo)*time.Millisecond + time.Duration(g.rng.Int64N(int64(hi-lo)*1e6))
	}
	s := probes.StepResult{
		URL: url, Outcome: probes.OK, StatusCode: 200,
		Phases:    probes.Phases{DNS: ms(1, 30), Connect: ms(2, 40), TLS: ms(8, 80), TTFB: ms(40, 900), Transfer: ms(1, 300)},
		Addresses: c.addrs, BytesRead: 8000 + g.rng.Int64N(170000),
		TLSVersion: 0x0304, CertExpiry: c.expiry, Redirects: g.rng.IntN(3),
	}
	for _, d := range s.Phases.Each() {
		s.Duration += d
	}
	switch p := g.rng.IntN(100); {
	case p < 3:
		s.Outcome = probes.Slow
	case p < 6:
		f := failures[g.rng.IntN(len(failures))]
		s.Outcome, s.Detail = f.o, f.d
		if f.o == probes.HTTPError {
			fmt.Sscan(f.d, &s.StatusCode)
		}
	}
	return s
}

// stored returns r as the timeline gives it back: times in UTC, Start to the
// millisecond, CertExpiry to the second, durations to the microsecond, nil
// for empty Addresses and Steps.
func stored(r probes.Result) probes.Result {
	r.Start = time.UnixMilli(r.Start.UnixMilli()).UTC()
	steps := r.Steps
	r.Steps = nil
	for _, s := range steps {
		s.Phases = probes.Phases{DNS: us(s.Phases.DNS), Connect: us(s.Phases.Connect), TLS: us(s.Phases.TLS),
			TTFB: us(s.Phases.TTFB), Transfer: us(s.Phases.Transfer)}
		s.Duration = us(s.Duration)
		if !s.CertExpiry.IsZero() {
			s.CertExpiry = time.Unix(s.CertExpiry.Unix(), 0).UTC()
		}
		if len(s.Addresses) == 0 {
			s.Addresses = nil
		}
		r.Steps = append(r.Steps, s)
	}
	return r
}

func us(d time.Duration) time.Duration { return d.Truncate(time.Microsecond) }

// table is a string table for encoding and decoding records outside a Timeline.
type table struct {
	ids  map[string]uint64
	strs []string
}

func newTable(strs ...string) *table {
	tb := &table{ids: make(map[string]uint64)}
	for _, s := range strs {
		tb.intern(s)
	}
	return tb
}

func (tb *table) intern(s string) uint64 {
	if id, ok := tb.ids[s]; ok {
		return id
	}
	tb.strs = append(tb.strs, s)
	tb.ids[s] = uint64(len(tb.strs))
	return uint64(len(tb.strs))
}

func (tb *table) str(id uint64) (string, bool) {
	if id == 0 || id > uint64(len(tb.strs)) {
		return "", false
	}
	return tb.strs[id-1], true
}
