package evidence

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// ErrMalformed is returned by ParseCheckpoint, ParseTilePath and
// ParseBundle when their input does not follow the format.
var ErrMalformed = errors.New("malformed evidence")

// maxCheckpointLen bounds a checkpoint note, signatures included.
const maxCheckpointLen = 1 << 16

// Checkpoint is the body of a C2SP tlog-checkpoint: the log's origin, a tree
// size and the root hash of the tree of that size.
type Checkpoint struct {
	Origin string
	Size   uint64
	Hash   tlog.Hash
}

// String returns the note text: three lines, each ending in a newline.
func (c Checkpoint) String() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// ParseCheckpoint parses a checkpoint's note text (not its signatures: see
// note.Open). It accepts exactly the canonical form: a non-empty origin, a
// decimal size without leading zeros, a standard base64 hash of 32 bytes,
// each on a line ending in a newline, then non-empty extension lines, which
// it ignores. Anything else gets an error wrapping ErrMalformed.
func ParseCheckpoint(text string) (Checkpoint, error) {
	if len(text) > maxCheckpointLen || !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, fmt.Errorf("checkpoint of %d bytes not ending in a newline: %w", len(text), ErrMalformed)
	}
	lines := strings.Split(text[:len(text)-1], "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("checkpoint of %d lines, want at least 3: %w", len(lines), ErrMalformed)
	}
	for i, l := range lines {
		if l == "" {
			return Checkpoint{}, fmt.Errorf("checkpoint line %d is empty: %w", i+1, ErrMalformed)
		}
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint size %q: %w", lines[1], ErrMalformed)
	}
	h, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize || base64.StdEncoding.EncodeToString(h) != lines[2] {
		return Checkpoint{}, fmt.Errorf("checkpoint root hash %q: %w", lines[2], ErrMalformed)
	}
	return Checkpoint{Origin: lines[0], Size: size, Hash: tlog.Hash(h)}, nil
}

// noteBody returns the text of a signed note: what comes before the blank
// line that starts its signatures, with its final newline.
func noteBody(msg []byte) ([]byte, error) {
	i := bytes.Index(msg, []byte("\n\n"))
	if i < 0 {
		return nil, fmt.Errorf("note without signatures: %w", ErrMalformed)
	}
	return msg[:i+1], nil
}
