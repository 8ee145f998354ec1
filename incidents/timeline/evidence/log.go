package evidence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/constat-ent/constat/incidents/timeline"
)

// ErrAltered is returned by Open (serve's start check) and Fsck when the
// timeline disagrees with its tree or with a checkpoint the log signed:
// someone changed the file, and serving it would publish altered data.
var ErrAltered = errors.New("timeline altered since it was signed")

// Config configures Open.
type Config struct {
	// KeyPath is the signing key's file, created at first start (KeyFile
	// beside the timeline).
	KeyPath string
	// Origin names the log (see probes.EvidenceSettings).
	Origin string
	// Interval is the least time between two checkpoints (default 1m).
	Interval time.Duration
	// Logger receives the checkpoints signed and the faults; nil discards.
	Logger *slog.Logger
}

// Log signs checkpoints of a timeline's tree, keeps every one in the
// timeline (PutHead), and hands out the latest. Its methods are safe for
// concurrent use.
type Log struct {
	tl       *timeline.Timeline
	signer   note.Signer
	verifier note.Verifier
	vkey     string
	origin   string
	interval time.Duration
	log      *slog.Logger

	signMu sync.Mutex // one Sign at a time
	mu     sync.RWMutex
	latest []byte // the latest checkpoint note, signed by the log
	size   uint64 // its tree size
}

// Open loads or creates the key, then checks the timeline against the last
// checkpoint signed (its root hash, and every record after it against its
// leaf: serve's start check) and signs a checkpoint if the tree grew since.
// It returns an error wrapping ErrAltered when the check fails, naming the
// first record at fault.
func Open(tl *timeline.Timeline, cfg Config) (*Log, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	signer, vkey, err := LoadKey(cfg.KeyPath, cfg.Origin)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("evidence key %s: %w", cfg.KeyPath, err)
	}
	l := &Log{tl: tl, signer: signer, verifier: verifier, vkey: vkey, origin: cfg.Origin, interval: cfg.Interval, log: cfg.Logger}
	if err := l.checkTail(); err != nil {
		return nil, err
	}
	if _, err := l.Sign(); err != nil {
		return nil, err
	}
	return l, nil
}

// checkTail checks the tree up to the last stored checkpoint against it,
// and the records after it against their leaves; without a checkpoint,
// every record.
func (l *Log) checkTail() error {
	h, ok, err := l.tl.LastHead()
	if err != nil {
		return err
	}
	from := uint64(0)
	if ok {
		cp, err := l.OpenCheckpoint(h.Note)
		if err != nil {
			return fmt.Errorf("last checkpoint (size %d): %w", h.Size, err)
		}
		if err := l.matches(cp); err != nil {
			return err
		}
		l.latest, l.size, from = h.Note, cp.Size, cp.Size
	}
	if err := l.tl.VerifyTree(from); err != nil {
		return fmt.Errorf("%w: %w", ErrAltered, err)
	}
	return nil
}

// matches checks that the stored tree has cp's root hash at cp's size.
func (l *Log) matches(cp Checkpoint) error {
	root, err := l.tl.TreeHash(cp.Size)
	if err != nil {
		return fmt.Errorf("checkpoint of size %d: %w: %w", cp.Size, ErrAltered, err)
	}
	if root != cp.Hash {
		return fmt.Errorf("checkpoint of size %d signed root %x, the timeline's tree gives %x: %w", cp.Size, cp.Hash[:], root[:], ErrAltered)
	}
	return nil
}

// OpenCheckpoint verifies the log's signature on msg and parses its text.
// Other signatures (witnesses') are ignored. The origin must be the log's.
func (l *Log) OpenCheckpoint(msg []byte) (Checkpoint, error) {
	return OpenCheckpoint(msg, l.verifier, l.origin)
}

// OpenCheckpoint verifies v's signature on the checkpoint note msg and
// parses its text; the origin must be origin.
func OpenCheckpoint(msg []byte, v note.Verifier, origin string) (Checkpoint, error) {
	if len(msg) > maxCheckpointLen {
		return Checkpoint{}, fmt.Errorf("checkpoint of %d bytes: %w", len(msg), ErrMalformed)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	cp, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if cp.Origin != origin {
		return Checkpoint{}, fmt.Errorf("checkpoint of origin %q, want %q: %w", cp.Origin, origin, ErrMalformed)
	}
	return cp, nil
}

// Sign signs and stores a checkpoint of the tree's current size if it grew
// since the last one, and reports whether it did.
func (l *Log) Sign() (bool, error) {
	l.signMu.Lock()
	defer l.signMu.Unlock()
	size := l.tl.Len()
	l.mu.RLock()
	last, have := l.size, l.latest != nil
	l.mu.RUnlock()
	if have && size <= last {
		return false, nil
	}
	root, err := l.tl.TreeHash(size)
	if err != nil {
		return false, fmt.Errorf("sign checkpoint: %w", err)
	}
	msg, err := note.Sign(&note.Note{Text: Checkpoint{Origin: l.origin, Size: size, Hash: root}.String()}, l.signer)
	if err != nil {
		return false, fmt.Errorf("sign checkpoint of size %d: %w", size, err)
	}
	if size > 0 { // the empty tree's checkpoint is not worth keeping
		if err := l.tl.PutHead(size, msg); err != nil {
			return false, fmt.Errorf("sign checkpoint: %w", err)
		}
	}
	l.mu.Lock()
	l.latest, l.size = msg, size
	l.mu.Unlock()
	l.log.Debug("checkpoint signed", "origin", l.origin, "size", size)
	return true, nil
}

// Run signs a checkpoint every interval when the tree grew, until ctx is
// done. A failure is logged and retried at the next tick.
func (l *Log) Run(ctx context.Context) {
	tick := time.NewTicker(l.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := l.Sign(); err != nil {
				l.log.Error("checkpoint not signed", "err", err)
			}
		}
	}
}

// Checkpoint returns the latest signed checkpoint note and its tree size.
// The bytes must not be modified.
func (l *Log) Checkpoint() ([]byte, uint64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.latest, l.size
}

// VerifierKey returns the log's note verifier key, name+hash+base64.
func (l *Log) VerifierKey() string { return l.vkey }

// Origin returns the log's origin, the first line of its checkpoints.
func (l *Log) Origin() string { return l.origin }

// Timeline returns the timeline the log signs.
func (l *Log) Timeline() *timeline.Timeline { return l.tl }
