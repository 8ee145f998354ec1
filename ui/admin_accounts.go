package ui

import (
	"crypto/rand"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/labstack/echo/v4"
)

// The accounts page lets an admin invite a colleague and create API tokens
// while the server runs (the accounts file is the server's while it runs,
// so the admin command cannot open it then). A new account's password and
// a new token are shown once, on the answer to the form, and never again:
// only their hashes are kept. Both actions go to the audit trail, with the
// account name or the token's label, never the secret.

// accountsView is the accounts page.
type accountsView struct {
	adminPage
	Accounts []string
	Tokens   []tokenView // the signed-in account's
	Scopes   []scopeChoice
	Name     string // the invitation form's account name, on an error
	Label    string // the token form's label, on an error
	Error    string
	// Shown once, after a successful form.
	Invited, Password string
	Token, TokenLabel string
}

type tokenView struct {
	Label, Scopes, Created, CreatedISO string
}

type scopeChoice struct {
	Value   string
	Checked bool
}

func (a *admin) accountsView(c echo.Context) (accountsView, error) {
	sess := session(c)
	v := accountsView{adminPage: a.page(sess)}
	var err error
	if v.Accounts, err = a.acc.List(); err != nil {
		return v, err
	}
	toks, err := a.acc.Tokens(sess.Account)
	if err != nil {
		return v, err
	}
	for _, tk := range toks {
		scopes := make([]string, len(tk.Scopes))
		for i, s := range tk.Scopes {
			scopes[i] = s.String()
		}
		v.Tokens = append(v.Tokens, tokenView{Label: tk.Label, Scopes: strings.Join(scopes, ", "), Created: heure(tk.Created), CreatedISO: iso(tk.Created)})
	}
	for _, s := range accounts.Scopes() {
		v.Scopes = append(v.Scopes, scopeChoice{Value: s.String()})
	}
	return v, nil
}

// accountsPage serves GET /admin/accounts.
func (a *admin) accountsPage(c echo.Context) error {
	v, err := a.accountsView(c)
	if err != nil {
		return err
	}
	return a.render(c, http.StatusOK, "admin_accounts.html", v)
}

// invite serves POST /admin/accounts: a new account with a random
// password, shown once for the inviting admin to pass on.
func (a *admin) invite(c echo.Context) error {
	name := strings.TrimSpace(c.Request().PostForm.Get("name"))
	password := rand.Text()
	err := a.acc.Add(name, password)
	v, verr := a.accountsView(c)
	if verr != nil {
		return verr
	}
	if msg, ok := accountError(err); ok {
		v.Name, v.Error = name, msg
		return a.render(c, http.StatusBadRequest, "admin_accounts.html", v)
	}
	if err != nil {
		return err
	}
	a.auditDetail(c, "account.invite", name)
	v.Accounts = append(v.Accounts, name)
	slices.Sort(v.Accounts)
	v.Invited, v.Password = name, password
	return a.render(c, http.StatusCreated, "admin_accounts.html", v)
}

// newToken serves POST /admin/tokens: an API token of the signed-in
// account with the scopes ticked, shown once.
func (a *admin) newToken(c echo.Context) error {
	f := c.Request().PostForm
	var scopes []accounts.Scope
	for _, s := range f["scopes"] {
		scopes = append(scopes, accounts.Scope(s))
	}
	label := strings.TrimSpace(f.Get("label"))
	tok, err := a.acc.NewToken(session(c).Account, scopes, label)
	v, verr := a.accountsView(c)
	if verr != nil {
		return verr
	}
	if msg, ok := accountError(err); ok {
		v.Label, v.Error = label, msg
		for i := range v.Scopes {
			v.Scopes[i].Checked = slices.Contains(f["scopes"], v.Scopes[i].Value)
		}
		return a.render(c, http.StatusBadRequest, "admin_accounts.html", v)
	}
	if err != nil {
		return err
	}
	if label == "" {
		label = accounts.DefaultTokenLabel(tok)
	}
	a.auditDetail(c, "token.create", label)
	v.Token, v.TokenLabel = tok, label
	if v, err = a.withTokens(c, v); err != nil {
		return err
	}
	return a.render(c, http.StatusCreated, "admin_accounts.html", v)
}

// withTokens reads the signed-in account's tokens again into v.
func (a *admin) withTokens(c echo.Context, v accountsView) (accountsView, error) {
	fresh, err := a.accountsView(c)
	v.Tokens = fresh.Tokens
	return v, err
}

// accountError says in French why the accounts store refused a form, or
// ok is false for an error that is Constat's own.
func accountError(err error) (msg string, ok bool) {
	switch {
	case err == nil:
		return "", false
	case errors.Is(err, accounts.ErrExists):
		return t("admin.accounts.exists"), true
	case errors.Is(err, accounts.ErrBadName):
		return t("admin.accounts.bad_name"), true
	case errors.Is(err, accounts.ErrBadScope):
		return t("admin.accounts.bad_scope"), true
	}
	return "", false
}

// auditDetail records action by the signed-in account in the audit trail,
// with detail (an account name, a token label: never a secret).
func (a *admin) auditDetail(c echo.Context, action, detail string) {
	actor := session(c).Account
	if err := a.records().Audit(c.Request().Context(), actor, action, 0, detail); err != nil {
		a.log.Error("audit failed", "account", actor, "action", action, "err", err)
	}
}
