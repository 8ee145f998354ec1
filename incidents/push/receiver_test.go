package push_test

// A Web Push receiver written from the RFCs with the standard library and
// x/crypto/hkdf only: it shares no code with the sender (webpush-go and
// package push), so that a mistake on one side is not mirrored on the other.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/hkdf"
)

// subscriber is a browser's side of a subscription: its key pair and auth
// secret, as PushManager.subscribe makes them.
type subscriber struct {
	name string
	priv *ecdh.PrivateKey
	auth []byte
}

func newSubscriber(t testing.TB, name string) *subscriber {
	t.Helper()
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return &subscriber{name: name, priv: priv, auth: auth}
}

func (s *subscriber) p256dh() string {
	return base64.RawURLEncoding.EncodeToString(s.priv.PublicKey().Bytes())
}
func (s *subscriber) authKey() string { return base64.RawURLEncoding.EncodeToString(s.auth) }

// received is one message the receiver accepted.
type received struct {
	sub     string
	payload map[string]any
	ttl     string
	topic   string
	urgency string
}

// receiver is a push service on 127.0.0.1 over TLS (HTTP/2).
type receiver struct {
	t       testing.TB
	srv     *httptest.Server
	subject string // the VAPID sub claim it requires
	vapid   string // the VAPID public key it requires, base64url

	mu     sync.Mutex
	subs   map[string]*subscriber
	got    []received
	counts map[string]int
	status func(sub string, n int) int // answer to the n-th message (1-based) of sub; nil: 201
	retry  string                      // Retry-After of a 429 or 503
	errs   []error
	notify chan struct{}
}

func newReceiver(t testing.TB, subject, vapid string) *receiver {
	r := &receiver{t: t, subject: subject, vapid: vapid, subs: map[string]*subscriber{}, counts: map[string]int{},
		notify: make(chan struct{}, 1)}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.srv.EnableHTTP2 = true
	r.srv.StartTLS()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) add(s *subscriber) {
	r.mu.Lock()
	r.subs[s.name] = s
	r.mu.Unlock()
}

func (r *receiver) endpoint(name string) string { return r.srv.URL + "/push/" + name }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	name, _ := strings.CutPrefix(req.URL.Path, "/push/")
	r.mu.Lock()
	s, vapid := r.subs[name], r.vapid
	r.mu.Unlock()
	if req.Method != http.MethodPost || s == nil {
		http.Error(w, "no such subscription", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 8192))
	if err != nil {
		return // the sender went away (killed) mid-request
	}
	err = r.checkVAPID(req.Header.Get("Authorization"), vapid)
	var plain []byte
	if err == nil {
		if req.Header.Get("Content-Encoding") != "aes128gcm" {
			err = fmt.Errorf("Content-Encoding %q", req.Header.Get("Content-Encoding"))
		} else {
			plain, err = decrypt(s, body)
		}
	}
	var payload map[string]any
	if err == nil {
		err = json.Unmarshal(plain, &payload)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("message to %s: %w", name, err))
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.counts[name]++
	code := http.StatusCreated
	if r.status != nil {
		code = r.status(name, r.counts[name])
	}
	if code/100 == 2 {
		r.got = append(r.got, received{sub: name, payload: payload, ttl: req.Header.Get("TTL"),
			topic: req.Header.Get("Topic"), urgency: req.Header.Get("Urgency")})
	}
	select {
	case r.notify <- struct{}{}:
	default:
	}
	if (code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable) && r.retry != "" {
		w.Header().Set("Retry-After", r.retry)
	}
	w.WriteHeader(code)
}

// checkVAPID verifies "vapid t=<JWT>, k=<key>" (RFC 8292): ES256 over the
// JWT by k, k the server's key, aud the push service's origin, exp in the
// next 24 hours, sub the configured subject.
func (r *receiver) checkVAPID(h, vapid string) error {
	rest, ok := strings.CutPrefix(h, "vapid ")
	if !ok {
		return fmt.Errorf("authorization %q: not vapid", h)
	}
	var tok, key string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			tok = v
		case "k":
			key = v
		}
	}
	if key != vapid {
		return fmt.Errorf("vapid k=%q, want the server's key %q", key, vapid)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return fmt.Errorf("jwt has %d parts", len(parts))
	}
	var head struct{ Alg, Typ string }
	var claims struct {
		Aud string
		Exp int64
		Sub string
	}
	for i, dst := range []any{&head, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return fmt.Errorf("jwt part %d: %w", i, err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			return fmt.Errorf("jwt part %d: %w", i, err)
		}
	}
	pub, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil || len(pub) != 65 {
		return fmt.Errorf("vapid key: %v", err)
	}
	x, y := elliptic.Unmarshal(elliptic.P256(), pub) //nolint:staticcheck // the verifier needs the point
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return fmt.Errorf("jwt signature: %d bytes (%v)", len(sig), err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	ek := &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}
	now := time.Now().Unix()
	switch {
	case head.Alg != "ES256":
		return fmt.Errorf("jwt alg %q", head.Alg)
	case x == nil || !ecdsa.Verify(ek, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])):
		return errors.New("jwt signature does not verify")
	case claims.Aud != r.srv.URL:
		return fmt.Errorf("jwt aud %q, want %q", claims.Aud, r.srv.URL)
	case claims.Exp <= now || claims.Exp > now+24*3600:
		return fmt.Errorf("jwt exp %d not within 24 h of %d", claims.Exp, now)
	case claims.Sub != r.subject:
		return fmt.Errorf("jwt sub %q, want %q", claims.Sub, r.subject)
	}
	return nil
}

// decrypt opens an RFC 8291 aes128gcm body with the subscriber's keys.
func decrypt(s *subscriber, body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than the header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen+17 {
		return nil, fmt.Errorf("keyid length %d", idlen)
	}
	asPub, ct := body[21:21+idlen], body[21+idlen:]
	if uint32(len(ct)) > rs {
		return nil, fmt.Errorf("ciphertext of %d bytes in records of %d: more than one record", len(ct), rs)
	}
	as, err := ecdh.P256().NewPublicKey(asPub)
	if err != nil {
		return nil, err
	}
	secret, err := s.priv.ECDH(as)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), s.priv.PublicKey().Bytes()...), asPub...)
	ikm := make([]byte, 32)
	io.ReadFull(hkdf.New(sha256.New, secret, s.auth, info), ikm)
	cek, nonce := make([]byte, 16), make([]byte, 12)
	io.ReadFull(hkdf.New(sha256.New, ikm, salt, []byte("Content-Encoding: aes128gcm\x00")), cek)
	io.ReadFull(hkdf.New(sha256.New, ikm, salt, []byte("Content-Encoding: nonce\x00")), nonce)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 || plain[i] != 2 {
		return nil, errors.New("no last-record delimiter 0x02")
	}
	return plain[:i], nil
}

// wait polls cond each time a message arrives, for up to d.
func (r *receiver) wait(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.notify:
		case <-time.After(50 * time.Millisecond): // deliveries that need no answer (expired, gone)
		case <-deadline.C:
			t.Fatalf("%s: not after %v", what, d)
		}
	}
}

func (r *receiver) checkErrs(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, err := range r.errs {
		t.Error(err)
	}
}
