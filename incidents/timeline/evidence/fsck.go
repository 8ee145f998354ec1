package evidence

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/constat-ent/constat/incidents/timeline"
)

// FsckReport is what Fsck checked.
type FsckReport struct {
	Records     uint64 // records whose leaf was recomputed
	Checkpoints int    // stored checkpoints checked
}

// Fsck checks the whole timeline: every record against its leaf and every
// tile root against the level below (timeline.VerifyTree from 0), then
// every stored checkpoint: v's signature, its origin, and its root against
// the tree at its size. It returns an error wrapping ErrAltered on the
// first fault, naming the record (a *timeline.RecordError) or the
// checkpoint.
func Fsck(tl *timeline.Timeline, v note.Verifier, origin string) (FsckReport, error) {
	r := FsckReport{Records: tl.Len()}
	if err := tl.VerifyTree(0); err != nil {
		return r, fmt.Errorf("%w: %w", ErrAltered, err)
	}
	l := &Log{tl: tl, verifier: v, origin: origin}
	for after := uint64(0); ; {
		hs, err := tl.Heads(after, 256)
		if err != nil {
			return r, err
		}
		if len(hs) == 0 {
			return r, nil
		}
		for _, h := range hs {
			cp, err := l.OpenCheckpoint(h.Note)
			if err == nil && cp.Size != h.Size {
				err = fmt.Errorf("stored for size %d, says %d", h.Size, cp.Size)
			}
			if err == nil {
				err = l.matches(cp)
			}
			if err != nil {
				return r, fmt.Errorf("checkpoint of size %d: %w: %w", h.Size, ErrAltered, err)
			}
			r.Checkpoints++
		}
		after = hs[len(hs)-1].Size
	}
}

// ReadVerifierKey returns the verifier key of the signer key file at path.
func ReadVerifierKey(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("evidence key: %w", err)
	}
	skey := strings.TrimSuffix(string(data), "\n")
	if _, err := note.NewSigner(skey); err != nil {
		return "", fmt.Errorf("evidence key %s: %w", path, err)
	}
	return verifierKey(skey)
}
