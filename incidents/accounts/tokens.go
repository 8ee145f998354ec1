package accounts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

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
func (a *Store) NewToken(name string, scopes []Scope, label string) (string, error) {
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
func (a *Store) TokenAuth(token string) (name string, scopes []Scope, err error) {
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
func (a *Store) RevokeToken(name, label string) error {
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
func (a *Store) Tokens(name string) ([]TokenInfo, error) {
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
