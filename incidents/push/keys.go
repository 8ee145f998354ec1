package push

import (
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// KeysFile is the name of the VAPID key file in the data directory.
const KeysFile = "vapid-keys.json"

// Keys is the server's VAPID key pair (RFC 8292), P-256, both halves
// base64url without padding as webpush-go writes them: Public is the
// uncompressed point (65 bytes) that browsers take as applicationServerKey,
// Private the 32-byte scalar. Private must never leave the data directory.
type Keys struct {
	Version int    `json:"version"` // 1
	Public  string `json:"public_key"`
	Private string `json:"private_key"`
}

// ErrKeysExist is returned by CreateKeys when the data directory already
// has a key file: replacing it would silently orphan every subscription.
var ErrKeysExist = errors.New("vapid key file already exists")

// CreateKeys generates a key pair with webpush-go and writes it to
// dir/KeysFile, mode 0600, refusing (ErrKeysExist) to overwrite one.
func CreateKeys(dir string) (Keys, error) {
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return Keys{}, fmt.Errorf("generate vapid keys: %w", err)
	}
	k := Keys{Version: 1, Public: pub, Private: priv}
	if err := k.check(); err != nil {
		return Keys{}, err
	}
	b, _ := json.MarshalIndent(k, "", "  ")
	path := filepath.Join(dir, KeysFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return Keys{}, fmt.Errorf("%s: %w", path, ErrKeysExist)
	}
	if err != nil {
		return Keys{}, fmt.Errorf("create vapid keys: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		os.Remove(path)
		return Keys{}, fmt.Errorf("write vapid keys: %w", err)
	}
	return k, nil
}

// LoadKeys reads dir/KeysFile. It returns an error wrapping fs.ErrNotExist
// when there is none, and refuses a file others can read.
func LoadKeys(dir string) (Keys, error) {
	path := filepath.Join(dir, KeysFile)
	fi, err := os.Stat(path)
	if err != nil {
		return Keys{}, fmt.Errorf("vapid keys: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return Keys{}, fmt.Errorf("vapid keys %s: mode %v, want 0600 (the private key must stay private)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Keys{}, fmt.Errorf("vapid keys: %w", err)
	}
	var k Keys
	if err := json.Unmarshal(b, &k); err != nil {
		return Keys{}, fmt.Errorf("vapid keys %s: %w", path, err)
	}
	if err := k.check(); err != nil {
		return Keys{}, fmt.Errorf("vapid keys %s: %w", path, err)
	}
	return k, nil
}

// LoadOrCreateKeys loads the key pair, creating it at first start.
func LoadOrCreateKeys(dir string) (k Keys, created bool, err error) {
	k, err = LoadKeys(dir)
	if errors.Is(err, fs.ErrNotExist) {
		k, err = CreateKeys(dir)
		return k, err == nil, err
	}
	return k, false, err
}

// check verifies that Private is a P-256 scalar whose public point is Public.
func (k Keys) check() error {
	if k.Version != 1 {
		return fmt.Errorf("version %d, want 1", k.Version)
	}
	d, err := base64.RawURLEncoding.DecodeString(k.Private)
	if err != nil {
		return fmt.Errorf("private key: %w", err)
	}
	priv, err := ecdh.P256().NewPrivateKey(d)
	if err != nil {
		return fmt.Errorf("private key: %w", err)
	}
	if got := base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes()); got != k.Public {
		return errors.New("public key does not match the private key")
	}
	return nil
}
