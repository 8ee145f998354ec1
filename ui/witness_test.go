package ui

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/constat-ent/constat/incidents/timeline/evidence"
	"github.com/constat-ent/constat/incidents/timeline/evidence/witness"
	"github.com/constat-ent/constat/probes"
)

// witnessTime is when the test witnesses cosign: 9 h 03 in Paris.
var witnessTime = time.Date(2021, 4, 6, 7, 3, 0, 0, time.UTC)

// swappable is a handler whose target a test replaces, as an operator
// restarting serve on another data directory behind the same address.
type swappable struct{ h atomic.Pointer[http.Handler] }

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }
func (s *swappable) set(h http.Handler)                               { s.h.Store(&h) }

// newWitness opens a real witness of the log at base (its /evidence URL)
// in a fresh state directory, and serves its documents on 127.0.0.1.
func newWitness(t *testing.T, base, logKey, name string) (*witness.Witness, string, string) {
	t.Helper()
	state := t.TempDir()
	w, err := witness.Open(witness.Config{LogURL: base, LogKey: logKey, StateDir: state, Name: name,
		Now: func() time.Time { return witnessTime }})
	if err != nil {
		t.Fatal(err)
	}
	return w, state, serveLoopback(t, w.Handler())
}

// getStatus GETs url and returns its status and body.
func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestWitnessAlarmsOnRewrite is issue 13's "remove or reorder a record:
// consistency fails and a witness alarms". An honest log is served by the
// real /evidence/ endpoints; a real witness cosigns it, twice as it grows.
// Then the operator rewrites history as a dishonest one would, with the
// same key: the same measurements replayed into a new timeline, one
// removed or two swapped, the tree rebuilt by the timeline, and serves it
// at the same address. The witness alarms, keeps both signed
// checkpoints, reports it on /healthz and /metrics, keeps serving the
// last good checkpoint, and cosigns nothing more.
func TestWitnessAlarmsOnRewrite(t *testing.T) {
	for _, tt := range []struct {
		name    string
		rewrite func([]probes.Result) []probes.Result
		reason  string
	}{
		{"remove a record", func(rs []probes.Result) []probes.Result {
			return append(append([]probes.Result(nil), rs[:20]...), rs[21:]...)
		}, "shrink"},
		{"remove a record, then grow past the old size", func(rs []probes.Result) []probes.Result {
			out := append(append([]probes.Result(nil), rs[:20]...), rs[21:]...)
			for i := range 5 {
				out = append(out, quotaRound(len(rs)+i, true))
			}
			return out
		}, "inconsistent"},
		{"reorder two records", func(rs []probes.Result) []probes.Result {
			out := append([]probes.Result(nil), rs...)
			out[20], out[21] = out[21], out[20]
			return out
		}, "fork"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var rs []probes.Result
			for i := range 40 + 300 {
				rs = append(rs, quotaRound(i, i%7 != 3))
			}
			dir := t.TempDir()
			honest := newTestStack(t, dir)
			var front swappable
			front.set(honest.s.Handler())
			base := serveLoopback(t, &front) + "/evidence"
			w, state, wurl := newWitness(t, base, honest.ev.VerifierKey(), "redaction.test/temoin")
			for _, part := range [][]probes.Result{rs[:40], rs[40:]} { // the second crosses a tile
				if _, err := honest.tl.AppendAll(t.Context(), part); err != nil {
					t.Fatal(err)
				}
				honest.ev.Sign()
				if ok, err := w.Poll(t.Context()); !ok || err != nil {
					t.Fatalf("Poll() of the honest log = %v, %v", ok, err)
				}
			}
			good, _ := w.Cosigned()
			goodMsg, goodSize := honest.ev.Checkpoint()

			// The rewrite: a new data directory with the log's key.
			dir2 := t.TempDir()
			key, err := os.ReadFile(filepath.Join(dir, evidence.KeyFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir2, evidence.KeyFile), key, 0o600); err != nil {
				t.Fatal(err)
			}
			liar := newTestStack(t, dir2)
			if _, err := liar.tl.AppendAll(t.Context(), tt.rewrite(rs)); err != nil {
				t.Fatal(err)
			}
			liar.ev.Sign()
			front.set(liar.s.Handler())
			liarMsg, liarSize := liar.ev.Checkpoint()

			if liarSize > goodSize {
				// The log's own consistency proof fails against the old root.
				var p proofDoc
				if err := json.Unmarshal(fetch(t, base+"/proof/consistency?old="+itoa(int(goodSize))+"&new="+itoa(int(liarSize))), &p); err != nil {
					t.Fatal(err)
				}
				cp, _ := evidence.ParseCheckpoint(strings.SplitN(string(goodMsg), "\n\n", 2)[0] + "\n")
				proof := make(tlog.TreeProof, len(p.Proof))
				for i := range p.Proof {
					proof[i] = tlog.Hash(p.Proof[i])
				}
				if err := tlog.CheckTree(proof, int64(liarSize), tlog.Hash(p.Root), int64(goodSize), cp.Hash); err == nil {
					t.Errorf("the rewritten log's consistency proof from %d to %d checks against the old root", goodSize, liarSize)
				}
			}

			_, err = w.Poll(t.Context())
			var a *witness.Alarm
			if !errors.As(err, &a) || a.Reason != tt.reason || a.Old.Size != goodSize || a.New.Size != liarSize {
				t.Fatalf("Poll() of the rewritten log = %v, want a %s alarm from %d to %d", err, tt.reason, goodSize, liarSize)
			}
			// Both checkpoints kept, each signed by the log's key.
			lv, _ := note.NewVerifier(honest.ev.VerifierKey())
			for f, want := range map[string][]byte{"old.checkpoint": goodMsg, "new.checkpoint": liarMsg} {
				data, err := os.ReadFile(filepath.Join(a.Dir, f))
				if err != nil {
					t.Fatal(err)
				}
				n, err := note.Open(data, note.VerifierList(lv))
				if err != nil || !strings.HasPrefix(string(want), n.Text) {
					t.Errorf("%s: %v; text %q, want that of %q", f, err, n.Text, want)
				}
			}
			if _, err := os.Stat(filepath.Join(state, witness.AlarmFile)); err != nil {
				t.Error(err)
			}
			if code, body := getStatus(t, wurl+"/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, tt.reason) {
				t.Errorf("/healthz = %d %q, want 503 naming %s", code, body, tt.reason)
			}
			if code, body := getStatus(t, wurl+"/metrics"); code != 200 || !strings.Contains(body, "constat_witness_alarm 1") {
				t.Errorf("/metrics = %d, want constat_witness_alarm 1 in %q", code, body)
			}
			if code, body := getStatus(t, wurl+"/checkpoint"); code != 200 || body != string(good) {
				t.Errorf("/checkpoint = %d %q, want the last good one %q", code, body, good)
			}
			if _, err := w.Poll(t.Context()); !errors.Is(err, witness.ErrAlarmed) {
				t.Errorf("Poll() after the alarm = %v, want ErrAlarmed", err)
			}
		})
	}
}

// TestServeAppendsCosignatures runs a real witness against the log's
// endpoints, then serve's side: /evidence/checkpoint carries the
// witness's cosignature, checked here with nothing but x/mod's note and
// the cosignature/v1 verifier; /methode says who vouches for which size
// and when, and the incident page that its measurements were recorded no
// later than 9 h 03. A second witness is down: nothing breaks, and the
// page says so.
func TestServeAppendsCosignatures(t *testing.T) {
	dir := t.TempDir()
	st := newTestStack(t, dir)
	for i, ok := range []bool{true, false, false, false} {
		if _, err := st.pipe.Record(t.Context(), quotaRound(i, ok)); err != nil {
			t.Fatal(err)
		}
	}
	id := st.pipe.History().Incidents()[0].ID
	st.ev.Sign()
	logURL := serveLoopback(t, st.s.Handler())
	w, _, wurl := newWitness(t, logURL+"/evidence", st.ev.VerifierKey(), "redaction.test/temoin")
	if ok, err := w.Poll(t.Context()); !ok || err != nil {
		t.Fatalf("Poll() = %v, %v", ok, err)
	}
	down := serveLoopback(t, http.NotFoundHandler())
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	other, err := evidence.NewCosigner("syndicat.test/w", priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	wd, err := evidence.OpenWitnessed(st.ev, filepath.Join(dir, evidence.WitnessedFile), []evidence.Witness{
		{URL: wurl + "/checkpoint", Key: w.VerifierKey()},
		{URL: down + "/checkpoint", Key: other.VerifierKey()},
	}, evidence.WitnessedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wd.Close() })
	s, err := New(st.cfg, st.pipe, Options{Accounts: st.acc, Registry: prometheus.NewRegistry(), Evidence: st.ev, Witnessed: wd})
	if err != nil {
		t.Fatal(err)
	}
	site := serveLoopback(t, s.Handler())
	wd.Fetch(t.Context())

	// The independent check: the log's key and the witness's, nothing of Constat's but the cosignature verifier.
	msg := fetch(t, site+"/evidence/checkpoint")
	lv, _ := note.NewVerifier(string(fetch(t, site+"/evidence/key")[:len(fetch(t, site+"/evidence/key"))-1]))
	cv, err := evidence.NewCosignatureVerifier(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(lv, cv))
	if err != nil || len(n.Sigs) != 2 || n.Sigs[1].Name != "redaction.test/temoin" {
		t.Fatalf("note.Open(/evidence/checkpoint) = %v, %d signatures; want the log's and the witness's in %q", err, len(n.Sigs), msg)
	}
	if at, err := evidence.CosignatureTime(n.Sigs[1].Base64); err != nil || !at.Equal(witnessTime) {
		t.Errorf("cosignature time = %v, %v; want %v", at, err, witnessTime)
	}
	_, size := st.ev.Checkpoint()
	for _, tt := range []struct{ path, want string }{
		{"/methode", "redaction.test/temoin</code>"},
		{"/methode", "se porte garant des " + itoa(int(size)) + " premiers enregistrements (point de contrôle cosigné le 6 avril 2021 à 9\u00a0h\u00a003)"},
		{"/methode", "syndicat.test/w</code>"},
		{"/methode", "n&#39;a encore cosigné aucun point de contrôle de ce journal. Sans réponse valable depuis le"},
		{"/en/methode", "vouches for the first " + itoa(int(size)) + " records"},
		{"/incidents/" + itoa(int(id)), "enregistrée au plus tard à 9\u00a0h\u00a003 (témoin indépendant redaction.test/temoin)"},
		{"/en/incidents/" + itoa(int(id)), "recorded no later than 09:03 (independent witness redaction.test/temoin)"},
	} {
		if body := string(fetch(t, site+tt.path)); !strings.Contains(body, tt.want) {
			t.Errorf("GET %s does not say %q", tt.path, tt.want)
		}
	}
}
