package evidence

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Cosignatures (C2SP tlog-cosignature, cosignature/v1): a witness states
// that, as of a time, the checkpoint is the largest consistent one it saw
// of the log. Its note signature is the timestamp (8 bytes, big-endian
// POSIX seconds) then the Ed25519 signature of
//
//	cosignature/v1
//	time <timestamp>
//	<the checkpoint's note text>
//
// and its key ID is the first 4 bytes of SHA-256(name || "\n" || 0x04 ||
// public key). Its verifier key is name+hash+base64(0x04 || public key).
const cosignatureType = 0x04

// cosignKeyHash is the key ID of a cosignature/v1 key.
func cosignKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.Sum256(append(append([]byte(name+"\n"), cosignatureType), pub...))
	return binary.BigEndian.Uint32(h[:4])
}

// cosignedMessage is what a cosignature/v1 signs.
func cosignedMessage(ts uint64, text []byte) []byte {
	return append([]byte("cosignature/v1\ntime "+strconv.FormatUint(ts, 10)+"\n"), text...)
}

// Cosigner is a note.Signer making cosignature/v1 signatures with key, at
// the time now returns.
type Cosigner struct {
	name string
	key  ed25519.PrivateKey
	now  func() time.Time
}

// NewCosigner returns a cosigner named name (a schema-less URL such as
// "witness.example.org/w1"); now nil means time.Now.
func NewCosigner(name string, key ed25519.PrivateKey, now func() time.Time) (*Cosigner, error) {
	if err := checkOrigin(name); err != nil {
		return nil, fmt.Errorf("cosigner name: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Cosigner{name: name, key: key, now: now}, nil
}

func (c *Cosigner) Name() string    { return c.name }
func (c *Cosigner) KeyHash() uint32 { return cosignKeyHash(c.name, c.key.Public().(ed25519.PublicKey)) }

// Sign returns the timestamp and the signature of msg, a checkpoint's note text.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	ts := uint64(c.now().Unix())
	sig := ed25519.Sign(c.key, cosignedMessage(ts, msg))
	return append(binary.BigEndian.AppendUint64(nil, ts), sig...), nil
}

// VerifierKey returns the cosigner's verifier key, name+hash+base64(0x04 || public key).
func (c *Cosigner) VerifierKey() string {
	pub := c.key.Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", c.name, c.KeyHash(), base64.StdEncoding.EncodeToString(append([]byte{cosignatureType}, pub...)))
}

// CosignatureVerifier is a note.Verifier of cosignature/v1 signatures.
type CosignatureVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

// NewCosignatureVerifier parses a cosignature/v1 verifier key.
func NewCosignatureVerifier(vkey string) (*CosignatureVerifier, error) {
	name, rest, _ := strings.Cut(vkey, "+")
	hash, key, _ := strings.Cut(rest, "+")
	raw, err := base64.StdEncoding.DecodeString(key)
	h, herr := strconv.ParseUint(hash, 16, 32)
	if err != nil || herr != nil || len(hash) != 8 || len(raw) != 1+ed25519.PublicKeySize || raw[0] != cosignatureType {
		return nil, fmt.Errorf("verifier key %q is not a cosignature/v1 key: %w", vkey, ErrMalformed)
	}
	v := &CosignatureVerifier{name: name, hash: uint32(h), pub: ed25519.PublicKey(raw[1:])}
	if checkOrigin(name) != nil || cosignKeyHash(name, v.pub) != v.hash {
		return nil, fmt.Errorf("verifier key %q: name or key hash does not match the key: %w", vkey, ErrMalformed)
	}
	return v, nil
}

func (v *CosignatureVerifier) Name() string    { return v.name }
func (v *CosignatureVerifier) KeyHash() uint32 { return v.hash }

// Verify reports whether sig is a cosignature/v1 of msg by this key.
func (v *CosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig)
	return ts < 1<<63 && ed25519.Verify(v.pub, cosignedMessage(ts, msg), sig[8:])
}

// CosignatureTime returns the time a cosignature/v1 signature (as
// note.Signature.Base64 holds it: key ID, timestamp, signature) states.
func CosignatureTime(sigBase64 string) (time.Time, error) {
	raw, err := base64.StdEncoding.DecodeString(sigBase64)
	if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
		return time.Time{}, fmt.Errorf("cosignature %.20q: %w", sigBase64, ErrMalformed)
	}
	return time.Unix(int64(binary.BigEndian.Uint64(raw[4:])), 0).UTC(), nil
}

var _ note.Signer = (*Cosigner)(nil)
var _ note.Verifier = (*CosignatureVerifier)(nil)
