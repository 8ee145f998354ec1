package timeline

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// damagedSource writes a timeline of 600 measurements over 10 components,
// closed, and returns its bytes.
func damagedSource(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "timeline.db")
	tl, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	g := newGen(7, 10)
	for i := range 600 {
		if _, err := tl.Append(t.Context(), g.result(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll reads every record a timeline holds; it must not panic.
func readAll(tl *Timeline) {
	for seq := range tl.Len() {
		tl.Get(seq)
	}
	for _, id := range tl.Components() {
		tl.Range(id, time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), func(Measurement) error { return nil })
	}
	tl.Events(func(uint64, Event) error { return nil })
}

// Seen: a timeline.db truncated to half gave "fatal error: fault" in bbolt,
// 2 of 8 random byte flips panicked, and a zero-length file restarted the
// log at sequence 0. Each is now refused with ErrDamaged, or (a flip in a
// value) read without a panic.
func TestOpenDamagedFile(t *testing.T) {
	src := damagedSource(t)
	write := func(t *testing.T, b []byte) string {
		path := filepath.Join(t.TempDir(), "timeline.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for name, b := range map[string][]byte{
		"empty":           {},
		"cut to half":     src[:len(src)/2],
		"cut in a header": src[:100],
		"cut to one page": src[:4096],
		"headers zeroed":  append(make([]byte, 8192), src[8192:]...),
	} {
		t.Run(name, func(t *testing.T) {
			tl, err := Open(write(t, b), Options{NoSync: true})
			if err == nil {
				tl.Close()
			}
			if !errors.Is(err, ErrDamaged) {
				t.Errorf("Open(%s) error = %v, want ErrDamaged", name, err)
			}
		})
	}
	m := readMeta(src)
	used := int(m.pages) * int(m.pageSize) // flips in the unused tail would prove nothing
	rng := rand.New(rand.NewPCG(11, 2))
	for i := range 16 {
		b := append([]byte(nil), src...)
		off := rng.IntN(used)
		b[off] ^= byte(1 + rng.IntN(255))
		t.Run("flip", func(t *testing.T) {
			tl, err := Open(write(t, b), Options{NoSync: true})
			if err != nil {
				t.Logf("flip %d at %d: %v", i, off, err)
				if !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
					t.Errorf("flip %d at %d: Open error = %v, want ErrDamaged, ErrCorrupt or ErrVersion", i, off, err)
				}
				return
			}
			t.Logf("flip %d at %d: opened, read without a panic", i, off)
			readAll(tl)
			tl.Close()
		})
	}
}

// A file whose records are intact opens after the checks.
func TestOpenIntactFileAfterChecks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.db")
	if err := os.WriteFile(path, damagedSource(t), 0o600); err != nil {
		t.Fatal(err)
	}
	tl := openPath(t, path, Options{NoSync: true})
	if tl.Len() == 0 {
		t.Errorf("Len() = 0 after reopening 600 measurements")
	}
}
