package accounts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// acctCost is a cheap argon2id cost: 64 KiB, 1 pass. Tests only.
var acctCost = HashCost{Time: 1, MemoryKiB: 64, Threads: 1}

const acctPassword = "correct horse battery"

// acctClock is a settable clock, safe for concurrent use.
type acctClock struct {
	mu sync.Mutex
	t  time.Time
}

func newAcctClock() *acctClock {
	return &acctClock{t: time.Date(2021, 4, 6, 9, 0, 0, 0, time.UTC)}
}

func (c *acctClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *acctClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openAccountsTest opens accounts in a fresh temporary directory with the
// cheap cost and clock c. At cleanup it closes them and checks the file.
func openAccountsTest(t *testing.T, c *acctClock) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "accounts.db")
	return openAccountsPath(t, path, Options{Now: c.Now, HashCost: acctCost, NoSync: true}), path
}

func openAccountsPath(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	a, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		checkAccountsFile(t, path)
	})
	return a
}

// checkAccountsFile runs bbolt's consistency check on the closed file.
func checkAccountsFile(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("bolt.Open(%s) = %v", path, err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt Check: %v", err)
		}
		return nil
	})
}

func mustAdd(t *testing.T, a *Store, name string) {
	t.Helper()
	if err := a.Add(name, acctPassword); err != nil {
		t.Fatalf("Add(%s) = %v", name, err)
	}
}

func TestAccountsAuthenticate(t *testing.T) {
	a, _ := openAccountsTest(t, newAcctClock())
	mustAdd(t, a, "alice")
	mustAdd(t, a, "bob.martin")
	if err := a.Add("alice", "another password"); !errors.Is(err, ErrExists) {
		t.Errorf("Add(alice) again = %v, want ErrExists", err)
	}
	tests := []struct {
		name, account, password string
		want                    error
	}{
		{"right password", "alice", acctPassword, nil},
		{"wrong password", "alice", acctPassword + "!", ErrBadCredentials},
		{"other account's password", "bob.martin", "another password", ErrBadCredentials},
		{"empty password", "alice", "", ErrBadCredentials},
		{"unknown account", "carol", acctPassword, ErrBadCredentials},
		{"invalid name", "Alice", acctPassword, ErrBadCredentials},
		{"overlong password", "alice", strings.Repeat("x", MaxPasswordLen+1), ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := a.Authenticate(tt.account, tt.password); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Authenticate(%s, %q) = %v, want %v", tt.account, tt.password, err, tt.want)
			}
		})
	}
	names, err := a.List()
	if want := []string{"alice", "bob.martin"}; err != nil || !slices.Equal(names, want) {
		t.Errorf("List() = %q, %v, want %q", names, err, want)
	}
}

func TestAccountsAddRefuses(t *testing.T) {
	a, _ := openAccountsTest(t, newAcctClock())
	tests := []struct {
		name, account, password string
		want                    error // nil: accepted
	}{
		{"shortest name", "ab", acctPassword, nil},
		{"longest name", strings.Repeat("a", 64), acctPassword, nil},
		{"12 characters in 24 bytes", "accents", strings.Repeat("é", 12), nil},
		{"longest password", "long", strings.Repeat("p", MaxPasswordLen), nil},
		{"empty name", "", acctPassword, ErrBadName},
		{"one character", "a", acctPassword, ErrBadName},
		{"65 characters", strings.Repeat("a", 65), acctPassword, ErrBadName},
		{"capital", "Alice", acctPassword, ErrBadName},
		{"leading dot", ".alice", acctPassword, ErrBadName},
		{"leading dash", "-alice", acctPassword, ErrBadName},
		{"space", "alice martin", acctPassword, ErrBadName},
		{"slash", "alice/x", acctPassword, ErrBadName},
		{"accent", "éloïse", acctPassword, ErrBadName},
		{"11 characters", "short", "elevenchars", ErrWeakPassword},
		{"11 characters in 22 bytes", "accent", strings.Repeat("é", 11), ErrWeakPassword},
		{"empty password", "empty", "", ErrWeakPassword},
		{"overlong password", "overlong", strings.Repeat("p", MaxPasswordLen+1), ErrWeakPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Add(tt.account, tt.password)
			if (err == nil) != (tt.want == nil) || !errors.Is(err, tt.want) {
				t.Fatalf("Add(%q, %d bytes) = %v, want %v", tt.account, len(tt.password), err, tt.want)
			}
			if tt.want == nil {
				if err := a.Authenticate(tt.account, tt.password); err != nil {
					t.Errorf("Authenticate(%q) = %v", tt.account, err)
				}
			}
		})
	}
}

func TestAccountsSetPassword(t *testing.T) {
	a, _ := openAccountsTest(t, newAcctClock())
	mustAdd(t, a, "alice")
	s, err := a.NewSession("alice")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.NewToken("alice", []Scope{ScopeIncidentsWrite}, "ci")
	if err != nil {
		t.Fatal(err)
	}
	const newPassword = "a new and longer password"
	if err := a.SetPassword("alice", "too short"); !errors.Is(err, ErrWeakPassword) {
		t.Errorf("SetPassword(alice, too short) = %v, want ErrWeakPassword", err)
	}
	if err := a.SetPassword("carol", newPassword); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetPassword(carol) = %v, want ErrNotFound", err)
	}
	if err := a.SetPassword("alice", newPassword); err != nil {
		t.Fatalf("SetPassword(alice) = %v", err)
	}
	if err := a.Authenticate("alice", acctPassword); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("Authenticate(alice, old password) = %v, want ErrBadCredentials", err)
	}
	if err := a.Authenticate("alice", newPassword); err != nil {
		t.Errorf("Authenticate(alice, new password) = %v", err)
	}
	if _, err := a.Session(s.ID); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("Session(before SetPassword) = %v, want ErrBadCredentials", err)
	}
	if name, _, err := a.TokenAuth(tok); err != nil || name != "alice" {
		t.Errorf("TokenAuth(token made before SetPassword) = %q, %v, want alice", name, err)
	}
}

// TestAccountsStoreNoSecret reads the file and looks for every secret, in
// the clear and in the encodings a careless change might store.
func TestAccountsStoreNoSecret(t *testing.T) {
	c := newAcctClock()
	path := filepath.Join(t.TempDir(), "accounts.db")
	a, err := Open(path, Options{Now: c.Now, HashCost: acctCost})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, a, "alice")
	tok, err := a.NewToken("alice", []Scope{ScopeRead}, "ci")
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.NewSession("alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for what, secret := range map[string]string{
		"password":           acctPassword,
		"token":              tok,
		"token without cst_": strings.TrimPrefix(tok, "cst_"),
		"session ID":         s.ID,
	} {
		quoted, _ := json.Marshal(secret)
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, quoted) {
			t.Errorf("%s %q found in %s", what, secret, path)
		}
	}
	if !bytes.Contains(data, []byte(`"$argon2id$v=19$m=64,t=1,p=1$`)) {
		t.Errorf("no argon2id PHC hash with m=64,t=1,p=1 in %s", path)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("Stat(%s) = %v, %v, want mode 0600", path, fi.Mode(), err)
	}
}

func TestAccountsReopen(t *testing.T) {
	c := newAcctClock()
	path := filepath.Join(t.TempDir(), "accounts.db")
	opts := Options{Now: c.Now, HashCost: acctCost}
	a, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, a, "alice")
	tok, err := a.NewToken("alice", []Scope{ScopeMaintenanceWrite}, "ci")
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.NewSession("alice")
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(10 * time.Minute)
	if _, err := a.Session(s.ID); err != nil { // persists LastSeen
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	a = openAccountsPath(t, path, opts)
	if names, err := a.List(); err != nil || !slices.Equal(names, []string{"alice"}) {
		t.Errorf("List() after reopen = %q, %v", names, err)
	}
	if err := a.Authenticate("alice", acctPassword); err != nil {
		t.Errorf("Authenticate after reopen = %v", err)
	}
	if name, scopes, err := a.TokenAuth(tok); err != nil || name != "alice" || !Has(scopes, ScopeMaintenanceWrite) {
		t.Errorf("TokenAuth after reopen = %q, %v, %v", name, scopes, err)
	}
	got, err := a.Session(s.ID)
	if err != nil || got.CSRF != s.CSRF || !got.LastSeen.Equal(c.Now()) {
		t.Errorf("Session after reopen = %+v, %v, want CSRF %s, LastSeen %v", got, err, s.CSRF, c.Now())
	}
	// The idle timeout counts from the LastSeen persisted before reopening.
	c.Advance(DefaultSessionIdle)
	if _, err := a.Session(s.ID); !errors.Is(err, ErrSessionExpired) {
		t.Errorf("Session idle for an hour across reopen = %v, want ErrSessionExpired", err)
	}
}

// TestAccountsRehash checks that a password hashed at another cost is
// rehashed at the current one at its next successful login.
func TestAccountsRehash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts.db")
	raised := Options{HashCost: HashCost{Time: 2, MemoryKiB: 128, Threads: 2}}
	steps := []struct {
		name     string
		opts     Options
		do       func(*Store) error
		wantCost string
	}{
		{"add", Options{HashCost: acctCost}, func(a *Store) error { return a.Add("alice", acctPassword) }, "m=64,t=1,p=1"},
		{"failed login", raised, func(a *Store) error {
			if err := a.Authenticate("alice", acctPassword+"x"); !errors.Is(err, ErrBadCredentials) {
				return fmt.Errorf("Authenticate(wrong password) = %v", err)
			}
			return nil
		}, "m=64,t=1,p=1"},
		{"login", raised, func(a *Store) error { return a.Authenticate("alice", acctPassword) }, "m=128,t=2,p=2"},
		{"login after rehash", raised, func(a *Store) error { return a.Authenticate("alice", acctPassword) }, "m=128,t=2,p=2"},
	}
	for _, st := range steps {
		a, err := Open(path, st.opts)
		if err != nil {
			t.Fatal(err)
		}
		err = st.do(a)
		if cerr := a.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got, want := storedHash(t, path, "alice"), "$argon2id$v=19$"+st.wantCost+"$"; !strings.HasPrefix(got, want) {
			t.Errorf("hash after %s = %q, want prefix %q", st.name, got, want)
		}
	}
	checkAccountsFile(t, path)
}

// storedHash returns the stored hash of account name; the file must be closed.
func storedHash(t *testing.T, path, name string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rec struct{ Hash string }
	db.View(func(tx *bolt.Tx) error {
		return json.Unmarshal(tx.Bucket([]byte("accounts")).Get([]byte(name)), &rec)
	})
	return rec.Hash
}

func TestOpenAccountsInUse(t *testing.T) {
	_, path := openAccountsTest(t, newAcctClock())
	// bbolt's lock is per open file: a second open in this process waits
	// like another process would, for the one-second timeout.
	b, err := Open(path, Options{})
	if !errors.Is(err, ErrInUse) {
		t.Errorf("Open(held file) = %v, want ErrInUse", err)
	}
	if b != nil {
		b.Close()
	}
}

func TestOpenAccountsRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timeline.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("records")); return err })
	db.Close()
	if a, err := Open(path, Options{}); err == nil {
		a.Close()
		t.Errorf("Open(a timeline-like file) = nil error")
	}
}

// TestAccountsConcurrent runs logins, token checks and sessions at once,
// for the race detector.
func TestAccountsConcurrent(t *testing.T) {
	c := newAcctClock()
	a, _ := openAccountsTest(t, c)
	mustAdd(t, a, "alice")
	tok, err := a.NewToken("alice", []Scope{ScopeRead}, "ci")
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.NewSession("alice")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 5 {
				c.Advance(time.Minute)
				if err := a.Authenticate("alice", acctPassword); err != nil {
					t.Errorf("Authenticate = %v", err)
				}
				if _, _, err := a.TokenAuth(tok); err != nil {
					t.Errorf("TokenAuth = %v", err)
				}
				if _, err := a.Session(s.ID); err != nil {
					t.Errorf("Session = %v", err)
				}
				if i%2 == 0 {
					ns, err := a.NewSession("alice")
					if err != nil {
						t.Errorf("NewSession = %v", err)
					}
					a.EndSession(ns.ID)
				}
			}
		})
	}
	wg.Wait()
}

func FuzzParseScopes(f *testing.F) {
	f.Add("incidents:write,statements:write")
	f.Add("read, read")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseScopes(in)
		if err != nil {
			return
		}
		if len(got) == 0 || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("ParseScopes(%q) = %v, want sorted, distinct, not empty", in, got)
		}
		for _, s := range got {
			if _, err := ParseScope(string(s)); err != nil {
				t.Errorf("ParseScopes(%q) returned %q: ParseScope = %v", in, s, err)
			}
		}
	})
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5")
	f.Add("$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parsePHC(s)
		if err != nil {
			return
		}
		c := h.cost
		if c.Time < 1 || c.Time > 16 || c.Threads < 1 || c.MemoryKiB < 8*uint32(c.Threads) || c.MemoryKiB > 1<<20 ||
			len(h.salt) < 8 || len(h.key) < 16 || len(h.key) > 64 {
			t.Errorf("parsePHC(%q) = %+v, out of bounds", s, h)
		}
		if want := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", c.MemoryKiB, c.Time, c.Threads); !strings.HasPrefix(s, want) {
			t.Errorf("parsePHC(%q) = cost %+v, not canonical (want prefix %q)", s, c, want)
		}
	})
}

// BenchmarkAuthenticate measures a login at the default cost, for a known
// and an unknown account: both should cost one hash.
func BenchmarkAuthenticate(b *testing.B) {
	a, err := Open(filepath.Join(b.TempDir(), "accounts.db"), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	if err := a.Add("alice", acctPassword); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"alice", "carol"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				a.Authenticate(name, acctPassword)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/login")
		})
	}
}

func TestOpenAccountsRefusesBadCost(t *testing.T) {
	for _, c := range []HashCost{{Time: 1}, {Time: 1, MemoryKiB: 64}, {MemoryKiB: 64, Threads: 1}, {Time: 1, MemoryKiB: 8, Threads: 2}} {
		a, err := Open(filepath.Join(t.TempDir(), "accounts.db"), Options{HashCost: c})
		if err == nil {
			a.Close()
			t.Errorf("Open(HashCost %+v) = nil error", c)
		}
	}
}
