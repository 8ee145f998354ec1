// Package fulldisk gives tests a real full disk: a small tmpfs, mounted for
// the test and filled but for a few bytes. Only tests import it.
package fulldisk

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Mount mounts a tmpfs of 2 MiB in a temporary directory and fills it but
// for about free bytes with a file, whose path it returns with the
// directory's: removing it gives the space back. The tmpfs is unmounted at
// cleanup, so register what writes into it (a timeline's Close) after
// Mount. Mounting needs root, as the tests run here and in CI; elsewhere
// the test is skipped.
func Mount(t *testing.T, free int64) (dir, filler string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir = t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	filler = filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, int64(st.Bavail)*st.Bsize-free), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, filler
}
