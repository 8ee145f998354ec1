package evidence

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
)

// WitnessedFile is the name of the file, beside the timeline, where serve
// keeps the witnesses' cosignatures of the log's checkpoints.
const WitnessedFile = "witnessed.db"

// witnessFetchTimeout bounds one request to a witness.
const witnessFetchTimeout = 10 * time.Second

// Witnessed fetches the cosignatures of the witnesses the configuration
// names (evidence.witnesses) and keeps those that cosign exactly a
// checkpoint the log signed: same origin, size and root, the text of a
// stored head. It keeps the first cosignature of each size from each
// witness, in WitnessedFile, so that a record's index tells by when an
// independent witness had seen it (RecordedBy). A witness that is down or
// answers garbage is reported (Vouches) and changes nothing else. Its
// methods are safe for concurrent use.
//
// In the file, bucket "w/" + the witness's verifier key holds, for each
// size, key the size (8 bytes, big-endian) and value 0x01 then the
// signature's base64 as its note line has it (key ID, timestamp,
// signature).
type Witnessed struct {
	l        *Log
	db       *bolt.DB
	ws       []*witnessState
	client   *http.Client
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time
}

// witnessState is what is known of one witness.
type witnessState struct {
	cfg    Witness
	v      note.Verifier
	bucket []byte
	timed  bool // a cosignature/v1 key: its signatures carry a time

	mu        sync.Mutex
	size      uint64    // the latest size it cosigned, 0 before any
	at        time.Time // its cosignature's time (zero for an untimed key)
	sigLine   string    // its note signature line, "— name base64\n"
	failure   string    // why the last fetch did not vouch; "" when it did
	failSince time.Time
}

// Vouch is what one witness is known to vouch for.
type Vouch struct {
	Name  string    // the witness's key name
	URL   string    // where serve fetches its cosignature
	Size  uint64    // the largest tree size it cosigned; 0 for none yet
	At    time.Time // the time its cosignature states; zero for an untimed (0x01) key
	Error string    // why the last fetch did not vouch, in English; "" if it did
	Since time.Time // since when it has not vouched, with Error
}

// WitnessedOptions configures OpenWitnessed.
type WitnessedOptions struct {
	Interval time.Duration    // between two fetches of each witness (default 15s)
	Client   *http.Client     // nil: a client of its own
	Logger   *slog.Logger     // nil discards
	Now      func() time.Time // nil: time.Now
	// Registry gets constat_evidence_witness_{size,cosigned_timestamp_seconds,up}
	// by witness; nil: not registered.
	Registry prometheus.Registerer
}

// OpenWitnessed opens (creating) the file at path and loads what each of
// ws last cosigned. Close it when done.
func OpenWitnessed(l *Log, path string, ws []Witness, o WitnessedOptions) (*Witnessed, error) {
	if o.Interval <= 0 {
		o.Interval = 15 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: witnessFetchTimeout}
	}
	w := &Witnessed{l: l, client: o.Client, interval: o.Interval, log: o.Logger, now: o.Now}
	for _, c := range ws {
		s := &witnessState{cfg: c, bucket: []byte("w/" + c.Key)}
		var err error
		if cv, cerr := NewCosignatureVerifier(c.Key); cerr == nil {
			s.v, s.timed = cv, true
		} else if s.v, err = note.NewVerifier(c.Key); err != nil {
			return nil, fmt.Errorf("witness %s: key: %w", c.URL, err)
		}
		w.ws = append(w.ws, s)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.db = db
	if err := db.View(w.load); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if o.Registry != nil {
		if err := o.Registry.Register(newWitnessedCollector(w)); err != nil {
			db.Close()
			return nil, fmt.Errorf("register witness metrics: %w", err)
		}
	}
	return w, nil
}

// load reads each witness's latest cosignature.
func (w *Witnessed) load(tx *bolt.Tx) error {
	for _, s := range w.ws {
		b := tx.Bucket(s.bucket)
		if b == nil {
			continue
		}
		k, v := b.Cursor().Last()
		if k == nil {
			continue
		}
		if len(k) != 8 || len(v) < 2 || v[0] != 1 {
			return fmt.Errorf("witness %s: entry %x: %w", s.v.Name(), k, ErrMalformed)
		}
		s.size, s.sigLine = binary.BigEndian.Uint64(k), "— "+s.v.Name()+" "+string(v[1:])+"\n"
		if s.timed {
			s.at, _ = CosignatureTime(string(v[1:]))
		}
	}
	return nil
}

// Close closes the file.
func (w *Witnessed) Close() error { return w.db.Close() }

// Run fetches every witness's cosignature each interval until ctx is done.
func (w *Witnessed) Run(ctx context.Context) {
	if len(w.ws) == 0 {
		return
	}
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	for {
		w.Fetch(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Fetch fetches each witness's latest cosigned checkpoint once, one after
// the other, each within 10 s, and keeps what checks out.
func (w *Witnessed) Fetch(ctx context.Context) {
	for _, s := range w.ws {
		err := w.fetch(ctx, s)
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		was := s.failure
		if err != nil {
			if was == "" {
				s.failSince = w.now()
			}
			s.failure = err.Error()
		} else {
			s.failure = ""
		}
		s.mu.Unlock()
		switch {
		case err != nil && was == "":
			w.log.Warn("witness not vouching", "witness", s.v.Name(), "url", s.cfg.URL, "err", err)
		case err == nil && was != "":
			w.log.Info("witness vouching again", "witness", s.v.Name())
		}
	}
}

// fetch reads s's checkpoint and keeps its cosignature if it cosigns a
// checkpoint the log signed.
func (w *Witnessed) fetch(ctx context.Context, s *witnessState) error {
	ctx, cancel := context.WithTimeout(ctx, witnessFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL, nil)
	if err != nil {
		return err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("unreachable: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answered status %d", resp.StatusCode)
	}
	msg, err := io.ReadAll(io.LimitReader(resp.Body, maxCheckpointLen+1))
	if err != nil {
		return fmt.Errorf("unreadable answer: %w", err)
	}
	if len(msg) > maxCheckpointLen {
		return fmt.Errorf("answer over %d bytes", maxCheckpointLen)
	}
	size, sig, err := w.check(s, msg)
	if err != nil {
		return err
	}
	return w.keep(s, size, sig)
}

// check returns the size msg is a checkpoint of and s's signature on it,
// if msg is a checkpoint the log signed (its text that of the log's
// checkpoint of that size) with s's valid signature.
func (w *Witnessed) check(s *witnessState, msg []byte) (uint64, *note.Signature, error) {
	n, err := note.Open(msg, note.VerifierList(w.l.verifier, s.v))
	if err != nil {
		return 0, nil, fmt.Errorf("not a checkpoint signed by the log and the witness: %w", err)
	}
	var sig *note.Signature
	for i := range n.Sigs {
		if n.Sigs[i].Name == s.v.Name() && n.Sigs[i].Hash == s.v.KeyHash() {
			sig = &n.Sigs[i]
		}
	}
	if sig == nil {
		return 0, nil, errors.New("checkpoint without the witness's signature")
	}
	cp, err := w.l.OpenCheckpoint(msg)
	if err != nil {
		return 0, nil, fmt.Errorf("not a checkpoint of this log: %w", err)
	}
	if err := w.signedByLog(cp.Size, n.Text); err != nil {
		return 0, nil, err
	}
	return cp.Size, sig, nil
}

// signedByLog checks that text is that of the checkpoint the log signed
// at size.
func (w *Witnessed) signedByLog(size uint64, text string) error {
	if msg, latest := w.l.Checkpoint(); latest == size {
		if body, err := noteBody(msg); err == nil && string(body) == text {
			return nil
		}
	}
	if size > 0 {
		hs, err := w.l.tl.Heads(size-1, 1)
		if err != nil {
			return err
		}
		if len(hs) == 1 && hs[0].Size == size {
			if body, err := noteBody(hs[0].Note); err == nil && string(body) == text {
				return nil
			}
		}
	}
	return fmt.Errorf("cosigns a checkpoint of size %d the log never signed", size)
}

// keep stores sig for size unless one is stored, and updates s's latest.
func (w *Witnessed) keep(s *witnessState, size uint64, sig *note.Signature) error {
	at := time.Time{}
	if s.timed {
		var err error
		if at, err = CosignatureTime(sig.Base64); err != nil {
			return err
		}
	}
	err := w.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(s.bucket)
		if err != nil {
			return err
		}
		k := binary.BigEndian.AppendUint64(nil, size)
		if b.Get(k) != nil {
			return nil
		}
		return b.Put(k, append([]byte{1}, sig.Base64...))
	})
	if err != nil {
		return fmt.Errorf("keep cosignature: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if size > s.size || s.sigLine == "" {
		s.size, s.at, s.sigLine = size, at, "— "+sig.Name+" "+sig.Base64+"\n"
	}
	return nil
}

// Checkpoint returns the log's latest checkpoint with the cosignatures of
// the witnesses that cosigned exactly it appended, and its size. A
// witness that has not cosigned it yet (it polls the log on its own
// schedule) vouches for an earlier size: see Vouches.
func (w *Witnessed) Checkpoint() ([]byte, uint64) {
	msg, size := w.l.Checkpoint()
	var out []byte
	for _, s := range w.ws {
		s.mu.Lock()
		if s.size == size && s.sigLine != "" && size > 0 {
			if out == nil {
				out = append([]byte(nil), msg...)
			}
			out = append(out, s.sigLine...)
		}
		s.mu.Unlock()
	}
	if out == nil {
		return msg, size
	}
	return out, size
}

// Vouches returns, for each configured witness in order, what it vouches
// for and whether it answered last time.
func (w *Witnessed) Vouches() []Vouch {
	out := make([]Vouch, 0, len(w.ws))
	for _, s := range w.ws {
		s.mu.Lock()
		v := Vouch{Name: s.v.Name(), URL: s.cfg.URL, Size: s.size, At: s.at, Error: s.failure}
		if s.failure != "" {
			v.Since = s.failSince
		}
		s.mu.Unlock()
		out = append(out, v)
	}
	return out
}

// RecordedBy returns the earliest time a witness with a cosignature/v1
// key cosigned a checkpoint holding record index (of size above index),
// and that witness's name: the record was in the log no later than then.
// It returns false when no such witness cosigned one.
func (w *Witnessed) RecordedBy(index uint64) (time.Time, string, bool) {
	var best time.Time
	var name string
	w.db.View(func(tx *bolt.Tx) error {
		for _, s := range w.ws {
			b := tx.Bucket(s.bucket)
			if b == nil || !s.timed {
				continue
			}
			k, v := b.Cursor().Seek(binary.BigEndian.AppendUint64(nil, index+1))
			if k == nil || len(v) < 2 {
				continue
			}
			at, err := CosignatureTime(string(v[1:]))
			if err == nil && (best.IsZero() || at.Before(best)) {
				best, name = at, s.v.Name()
			}
		}
		return nil
	})
	return best, name, !best.IsZero()
}
