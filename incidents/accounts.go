package incidents

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"golang.org/x/crypto/argon2"
)

// Accounts keeps the admin accounts, their API tokens and their login
// sessions in a bbolt file of its own (DATA/accounts.db). It is kept apart
// from the timeline on purpose: the timeline is a public, append-only
// transparency log, while credentials are private and rewritten.
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
// open the file: while constat serve holds it, OpenAccounts in another
// process fails with ErrInUse.
type Accounts struct {
	db   *bolt.DB
	log  *slog.Logger
	now  func() time.Time
	ttl  time.Duration
	idle time.Duration
	cost HashCost
	// hashing bounds concurrent argon2id computations: each takes
	// cost.MemoryKiB of memory, and a burst of logins must not exhaust it.
	hashing chan struct{}
}

// AccountsOptions configure OpenAccounts. The zero value is ready to use.
type AccountsOptions struct {
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

// Session defaults, and how often Session persists the last-seen time.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultSessionIdle = time.Hour
	// sessionTouchEvery is the most often Session writes LastSeen: the idle
	// timeout is therefore measured from a time up to a minute early.
	sessionTouchEvery = time.Minute
)

// HashCost is the cost of argon2id: Time passes over MemoryKiB of memory,
// with Threads lanes. Each stored hash records its own cost.
type HashCost struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// DefaultHashCost is the cost used when AccountsOptions.HashCost is zero:
// RFC 9106's memory of 64 MiB, 2 passes, 2 lanes. It costs about 75 ms on
// the 2-core EPYC of the development machines (1 pass: 34 ms; 3 passes:
// 104 ms; 2 passes on 1 lane: 129 ms).
func DefaultHashCost() HashCost { return HashCost{Time: 2, MemoryKiB: 64 << 10, Threads: 2} }

// Account name, password and label rules.
const (
	MinPasswordLen = 12   // in characters
	MaxPasswordLen = 1024 // in bytes; longer passwords only cost hashing time
)

var (
	namePattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)
	labelPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// These errors are returned by Accounts' methods; test them with errors.Is.
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
	// ErrInUse is returned by OpenAccounts when another process (a running
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

// OpenAccounts opens the accounts file at path, creating it (mode 0600) if
// absent. It waits at most a second for another process to release the
// file, then returns an error wrapping ErrInUse. Call Close when done.
func OpenAccounts(path string, opts AccountsOptions) (*Accounts, error) {
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
	a := &Accounts{db: db, log: opts.Logger, now: opts.Now, ttl: opts.SessionTTL, idle: opts.SessionIdle, cost: opts.HashCost}
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
func (a *Accounts) Close() error { return a.db.Close() }

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
	Hash    string    `json:"hash"` // PHC string, see Accounts
	Created time.Time `json:"created"`
}

// Add creates the account name with password. It hashes the password (about
// 75 ms at the default cost) before writing.
func (a *Accounts) Add(name, password string) error {
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
func (a *Accounts) SetPassword(name, password string) error {
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
func (a *Accounts) List() ([]string, error) {
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
// Authenticate does not limit attempts: callers use a LoginLimiter.
func (a *Accounts) Authenticate(name, password string) error {
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
func (a *Accounts) rehash(name, old, password string) {
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
func (a *Accounts) account(name string) (accountRecord, error) {
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

// phc is a parsed password hash.
type phc struct {
	cost      HashCost
	salt, key []byte
}

func (a *Accounts) hash(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt) // never fails (crypto/rand since Go 1.24)
	c := a.cost
	a.hashing <- struct{}{}
	key := argon2.IDKey([]byte(password), salt, c.Time, c.MemoryKiB, c.Threads, 32)
	<-a.hashing
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, c.MemoryKiB, c.Time, c.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func (a *Accounts) verify(h phc, password string) bool {
	a.hashing <- struct{}{}
	key := argon2.IDKey([]byte(password), h.salt, h.cost.Time, h.cost.MemoryKiB, h.cost.Threads, uint32(len(h.key)))
	<-a.hashing
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

// parsePHC parses a hash written by hash. It accepts costs up to 1 GiB and
// 16 passes, so that a damaged file cannot make a login take forever.
func parsePHC(s string) (phc, error) {
	var h phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return h, errors.New("password hash: not an argon2id PHC string")
	}
	var m, t, p uint64
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); n != 3 || err != nil ||
		fmt.Sprintf("m=%d,t=%d,p=%d", m, t, p) != parts[3] {
		return h, fmt.Errorf("password hash: parameters %q", parts[3])
	}
	if t < 1 || t > 16 || p < 1 || p > 255 || m < 8*p || m > 1<<20 {
		return h, fmt.Errorf("password hash: parameters %q out of range", parts[3])
	}
	h.cost = HashCost{Time: uint32(t), MemoryKiB: uint32(m), Threads: uint8(p)}
	var err1, err2 error
	h.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	h.key, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(h.salt) < 8 || len(h.key) < 16 || len(h.key) > 64 {
		return h, errors.New("password hash: bad salt or key")
	}
	return h, nil
}

// Scope is what an API token may do. Scopes are stored by value: existing
// values never change, new ones are only added.
type Scope string

// The scopes. A token with any scope may also read (see Has).
const (
	ScopeRead             Scope = "read"
	ScopeIncidentsWrite   Scope = "incidents:write"
	ScopeStatementsWrite  Scope = "statements:write"
	ScopeMaintenanceWrite Scope = "maintenance:write"
)

// Scopes returns every scope, in a stable order.
func Scopes() []Scope {
	return []Scope{ScopeRead, ScopeIncidentsWrite, ScopeStatementsWrite, ScopeMaintenanceWrite}
}

func (s Scope) String() string { return string(s) }

// ParseScope returns the scope named s, or an error wrapping ErrBadScope.
func ParseScope(s string) (Scope, error) {
	if slices.Contains(Scopes(), Scope(s)) {
		return Scope(s), nil
	}
	return "", fmt.Errorf("scope %q: want one of %v: %w", s, Scopes(), ErrBadScope)
}

// ParseScopes parses a comma-separated list of scopes ("incidents:write,
// read"), sorted and without duplicates. An empty list is an error
// wrapping ErrBadScope.
func ParseScopes(list string) ([]Scope, error) {
	var out []Scope
	for f := range strings.SplitSeq(list, ",") {
		s, err := ParseScope(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return normScopes(out)
}

func normScopes(scopes []Scope) ([]Scope, error) {
	if len(scopes) == 0 {
		return nil, fmt.Errorf("no scope: %w", ErrBadScope)
	}
	for _, s := range scopes {
		if _, err := ParseScope(string(s)); err != nil {
			return nil, err
		}
	}
	out := slices.Clone(scopes)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Has reports whether scopes grant s. Every scope grants ScopeRead.
func Has(scopes []Scope, s Scope) bool {
	return slices.Contains(scopes, s) || (s == ScopeRead && len(scopes) > 0)
}

// tokenRecord is the value of an API token. Version 1.
type tokenRecord struct {
	V       int       `json:"v"`
	Account string    `json:"account"`
	Label   string    `json:"label"`
	Scopes  []Scope   `json:"scopes"`
	Created time.Time `json:"created"`
}

// TokenInfo describes an API token, without the token.
type TokenInfo struct {
	Label   string
	Scopes  []Scope
	Created time.Time
}

// tokenPrefix starts every API token, so that a leaked one is recognisable
// (secret scanners, logs).
const tokenPrefix = "cst_"

// NewToken creates an API token of account name granting scopes and returns
// it: "cst_" and 32 random bytes in unpadded base64url. Only its SHA-256 is
// stored, so it cannot be shown again. label names the token for
// RevokeToken; it must be unique to the account and follow the rules of
// names, capitals allowed. An empty label becomes DefaultTokenLabel(token).
func (a *Accounts) NewToken(name string, scopes []Scope, label string) (string, error) {
	scopes, err := normScopes(scopes)
	if err != nil {
		return "", fmt.Errorf("new token for %s: %w", name, err)
	}
	tok, key := newSecret(tokenPrefix)
	if label == "" {
		label = DefaultTokenLabel(tok)
	}
	if !labelPattern.MatchString(label) {
		return "", fmt.Errorf("new token for %s: label %q: want 1 to 64 of A-Z a-z 0-9 . _ -: %w", name, label, ErrBadName)
	}
	rec := tokenRecord{V: 1, Account: name, Label: label, Scopes: scopes, Created: a.now().UTC()}
	err = a.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAccounts).Get([]byte(name)) == nil {
			return ErrNotFound
		}
		b := tx.Bucket(bucketTokens)
		if k, err := findToken(b, name, label); err != nil || k != nil {
			return cmpErr(err, fmt.Errorf("label %s: %w", label, ErrExists))
		}
		return putJSON(b, key, rec)
	})
	if err != nil {
		return "", fmt.Errorf("new token for %s: %w", name, err)
	}
	return tok, nil
}

// DefaultTokenLabel returns the label NewToken gives token when none is
// asked: "tok-" and the first 8 hex digits of the token's SHA-256, which
// tells nothing usable of the token.
func DefaultTokenLabel(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "tok-" + hex.EncodeToString(sum[:4])
}

// TokenAuth returns the account and scopes of token, or ErrBadCredentials.
// Tokens are looked up by their SHA-256: timing tells nothing of a token
// that the attacker does not already hold.
func (a *Accounts) TokenAuth(token string) (name string, scopes []Scope, err error) {
	key, ok := secretKey(tokenPrefix, token)
	if !ok {
		return "", nil, ErrBadCredentials
	}
	var rec tokenRecord
	err = a.db.View(func(tx *bolt.Tx) error {
		if ok, err := getJSON(tx.Bucket(bucketTokens), key, &rec); err != nil || !ok {
			return cmpErr(err, ErrBadCredentials)
		}
		if tx.Bucket(bucketAccounts).Get([]byte(rec.Account)) == nil {
			return ErrBadCredentials
		}
		return nil
	})
	if errors.Is(err, ErrBadCredentials) {
		return "", nil, ErrBadCredentials
	}
	if err != nil {
		return "", nil, fmt.Errorf("authenticate token: %w", err)
	}
	return rec.Account, rec.Scopes, nil
}

// RevokeToken deletes the token labelled label of account name, or returns
// ErrNotFound. A request already authenticated with it may still complete.
func (a *Accounts) RevokeToken(name, label string) error {
	err := a.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		k, err := findToken(b, name, label)
		if err != nil || k == nil {
			return cmpErr(err, ErrNotFound)
		}
		return b.Delete(k)
	})
	if err != nil {
		return fmt.Errorf("revoke token %s of %s: %w", label, name, err)
	}
	return nil
}

// Tokens returns the tokens of account name by label, or ErrNotFound.
func (a *Accounts) Tokens(name string) ([]TokenInfo, error) {
	var out []TokenInfo
	err := a.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAccounts).Get([]byte(name)) == nil {
			return ErrNotFound
		}
		return tx.Bucket(bucketTokens).ForEach(func(k, v []byte) error {
			var rec tokenRecord
			if err := decodeRecord(v, &rec); err != nil {
				return err
			}
			if rec.Account == name {
				out = append(out, TokenInfo{Label: rec.Label, Scopes: rec.Scopes, Created: rec.Created})
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("tokens of %s: %w", name, err)
	}
	slices.SortFunc(out, func(x, y TokenInfo) int { return strings.Compare(x.Label, y.Label) })
	return out, nil
}

// findToken returns the key of the token of account labelled label, or nil.
// It scans the bucket: there are a handful of tokens.
func findToken(b *bolt.Bucket, account, label string) ([]byte, error) {
	var found []byte
	err := b.ForEach(func(k, v []byte) error {
		var rec tokenRecord
		if err := decodeRecord(v, &rec); err != nil {
			return err
		}
		if rec.Account == account && rec.Label == label {
			found = bytes.Clone(k)
		}
		return nil
	})
	return found, err
}

// Session is a login session. The web side sets ID as the session cookie
// and puts CSRF in every form; neither may be logged.
type Session struct {
	ID       string // the cookie value; only its SHA-256 is stored
	CSRF     string // random, distinct from ID; compare with ValidCSRF
	Account  string
	Created  time.Time
	Expires  time.Time // Created + SessionTTL, whatever the activity
	LastSeen time.Time // as persisted: up to a minute behind the last request
}

// ValidCSRF reports, in constant time, whether token is the session's CSRF
// token. An empty token is never valid.
func (s Session) ValidCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) == 1
}

// sessionRecord is the value of a session. Version 1.
type sessionRecord struct {
	V        int       `json:"v"`
	Account  string    `json:"account"`
	CSRF     string    `json:"csrf"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	LastSeen time.Time `json:"last_seen"`
}

func (r sessionRecord) expired(now time.Time, idle time.Duration) bool {
	return !now.Before(r.Expires) || now.Sub(r.LastSeen) >= idle
}

// NewSession starts a session of account name, or returns ErrNotFound. It
// also deletes the sessions that have expired, of any account.
func (a *Accounts) NewSession(name string) (Session, error) {
	id, key := newSecret("")
	csrf, _ := newSecret("")
	now := a.now().UTC()
	rec := sessionRecord{V: 1, Account: name, CSRF: csrf, Created: now, Expires: now.Add(a.ttl), LastSeen: now}
	err := a.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAccounts).Get([]byte(name)) == nil {
			return ErrNotFound
		}
		if err := deleteSessions(tx, func(s sessionRecord) bool { return s.expired(now, a.idle) }); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketSessions), key, rec)
	})
	if err != nil {
		return Session{}, fmt.Errorf("new session for %s: %w", name, err)
	}
	return rec.session(id), nil
}

func (r sessionRecord) session(id string) Session {
	return Session{ID: id, CSRF: r.CSRF, Account: r.Account, Created: r.Created, Expires: r.Expires, LastSeen: r.LastSeen}
}

// Session returns the session with ID id. It returns ErrBadCredentials for
// an unknown or ended session, and ErrSessionExpired (deleting it) for one
// past its Expires or idle for SessionIdle. Otherwise it marks the session
// seen now, writing to the file at most once a minute per session.
func (a *Accounts) Session(id string) (Session, error) {
	key, ok := secretKey("", id)
	if !ok {
		return Session{}, ErrBadCredentials
	}
	var rec sessionRecord
	err := a.db.View(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketSessions), key, &rec)
		if err != nil || !ok {
			return cmpErr(err, ErrBadCredentials)
		}
		return nil
	})
	if errors.Is(err, ErrBadCredentials) {
		return Session{}, err
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	now := a.now().UTC()
	switch {
	case rec.expired(now, a.idle):
		if err := a.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSessions).Delete(key) }); err != nil {
			return Session{}, fmt.Errorf("delete expired session: %w", err)
		}
		return Session{}, ErrSessionExpired
	case now.Sub(rec.LastSeen) >= sessionTouchEvery:
		rec.LastSeen = now
		err := a.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketSessions)
			if b.Get(key) == nil {
				return ErrBadCredentials // ended meanwhile
			}
			return putJSON(b, key, rec)
		})
		if errors.Is(err, ErrBadCredentials) {
			return Session{}, err
		}
		if err != nil {
			return Session{}, fmt.Errorf("touch session: %w", err)
		}
	}
	return rec.session(id), nil
}

// EndSession deletes the session with ID id (logout). Ending an unknown or
// already ended session is not an error.
func (a *Accounts) EndSession(id string) error {
	key, ok := secretKey("", id)
	if !ok {
		return nil
	}
	if err := a.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSessions).Delete(key) }); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// deleteSessions deletes the sessions for which del returns true.
func deleteSessions(tx *bolt.Tx, del func(sessionRecord) bool) error {
	b := tx.Bucket(bucketSessions)
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var rec sessionRecord
		if err := decodeRecord(v, &rec); err != nil {
			return err
		}
		if del(rec) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range keys {
		if err == nil {
			err = b.Delete(k)
		}
	}
	return err
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
