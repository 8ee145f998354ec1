package evidence

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// KeyFile is the name of the log's signing key, beside the timeline.
const KeyFile = "evidence.key"

// LoadKey reads the note signer key at path, creating it for origin (mode
// 0600, the directory must exist) if the file does not exist. It returns
// the signer and its verifier key (name+hash+base64). A key made for
// another origin is an error: a log's origin and key name go together, and
// changing either starts another log.
func LoadKey(path, origin string) (note.Signer, string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		data, err = createKey(path, origin)
	}
	if err != nil {
		return nil, "", fmt.Errorf("evidence key: %w", err)
	}
	skey := strings.TrimSuffix(string(data), "\n")
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("evidence key %s: %w", path, err)
	}
	if s.Name() != origin {
		return nil, "", fmt.Errorf("evidence key %s is for origin %q, the configuration says %q: set evidence.origin back, or move the key away to start another log", path, s.Name(), origin)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, "", fmt.Errorf("evidence key %s: %w", path, err)
	}
	return s, vkey, nil
}

// createKey writes a new key for origin at path, failing if the file
// appeared meanwhile.
func createKey(path, origin string) ([]byte, error) {
	skey, _, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, err
	}
	if err := WriteKeyFile(path, []byte(skey+"\n")); err != nil {
		return nil, err
	}
	return []byte(skey), nil
}

// WriteKeyFile writes a new secret key file at path, mode 0600, synced,
// failing if the file exists, so that two starts never make two keys; a
// failed write leaves no file.
func WriteKeyFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// verifierKey derives the verifier key from a signer key
// "PRIVATE+KEY+name+hash+base64(0x01 || seed)" that note.NewSigner accepted.
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5) // base64 may hold "+"
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if err != nil || len(raw) != 1+ed25519.SeedSize {
		return "", fmt.Errorf("signer key is not an Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}
