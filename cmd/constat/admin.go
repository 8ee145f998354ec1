package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/term"

	"github.com/constat-ent/constat/incidents/accounts"
)

// passwordEnv names the variable that, when set, holds the password of
// constat admin add and passwd (for scripts; a terminal is asked otherwise).
const passwordEnv = "CONSTAT_ADMIN_PASSWORD"

const adminUsage = `usage:
  constat admin add    [-data DIR] NAME
  constat admin passwd [-data DIR] NAME
  constat admin list   [-data DIR]
  constat admin token  [-data DIR] [-scope SCOPES] [-label LABEL] NAME
  constat admin revoke [-data DIR] -label LABEL NAME
The password is read from $` + passwordEnv + ` if set, else from the terminal,
else from the first line of standard input. Accounts live in DIR/accounts.db;
a running constat serve holds that file: while it runs, invite colleagues
and create tokens on its admin page /admin/accounts instead.
`

// adminCmd runs constat admin. Its fields stand for the process's
// environment, so that tests can replace them.
type adminCmd struct {
	stdin          io.Reader
	isTerminal     bool                   // stdin is a terminal
	readPassword   func() ([]byte, error) // reads a line from the terminal without echo
	lookupEnv      func(string) (string, bool)
	stdout, stderr io.Writer
	cost           accounts.HashCost // zero: the default; tests only
}

func runAdmin(args []string, stdout, stderr io.Writer) int {
	fd := int(os.Stdin.Fd())
	c := &adminCmd{
		stdin:        os.Stdin,
		isTerminal:   term.IsTerminal(fd),
		readPassword: func() ([]byte, error) { return term.ReadPassword(fd) },
		lookupEnv:    os.LookupEnv,
		stdout:       stdout,
		stderr:       stderr,
	}
	return c.run(args)
}

func (c *adminCmd) run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, adminUsage)
		return exitUsage
	}
	cmds := map[string]func([]string) int{
		"add": c.add, "passwd": c.passwd, "list": c.list, "token": c.token, "revoke": c.revoke,
	}
	if cmd, ok := cmds[args[0]]; ok {
		return cmd(args[1:])
	}
	if slices.Contains([]string{"help", "-h", "-help", "--help"}, args[0]) {
		fmt.Fprint(c.stdout, adminUsage)
		return exitOK
	}
	fmt.Fprintf(c.stderr, "constat admin: unknown command %q\n%s", args[0], adminUsage)
	return exitUsage
}

// flags returns the flag set of subcommand name, with -data.
func (c *adminCmd) flags(name, usage string) (*flag.FlagSet, *string) {
	f := flag.NewFlagSet("admin "+name, flag.ContinueOnError)
	f.SetOutput(c.stderr)
	f.Usage = func() {
		fmt.Fprintf(c.stderr, "usage: constat admin %s %s\n", name, usage)
		f.PrintDefaults()
	}
	return f, f.String("data", "data", "directory of accounts.db (as for constat serve)")
}

// parseName parses args, which must hold one NAME, before or among the
// flags ("token alice -label ci" works too).
func (c *adminCmd) parseName(f *flag.FlagSet, args []string) (name string, done bool, code int) {
	if done, code := parseFlags(f, args); done {
		return "", true, code
	}
	if f.NArg() > 0 {
		name = f.Arg(0)
		if done, code := parseFlags(f, f.Args()[1:]); done {
			return "", true, code
		}
	}
	if name == "" || f.NArg() > 0 {
		fmt.Fprintf(c.stderr, "constat admin %s: want one account NAME\n", strings.TrimPrefix(f.Name(), "admin "))
		f.Usage()
		return "", true, exitUsage
	}
	if err := accounts.CheckName(name); err != nil {
		fmt.Fprintf(c.stderr, "constat admin %s: %v\n", strings.TrimPrefix(f.Name(), "admin "), err)
		return "", true, exitUsage
	}
	return name, false, exitOK
}

func (c *adminCmd) add(args []string) int {
	f, data := c.flags("add", "[-data DIR] NAME")
	name, done, code := c.parseName(f, args)
	if done {
		return code
	}
	return c.with(*data, true, func(a *accounts.Store) error {
		names, err := a.List()
		if err != nil {
			return err
		}
		if slices.Contains(names, name) { // before asking for a password
			return fmt.Errorf("account %s already exists: use constat admin passwd %s to change its password", name, name)
		}
		pw, err := c.password(name)
		if err != nil {
			return err
		}
		if err := a.Add(name, pw); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "account %s added\n", name)
		return nil
	})
}

func (c *adminCmd) passwd(args []string) int {
	f, data := c.flags("passwd", "[-data DIR] NAME")
	name, done, code := c.parseName(f, args)
	if done {
		return code
	}
	return c.with(*data, false, func(a *accounts.Store) error {
		names, err := a.List()
		if err != nil {
			return err
		}
		if !slices.Contains(names, name) {
			return fmt.Errorf("no account %s", name)
		}
		pw, err := c.password(name)
		if err != nil {
			return err
		}
		if err := a.SetPassword(name, pw); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "password of %s changed; its sessions are ended, its tokens still valid\n", name)
		return nil
	})
}

func (c *adminCmd) list(args []string) int {
	f, data := c.flags("list", "[-data DIR]")
	if done, code := parseFlags(f, args); done {
		return code
	}
	if f.NArg() > 0 {
		f.Usage()
		return exitUsage
	}
	return c.with(*data, false, func(a *accounts.Store) error {
		names, err := a.List()
		if err != nil {
			return err
		}
		for _, name := range names {
			fmt.Fprintln(c.stdout, name)
			toks, err := a.Tokens(name)
			if err != nil {
				return err
			}
			for _, t := range toks {
				fmt.Fprintf(c.stdout, "  token %s  %s  created %s\n", t.Label, joinScopes(t.Scopes), t.Created.UTC().Format("2006-01-02 15:04 UTC"))
			}
		}
		return nil
	})
}

func (c *adminCmd) token(args []string) int {
	f, data := c.flags("token", "[-data DIR] [-scope SCOPES] [-label LABEL] NAME")
	all := joinScopes([]accounts.Scope{accounts.ScopeIncidentsWrite, accounts.ScopeStatementsWrite, accounts.ScopeMaintenanceWrite})
	scopeList := f.String("scope", all, "comma-separated scopes among "+joinScopes(accounts.Scopes())+" (every scope may read)")
	label := f.String("label", "", "name of the token, for revoke (default: tok- and 8 hex digits)")
	name, done, code := c.parseName(f, args)
	if done {
		return code
	}
	scopes, err := accounts.ParseScopes(*scopeList)
	if err != nil {
		fmt.Fprintln(c.stderr, "constat admin token: -scope:", err)
		return exitUsage
	}
	return c.with(*data, false, func(a *accounts.Store) error {
		tok, err := a.NewToken(name, scopes, *label)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, tok)
		lbl := *label
		if lbl == "" {
			lbl = accounts.DefaultTokenLabel(tok)
		}
		fmt.Fprintf(c.stderr, "constat admin: token %q of %s (%s) printed above; it is shown only once: store it now.\n", lbl, name, joinScopes(scopes))
		return nil
	})
}

func (c *adminCmd) revoke(args []string) int {
	f, data := c.flags("revoke", "[-data DIR] -label LABEL NAME")
	label := f.String("label", "", "name of the token to revoke (see constat admin list)")
	name, done, code := c.parseName(f, args)
	if done {
		return code
	}
	if *label == "" {
		fmt.Fprintln(c.stderr, "constat admin revoke: -label is required")
		f.Usage()
		return exitUsage
	}
	return c.with(*data, false, func(a *accounts.Store) error {
		if err := a.RevokeToken(name, *label); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "token %s of %s revoked\n", *label, name)
		return nil
	})
}

// with opens DIR/accounts.db, runs fn and closes the file, mapping errors to
// exit codes. Unless create, a missing file is an error (not a new file).
func (c *adminCmd) with(dir string, create bool, fn func(*accounts.Store) error) int {
	path := filepath.Join(dir, "accounts.db")
	err := func() (err error) {
		if create {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("create data directory: %w", err)
			}
		} else if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no accounts: %s does not exist (create one with constat admin add -data %s NAME)", path, dir)
		}
		a, err := accounts.Open(path, accounts.Options{HashCost: c.cost})
		if errors.Is(err, accounts.ErrInUse) {
			return fmt.Errorf("%s is in use by a running constat serve or another constat admin: invite colleagues and create tokens on the server's page /admin/accounts, or stop it and run this command again", path)
		}
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, a.Close()) }()
		return fn(a)
	}()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(c.stderr, "constat admin:", err)
	if errors.Is(err, accounts.ErrBadName) || errors.Is(err, accounts.ErrBadScope) {
		return exitUsage
	}
	return exitFailure
}

// password returns the password for name: from $CONSTAT_ADMIN_PASSWORD if
// set, else typed twice on the terminal, else the first line of stdin.
func (c *adminCmd) password(name string) (string, error) {
	if pw, ok := c.lookupEnv(passwordEnv); ok {
		return pw, checkPassword(pw)
	}
	if !c.isTerminal {
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from standard input: %w", err)
		}
		pw := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if pw == "" {
			return "", fmt.Errorf("no password: set %s, or type it on a terminal, or give it as the first line of standard input", passwordEnv)
		}
		return pw, checkPassword(pw)
	}
	fmt.Fprintf(c.stderr, "Password for %s (%d characters or more): ", name, accounts.MinPasswordLen)
	pw, err := c.readPassword()
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if err := checkPassword(string(pw)); err != nil {
		return "", err
	}
	fmt.Fprintf(c.stderr, "Again: ")
	again, err := c.readPassword()
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(again) != string(pw) {
		return "", errors.New("the two passwords differ")
	}
	return string(pw), nil
}

func checkPassword(pw string) error {
	if err := accounts.CheckPassword(pw); err != nil {
		return fmt.Errorf("password: %w", err)
	}
	return nil
}

func joinScopes(scopes []accounts.Scope) string {
	s := make([]string, len(scopes))
	for i, sc := range scopes {
		s[i] = string(sc)
	}
	return strings.Join(s, ",")
}
