package accounts

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestLoginConcurrent sends 100 wrong passwords for one account at once:
// at most LoginAccountFailures are hashed (seen before the fix: all 100),
// the others are refused by the limiter; then the same for one address.
func TestLoginConcurrent(t *testing.T) {
	// A hash of a few milliseconds, as real ones take tens: logins in
	// flight overlap as they do in a real burst.
	c := newAcctClock()
	a := openAccountsPath(t, filepath.Join(t.TempDir(), "accounts.db"), Options{Now: c.Now, HashCost: HashCost{Time: 1, MemoryKiB: 4 << 10, Threads: 1}, NoSync: true})
	mustAdd(t, a, "alice")
	tests := []struct {
		name  string
		login func(i int) (addr, name string)
		limit int
	}{
		{"one account", func(i int) (string, string) { return fmt.Sprintf("192.0.2.%d", i), "alice" }, LoginAccountFailures},
		{"one address", func(i int) (string, string) { return "198.51.100.1", fmt.Sprintf("user%d", i) }, LoginAddressFailures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			checked, limited := 0, 0
			start := make(chan struct{})
			for i := range 100 {
				wg.Go(func() {
					<-start
					addr, name := tt.login(i)
					_, err := a.Login(addr, name, "wrong password!")
					mu.Lock()
					defer mu.Unlock()
					var le *LimitError
					switch {
					case errors.Is(err, ErrBadCredentials):
						checked++
					case errors.As(err, &le) && le.RetryAfter > 0:
						limited++
					default:
						t.Errorf("Login(%s, %s, wrong) = %v, want ErrBadCredentials or *LimitError", addr, name, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if checked != tt.limit || limited != 100-tt.limit {
				t.Errorf("100 concurrent wrong logins: %d checked, %d limited, want %d and %d", checked, limited, tt.limit, 100-tt.limit)
			}
		})
	}
	if _, err := a.Login("203.0.113.9", "alice", acctPassword); !errors.As(err, new(*LimitError)) {
		t.Errorf("Login(alice, right password) while limited = %v, want *LimitError", err)
	}
}

// TestLogin checks the rules in order: a right password gives a session
// and clears the account's failures.
func TestLogin(t *testing.T) {
	a, _ := openAccountsTest(t, newAcctClock())
	mustAdd(t, a, "alice")
	for range LoginAccountFailures - 1 {
		if _, err := a.Login("192.0.2.1", "alice", "wrong password!"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("Login(wrong) = %v, want ErrBadCredentials", err)
		}
	}
	sess, err := a.Login("192.0.2.1", " alice ", acctPassword)
	if err != nil || sess.Account != "alice" {
		t.Fatalf("Login(alice, right) = %+v, %v, want a session of alice", sess, err)
	}
	if got, err := a.Session(sess.ID); err != nil || got.Account != "alice" {
		t.Errorf("Session(login's) = %+v, %v", got, err)
	}
	for range LoginAccountFailures - 1 {
		if _, err := a.Login("192.0.2.2", "alice", "wrong password!"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("Login(wrong) after a success = %v, want ErrBadCredentials: the success did not clear the account", err)
		}
	}
}
