package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

// TestBundleVerify writes a bundle of a component's measurements and
// verifies it on its own (another directory, only the file and the key);
// then flips a byte of a signed record in the timeline file: a bundle made
// from it fails, naming the record.
func TestBundleVerify(t *testing.T) {
	dir := t.TempDir()
	signed, _ := signedData(t, dir)
	vkey, err := evidence.ReadVerifierKey(filepath.Join(dir, evidence.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "preuve.json")
	bundle := []string{"bundle", "-data", dir, "-component", "lycees", "-from", "2021-04-06T09:00:00+02:00", "-to", "2021-04-06T10:00:00+02:00", "-o", out}
	if code, stdout, errs := runCmd(bundle...); code != exitOK || !strings.Contains(stdout, "60 records of lycees") {
		t.Fatalf("constat bundle = %d, %q, %q", code, stdout, errs)
	}
	if code, stdout, errs := runCmd("verify", "-key", vkey, out); code != exitOK || !strings.HasPrefix(stdout, "constat verify: OK: 60 records and 2 strings") {
		t.Errorf("constat verify -key = %d, %q, %q", code, stdout, errs)
	}
	if code, stdout, _ := runCmd("verify", out); code != exitOK || !strings.Contains(stdout, "compare it with the one the log publishes") {
		t.Errorf("constat verify without -key = %d, %q; want OK and a warning", code, stdout)
	}
	if code, _, errs := runCmd("verify", "-key", "constat.localhost+00000000+AQ==", out); code != exitFailure || !strings.Contains(errs, "FAILED: key") {
		t.Errorf("constat verify -key (another) = %d, %q", code, errs)
	}

	victim := signed[7]
	flipRecord(t, dir, victim)
	if code, _, errs := runCmd(bundle...); code != exitOK {
		t.Fatalf("constat bundle after the flip = %d, %q", code, errs)
	}
	want := fmt.Sprintf("FAILED: record %d: inclusion proof", victim)
	if code, _, errs := runCmd("verify", "-key", vkey, out); code != exitFailure || !strings.Contains(errs, want) {
		t.Errorf("constat verify of a bundle of altered data = %d, %q; want %q", code, errs, want)
	}
}
