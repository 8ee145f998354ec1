package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline/evidence"
	"github.com/constat-ent/constat/incidents/timeline/evidence/witness"
)

// TestWitnessCommand runs constat witness against a real serve: -once
// cosigns and prints the witness's key; serving, it is the witness serve's
// evidence.witnesses names: /evidence/checkpoint soon carries its
// cosignature, /methode says what it vouches for and /metrics that it
// answers, and the witness's /checkpoints lists what it cosigned. A
// state directory holding an alarm makes -once exit 1.
func TestWitnessCommand(t *testing.T) {
	for _, args := range [][]string{{}, {"-log", "http://127.0.0.1:9/evidence"}, {"-log", "x", "-key", "k", "-state", t.TempDir(), "extra"}} {
		if code, _, _ := runCmd(append([]string{"witness"}, args...)...); code != exitUsage {
			t.Errorf("witness %q = %d, want %d", args, code, exitUsage)
		}
	}
	dir := t.TempDir()
	signedData(t, dir)
	vkey, err := evidence.ReadVerifierKey(filepath.Join(dir, evidence.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig(t, map[string]string{"lycees": "http://127.0.0.1:9/"}, "lycees")
	cfg.evidence.CheckpointInterval = 3 * time.Second // serve reads the witness every second
	base, stop := startServe(t, cfg, dir)
	state := filepath.Join(t.TempDir(), "temoin")
	code, out, errs := runCmd("witness", "-log", base+"/evidence", "-key", vkey, "-state", state, "-name", "redaction.test/temoin", "-once")
	if code != exitOK || !strings.Contains(out, "verifier key, for the log's evidence.witnesses[].key: redaction.test/temoin+") {
		t.Fatalf("witness -once = %d, %q, %q", code, out, errs)
	}
	if fi, err := os.Stat(filepath.Join(state, witness.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	wkey := strings.Fields(strings.SplitN(out, "evidence.witnesses[].key: ", 2)[1])[0]
	stop()

	// Serve naming the witness, then the witness serving on the address
	// serve was given.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.evidence.Witnesses = []evidence.Witness{{URL: "http://" + ln.Addr().String() + "/checkpoint", Key: wkey}}
	base, stop2 := startServe(t, cfg, dir)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	var wout strings.Builder
	go func() {
		done <- runWitnessWith(ctx, witnessOptions{cfg: witness.Config{LogURL: base + "/evidence", LogKey: vkey, StateDir: state,
			Interval: 200 * time.Millisecond}, ln: ln}, &wout)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, page := get(t, base+"/methode")
		_, cp := get(t, base+"/evidence/checkpoint")
		_, metrics := get(t, base+"/metrics")
		if strings.Contains(page, "redaction.test/temoin</code>") && strings.Contains(page, "se porte garant des") &&
			strings.Contains(cp, "\n— redaction.test/temoin ") && strings.Contains(metrics, `constat_evidence_witness_up{witness="redaction.test/temoin"} 1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("within 20s, /methode does not say what the witness vouches for, or /evidence/checkpoint %q lacks its cosignature, or /metrics its constat_evidence_witness_up", cp)
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-t.Context().Done():
			return
		}
	}
	if code, hist := get(t, "http://"+ln.Addr().String()+"/checkpoints?after=0"); code != 200 ||
		!strings.Contains(hist, `"checkpoints":[{"size":`) || !strings.Contains(hist, `\n— redaction.test/temoin `) {
		t.Errorf("witness /checkpoints = %d, %q; want its cosigned checkpoints", code, hist)
	}
	stop2()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("witness after cancel = %v, want nil", err)
	}

	if err := os.WriteFile(filepath.Join(state, witness.AlarmFile), []byte("conflict-x\nwitness alarm (fork)\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd("witness", "-log", base+"/evidence", "-key", vkey, "-state", state, "-once"); code != exitFailure || !strings.Contains(errs, "witness alarmed") {
		t.Errorf("witness -once with an alarm = %d, %q; want %d", code, errs, exitFailure)
	}
}
