package ui

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	shownPassword = regexp.MustCompile(`transmettre[^<]*<code>([^<]+)</code>`)
	shownToken    = regexp.MustCompile(`<code>(cst_[A-Za-z0-9_-]+)</code>`)
)

// Seen: accounts and tokens could not be created while serve ran (the
// accounts file is the server's). An admin invites a colleague and creates
// a token from the admin pages, with the server running; the colleague can
// log in and the token works at once.
func TestAdminInvitesAndCreatesToken(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	csrf := env.login(t)

	resp, body := env.do(t, http.MethodPost, "/admin/accounts", url.Values{"csrf": {csrf}, "name": {"camille"}}, nil)
	m := shownPassword.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusCreated || m == nil || !strings.Contains(body, "<td>camille</td>") {
		t.Fatalf("POST /admin/accounts = %d, want 201 showing camille's password:\n%s", resp.StatusCode, body)
	}
	password := m[1]
	if resp, body := env.do(t, http.MethodPost, "/admin/accounts", url.Values{"csrf": {csrf}, "name": {"camille"}}, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, fr["admin.accounts.exists"]) {
		t.Errorf("inviting camille again = %d, want 400 saying the name is taken", resp.StatusCode)
	}
	if resp, _ := env.do(t, http.MethodPost, "/admin/accounts", url.Values{"name": {"dominique"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /admin/accounts without CSRF = %d, want 403", resp.StatusCode)
	}

	resp, body = env.do(t, http.MethodPost, "/admin/tokens", url.Values{"csrf": {csrf}, "scopes": {"statements:write"}, "label": {"bot"}}, nil)
	tm := shownToken.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusCreated || tm == nil || !strings.Contains(body, "<td>bot</td><td>statements:write</td>") {
		t.Fatalf("POST /admin/tokens = %d, want 201 showing the token and listing it:\n%s", resp.StatusCode, body)
	}
	said := time.Now().Add(-time.Hour).Format(time.RFC3339)
	if resp, out := env.api(t, "/api/admin/v1/statements", tm[1], `{"speaker":"Ministre","said_at":"`+said+`","quote":"Tout fonctionne.","source_url":"https://example.org/"}`); resp.StatusCode != http.StatusCreated {
		t.Errorf("POST /api/admin/v1/statements with the new token = %d %v, want 201", resp.StatusCode, out)
	}
	if resp, body := env.do(t, http.MethodPost, "/admin/tokens", url.Values{"csrf": {csrf}, "label": {"none"}}, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, fr["admin.accounts.bad_scope"]) {
		t.Errorf("a token without scope = %d, want 400 asking for one", resp.StatusCode)
	}

	_, dash := env.do(t, http.MethodGet, "/admin", nil, nil)
	for _, want := range []string{"account.invite", "camille", "token.create", "bot"} {
		if !strings.Contains(dash, want) {
			t.Errorf("audit trail lacks %q", want)
		}
	}
	if strings.Contains(dash, password) || strings.Contains(dash, tm[1]) {
		t.Errorf("the dashboard shows a secret")
	}
	if resp, _ := env.tryLogin(t, "camille", password, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("camille's login with the shown password = %d, want 303", resp.StatusCode)
	}
}

// Seen: "Maintenances … Aucun". The empty tables agree with their nouns.
func TestAdminDashboardEmptyTablesAgree(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	env.login(t)
	_, body := env.do(t, http.MethodGet, "/admin", nil, nil)
	for caption, none := range map[string]string{fr["admin.dash.open"]: "Aucun", fr["admin.dash.maintenances"]: "Aucune", fr["admin.dash.statements"]: "Aucune"} {
		_, table, ok := strings.Cut(body, "<caption>"+caption+"</caption>")
		table, _, _ = strings.Cut(table, "</table>")
		if !ok || !strings.Contains(table, ">"+none+"<") {
			t.Errorf("dashboard table %q lacks %q", caption, none)
		}
	}
}
