package evidence

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/tamper"
	"github.com/constat-ent/constat/probes"
)

var t0 = time.Date(2021, 4, 6, 7, 0, 0, 0, time.UTC)

// openTimeline opens a timeline in dir, closed at cleanup.
func openTimeline(t *testing.T, dir string) *timeline.Timeline {
	t.Helper()
	tl, err := timeline.Open(filepath.Join(dir, "timeline.db"), timeline.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	return tl
}

// appendResults appends n one-step results of two components.
func appendResults(t testing.TB, tl *timeline.Timeline, from, n int) []uint64 {
	t.Helper()
	rs := make([]probes.Result, n)
	for i := range rs {
		k := from + i
		rs[i] = probes.Result{Component: []string{"monlycee-net", "educonnect"}[k%2], Start: t0.Add(time.Duration(k) * 30 * time.Second),
			Status: probes.Operational, Steps: []probes.StepResult{{URL: "https://monlycee.net/", Outcome: probes.OK, StatusCode: 200,
				Duration: time.Duration(100+k%50) * time.Millisecond}}}
	}
	seqs, err := tl.AppendAll(context.Background(), rs)
	if err != nil {
		t.Fatal(err)
	}
	return seqs
}

func testConfig(dir string) Config {
	return Config{KeyPath: filepath.Join(dir, KeyFile), Origin: "statut.example.org/constat"}
}

// rootOf computes the tree hash of the first n records with tlog alone.
func rootOf(t *testing.T, tl *timeline.Timeline, n uint64) tlog.Hash {
	t.Helper()
	var hs []tlog.Hash
	r := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = hs[x]
		}
		return out, nil
	})
	for i := range n {
		raw, err := tl.Raw(i)
		if err != nil {
			t.Fatal(err)
		}
		s, err := tlog.StoredHashes(int64(i), raw, r)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, s...)
	}
	h, err := tlog.TreeHash(int64(n), r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestSignCheckpoints(t *testing.T) {
	dir := t.TempDir()
	tl := openTimeline(t, dir)
	l, err := Open(tl, testConfig(dir))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", fi, err)
	}
	if msg, size := l.Checkpoint(); size != 0 || !strings.HasPrefix(string(msg), "statut.example.org/constat\n0\n") {
		t.Errorf("Checkpoint() of an empty log = %q, %d", msg, size)
	}
	appendResults(t, tl, 0, 300)
	if signed, err := l.Sign(); !signed || err != nil {
		t.Fatalf("Sign() after appends = %v, %v; want true", signed, err)
	}
	if signed, err := l.Sign(); signed || err != nil {
		t.Errorf("Sign() without appends = %v, %v; want false", signed, err)
	}
	msg, size := l.Checkpoint()
	v, err := note.NewVerifier(l.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open(checkpoint) = %v", err)
	}
	want := Checkpoint{Origin: "statut.example.org/constat", Size: tl.Len(), Hash: rootOf(t, tl, tl.Len())}
	if n.Text != want.String() || size != tl.Len() {
		t.Errorf("checkpoint text = %q, want %q", n.Text, want.String())
	}
	if n.Sigs[0].Name != "statut.example.org/constat" {
		t.Errorf("key name = %q, want the origin", n.Sigs[0].Name)
	}
	appendResults(t, tl, 300, 10)
	l.Sign()
	hs, err := tl.Heads(0, 10)
	if err != nil || len(hs) != 2 || hs[0].Size != 300+2+1 || hs[1].Size != tl.Len() {
		t.Errorf("Heads(0, 10) = %d heads, %v; want the two signed", len(hs), err)
	}
	// A restart keeps the key and the checkpoints.
	l2, err := Open(tl, testConfig(dir))
	if err != nil || l2.VerifierKey() != l.VerifierKey() {
		t.Fatalf("Open() again = %v, key %q, want %q", err, l2.VerifierKey(), l.VerifierKey())
	}
	if got, _ := l2.Checkpoint(); string(got) != string(hs[1].Note) {
		t.Errorf("Checkpoint() after a restart = %q, want the last stored", got)
	}
}

func TestOpenOtherOrigin(t *testing.T) {
	dir := t.TempDir()
	tl := openTimeline(t, dir)
	if _, err := Open(tl, testConfig(dir)); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir)
	cfg.Origin = "other.example/constat"
	if _, err := Open(tl, cfg); err == nil || !strings.Contains(err.Error(), `is for origin "statut.example.org/constat", the configuration says "other.example/constat"`) {
		t.Errorf("Open(other origin) = %v, want the key's origin named", err)
	}
}

// TestStartCheck flips one byte in the file: of a record after the last
// checkpoint, then of a leaf hash before it, and checks that Open refuses
// to start and names the record, then the checkpoint. (A record before the
// last checkpoint whose leaf is intact is fsck's: the start check reads
// only the tail.)
func TestStartCheck(t *testing.T) {
	for _, tt := range []struct {
		name   string
		victim func(signed, total []uint64) uint64
		bucket string
		key    func(seq uint64) []byte
		at     func(seq uint64) int
		want   string
	}{
		{"record after the last checkpoint", func(_, total []uint64) uint64 { return total[len(total)-3] },
			"records", seqKeyOf, func(uint64) int { return 4 }, "record %d: stored leaf"},
		{"leaf before the last checkpoint", func(signed, _ []uint64) uint64 { return signed[5] },
			// 120 records: level 0's unfinished group, in chunks of 16
			// leaf hashes in the edge bucket (package timeline, "The tree").
			"edge", func(seq uint64) []byte { return append([]byte{0}, seqKeyOf(seq/16)...) }, func(seq uint64) int { return int(seq%16) * 32 },
			"checkpoint of size 103 signed root"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "timeline.db")
			tl, err := timeline.Open(path, timeline.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			signed := appendResults(t, tl, 0, 100)
			if _, err := Open(tl, testConfig(dir)); err != nil {
				t.Fatal(err)
			}
			total := appendResults(t, tl, 100, 20)
			if err := tl.Close(); err != nil {
				t.Fatal(err)
			}
			victim := tt.victim(signed, total)
			if err := tamper.FlipBit(path, []byte(tt.bucket), tt.key(victim), tt.at(victim)); err != nil {
				t.Fatal(err)
			}
			tl = openTimeline(t, dir)
			_, err = Open(tl, testConfig(dir))
			want := tt.want
			if strings.Contains(want, "%d") {
				want = strings.Replace(want, "%d", itoa(victim), 1)
			}
			if !errors.Is(err, ErrAltered) || !strings.Contains(err.Error(), want) {
				t.Errorf("Open() after flipping record %d = %v, want ErrAltered and %q", victim, err, want)
			}
		})
	}
}
