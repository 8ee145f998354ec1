package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/constat-ent/constat/incidents/push"
)

// TestVapidKeys: the command writes a key pair readable by its owner only,
// prints the public key, and refuses to replace it (that would orphan every
// subscription).
func TestVapidKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var out, errOut bytes.Buffer
	if code := run([]string{"vapid-keys", "-data", dir}, &out, &errOut); code != exitOK {
		t.Fatalf("vapid-keys = %d, %s", code, errOut.String())
	}
	fi, err := os.Stat(filepath.Join(dir, push.KeysFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	k, err := push.LoadKeys(dir)
	if err != nil || !strings.Contains(out.String(), k.Public) || len(k.Public) != 87 {
		t.Errorf("LoadKeys = %+v, %v; output %q", k.Public, err, out.String())
	}
	errOut.Reset()
	if code := run([]string{"vapid-keys", "-data", dir}, &out, &errOut); code == exitOK || !strings.Contains(errOut.String(), "already exists") {
		t.Errorf("second vapid-keys = %d, %q; want a refusal", code, errOut.String())
	}
	if again, _ := push.LoadKeys(dir); again != k {
		t.Error("the second run changed the keys")
	}
}
