package witness

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
	"github.com/constat-ent/constat/probes"
)

// testLog is a real timeline and evidence log, its checkpoint and tiles
// served over HTTP on 127.0.0.1 the way /evidence/ serves them (package ui
// tests the witness against ui's own endpoints); override, when set,
// answers instead.
type testLog struct {
	tl       *timeline.Timeline
	ev       *evidence.Log
	srv      *httptest.Server
	override atomic.Pointer[http.HandlerFunc]
	n        int
}

func newTestLog(t testing.TB) *testLog {
	t.Helper()
	dir := t.TempDir()
	tl, err := timeline.Open(filepath.Join(dir, "timeline.db"), timeline.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	ev, err := evidence.Open(tl, evidence.Config{KeyPath: filepath.Join(dir, evidence.KeyFile), Origin: "statut.test/constat"})
	if err != nil {
		t.Fatal(err)
	}
	l := &testLog{tl: tl, ev: ev}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := l.override.Load(); h != nil {
			(*h)(w, r)
			return
		}
		switch p := strings.TrimPrefix(r.URL.Path, "/evidence/"); {
		case p == "checkpoint":
			msg, _ := ev.Checkpoint()
			w.Write(msg)
		case strings.HasPrefix(p, "tile/"):
			L, n, width, err := evidence.ParseTilePath(p)
			if err != nil {
				http.Error(w, "bad path", http.StatusBadRequest)
				return
			}
			data, err := tl.Tile(L, n, width)
			if err != nil {
				http.Error(w, "no tile", http.StatusNotFound)
				return
			}
			w.Write(data)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(l.srv.Close)
	return l
}

// grow appends n measurements and signs a checkpoint.
func (l *testLog) grow(t testing.TB, n int) {
	t.Helper()
	rs := make([]probes.Result, n)
	for i := range rs {
		rs[i] = probes.Result{Component: "monlycee", Start: time.Date(2021, 4, 6, 7, 0, 0, 0, time.UTC).Add(time.Duration(l.n+i) * time.Minute),
			Status: probes.Operational, Steps: []probes.StepResult{{URL: "https://ent.iledefrance.fr/", Outcome: probes.OK, StatusCode: 200}}}
	}
	l.n += n
	if _, err := l.tl.AppendAll(t.Context(), rs); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ev.Sign(); err != nil {
		t.Fatal(err)
	}
}

func (l *testLog) answer(h http.HandlerFunc) { l.override.Store(&h) }

func openWitness(t testing.TB, l *testLog, state string) *Witness {
	t.Helper()
	w, err := Open(Config{LogURL: l.srv.URL + "/evidence", LogKey: l.ev.VerifierKey(), StateDir: state, Name: "temoin.test/w1",
		Now: func() time.Time { return time.Date(2021, 4, 6, 7, 3, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	return w
}

// TestWitnessCosigns polls a growing log: the first checkpoint is taken as
// it is, each larger one after a consistency proof from the tiles; the
// cosigned checkpoint verifies with the log's key and the witness's, and
// survives a restart.
func TestWitnessCosigns(t *testing.T) {
	l := newTestLog(t)
	state := t.TempDir()
	w := openWitness(t, l, state)
	if fi, err := os.Stat(filepath.Join(state, KeyFile)); err != nil || fi.Mode().Perm() != 0o600 || !w.KeyCreated() {
		t.Fatalf("key file: %v, %v; want mode 0600, created", fi, err)
	}
	for _, n := range []int{300, 1, 700, 0} { // across tile boundaries, then nothing new
		l.grow(t, n)
		cosigned, err := w.Poll(t.Context())
		if err != nil || cosigned != (n > 0) {
			t.Fatalf("Poll() after %d appends = %v, %v; want %v, nil", n, cosigned, err, n > 0)
		}
	}
	msg, alarm := w.Cosigned()
	cv, err := evidence.NewCosignatureVerifier(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := note.NewVerifier(l.ev.VerifierKey())
	n, err := note.Open(msg, note.VerifierList(lv, cv))
	if err != nil || len(n.Sigs) != 2 || alarm != "" {
		t.Fatalf("note.Open(cosigned) = %v, %d signatures, alarm %q", err, len(n.Sigs), alarm)
	}
	if logMsg, _ := l.ev.Checkpoint(); !strings.HasPrefix(string(msg), string(logMsg)) {
		t.Errorf("cosigned checkpoint %q does not start with the log's %q", msg, logMsg)
	}
	w2 := openWitness(t, l, state)
	if got, _ := w2.Cosigned(); string(got) != string(msg) || w2.VerifierKey() != w.VerifierKey() || w2.KeyCreated() {
		t.Errorf("after a restart: checkpoint %q, key %q; want the stored ones", got, w2.VerifierKey())
	}
	if _, err := Open(Config{LogURL: l.srv.URL + "/evidence", LogKey: l.ev.VerifierKey(), StateDir: state, Name: "other.test/w"}); err == nil ||
		!strings.Contains(err.Error(), `is named "temoin.test/w1"`) {
		t.Errorf("Open(other -name) = %v, want the stored name", err)
	}
}

// TestWitnessHostileLog answers garbage of every kind: each poll fails
// without an alarm, a panic or a change of state, and the next honest
// answer is cosigned.
func TestWitnessHostileLog(t *testing.T) {
	l := newTestLog(t)
	l.grow(t, 10)
	w := openWitness(t, l, t.TempDir())
	if _, err := w.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	before, _ := w.Cosigned()
	l.grow(t, 300)
	good, _ := l.ev.Checkpoint()
	otherSkey, _, _ := note.GenerateKey(nil, "statut.test/constat")
	other, _ := note.NewSigner(otherSkey)
	forged, _ := note.Sign(&note.Note{Text: "statut.test/constat\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"}, other)
	for _, tt := range []struct {
		name string
		h    http.HandlerFunc
	}{
		{"status 500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", 500) }},
		{"empty", func(w http.ResponseWriter, r *http.Request) {}},
		{"huge", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, maxNote+10)) }},
		{"text", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>Service indisponible</html>")) }},
		{"other key", func(w http.ResponseWriter, r *http.Request) { w.Write(forged) }},
		{"flipped byte", func(w http.ResponseWriter, r *http.Request) {
			b := append([]byte(nil), good...)
			b[len("statut.test/constat\n")] ^= 1
			w.Write(b)
		}},
		{"tiles missing", func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/checkpoint") {
				w.Write(good)
				return
			}
			http.NotFound(w, r)
		}},
		{"tiles short", func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/checkpoint") {
				w.Write(good)
				return
			}
			w.Write(make([]byte, 31))
		}},
		{"tiles wrong", func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/checkpoint") {
				w.Write(good)
				return
			}
			_, _, width, _ := evidence.ParseTilePath(strings.TrimPrefix(r.URL.Path, "/evidence/"))
			w.Write(make([]byte, 32*width))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l.answer(tt.h)
			cosigned, err := w.Poll(t.Context())
			var a *Alarm
			if cosigned || err == nil || errors.As(err, &a) {
				t.Errorf("Poll() = %v, %v; want an error, no alarm", cosigned, err)
			}
			if got, alarm := w.Cosigned(); string(got) != string(before) || alarm != "" {
				t.Errorf("state changed: %q, alarm %q", got, alarm)
			}
		})
	}
	l.override.Store(nil)
	if cosigned, err := w.Poll(t.Context()); !cosigned || err != nil {
		t.Errorf("Poll() of the honest log again = %v, %v", cosigned, err)
	}
}

// TestWitnessRunStopsOnAlarm runs the loop against a log that shrinks:
// Run returns the alarm, keeps both checkpoints, and a new witness on the
// same state directory refuses to cosign.
func TestWitnessRunStopsOnAlarm(t *testing.T) {
	l := newTestLog(t)
	l.grow(t, 20)
	older, olderSize := l.ev.Checkpoint()
	l.grow(t, 5)
	_, size := l.ev.Checkpoint()
	state := t.TempDir()
	w := openWitness(t, l, state)
	if _, err := w.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	l.answer(func(w http.ResponseWriter, r *http.Request) { w.Write(older) })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	w.cfg.Interval = time.Millisecond
	err := w.Run(ctx)
	var a *Alarm
	if !errors.As(err, &a) || a.Reason != "shrink" || a.Old.Size != size || a.New.Size != olderSize {
		t.Fatalf("Run() = %v, want a shrink alarm from %d to %d", err, size, olderSize)
	}
	for _, f := range []string{filepath.Join(state, AlarmFile), filepath.Join(a.Dir, "old.checkpoint"), filepath.Join(a.Dir, "new.checkpoint")} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("conflict file: %v", err)
		}
	}
	w2 := openWitness(t, l, state)
	if _, err := w2.Poll(t.Context()); !errors.Is(err, ErrAlarmed) {
		t.Errorf("Poll() after an alarm = %v, want ErrAlarmed", err)
	}
}

func TestCheckBase(t *testing.T) {
	for _, s := range []string{"", "ftp://x/evidence", "statut.example.org/evidence", "https:///evidence", "https://x/evidence?a=1", "https://x/e#f"} {
		if _, err := checkBase(s); err == nil {
			t.Errorf("checkBase(%q) = nil error", s)
		}
	}
	if got, err := checkBase("https://statut.example.org/evidence/"); err != nil || got != "https://statut.example.org/evidence" {
		t.Errorf("checkBase(…/evidence/) = %q, %v", got, err)
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add([]byte("PRIVATE+KEY+temoin.test/w1+0a1b2c3d+BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"))
	f.Add([]byte("PRIVATE+KEY+++"))
	f.Fuzz(func(t *testing.T, data []byte) {
		name, seed, _, err := parseKey(data)
		if err == nil && (name == "" || len(seed) != 32) {
			t.Errorf("parseKey(%q) = %q, %d-byte seed, nil error", data, name, len(seed))
		}
	})
}

// FuzzOpenLogCheckpoint feeds anything as the log's answer: an error or a
// checkpoint of the log's origin, never a panic.
func FuzzOpenLogCheckpoint(f *testing.F) {
	skey, vkey, _ := note.GenerateKey(nil, "statut.test/constat")
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	good, _ := note.Sign(&note.Note{Text: "statut.test/constat\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"}, s)
	f.Add(good)
	f.Add([]byte("statut.test/constat\n18446744073709551615\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— x YWJj\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, cp, err := openLogCheckpoint(msg, v)
		if err == nil && (cp.Origin != "statut.test/constat" || cp.Size >= 1<<63) {
			t.Errorf("openLogCheckpoint(%q) = %+v", msg, cp)
		}
	})
}
