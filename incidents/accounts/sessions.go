package accounts

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Session defaults, and how often Session persists the last-seen time.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultSessionIdle = time.Hour
	// sessionTouchEvery is the most often Session writes LastSeen: the idle
	// timeout is therefore measured from a time up to a minute early.
	sessionTouchEvery = time.Minute
)

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
func (a *Store) NewSession(name string) (Session, error) {
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
func (a *Store) Session(id string) (Session, error) {
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
func (a *Store) EndSession(id string) error {
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
