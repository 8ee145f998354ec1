package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
	"github.com/constat-ent/constat/incidents/timeline/tamper"
	"github.com/constat-ent/constat/probes"
)

// signedData writes a data directory: 50 results covered by a signed
// checkpoint, then 10 after it (the tail). It returns the seqs of both.
func signedData(t *testing.T, dir string) (signed, tail []uint64) {
	t.Helper()
	tl, err := timeline.Open(filepath.Join(dir, "timeline.db"), timeline.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	results := func(from, n int) []probes.Result {
		rs := make([]probes.Result, n)
		for i := range rs {
			rs[i] = probes.Result{Component: "lycees", Start: time.Date(2021, 4, 6, 7, 0, 0, 0, time.UTC).Add(time.Duration(from+i) * 30 * time.Second),
				Status: probes.Operational, Steps: []probes.StepResult{{URL: "https://lycees.example/", Outcome: probes.OK, StatusCode: 200}}}
		}
		return rs
	}
	if signed, err = tl.AppendAll(t.Context(), results(0, 50)); err != nil {
		t.Fatal(err)
	}
	if _, err := evidence.Open(tl, evidence.Config{KeyPath: filepath.Join(dir, evidence.KeyFile), Origin: "constat.localhost"}); err != nil {
		t.Fatal(err)
	}
	if tail, err = tl.AppendAll(t.Context(), results(50, 10)); err != nil {
		t.Fatal(err)
	}
	return signed, tail
}

func flipRecord(t *testing.T, dir string, seq uint64) {
	t.Helper()
	if err := tamper.FlipBit(filepath.Join(dir, "timeline.db"), []byte("records"), binary.BigEndian.AppendUint64(nil, seq), 4); err != nil {
		t.Fatal(err)
	}
}

// TestFsck flips one byte of a record in the file, as someone editing it
// would: fsck names the record, and so does serve's start check when the
// record is after the last checkpoint; before it, fsck still does.
func TestFsck(t *testing.T) {
	dir := t.TempDir()
	signed, tail := signedData(t, dir)
	if code, out, errs := runCmd("fsck", "-data", dir); code != exitOK || !strings.Contains(out, "62 records and 1 checkpoints") {
		t.Fatalf("fsck on intact data = %d, %q, %q", code, out, errs)
	}
	victim := tail[4]
	flipRecord(t, dir, victim)
	want := fmt.Sprintf("record %d: stored leaf", victim)
	if code, _, errs := runCmd("fsck", "-data", dir); code != exitFailure || !strings.Contains(errs, want) {
		t.Errorf("fsck after flipping record %d = %d, %q; want %q", victim, code, errs, want)
	}
	cfg := fastConfig(t, map[string]string{"lycees": "http://127.0.0.1:9/"}, "lycees")
	_, err := openStores(serveOptions{cfg: cfg, dataDir: dir, log: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "refusing to serve altered data") {
		t.Errorf("serve's start check after flipping record %d = %v, want %q", victim, err, want)
	}

	flipRecord(t, dir, victim) // undo
	_, other, _ := note.GenerateKey(rand.Reader, "constat.localhost")
	if code, _, errs := runCmd("fsck", "-data", dir, "-key", other); code != exitFailure || !strings.Contains(errs, "checkpoint of size 52") {
		t.Errorf("fsck -key (another key of the same name) = %d, %q; want the checkpoint named", code, errs)
	}
	victim = signed[7]
	flipRecord(t, dir, victim)
	want = fmt.Sprintf("record %d: stored leaf", victim)
	if code, _, errs := runCmd("fsck", "-data", dir); code != exitFailure || !strings.Contains(errs, want) {
		t.Errorf("fsck after flipping record %d = %d, %q; want %q", victim, code, errs, want)
	}
}
