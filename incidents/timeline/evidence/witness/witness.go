// Package witness is the other side of the evidence log: a witness, run by
// a union or a newsroom on their own machine, that remembers what the log
// signed and cosigns only a checkpoint consistent with everything it
// cosigned before (C2SP tlog-witness's duties, by polling; signatures in
// C2SP tlog-cosignature, cosignature/v1). A log that removes, reorders or
// rewrites a record after a witness saw it cannot get that witness's
// cosignature again, and the witness keeps the two signed checkpoints
// that prove it.
//
// # Duties
//
// Each poll reads <log>/checkpoint (the log's /evidence base) and checks:
// the log's signature (its verifier key, given once), the origin (the
// key's name), then against the checkpoint stored last (size s, root r):
//
//   - a larger size: a consistency proof from s to the new size, computed
//     with golang.org/x/mod/sumdb/tlog from the log's tiles, each tile
//     checked against the new root (tlog.TileHashReader); the old root
//     must follow (tlog.CheckTree);
//   - the same size: the same root;
//   - a smaller size: never (the log shrank or was rewritten).
//
// A checkpoint that passes is cosigned, appended to HistoryFile and
// fsynced, then served and stored (CheckpointFile, replaced atomically).
// One that fails these checks is a conflict (*Alarm): both checkpoints
// are kept as the log signed them in conflict-<time>/, AlarmFile is
// written, and the witness never cosigns again in this state directory. A log that cannot be read (ErrFetch), or
// answers with a bad signature or a malformed note, proves nothing: the
// poll fails and the next one tries again. The first checkpoint is
// trusted as it is: the witness vouches for what follows it.
//
// # History
//
// HistoryFile keeps every checkpoint the witness cosigned, with the
// cosignature's time, so that months later it can still show "on 6 April
// 2021 at 9:03 the log had size N with root R, and I cosigned it":
// Handler serves them at /checkpoints?after=SIZE, the first entry of a
// size above the index of a record being the one that covers it. It grows
// by one entry, about 360 bytes, per poll where the tree grew, and never
// otherwise: polling every minute a log that grows every minute, about
// 190 MB a year. Open keeps an index of 32 bytes an entry in memory.
//
// Open checks every entry's checksum, numbering and order, and the
// signatures of the last, and refuses a damaged file (ErrHistoryDamaged,
// naming the entry), leaving it as it is. One exception: a last entry cut
// short by the end of the file (a crash during the append, so never
// served) is moved to history.torn-<time>, logged, and cut off; the
// witness goes on from the entry before and cosigns that checkpoint again
// at its next poll. A crash between the append and CheckpointFile leaves
// CheckpointFile one entry behind: Open writes it again.
//
// # Caveats
//
// Poll the log's own server, not a cache: a cache serving an older
// checkpoint looks like a log that shrank. The timestamp of a
// cosignature is the witness's clock.
package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

// Config configures Open.
type Config struct {
	// LogURL is the log's evidence base, where /checkpoint and /tile/…
	// are: https://statut.example.org/evidence.
	LogURL string
	// LogKey is the log's note verifier key, name+hash+base64, from its
	// /evidence/key or its methodology page, obtained once.
	LogKey string
	// StateDir holds the key, the history of cosigned checkpoints, the
	// last one and the conflicts; it must exist.
	StateDir string
	// Name names the witness's key at first start (a schema-less URL,
	// "redaction.example.org/temoin"); "" keeps the stored key's name.
	Name string
	// Interval is the time between two polls in Run (default 1m).
	Interval time.Duration
	// Client reads the log; nil: a client of its own. Every request is
	// bounded to 20 s and every answer in size whatever the client.
	Client *http.Client
	Logger *slog.Logger     // nil discards
	Now    func() time.Time // the cosignatures' clock; nil: time.Now
}

// Witness polls one log, checks and cosigns its checkpoints. Its methods
// are safe for concurrent use; Poll and Run serialise.
type Witness struct {
	cfg      Config
	f        *fetcher
	logV     note.Verifier
	origin   string
	cosigner *evidence.Cosigner
	cv       *evidence.CosignatureVerifier // the cosigner's
	log      *slog.Logger
	created  bool // the key was created by Open
	m        *metrics

	pollMu sync.Mutex // one poll at a time
	mu     sync.RWMutex
	last   []byte              // the stored cosigned checkpoint; nil before the first
	cp     evidence.Checkpoint // its body
	alarm  string              // "" unless a conflict was seen (AlarmFile's text)
	hist   *history            // entries appended under pollMu and mu
}

// Alarm is a conflict between two checkpoints the log signed: a fork (same
// size, other root), a larger tree not consistent with the old one, or a
// smaller one. Poll and Run return it; it is kept in the state directory.
type Alarm struct {
	Reason           string // "fork", "inconsistent", "shrink"
	Old, New         evidence.Checkpoint
	OldNote, NewNote []byte // as the log signed them (the old with the witness's cosignature)
	Dir              string // the path of the conflict directory, once kept
}

func (a *Alarm) Error() string {
	what := map[string]string{
		"fork":         "the log signed two different trees of the same size",
		"inconsistent": "the log's new tree does not extend the old one (a record was removed, reordered or changed)",
		"shrink":       "the log signed a smaller tree than before",
	}[a.Reason]
	s := fmt.Sprintf("witness alarm (%s): %s: size %d root %s, then size %d root %s", a.Reason, what,
		a.Old.Size, b64(a.Old.Hash), a.New.Size, b64(a.New.Hash))
	if a.Dir != "" {
		s += "; both signed checkpoints kept in " + a.Dir
	}
	return s
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

// Open loads the witness's key from cfg.StateDir, creating it at first
// start (mode 0600), its history, last checkpoint and alarm. A damaged
// history is an error wrapping ErrHistoryDamaged (see # History).
func Open(cfg Config) (*Witness, error) {
	base, err := checkBase(cfg.LogURL)
	if err != nil {
		return nil, err
	}
	logV, err := note.NewVerifier(cfg.LogKey)
	if err != nil {
		return nil, fmt.Errorf("log key %q: %w", cfg.LogKey, err)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout}
	}
	if fi, err := os.Stat(cfg.StateDir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("state directory %q: not a directory", cfg.StateDir)
	}
	c, created, err := loadKey(cfg.StateDir, cfg.Name, cfg.Now)
	if err != nil {
		return nil, err
	}
	cv, err := evidence.NewCosignatureVerifier(c.VerifierKey())
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	w := &Witness{cfg: cfg, f: &fetcher{base: base, client: client}, logV: logV, origin: logV.Name(),
		cosigner: c, cv: cv, log: cfg.Logger, created: created, m: newMetrics()}
	if err := w.loadState(); err != nil {
		return nil, err
	}
	return w, nil
}

// loadState reads AlarmFile, HistoryFile and CheckpointFile. The last
// history entry is the state; CheckpointFile, written after it, may lag
// one entry behind after a crash and is then written again. A state
// directory from before HistoryFile gets its CheckpointFile as entry 1.
func (w *Witness) loadState() error {
	if data, err := os.ReadFile(filepath.Join(w.cfg.StateDir, AlarmFile)); err == nil {
		w.alarm = strings.TrimSpace(string(data))
		w.m.alarm.Set(1)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("witness state: %w", err)
	}
	h, torn, err := loadHistory(w.cfg.StateDir, w.cfg.Now())
	if err != nil {
		return err
	}
	if torn != "" {
		w.log.Warn("witness history: last entry ignored", "entry", torn)
	}
	w.hist = h
	stored, err := os.ReadFile(filepath.Join(w.cfg.StateDir, CheckpointFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("witness state: %w", err)
	}
	var storedCp evidence.Checkpoint
	var storedAt time.Time
	if stored != nil {
		if storedCp, storedAt, err = w.openCosigned(stored); err != nil {
			return fmt.Errorf("witness state %s: %w", CheckpointFile, err)
		}
	}
	if len(h.entries) == 0 {
		if stored != nil {
			if err := w.appendHistory(storedCp.Size, storedAt, stored); err != nil {
				return err
			}
			w.log.Info("witness history started with the stored checkpoint", "size", storedCp.Size)
		}
		w.setLast(stored, storedCp)
		return nil
	}
	es, err := h.read(len(h.entries), h.entries[len(h.entries)-1:])
	if err != nil {
		return err
	}
	last := es[0]
	cp, _, err := w.openCosigned(last.Note)
	if err != nil {
		return fmt.Errorf("%w: %s: entry %d (the last): %w", ErrHistoryDamaged, h.path, last.Seq, err)
	}
	switch {
	case bytes.Equal(stored, last.Note):
	case stored == nil || storedCp.Size < cp.Size:
		if err := writeFile(w.cfg.StateDir, CheckpointFile, last.Note); err != nil {
			return fmt.Errorf("witness state: %w", err)
		}
		w.log.Info("witness state: checkpoint file written again from the history", "size", cp.Size)
	default:
		return fmt.Errorf("witness state: %s (size %d) is not in %s, whose last entry %d has size %d",
			CheckpointFile, storedCp.Size, HistoryFile, last.Seq, cp.Size)
	}
	w.setLast(last.Note, cp)
	return nil
}

func (w *Witness) setLast(msg []byte, cp evidence.Checkpoint) {
	w.mu.Lock()
	w.last, w.cp = msg, cp
	w.mu.Unlock()
	if msg != nil {
		w.m.size.Set(float64(cp.Size))
	}
}

// appendHistory appends a cosigned checkpoint to HistoryFile (fsynced)
// and to the index.
func (w *Witness) appendHistory(size uint64, at time.Time, msg []byte) error {
	e, err := w.hist.appendEntry(size, at, msg)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.hist.entries = append(w.hist.entries, e)
	w.hist.end = e.off + int64(e.n)
	w.mu.Unlock()
	return nil
}

// VerifierKey returns the witness's cosignature/v1 verifier key, for the
// log's evidence.witnesses.
func (w *Witness) VerifierKey() string { return w.cosigner.VerifierKey() }

// KeyCreated reports whether Open created the key.
func (w *Witness) KeyCreated() bool { return w.created }

// Cosigned returns the latest cosigned checkpoint (nil before the first)
// and the alarm text ("" without one). The bytes must not be modified.
func (w *Witness) Cosigned() ([]byte, string) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.last, w.alarm
}

// Poll reads the log's checkpoint once, checks it against the stored one,
// and stores and cosigns it when it passes. It reports whether a new
// checkpoint was cosigned. It returns an *Alarm on a conflict (kept in
// the state directory first), ErrAlarmed when an earlier conflict stands,
// and other errors (ErrFetch, a bad signature) when nothing is proven.
func (w *Witness) Poll(ctx context.Context) (bool, error) {
	w.pollMu.Lock()
	defer w.pollMu.Unlock()
	ok, err := w.poll(ctx)
	var a *Alarm
	switch {
	case errors.As(err, &a):
		w.m.polls.WithLabelValues("alarm").Inc()
	case err != nil:
		w.m.polls.WithLabelValues("error").Inc()
	default:
		w.m.polls.WithLabelValues("ok").Inc()
	}
	return ok, err
}

// ErrAlarmed is returned by Poll once a conflict was kept: the witness
// cosigns nothing more in this state directory (see AlarmFile).
var ErrAlarmed = errors.New("witness alarmed: cosigning stopped")

func (w *Witness) poll(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	last, alarm := w.Cosigned()
	if alarm != "" {
		return false, fmt.Errorf("%w: %s", ErrAlarmed, alarm)
	}
	msg, err := w.f.get(ctx, "checkpoint", maxNote)
	if err != nil {
		return false, err
	}
	n, cp, err := openLogCheckpoint(msg, w.logV)
	if err != nil {
		return false, err
	}
	// What the log signed, without other witnesses' signatures.
	signed, err := note.Sign(n)
	if err != nil {
		return false, err
	}
	if last != nil {
		old := w.cp
		switch {
		case cp.Size == old.Size && cp.Hash == old.Hash:
			return false, nil
		case cp.Size == old.Size:
			return false, w.conflict(&Alarm{Reason: "fork", Old: old, New: cp, OldNote: last, NewNote: signed})
		case cp.Size < old.Size:
			return false, w.conflict(&Alarm{Reason: "shrink", Old: old, New: cp, OldNote: last, NewNote: signed})
		case old.Size > 0:
			if err := w.consistent(ctx, old, cp); errors.Is(err, errInconsistent) {
				return false, w.conflict(&Alarm{Reason: "inconsistent", Old: old, New: cp, OldNote: last, NewNote: signed})
			} else if err != nil {
				return false, err
			}
		}
	}
	return true, w.accept(n, cp)
}

// openLogCheckpoint verifies the log's signature on msg (others are
// dropped) and parses its text, whose origin must be the key's name and
// size below 2^63 (tlog's int64).
func openLogCheckpoint(msg []byte, logV note.Verifier) (*note.Note, evidence.Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(logV))
	if err != nil {
		return nil, evidence.Checkpoint{}, fmt.Errorf("log checkpoint: %w", err)
	}
	cp, err := evidence.ParseCheckpoint(n.Text)
	if err != nil {
		return nil, evidence.Checkpoint{}, fmt.Errorf("log checkpoint: %w", err)
	}
	if cp.Origin != logV.Name() || cp.Size >= 1<<63 {
		return nil, evidence.Checkpoint{}, fmt.Errorf("log checkpoint of origin %q and size %d, the key is %q's: %w", cp.Origin, cp.Size, logV.Name(), evidence.ErrMalformed)
	}
	n.UnverifiedSigs = nil
	return n, cp, nil
}

// errInconsistent is returned by consistent when the proof does not hold.
var errInconsistent = errors.New("the new tree does not extend the old one")

// consistent checks that the tree of new extends that of old (0 < old.Size
// < new.Size) with a consistency proof computed from the log's tiles, each
// checked against new's root. It returns errInconsistent when the proof,
// read from tiles the new root vouches for, does not give old's root; any
// other error proves nothing (a tile not read, or not matching the root).
func (w *Witness) consistent(ctx context.Context, old, new evidence.Checkpoint) error {
	return w.consistentWith(&tileReader{ctx: ctx, f: w.f}, old, new)
}

func (w *Witness) consistentWith(r *tileReader, old, new evidence.Checkpoint) error {
	thr := tlog.TileHashReader(tlog.Tree{N: int64(new.Size), Hash: new.Hash}, r)
	p, err := tlog.ProveTree(int64(new.Size), int64(old.Size), thr)
	if err != nil {
		return fmt.Errorf("consistency proof from %d to %d: %w", old.Size, new.Size, err)
	}
	// With 0 < old < new, CheckTree fails only when the proof does.
	if err := tlog.CheckTree(p, int64(new.Size), new.Hash, int64(old.Size), old.Hash); err != nil {
		return fmt.Errorf("consistency proof from %d to %d: %w: %w", old.Size, new.Size, errInconsistent, err)
	}
	return nil
}

// accept cosigns n and stores it: appended to HistoryFile and fsynced,
// then served, then written to CheckpointFile.
func (w *Witness) accept(n *note.Note, cp evidence.Checkpoint) error {
	msg, err := note.Sign(n, w.cosigner)
	if err != nil {
		return fmt.Errorf("cosign checkpoint of size %d: %w", cp.Size, err)
	}
	_, at, err := w.openCosigned(msg)
	if err != nil {
		return fmt.Errorf("cosign checkpoint of size %d: %w", cp.Size, err)
	}
	if err := w.appendHistory(cp.Size, at, msg); err != nil {
		return fmt.Errorf("store checkpoint of size %d: %w", cp.Size, err)
	}
	// Kept for good: served even if CheckpointFile, which the next start
	// writes again from the history, could not be written.
	w.setLast(msg, cp)
	w.m.cosigned.Set(float64(at.Unix()))
	w.log.Info("checkpoint cosigned", "origin", cp.Origin, "size", cp.Size, "root", b64(cp.Hash))
	if err := writeFile(w.cfg.StateDir, CheckpointFile, msg); err != nil {
		return fmt.Errorf("store checkpoint of size %d: %w", cp.Size, err)
	}
	return nil
}

// conflict keeps a's checkpoints and returns a, for the caller to report
// once. A conflict that could not be kept comes back joined with why.
func (w *Witness) conflict(a *Alarm) error {
	dir, err := saveConflict(w.cfg.StateDir, a, w.cfg.Now())
	if err != nil {
		return errors.Join(a, err)
	}
	a.Dir = filepath.Join(w.cfg.StateDir, dir)
	w.mu.Lock()
	w.alarm = a.Error()
	w.mu.Unlock()
	w.m.alarm.Set(1)
	return a
}

// Run polls every Interval until ctx is done or a conflict is found, and
// returns the conflict (*Alarm, or ErrAlarmed for an earlier one), which
// it does not log, or nil. Other failures are logged, once until the next
// success, and retried.
func (w *Witness) Run(ctx context.Context) error {
	tick := time.NewTicker(w.cfg.Interval)
	defer tick.Stop()
	failing := false
	for {
		_, err := w.Poll(ctx)
		var a *Alarm
		switch {
		case errors.As(err, &a), errors.Is(err, ErrAlarmed):
			return err
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil && !failing:
			w.log.Warn("log not checked, trying again", "err", err, "every", w.cfg.Interval)
			failing = true
		case err == nil && failing:
			w.log.Info("log checked again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
