package accounts

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Store keeps the admin accounts, their API tokens and their login
// sessions in a bbolt file of its own (DATA/accounts.db). It is kept apart
// from the timeline on purpose: the timeline is a public, append-only
// record (a transparency log to be), while credentials are private and rewritten.
//
// No secret is stored in the clear: a password is stored as its argon2id
// hash (RFC 9106) in the PHC string format, with its cost next to it
// ("$argon2id$v=19$m=65536,t=2,p=2$SALT$KEY", base64 without padding), so
// the default cost can be raised later: a password whose hash has another
// cost is rehashed at its next successful login. A token and a session ID
// are stored only as their SHA-256, which is enough for 256-bit random
// values. A session's CSRF token is stored as is: it is worthless without
// the session ID.
//
// # File layout
//
// Bucket "meta" holds "format" = "constat-accounts 1". Bucket "accounts"
// maps an account name to a JSON accountRecord; bucket "tokens" maps
// SHA-256(token) to a JSON tokenRecord; bucket "sessions" maps
// SHA-256(session ID) to a JSON sessionRecord. Every record carries "v": 1.
//
// Its methods are safe for concurrent use. bbolt lets one process at a time
// open the file: while constat serve holds it, Open in another
// process fails with ErrInUse.
type Store struct {
	db   *bolt.DB
	log  *slog.Logger
	now  func() time.Time
	ttl  time.Duration
	idle time.Duration
	cost HashCost
	// hashing bounds concurrent argon2id computations: each takes
	// cost.MemoryKiB of memory, and a burst of logins must not exhaust it.
	hashing chan struct{}
	limiter *LoginLimiter // Login's, in memory
}

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Now is the clock of session expiry (nil: time.Now).
	Now func() time.Time
	// SessionTTL is how long a session lasts at most, however active
	// (default DefaultSessionTTL).
	SessionTTL time.Duration
	// SessionIdle is how long a session lasts without a request (default
	// DefaultSessionIdle).
	SessionIdle time.Duration
	// HashCost is the argon2id cost of new password hashes (zero:
	// DefaultHashCost). A lower cost is for tests only: it makes stolen
	// hashes cheap to crack.
	HashCost HashCost
	// NoSync skips fsync after each commit. It is for tests only: THIS IS
	// UNSAFE for real data.
	NoSync bool
	// Logger receives Constat's own faults (nil discards).
	Logger *slog.Logger
}

// Account name, password and label rules.
const (
	MinPasswordLen = 12   // in characters
	MaxPasswordLen = 1024 // in bytes; longer passwords only cost hashing time
)

var (
	namePattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)
	labelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// These errors are returned by Store's methods; test them with errors.Is.
var (
	// ErrExists is returned by Add when an account has the name, and by
	// NewToken when the account has a token with the label.
	ErrExists = errors.New("already exists")
	// ErrNotFound is returned by SetPassword, NewToken, Tokens and
	// NewSession when no account has the name, and by RevokeToken when the
	// account has no token with the label.
	ErrNotFound = errors.New("not found")
	// ErrBadCredentials is returned by Authenticate for an unknown account or
	// a wrong password alike, by TokenAuth for an unknown or revoked token,
	// and by Session for an unknown or ended session.
	ErrBadCredentials = errors.New("bad credentials")
	// ErrSessionExpired is returned by Session when the session is past its
	// absolute lifetime or idle timeout. The session is then deleted, so a
	// later call returns ErrBadCredentials.
	ErrSessionExpired = errors.New("session expired")
	// ErrInUse is returned by Open when another process (a running
	// constat serve) has held the file for a second.
	ErrInUse = errors.New("file in use by another process")
)

// These errors mean an argument was refused; they are returned by Add,
// SetPassword, NewToken, CheckName, CheckPassword and ParseScope.
var (
	// ErrBadName is returned when an account name or token label does not
	// follow the rules of CheckName.
	ErrBadName = errors.New("invalid name")
	// ErrWeakPassword is returned when a password is shorter than
	// MinPasswordLen characters or longer than MaxPasswordLen bytes.
	ErrWeakPassword = errors.New("password refused")
	// ErrBadScope is returned for an unknown scope or an empty scope list.
	ErrBadScope = errors.New("invalid scope")
)

var (
	bucketAcctMeta = []byte("meta")
	bucketAccounts = []byte("accounts")
	bucketTokens   = []byte("tokens")
	bucketSessions = []byte("sessions")
	accountsFormat = []byte("constat-accounts 1")
)

// Open opens the accounts file at path, creating it (mode 0600) if
// absent. It waits at most a second for another process to release the
// file, then returns an error wrapping ErrInUse. Call Close when done.
func Open(path string, opts Options) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: opts.NoSync})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open accounts %s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open accounts %s: %w", path, err)
	}
	if err := db.Update(initAccountBuckets); err != nil {
		db.Close()
		return nil, fmt.Errorf("open accounts %s: %w", path, err)
	}
	a := &Store{db: db, log: opts.Logger, now: opts.Now, ttl: opts.SessionTTL, idle: opts.SessionIdle, cost: opts.HashCost}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.ttl <= 0 {
		a.ttl = DefaultSessionTTL
	}
	if a.idle <= 0 {
		a.idle = DefaultSessionIdle
	}
	if a.cost == (HashCost{}) {
		a.cost = DefaultHashCost()
	}
	if c := a.cost; c.Time < 1 || c.Threads < 1 || c.MemoryKiB < 8*uint32(c.Threads) {
		db.Close()
		return nil, fmt.Errorf("open accounts %s: hash cost %+v: want Time ≥ 1, Threads ≥ 1, MemoryKiB ≥ 8×Threads", path, c)
	}
	a.hashing = make(chan struct{}, min(max(runtime.GOMAXPROCS(0), 1), 4))
	a.limiter = NewLoginLimiter(a.now)
	return a, nil
}

func initAccountBuckets(tx *bolt.Tx) error {
	names := [][]byte{bucketAccounts, bucketTokens, bucketSessions}
	meta := tx.Bucket(bucketAcctMeta)
	if meta == nil {
		empty := true
		tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if !empty {
			return fmt.Errorf("bbolt file without a %q bucket: not an accounts file", bucketAcctMeta)
		}
		for _, name := range append(names, bucketAcctMeta) {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("create bucket %q: %w", name, err)
			}
		}
		return tx.Bucket(bucketAcctMeta).Put([]byte("format"), accountsFormat)
	}
	if f := meta.Get([]byte("format")); !bytes.Equal(f, accountsFormat) {
		return fmt.Errorf("format %q, want %q", f, accountsFormat)
	}
	for _, name := range names {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("bucket %q missing", name)
		}
	}
	return nil
}

// Close closes the file. Methods called after Close return an error.
func (a *Store) Close() error { return a.db.Close() }

// CheckName returns an error wrapping ErrBadName unless name is 2 to 64
// characters among a-z, 0-9, '.', '_' and '-', starting with a letter or
// digit.
func CheckName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("account name %q: want 2 to 64 of a-z 0-9 . _ -, starting with a letter or digit: %w", name, ErrBadName)
	}
	return nil
}

// CheckPassword returns an error wrapping ErrWeakPassword unless password
// has MinPasswordLen characters or more and MaxPasswordLen bytes or fewer.
func CheckPassword(password string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return fmt.Errorf("want %d characters or more: %w", MinPasswordLen, ErrWeakPassword)
	case len(password) > MaxPasswordLen:
		return fmt.Errorf("want %d bytes or fewer: %w", MaxPasswordLen, ErrWeakPassword)
	}
	return nil
}

// accountRecord is the value of an account. Version 1.
type accountRecord struct {
	V       int       `json:"v"`
	Hash    string    `json:"hash"` // PHC string, see Store
	Created time.Time `json:"created"`
}

// Add creates the account name with password. It hashes the password (about
// 75 ms at the default cost) before writing.
func (a *Store) Add(name, password string) error {
	if err := CheckName(name); err != nil {
		return fmt.Errorf("add account: %w", err)
	}
	if err := CheckPassword(password); err != nil {
		return fmt.Errorf("add account %s: password: %w", name, err)
	}
	exists := false
	if err := a.db.View(func(tx *bolt.Tx) error {
		exists = tx.Bucket(bucketAccounts).Get([]byte(name)) != nil
		return nil
	}); err != nil {
		return fmt.Errorf("add account %s: %w", name, err)
	}
	if exists { // fail before paying for the hash
		return fmt.Errorf("add account %s: %w", name, ErrExists)
	}
	h := a.hash(password)
	err := a.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAccounts)
		if b.Get([]byte(name)) != nil {
			return ErrExists
		}
		return putJSON(b, []byte(name), accountRecord{V: 1, Hash: h, Created: a.now().UTC()})
	})
	if err != nil {
		return fmt.Errorf("add account %s: %w", name, err)
	}
	return nil
}

// SetPassword replaces the password of account name and ends all its
// sessions. Its API tokens stay valid: revoke them with RevokeToken.
func (a *Store) SetPassword(name, password string) error {
	if err := CheckPassword(password); err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	if _, err := a.account(name); err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	h := a.hash(password)
	err := a.db.Update(func(tx *bolt.Tx) error {
		var rec accountRecord
		b := tx.Bucket(bucketAccounts)
		if ok, err := getJSON(b, []byte(name), &rec); err != nil || !ok {
			return cmpErr(err, ErrNotFound)
		}
		rec.Hash = h
		if err := putJSON(b, []byte(name), rec); err != nil {
			return err
		}
		return deleteSessions(tx, func(s sessionRecord) bool { return s.Account == name })
	})
	if err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	return nil
}

// List returns the account names in byte order.
func (a *Store) List() ([]string, error) {
	var names []string
	err := a.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAccounts).ForEach(func(k, _ []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return names, nil
}

// Authenticate returns nil if password is the password of account name, and
// ErrBadCredentials otherwise. An unknown account costs a hash like a known
// one, so the answer's timing does not tell whether the account exists.
// Authenticate does not limit attempts: a login form uses Login.
func (a *Store) Authenticate(name, password string) error {
	if !namePattern.MatchString(name) || len(password) > MaxPasswordLen {
		return ErrBadCredentials // no such account can exist: nothing to hide
	}
	rec, err := a.account(name)
	if errors.Is(err, ErrNotFound) {
		a.hash(password) // same work as a known account, result ignored
		return ErrBadCredentials
	}
	if err != nil {
		return fmt.Errorf("authenticate %s: %w", name, err)
	}
	ph, err := parsePHC(rec.Hash)
	if err != nil {
		return fmt.Errorf("authenticate %s: %w", name, err)
	}
	if !a.verify(ph, password) {
		return ErrBadCredentials
	}
	if ph.cost != a.cost {
		a.rehash(name, rec.Hash, password)
	}
	return nil
}

// rehash stores password's hash at the current cost, unless the stored hash
// changed meanwhile. A failure is logged: the login itself succeeded.
func (a *Store) rehash(name, old, password string) {
	h := a.hash(password)
	err := a.db.Update(func(tx *bolt.Tx) error {
		var rec accountRecord
		b := tx.Bucket(bucketAccounts)
		if ok, err := getJSON(b, []byte(name), &rec); err != nil || !ok || rec.Hash != old {
			return err
		}
		rec.Hash = h
		return putJSON(b, []byte(name), rec)
	})
	if err != nil {
		a.log.Error("password not rehashed at the current cost", "account", name, "err", err)
	}
}

// account returns the record of name, or ErrNotFound.
func (a *Store) account(name string) (accountRecord, error) {
	var rec accountRecord
	var ok bool
	err := a.db.View(func(tx *bolt.Tx) (err error) {
		ok, err = getJSON(tx.Bucket(bucketAccounts), []byte(name), &rec)
		return err
	})
	if err == nil && !ok {
		err = ErrNotFound
	}
	return rec, err
}

// secretLen is the length of a token or session ID without its prefix: 32
// random bytes in unpadded base64url.
var secretLen = base64.RawURLEncoding.EncodedLen(32)

// newSecret returns prefix and 32 random bytes in unpadded base64url, and
// the SHA-256 of the whole, its storage key.
func newSecret(prefix string) (secret string, key []byte) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(secret))
	return secret, sum[:]
}

// secretKey returns the storage key of s, or false if s cannot have been
// made by newSecret(prefix).
func secretKey(prefix, s string) ([]byte, bool) {
	if len(s) != len(prefix)+secretLen || !strings.HasPrefix(s, prefix) {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(s[len(prefix):]); err != nil {
		return nil, false
	}
	sum := sha256.Sum256([]byte(s))
	return sum[:], true
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// getJSON decodes the value of key into v, reporting false if absent.
func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	return true, decodeRecord(data, v)
}

// decodeRecord decodes a version 1 record. data may be bbolt's memory: v
// must not keep it (encoding/json copies).
func decodeRecord(data []byte, v any) error {
	var head struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("accounts record: %w", err)
	}
	if head.V != 1 {
		return fmt.Errorf("accounts record version %d, want 1", head.V)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("accounts record: %w", err)
	}
	return nil
}

// cmpErr returns err if it is not nil, else alt: for lookups that fail
// either by error or by absence.
func cmpErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}
