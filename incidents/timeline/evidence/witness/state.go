package witness

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

// Files in the state directory.
const (
	// KeyFile holds the witness's Ed25519 key, mode 0600:
	// "PRIVATE+KEY+name+hash+base64(0x04 || seed)" and a newline, the
	// signed-note form with the cosignature/v1 key type.
	KeyFile = "witness.key"
	// CheckpointFile holds the latest checkpoint accepted, as the log
	// signed it, with the witness's cosignature: what /checkpoint serves,
	// also the last entry of HistoryFile (history.go).
	CheckpointFile = "checkpoint"
	// AlarmFile exists once the witness saw the log contradict itself; it
	// holds the alarm and names the conflict directory. While it exists the witness cosigns
	// nothing: move it away only after the conflict is understood.
	AlarmFile = "alarm"
)

// loadKey reads the cosigner key in dir, creating it for name at first
// start. A key made for another name is an error: the name is part of
// the verifier key the log operator configured.
func loadKey(dir, name string, now func() time.Time) (*evidence.Cosigner, bool, error) {
	path := filepath.Join(dir, KeyFile)
	data, err := os.ReadFile(path)
	created := false
	if errors.Is(err, fs.ErrNotExist) {
		if name == "" {
			return nil, false, fmt.Errorf("witness key %s: no key yet and no name to create it for", path)
		}
		data, err = createKey(path, name)
		created = true
	}
	if err != nil {
		return nil, false, fmt.Errorf("witness key: %w", err)
	}
	keyName, seed, hash, err := parseKey(data)
	if err != nil {
		return nil, false, fmt.Errorf("witness key %s: %w", path, err)
	}
	if name != "" && keyName != name {
		return nil, false, fmt.Errorf("witness key %s is named %q, -name says %q: drop -name, or use another -state", path, keyName, name)
	}
	c, err := evidence.NewCosigner(keyName, ed25519.NewKeyFromSeed(seed), now)
	if err != nil {
		return nil, false, fmt.Errorf("witness key %s: %w", path, err)
	}
	if c.KeyHash() != hash {
		return nil, false, fmt.Errorf("witness key %s: key hash %08x, the key gives %08x", path, hash, c.KeyHash())
	}
	return c, created, nil
}

// parseKey parses a key file: "PRIVATE+KEY+name+hash+base64(0x04 ||
// seed)", an optional final newline. Anything else is an error wrapping
// evidence.ErrMalformed.
func parseKey(data []byte) (name string, seed []byte, hash uint32, err error) {
	parts := strings.SplitN(strings.TrimSuffix(string(data), "\n"), "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" || parts[2] == "" || len(parts[3]) != 8 {
		return "", nil, 0, fmt.Errorf("not PRIVATE+KEY+name+hash+base64: %w", evidence.ErrMalformed)
	}
	h, err := strconv.ParseUint(parts[3], 16, 32)
	raw, err2 := base64.StdEncoding.Strict().DecodeString(parts[4])
	if err != nil || err2 != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 0x04 {
		return "", nil, 0, fmt.Errorf("not a cosignature/v1 Ed25519 key: %w", evidence.ErrMalformed)
	}
	return parts[2], raw[1:], uint32(h), nil
}

// createKey writes a new key named name at path, mode 0600, failing if the
// file appeared meanwhile.
func createKey(path, name string) ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	c, err := evidence.NewCosigner(name, priv, nil)
	if err != nil {
		return nil, err
	}
	line := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s\n", name, c.KeyHash(),
		base64.StdEncoding.EncodeToString(append([]byte{0x04}, priv.Seed()...)))
	if err := evidence.WriteKeyFile(path, []byte(line)); err != nil {
		return nil, err
	}
	return []byte(line), nil
}

// writeFile replaces dir/name with data atomically: a temporary file,
// synced, renamed over the old one, then the directory synced. A crash
// leaves the old file or the new one, never a mix.
func writeFile(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err = errors.Join(err, f.Sync(), f.Close()); err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// saveConflict keeps both checkpoints of a conflict, as the log signed
// them, in a directory of their own, with the alarm's text, and then
// writes AlarmFile. It returns the directory's name.
func saveConflict(dir string, a *Alarm, at time.Time) (string, error) {
	name := "conflict-" + at.UTC().Format("20060102T150405Z")
	sub := filepath.Join(dir, name)
	for i := 2; ; i++ {
		err := os.Mkdir(sub, 0o700)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || i > 100 {
			return "", fmt.Errorf("keep conflict: %w", err)
		}
		name = fmt.Sprintf("conflict-%s-%d", at.UTC().Format("20060102T150405Z"), i)
		sub = filepath.Join(dir, name)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"old.checkpoint", a.OldNote}, {"new.checkpoint", a.NewNote}, {"alarm.txt", []byte(a.Error() + "; kept here\n")}} {
		if err := writeFile(sub, f.name, f.data); err != nil {
			return "", fmt.Errorf("keep conflict: %w", err)
		}
	}
	if err := writeFile(dir, AlarmFile, []byte(a.Error()+"; kept in "+name+"\n")); err != nil {
		return "", fmt.Errorf("keep conflict: %w", err)
	}
	return name, nil
}
