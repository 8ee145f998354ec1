package accounts

import (
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestAccountsSessions(t *testing.T) {
	c := newAcctClock()
	a, _ := openAccountsTest(t, c)
	mustAdd(t, a, "alice")
	if _, err := a.NewSession("carol"); !errors.Is(err, ErrNotFound) {
		t.Errorf("NewSession(carol) = %v, want ErrNotFound", err)
	}

	t.Run("lookup and end", func(t *testing.T) {
		s, err := a.NewSession("alice")
		if err != nil {
			t.Fatalf("NewSession(alice) = %v", err)
		}
		if len(s.ID) != 43 || len(s.CSRF) != 43 || s.ID == s.CSRF || s.Account != "alice" ||
			!s.Created.Equal(c.Now()) || !s.Expires.Equal(c.Now().Add(DefaultSessionTTL)) {
			t.Errorf("NewSession(alice) = %+v", s)
		}
		got, err := a.Session(s.ID)
		if err != nil || got != s {
			t.Errorf("Session(id) = %+v, %v, want %+v", got, err, s)
		}
		if !got.ValidCSRF(s.CSRF) || got.ValidCSRF("") || got.ValidCSRF(s.ID) {
			t.Errorf("ValidCSRF accepts a wrong token or refuses the right one")
		}
		if err := a.EndSession(s.ID); err != nil {
			t.Fatalf("EndSession = %v", err)
		}
		if _, err := a.Session(s.ID); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Session(ended) = %v, want ErrBadCredentials", err)
		}
		if err := a.EndSession(s.ID); err != nil {
			t.Errorf("EndSession(ended) = %v, want nil", err)
		}
		for _, bad := range []string{"", "x", s.CSRF, s.ID[:42], s.ID + "A"} {
			if _, err := a.Session(bad); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("Session(%q) = %v, want ErrBadCredentials", bad, err)
			}
		}
	})

	t.Run("idle timeout", func(t *testing.T) {
		s, err := a.NewSession("alice")
		if err != nil {
			t.Fatal(err)
		}
		created := c.Now()
		c.Advance(30 * time.Second)
		if got, err := a.Session(s.ID); err != nil || !got.LastSeen.Equal(created) {
			t.Errorf("Session after 30 s = LastSeen %v, %v, want %v (touched at most once a minute)", got.LastSeen, err, created)
		}
		for range 3 { // active every 59 min: never idle for an hour
			c.Advance(59 * time.Minute)
			if got, err := a.Session(s.ID); err != nil || !got.LastSeen.Equal(c.Now()) {
				t.Fatalf("Session after 59 min = LastSeen %v, %v, want %v", got.LastSeen, err, c.Now())
			}
		}
		c.Advance(DefaultSessionIdle)
		if _, err := a.Session(s.ID); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("Session after an idle hour = %v, want ErrSessionExpired", err)
		}
		if _, err := a.Session(s.ID); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Session after ErrSessionExpired = %v, want ErrBadCredentials", err)
		}
	})

	t.Run("absolute lifetime", func(t *testing.T) {
		s, err := a.NewSession("alice")
		if err != nil {
			t.Fatal(err)
		}
		for c.Now().Before(s.Expires.Add(-30 * time.Minute)) {
			c.Advance(30 * time.Minute)
			if _, err := a.Session(s.ID); err != nil {
				t.Fatalf("Session at %v, before Expires %v = %v", c.Now(), s.Expires, err)
			}
		}
		c.Advance(30 * time.Minute)
		if _, err := a.Session(s.ID); !errors.Is(err, ErrSessionExpired) {
			t.Errorf("Session at Expires though active = %v, want ErrSessionExpired", err)
		}
	})
}

// TestAccountsNewSessionSweeps checks that expired sessions do not pile up:
// NewSession deletes them.
func TestAccountsNewSessionSweeps(t *testing.T) {
	c := newAcctClock()
	a, path := openAccountsTest(t, c)
	mustAdd(t, a, "alice")
	for range 10 {
		if _, err := a.NewSession("alice"); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(2 * DefaultSessionIdle)
	if _, err := a.NewSession("alice"); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket([]byte("sessions")).Stats().KeyN; n != 1 {
			t.Errorf("sessions stored = %d, want 1", n)
		}
		return nil
	})
}
