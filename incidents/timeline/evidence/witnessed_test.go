package evidence

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"
)

// cosignerSite is a witness's /checkpoint on 127.0.0.1 answering what
// answer holds, and its cosigner.
type cosignerSite struct {
	srv    *httptest.Server
	c      *Cosigner
	answer atomic.Pointer[[]byte]
}

func newCosignerSite(t *testing.T, name string, at time.Time) *cosignerSite {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	c, err := NewCosigner(name, key, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	s := &cosignerSite{c: c}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := s.answer.Load()
		if b == nil {
			http.Error(w, "none", http.StatusNotFound)
			return
		}
		w.Write(*b)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// cosign has the witness cosign the log's checkpoint msg (as it would:
// the log's signature, then its own).
func (s *cosignerSite) cosign(t *testing.T, l *Log, msg []byte) {
	t.Helper()
	n, err := note.Open(msg, note.VerifierList(l.verifier))
	if err != nil {
		t.Fatal(err)
	}
	out, err := note.Sign(n, s.c)
	if err != nil {
		t.Fatal(err)
	}
	s.answer.Store(&out)
}

func (s *cosignerSite) serve(b []byte) { s.answer.Store(&b) }

func TestWitnessed(t *testing.T) {
	dir := t.TempDir()
	tl := openTimeline(t, dir)
	l, err := Open(tl, testConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	appendResults(t, tl, 0, 100)
	l.Sign()
	first, firstSize := l.Checkpoint()
	t1 := time.Date(2021, 4, 6, 7, 3, 0, 0, time.UTC)
	a := newCosignerSite(t, "temoin.test/a", t1)
	b := newCosignerSite(t, "temoin.test/b", t1.Add(time.Hour))
	path := filepath.Join(dir, WitnessedFile)
	ws := []Witness{{URL: a.srv.URL + "/checkpoint", Key: a.c.VerifierKey()}, {URL: b.srv.URL + "/checkpoint", Key: b.c.VerifierKey()}}
	reg := prometheus.NewRegistry()
	wd, err := OpenWitnessed(l, path, ws, WitnessedOptions{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	a.cosign(t, l, first)
	b.cosign(t, l, first)
	wd.Fetch(t.Context())
	msg, size := wd.Checkpoint()
	av, _ := NewCosignatureVerifier(a.c.VerifierKey())
	bv, _ := NewCosignatureVerifier(b.c.VerifierKey())
	n, err := note.Open(msg, note.VerifierList(l.verifier, av, bv))
	if err != nil || len(n.Sigs) != 3 || size != firstSize {
		t.Fatalf("Checkpoint() = %q: %v, want the log's and two cosignatures", msg, err)
	}
	if got := gauges(t, reg); got[`constat_evidence_witness_size{temoin.test/a}`] != float64(firstSize) ||
		got[`constat_evidence_witness_up{temoin.test/b}`] != 1 || got[`constat_evidence_witness_cosigned_timestamp_seconds{temoin.test/a}`] != float64(t1.Unix()) {
		t.Errorf("metrics = %v", got)
	}
	if at, name, ok := wd.RecordedBy(50); !ok || !at.Equal(t1) || name != "temoin.test/a" {
		t.Errorf("RecordedBy(50) = %v, %q, %v; want %v by a", at, name, ok, t1)
	}
	if _, _, ok := wd.RecordedBy(firstSize); ok {
		t.Errorf("RecordedBy(%d), beyond every cosigned size, = true", firstSize)
	}

	// The log grows; a lags behind, b answers garbage of each kind.
	appendResults(t, tl, 100, 10)
	l.Sign()
	second, secondSize := l.Checkpoint()
	other, _ := note.Sign(&note.Note{Text: Checkpoint{Origin: l.Origin(), Size: secondSize, Hash: [32]byte{1}}.String()}, b.c)
	for _, bad := range [][]byte{nil, []byte("garbage"), make([]byte, maxCheckpointLen+1), second /* no cosignature */, other} {
		b.serve(bad)
		wd.Fetch(t.Context())
		if msg, _ := wd.Checkpoint(); string(msg) != string(second) {
			t.Errorf("with b answering %.40q: Checkpoint() = %q, want the log's alone", bad, msg)
		}
		if v := wd.Vouches()[1]; v.Error == "" || v.Size != firstSize {
			t.Errorf("with b answering %.40q: Vouches()[1] = %+v, want an error and size %d", bad, v, firstSize)
		}
	}
	// A witness cosigning a checkpoint of the right size the log never
	// signed (another root, signed by the log's key elsewhere) is refused.
	forged, _ := note.Sign(&note.Note{Text: Checkpoint{Origin: l.Origin(), Size: secondSize, Hash: [32]byte{2}}.String()}, l.signer)
	b.cosign(t, l, forged)
	wd.Fetch(t.Context())
	if v := wd.Vouches()[1]; !strings.Contains(v.Error, "never signed") || gauges(t, reg)[`constat_evidence_witness_up{temoin.test/b}`] != 0 {
		t.Errorf("b cosigning a forged checkpoint: Vouches()[1] = %+v", v)
	}
	b.srv.Close() // down
	a.cosign(t, l, second)
	wd.Fetch(t.Context())
	vs := wd.Vouches()
	if vs[0].Size != secondSize || vs[0].Error != "" || vs[1].Error == "" || vs[1].Since.IsZero() {
		t.Errorf("Vouches() = %+v", vs)
	}
	if err := wd.Close(); err != nil {
		t.Fatal(err)
	}
	// A restart remembers what was cosigned, and when.
	wd, err = OpenWitnessed(l, path, ws, WitnessedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer wd.Close()
	if vs := wd.Vouches(); vs[0].Size != secondSize || vs[1].Size != firstSize || !vs[1].At.Equal(t1.Add(time.Hour)) {
		t.Errorf("Vouches() after a restart = %+v", vs)
	}
	if at, _, ok := wd.RecordedBy(firstSize + 1); !ok || !at.Equal(t1) {
		t.Errorf("RecordedBy(%d) after a restart = %v, %v", firstSize+1, at, ok)
	}
}

// FuzzWitnessAnswer feeds anything as a witness's answer: an error, or a
// checkpoint the log signed with the witness's signature; never a panic.
func FuzzWitnessAnswer(f *testing.F) {
	dir := f.TempDir()
	tl, err := openBench(dir)
	if err != nil {
		f.Fatal(err)
	}
	defer tl.Close()
	l, err := Open(tl, testConfig(dir))
	if err != nil {
		f.Fatal(err)
	}
	appendResults(f, tl, 0, 300)
	if _, err := l.Sign(); err != nil {
		f.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	c, _ := NewCosigner("temoin.test/a", key, nil)
	wd, err := OpenWitnessed(l, filepath.Join(dir, WitnessedFile), []Witness{{URL: "http://127.0.0.1:9/", Key: c.VerifierKey()}}, WitnessedOptions{})
	if err != nil {
		f.Fatal(err)
	}
	defer wd.Close()
	msg, _ := l.Checkpoint()
	n, _ := note.Open(msg, note.VerifierList(l.verifier))
	good, _ := note.Sign(n, c)
	f.Add(good)
	f.Add(msg)
	f.Fuzz(func(t *testing.T, msg []byte) {
		size, sig, err := wd.check(wd.ws[0], msg)
		if err == nil && (size > tl.Len() || sig == nil || sig.Name != "temoin.test/a") {
			t.Errorf("check(%q) = %d, %v", msg, size, sig)
		}
	})
}

// gauges gathers reg's gauges as name{witness} → value.
func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out[mf.GetName()+"{"+m.GetLabel()[0].GetValue()+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}
