package evidence

import (
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/tamper"
)

// TestStartCheckReadsTheTail pins the line between the start check and
// fsck (package doc, "The start check"): a record before the last
// checkpoint changed, its leaf untouched, lets Open start, since the
// start check does not read it; Fsck names it.
func TestStartCheckReadsTheTail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "timeline.db")
	tl, err := timeline.Open(path, timeline.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	signed := appendResults(t, tl, 0, 600)
	l, err := Open(tl, testConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	appendResults(t, tl, 600, 20)
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	victim := signed[300]
	if err := tamper.FlipBit(path, []byte("records"), seqKeyOf(victim), 4); err != nil {
		t.Fatal(err)
	}
	tl = openTimeline(t, dir)
	if _, err := Open(tl, testConfig(dir)); err != nil {
		t.Errorf("Open() after flipping record %d, before the last checkpoint = %v, want nil: the start check reads the tail only", victim, err)
	}
	v, err := note.NewVerifier(l.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	var re *timeline.RecordError
	if _, err := Fsck(tl, v, l.Origin()); !errors.Is(err, ErrAltered) || !errors.As(err, &re) || re.Seq != victim {
		t.Errorf("Fsck() after flipping record %d = %v, want ErrAltered naming it", victim, err)
	}
}
