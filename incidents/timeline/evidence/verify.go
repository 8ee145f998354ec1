package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/constat-ent/constat/incidents/timeline"
)

// ErrUnproven is returned by VerifyBundle when a record, a string or the
// checkpoint of a bundle does not check out.
var ErrUnproven = errors.New("evidence does not check out")

// VerifyError names what of a bundle failed: "checkpoint", "record 1041",
// "string 7 (record 2)". It wraps ErrUnproven and the cause.
type VerifyError struct {
	What string
	Err  error
}

func (e *VerifyError) Error() string { return e.What + ": " + e.Err.Error() }
func (e *VerifyError) Unwrap() []error {
	return []error{ErrUnproven, e.Err}
}

// VerifyBundle checks b offline and returns the checkpoint it proves its
// records against. key, when not empty, is the verifier key the reader
// trusts (from /evidence/key or the methodology page): the bundle must
// carry the same. It checks the checkpoint's signature and origin, then
// for every string and record its inclusion proof, that its bytes decode
// (records with the bundle's strings) and that the decoded form the
// bundle shows is what they decode to. The first failure comes back as a
// *VerifyError naming it.
func VerifyBundle(b *Bundle, key string) (Checkpoint, error) {
	fail := func(what string, format string, args ...any) (Checkpoint, error) {
		return Checkpoint{}, &VerifyError{What: what, Err: fmt.Errorf(format, args...)}
	}
	if key != "" && key != b.Key {
		return fail("key", "the bundle is signed by %q, not by the key given, %q", b.Key, key)
	}
	v, err := note.NewVerifier(b.Key)
	if err != nil {
		return fail("key", "%w", err)
	}
	origin, _, _ := strings.Cut(b.Key, "+")
	cp, err := OpenCheckpoint([]byte(b.Checkpoint), v, origin)
	if err != nil {
		return fail("checkpoint", "%w", err)
	}
	strs := map[uint64]string{}
	for _, s := range b.Strings {
		what := fmt.Sprintf("string %d (record %d)", s.ID, s.Index)
		if err := included(cp, s.Index, s.Canonical, s.Proof); err != nil {
			return fail(what, "%w", err)
		}
		got, err := timeline.DecodeString(s.Canonical)
		switch {
		case err != nil:
			return fail(what, "%w", err)
		case got != s.Value:
			return fail(what, "value %q, its bytes say %q", s.Value, got)
		case s.ID == 0 || strs[s.ID] != "":
			return fail(what, "string ID 0 or given twice")
		}
		strs[s.ID] = got
	}
	for _, r := range b.Records {
		what := fmt.Sprintf("record %d", r.Index)
		if err := included(cp, r.Index, r.Canonical, r.Proof); err != nil {
			return fail(what, "%w", err)
		}
		rec, err := timeline.DecodeRecord(r.Canonical, func(id uint64) (string, bool) { s, ok := strs[id]; return s, ok })
		if err != nil {
			return fail(what, "%w", err)
		}
		want, err := json.Marshal(decodedForm(rec))
		if err != nil {
			return fail(what, "%w", err)
		}
		var got bytes.Buffer
		if err := json.Compact(&got, r.Decoded); err != nil || !bytes.Equal(got.Bytes(), want) || r.Kind != rec.Kind.String() {
			return fail(what, "the decoded form shown is not what its bytes say: %s %s", rec.Kind, want)
		}
	}
	return cp, nil
}

// included checks the inclusion proof of record index, whose bytes are
// raw, in the tree cp signs.
func included(cp Checkpoint, index uint64, raw []byte, proof [][]byte) error {
	if index >= cp.Size {
		return fmt.Errorf("index %d is beyond the checkpoint's %d records", index, cp.Size)
	}
	p := make(tlog.RecordProof, len(proof))
	for i, h := range proof {
		if len(h) != tlog.HashSize {
			return fmt.Errorf("proof hash %d has %d bytes", i, len(h))
		}
		p[i] = tlog.Hash(h)
	}
	if err := tlog.CheckRecord(p, int64(cp.Size), cp.Hash, int64(index), tlog.RecordHash(raw)); err != nil {
		return fmt.Errorf("inclusion proof in the tree of size %d fails: %w", cp.Size, err)
	}
	return nil
}
