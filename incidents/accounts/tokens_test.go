package accounts

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestAccountsTokens(t *testing.T) {
	c := newAcctClock()
	a, _ := openAccountsTest(t, c)
	mustAdd(t, a, "alice")
	mustAdd(t, a, "bob")
	write := []Scope{ScopeStatementsWrite, ScopeIncidentsWrite, ScopeIncidentsWrite}
	tok, err := a.NewToken("alice", write, "ci")
	if err != nil {
		t.Fatalf("NewToken(alice, ci) = %v", err)
	}
	if !strings.HasPrefix(tok, "cst_") || len(tok) != 4+43 {
		t.Errorf("NewToken(alice, ci) = %q, want cst_ and 43 characters", tok)
	}
	name, scopes, err := a.TokenAuth(tok)
	wantScopes := []Scope{ScopeIncidentsWrite, ScopeStatementsWrite}
	if err != nil || name != "alice" || !slices.Equal(scopes, wantScopes) {
		t.Errorf("TokenAuth(ci) = %q, %v, %v, want alice, %v", name, scopes, err, wantScopes)
	}
	for s, want := range map[Scope]bool{
		ScopeIncidentsWrite:   true,
		ScopeStatementsWrite:  true,
		ScopeMaintenanceWrite: false,
		ScopeRead:             true,
	} {
		if got := Has(scopes, s); got != want {
			t.Errorf("Has(%v, %s) = %v, want %v", scopes, s, got, want)
		}
	}
	readTok, err := a.NewToken("bob", []Scope{ScopeRead}, "")
	if err != nil {
		t.Fatalf("NewToken(bob, no label) = %v", err)
	}
	if _, scopes, _ := a.TokenAuth(readTok); Has(scopes, ScopeIncidentsWrite) {
		t.Errorf("read token has scopes %v, granting incidents:write", scopes)
	}

	refused := []struct {
		name, account, label string
		scopes               []Scope
		want                 error
	}{
		{"same label", "alice", "ci", write, ErrExists},
		{"unknown account", "carol", "ci", write, ErrNotFound},
		{"no scope", "alice", "x", nil, ErrBadScope},
		{"unknown scope", "alice", "x", []Scope{"admin"}, ErrBadScope},
		{"bad label", "alice", "two words", write, ErrBadName},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if tok, err := a.NewToken(tt.account, tt.scopes, tt.label); !errors.Is(err, tt.want) {
				t.Errorf("NewToken(%s, %v, %q) = %q, %v, want %v", tt.account, tt.scopes, tt.label, tok, err, tt.want)
			}
		})
	}
	// The same label on another account is another token.
	if _, err := a.NewToken("bob", write, "ci"); err != nil {
		t.Errorf("NewToken(bob, ci) = %v", err)
	}
	infos, err := a.Tokens("bob")
	if err != nil || len(infos) != 2 || infos[0].Label != "ci" || !strings.HasPrefix(infos[1].Label, "tok-") || !infos[0].Created.Equal(c.Now()) {
		t.Errorf("Tokens(bob) = %+v, %v, want ci and tok-…", infos, err)
	}

	for _, bad := range []string{"", "cst_", tok[4:], "cst-" + tok[4:], tok + "x", tok[:len(tok)-1], tok[:10] + "!" + tok[11:], strings.ToUpper(tok)} {
		if name, _, err := a.TokenAuth(bad); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("TokenAuth(%q) = %q, %v, want ErrBadCredentials", bad, name, err)
		}
	}
	if err := a.RevokeToken("bob", "ci"); err != nil {
		t.Fatalf("RevokeToken(bob, ci) = %v", err)
	}
	if name, _, err := a.TokenAuth(tok); err != nil || name != "alice" {
		t.Errorf("TokenAuth(alice's ci) after revoking bob's ci = %q, %v", name, err)
	}
	if err := a.RevokeToken("alice", "ci"); err != nil {
		t.Fatalf("RevokeToken(alice, ci) = %v", err)
	}
	if _, _, err := a.TokenAuth(tok); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("TokenAuth(revoked) = %v, want ErrBadCredentials", err)
	}
	if err := a.RevokeToken("alice", "ci"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RevokeToken(alice, ci) again = %v, want ErrNotFound", err)
	}
}

func TestParseScopes(t *testing.T) {
	tests := []struct {
		in   string
		want []Scope
		err  error
	}{
		{"read", []Scope{ScopeRead}, nil},
		{"statements:write, incidents:write,statements:write", []Scope{ScopeIncidentsWrite, ScopeStatementsWrite}, nil},
		{"incidents:write,statements:write,maintenance:write", []Scope{ScopeIncidentsWrite, ScopeMaintenanceWrite, ScopeStatementsWrite}, nil},
		{"", nil, ErrBadScope},
		{"read,", nil, ErrBadScope},
		{"incidents", nil, ErrBadScope},
		{"Read", nil, ErrBadScope},
	}
	for _, tt := range tests {
		got, err := ParseScopes(tt.in)
		if !slices.Equal(got, tt.want) || !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
			t.Errorf("ParseScopes(%q) = %v, %v, want %v, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	if Has(nil, ScopeRead) {
		t.Errorf("Has(nil, read) = true")
	}
}
