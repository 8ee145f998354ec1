package evidence

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// TestCosignature signs a checkpoint by the log and a witness, and checks
// the cosignature as C2SP tlog-cosignature defines it, byte by byte,
// without the Cosigner's code: the key ID, the timestamp and the Ed25519
// signature of "cosignature/v1\ntime <ts>\n" + the note text.
func TestCosignature(t *testing.T) {
	logSkey, logV, _ := note.GenerateKey(rand.Reader, "log.example/constat")
	logSigner, err := note.NewSigner(logSkey)
	if err != nil {
		t.Fatal(err)
	}
	pub, wkey, _ := ed25519.GenerateKey(rand.Reader)
	at := time.Date(2021, 4, 6, 7, 3, 0, 0, time.UTC)
	w, err := NewCosigner("witness.example/w1", wkey, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	text := "log.example/constat\n1041\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	msg, err := note.Sign(&note.Note{Text: text}, logSigner, w)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewCosignatureVerifier(w.VerifierKey())
	if err != nil {
		t.Fatalf("NewCosignatureVerifier(%q) = %v", w.VerifierKey(), err)
	}
	lv, _ := note.NewVerifier(logV)
	n, err := note.Open(msg, note.VerifierList(lv, v))
	if err != nil || len(n.Sigs) != 2 {
		t.Fatalf("note.Open(log + witness) = %v, %d signatures", err, len(n.Sigs))
	}

	// The witness's line, checked from the spec alone.
	line := strings.TrimSpace(strings.Split(string(msg), "— witness.example/w1 ")[1])
	raw, _ := base64.StdEncoding.DecodeString(line)
	id := sha256.Sum256(append([]byte("witness.example/w1\n\x04"), pub...))
	if len(raw) != 4+8+64 || string(raw[:4]) != string(id[:4]) || binary.BigEndian.Uint64(raw[4:]) != uint64(at.Unix()) {
		t.Fatalf("cosignature %x: want key ID %x and time %d", raw, id[:4], at.Unix())
	}
	signed := fmt.Sprintf("cosignature/v1\ntime %d\n%s", at.Unix(), text)
	if !ed25519.Verify(pub, []byte(signed), raw[12:]) {
		t.Errorf("the cosignature does not sign %q", signed)
	}
	if got, err := CosignatureTime(line); err != nil || !got.Equal(at) {
		t.Errorf("CosignatureTime = %v, %v; want %v", got, err, at)
	}
	// Another time, or another text, does not verify.
	bad := append([]byte(nil), raw[4:]...)
	bad[7] ^= 1
	if v.Verify([]byte(text), bad) || v.Verify([]byte(strings.Replace(text, "1041", "1042", 1)), raw[4:]) {
		t.Error("Verify accepts a changed timestamp or text")
	}
	for _, k := range []string{"", "w+00000000+BAAA", strings.Replace(w.VerifierKey(), "+", "x+", 1), logV} {
		if _, err := NewCosignatureVerifier(k); err == nil {
			t.Errorf("NewCosignatureVerifier(%q) = nil error", k)
		}
	}
}
