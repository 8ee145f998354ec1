package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/constat-ent/constat/incidents/accounts"
)

const adminTestPassword = "correct horse battery"

// runCmd runs constat with args and returns its exit code, stdout and stderr.
func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// openAdminAccounts opens dir's accounts.db; the command must not be running.
func openAdminAccounts(t *testing.T, dir string) *accounts.Store {
	t.Helper()
	a, err := accounts.Open(filepath.Join(dir, "accounts.db"), accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestAdminCommand goes through an account's life with run, as a script
// would, the password in the environment.
func TestAdminCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	t.Setenv(passwordEnv, adminTestPassword)

	if code, out, errs := runCmd("admin", "add", "-data", dir, "alice"); code != exitOK || out != "account alice added\n" {
		t.Fatalf("admin add alice = %d, %q, %q", code, out, errs)
	}
	if code, _, errs := runCmd("admin", "add", "-data", dir, "alice"); code != exitFailure || !strings.Contains(errs, "already exists") {
		t.Errorf("admin add alice again = %d, %q, want %d, already exists", code, errs, exitFailure)
	}
	if code, _, errs := runCmd("admin", "token", "-data", dir, "-label", "a b", "alice"); code != exitUsage || !strings.Contains(errs, `label "a b"`) {
		t.Errorf("admin token -label 'a b' = %d, %q, want %d", code, errs, exitUsage)
	}
	if code, _, errs := runCmd("admin", "token", "-data", dir, "carol"); code != exitFailure {
		t.Errorf("admin token carol (no such account) = %d, %q, want %d", code, errs, exitFailure)
	}

	code, tok, errs := runCmd("admin", "token", "-data", dir, "-label", "ci", "alice")
	tok = strings.TrimSuffix(tok, "\n")
	if code != exitOK || !strings.HasPrefix(tok, "cst_") || strings.Contains(tok, "\n") || !strings.Contains(errs, "shown only once") {
		t.Fatalf("admin token alice = %d, stdout %q, stderr %q, want the token alone on stdout", code, tok, errs)
	}
	// Flags after NAME work too; no label gets one, said on stderr.
	code, readTok, errs := runCmd("admin", "token", "-data", dir, "alice", "-scope", "read")
	readTok = strings.TrimSuffix(readTok, "\n")
	if label := accounts.DefaultTokenLabel(readTok); code != exitOK || !strings.Contains(errs, `"`+label+`"`) {
		t.Errorf("admin token alice -scope read = %d, %q, want label %s on stderr", code, errs, label)
	}

	code, out, errs := runCmd("admin", "list", "-data", dir)
	if code != exitOK || !strings.HasPrefix(out, "alice\n") || !strings.Contains(out, "  token ci  incidents:write,maintenance:write,statements:write  created ") ||
		!strings.Contains(out, "  token "+accounts.DefaultTokenLabel(readTok)+"  read  created ") {
		t.Errorf("admin list = %d, %q, %q", code, out, errs)
	}

	a := openAdminAccounts(t, dir)
	if err := a.Authenticate("alice", adminTestPassword); err != nil {
		t.Errorf("Authenticate(alice) after admin add = %v", err)
	}
	name, scopes, err := a.TokenAuth(tok)
	if err != nil || name != "alice" || !accounts.Has(scopes, accounts.ScopeIncidentsWrite) ||
		!accounts.Has(scopes, accounts.ScopeStatementsWrite) || !accounts.Has(scopes, accounts.ScopeMaintenanceWrite) {
		t.Errorf("TokenAuth(printed token) = %q, %v, %v, want alice with the three write scopes", name, scopes, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	if code, out, errs := runCmd("admin", "revoke", "-data", dir, "-label", "ci", "alice"); code != exitOK {
		t.Errorf("admin revoke = %d, %q, %q", code, out, errs)
	}
	if code, _, errs := runCmd("admin", "revoke", "-data", dir, "-label", "ci", "alice"); code != exitFailure {
		t.Errorf("admin revoke again = %d, %q, want %d", code, errs, exitFailure)
	}
	t.Setenv(passwordEnv, "another long password")
	if code, out, errs := runCmd("admin", "passwd", "-data", dir, "alice"); code != exitOK {
		t.Errorf("admin passwd = %d, %q, %q", code, out, errs)
	}

	a = openAdminAccounts(t, dir)
	if _, _, err := a.TokenAuth(tok); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("TokenAuth(revoked) = %v, want ErrBadCredentials", err)
	}
	if err := a.Authenticate("alice", "another long password"); err != nil {
		t.Errorf("Authenticate(alice, new password) = %v", err)
	}
}

func TestAdminCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(passwordEnv, adminTestPassword)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no subcommand", []string{"admin"}, exitUsage, "usage:"},
		{"unknown subcommand", []string{"admin", "remove", "alice"}, exitUsage, `unknown command "remove"`},
		{"no name", []string{"admin", "add", "-data", dir}, exitUsage, "want one account NAME"},
		{"two names", []string{"admin", "add", "-data", dir, "alice", "bob"}, exitUsage, "want one account NAME"},
		{"bad name", []string{"admin", "add", "-data", dir, "Alice"}, exitUsage, `account name "Alice"`},
		{"unknown flag", []string{"admin", "add", "-force", "alice"}, exitUsage, "-force"},
		{"list with a name", []string{"admin", "list", "-data", dir, "alice"}, exitUsage, "usage: constat admin list"},
		{"bad scope", []string{"admin", "token", "-data", dir, "-scope", "incidents:write,admin", "alice"}, exitUsage, `scope "admin"`},
		{"revoke without label", []string{"admin", "revoke", "-data", dir, "alice"}, exitUsage, "-label is required"},
		{"list before add", []string{"admin", "list", "-data", dir}, exitFailure, "accounts.db does not exist"},
		{"passwd before add", []string{"admin", "passwd", "-data", dir, "alice"}, exitFailure, "accounts.db does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := runCmd(tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.stderr) {
				t.Errorf("run(%q) = %d, stderr %q, want %d, %q", tt.args, code, errs, tt.code, tt.stderr)
			}
		})
	}

	t.Setenv(passwordEnv, "short")
	if code, _, errs := runCmd("admin", "add", "-data", dir, "alice"); code != exitFailure || !strings.Contains(errs, "12 characters") {
		t.Errorf("admin add with a short password = %d, %q, want %d", code, errs, exitFailure)
	}
}

func TestAdminCommandInUse(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(passwordEnv, adminTestPassword)
	if code, _, errs := runCmd("admin", "add", "-data", dir, "alice"); code != exitOK {
		t.Fatalf("admin add = %d, %q", code, errs)
	}
	openAdminAccounts(t, dir) // as constat serve would
	code, _, errs := runCmd("admin", "list", "-data", dir)
	if code != exitFailure || !strings.Contains(errs, "in use by a running constat serve") {
		t.Errorf("admin list while the file is open = %d, %q, want %d, in use", code, errs, exitFailure)
	}
}

// TestAdminPasswordSources covers the terminal and standard input, with a
// cheap hash cost.
func TestAdminPasswordSources(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	typed := func(lines ...string) func() ([]byte, error) {
		return func() ([]byte, error) {
			if len(lines) == 0 {
				return nil, errors.New("EOF")
			}
			l := lines[0]
			lines = lines[1:]
			return []byte(l), nil
		}
	}
	tests := []struct {
		name     string
		stdin    string
		terminal func() ([]byte, error) // nil: stdin is not a terminal
		code     int
		want     string // the password set, or what stderr says
	}{
		{"stdin line", adminTestPassword + "\nignored\n", nil, exitOK, adminTestPassword},
		{"stdin CRLF", adminTestPassword + "\r\n", nil, exitOK, adminTestPassword},
		{"stdin without newline", adminTestPassword, nil, exitOK, adminTestPassword},
		{"stdin empty", "", nil, exitFailure, "no password"},
		{"stdin short", "short\n", nil, exitFailure, "12 characters"},
		{"terminal twice", "", typed(adminTestPassword, adminTestPassword), exitOK, adminTestPassword},
		{"terminal mismatch", "", typed(adminTestPassword, adminTestPassword+"!"), exitFailure, "the two passwords differ"},
		{"terminal short", "", typed("short"), exitFailure, "12 characters"},
		{"terminal closed", "", typed(), exitFailure, "read password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var out, errb bytes.Buffer
			c := &adminCmd{
				stdin:        strings.NewReader(tt.stdin),
				isTerminal:   tt.terminal != nil,
				readPassword: tt.terminal,
				lookupEnv:    noEnv,
				stdout:       &out,
				stderr:       &errb,
				cost:         accounts.HashCost{Time: 1, MemoryKiB: 64, Threads: 1},
			}
			code := c.run([]string{"add", "-data", dir, "alice"})
			if code != tt.code {
				t.Fatalf("admin add = %d, stderr %q, want %d", code, errb.String(), tt.code)
			}
			if code != exitOK {
				if !strings.Contains(errb.String(), tt.want) {
					t.Errorf("admin add stderr = %q, want %q", errb.String(), tt.want)
				}
				return
			}
			a := openAdminAccounts(t, dir)
			if err := a.Authenticate("alice", tt.want); err != nil {
				t.Errorf("Authenticate(alice, %q) = %v", tt.want, err)
			}
		})
	}
}
