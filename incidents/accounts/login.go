package accounts

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// LimitError is returned by Login when the account or the address has had
// too many failed logins lately (see LoginLimiter); nothing was checked.
type LimitError struct {
	RetryAfter time.Duration // how long until a login may be tried again
}

// Error reads "too many failed logins: retry in 14m0s".
func (e *LimitError) Error() string {
	return fmt.Sprintf("too many failed logins: retry in %v", e.RetryAfter)
}

// Login applies the login rules for any front end (form, API, CLI): the
// limiter first, which counts the attempt before the password is hashed
// (so that concurrent attempts never exceed the limits), then the password,
// then a new session. addr is the client's IP address as the front end
// trusts it. Login returns the session, a *LimitError when refused by the
// limiter, ErrBadCredentials for an unknown account or a wrong password, or
// Constat's own fault. The limits are in memory: a restart forgets them.
func (a *Store) Login(addr, name, password string) (Session, error) {
	name = strings.TrimSpace(name)
	attempt, wait := a.limiter.Reserve(addr, name)
	if attempt == nil {
		return Session{}, &LimitError{RetryAfter: wait}
	}
	if err := a.Authenticate(name, password); err != nil {
		if !errors.Is(err, ErrBadCredentials) {
			attempt.Cancel() // Constat's fault, not a guess
		}
		return Session{}, err
	}
	attempt.Succeeded()
	return a.NewSession(name)
}
