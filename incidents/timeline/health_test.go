package timeline

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/constat-ent/constat/incidents/timeline/fulldisk"
)

// Seen: with the disk full every write failed while /healthz said ok. The
// failed commit is ErrCommit wrapping ENOSPC, Health says since when, the
// count of failed commits grows, and everything resumes once space
// returns, with nothing recorded before lost.
func TestCommitDiskFull(t *testing.T) {
	dir, filler := fulldisk.Mount(t, 96<<10)
	path := filepath.Join(dir, "timeline.db")
	tl, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	g := newGen(3, 5)
	var appended int
	var failure error
	for i := range 20000 {
		if _, err := tl.Append(t.Context(), g.result(i)); err != nil {
			failure = err
			break
		}
		appended++
	}
	if !errors.Is(failure, ErrCommit) || !errors.Is(failure, syscall.ENOSPC) {
		t.Fatalf("after %d appends: error %v, want ErrCommit wrapping ENOSPC", appended, failure)
	}
	var ce *CommitError
	if h := tl.Health(); !errors.As(h, &ce) || ce.Failures != 1 || !errors.Is(h, syscall.ENOSPC) {
		t.Errorf("Health() = %v, want a CommitError of 1 failure, ENOSPC", h)
	}
	// A commit after a failed one may still fit in the pages the failure
	// freed; the disk stays full, so another fails within a few appends.
	second := false
	for range 1000 {
		if _, err := tl.Append(t.Context(), g.result(appended)); err != nil {
			second = true
			break
		}
		appended++
	}
	if !second {
		t.Errorf("1000 more appends on a full disk all succeeded")
	}
	if n := tl.CommitFailures(); n != 2 {
		t.Errorf("CommitFailures() = %d, want 2", n)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := tl.Append(t.Context(), g.result(appended)); err != nil {
		t.Fatalf("Append once space returned: %v", err)
	}
	if h := tl.Health(); h != nil {
		t.Errorf("Health() after a successful commit = %v, want nil", h)
	}
	if got := tl.Len(); got < uint64(appended+1) {
		t.Errorf("Len() = %d, want at least the %d measurements recorded", got, appended+1)
	}
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	tl = openPath(t, path, Options{NoSync: true}) // checks the file at cleanup
	if n := tl.Len(); n < uint64(appended+1) {
		t.Errorf("reopened Len() = %d, want at least %d", n, appended+1)
	}
}
