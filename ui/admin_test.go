package ui

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

const (
	testAccount  = "alice"
	testPassword = "correct horse battery"
)

// testClock is the accounts' and limiter's clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type adminEnv struct {
	url      string
	client   *http.Client // with a cookie jar; does not follow redirects
	accounts *accounts.Store
	tl       *timeline.Timeline
	pipe     *incidents.Pipeline
	admin    *incidents.Admin // pipe's
	clock    *testClock
}

type envOptions struct {
	tls        bool
	trustProxy bool
	dir        string // of the data files; "" for a temporary directory
}

// newAdminEnv serves a Server on 127.0.0.1, with real accounts and
// timeline files (newTestStackWith) and the account alice.
func newAdminEnv(t *testing.T, o envOptions) *adminEnv {
	t.Helper()
	clock := &testClock{now: time.Now()}
	if o.dir == "" {
		o.dir = t.TempDir()
	}
	st := newTestStackWith(t, o.dir, stackOptions{clock: clock.Now, trustProxy: o.trustProxy})
	if err := st.acc.Add(testAccount, testPassword); err != nil {
		t.Fatal(err)
	}
	env := &adminEnv{accounts: st.acc, tl: st.tl, pipe: st.pipe, admin: st.pipe.Admin(), clock: clock}
	s := st.s
	var srv *httptest.Server
	if o.tls {
		srv = httptest.NewTLSServer(s.Handler())
	} else {
		srv = httptest.NewServer(s.Handler())
	}
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	env.url = srv.URL
	env.client = srv.Client()
	env.client.Jar = jar
	env.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return env
}

// do sends a request and returns the response with its body read.
func (e *adminEnv) do(t *testing.T, method, path string, form url.Values, h http.Header) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf returns the CSRF token of the first form of the page at path.
func (e *adminEnv) csrfOf(t *testing.T, path string) string {
	t.Helper()
	resp, body := e.do(t, http.MethodGet, path, nil, nil)
	m := csrfRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET %s = %d without a CSRF token:\n%s", path, resp.StatusCode, body)
	}
	return m[1]
}

// tryLogin posts the login form, from the address in X-Forwarded-For when
// the env trusts proxies.
func (e *adminEnv) tryLogin(t *testing.T, account, password string, h http.Header) (*http.Response, string) {
	t.Helper()
	tok := e.csrfOf(t, "/admin/login")
	return e.do(t, http.MethodPost, "/admin/login", url.Values{"csrf": {tok}, "account": {account}, "password": {password}}, h)
}

// login logs alice in and returns the dashboard's CSRF token.
func (e *adminEnv) login(t *testing.T) string {
	t.Helper()
	resp, body := e.tryLogin(t, testAccount, testPassword, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Fatalf("login = %d to %q, want 303 to /admin:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return e.csrfOf(t, "/admin")
}

func sessionCookieOf(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c
		}
	}
	return nil
}

func TestAdminLoginWrongPassword(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	for _, name := range []string{testAccount, "nobody"} {
		resp, body := env.tryLogin(t, name, "wrong password!", nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, t2h("admin.login.failed")) {
			t.Errorf("login %s with a wrong password = %d, want 200 and the error:\n%s", name, resp.StatusCode, body)
		}
		if c := sessionCookieOf(resp); c != nil {
			t.Errorf("login %s with a wrong password set a session cookie", name)
		}
		if strings.Contains(body, "wrong password!") {
			t.Errorf("the login page shows the password back")
		}
	}
	if resp, _ := env.do(t, http.MethodGet, "/admin", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /admin after failed logins = %d, want 303", resp.StatusCode)
	}
}

// t2h is the catalogue text of id as html/template writes it.
func t2h(id string) string {
	return strings.NewReplacer("'", "&#39;", `"`, "&#34;").Replace(t(id))
}

func TestAdminLoginRateLimit(t *testing.T) {
	t.Run("per account", func(t *testing.T) {
		env := newAdminEnv(t, envOptions{trustProxy: true})
		for i := range accounts.LoginAccountFailures {
			// Each guess from its own address: only the account limit applies.
			h := http.Header{"X-Forwarded-For": {"203.0.113." + strconv.Itoa(i+1)}}
			if resp, _ := env.tryLogin(t, testAccount, "wrong password!", h); resp.StatusCode != http.StatusOK {
				t.Fatalf("failure %d = %d, want 200", i+1, resp.StatusCode)
			}
		}
		resp, body := env.tryLogin(t, testAccount, testPassword, http.Header{"X-Forwarded-For": {"198.51.100.7"}})
		ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusTooManyRequests || ra <= 0 || ra > int(accounts.LoginWindow.Seconds()) {
			t.Fatalf("login after %d failures = %d, Retry-After %q; want 429 and 1-900",
				accounts.LoginAccountFailures, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if !strings.Contains(body, t2h("admin.login.limited")) || sessionCookieOf(resp) != nil {
			t.Errorf("429 page lacks the message or sets a session:\n%s", body)
		}
		env.clock.Advance(accounts.LoginWindow)
		env.login(t) // the window has passed
	})
	t.Run("per address, X-Forwarded-For not trusted", func(t *testing.T) {
		env := newAdminEnv(t, envOptions{})
		for i := range accounts.LoginAddressFailures {
			h := http.Header{"X-Forwarded-For": {"203.0.113." + strconv.Itoa(i+1)}} // ignored: counted as 127.0.0.1
			if resp, _ := env.tryLogin(t, "user"+strconv.Itoa(i), "wrong password!", h); resp.StatusCode != http.StatusOK {
				t.Fatalf("failure %d = %d, want 200", i+1, resp.StatusCode)
			}
		}
		if resp, _ := env.tryLogin(t, testAccount, testPassword, nil); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("login after %d failures from one address = %d, want 429 with Retry-After", accounts.LoginAddressFailures, resp.StatusCode)
		}
	})
}

func TestAdminSessionCookie(t *testing.T) {
	tests := []struct {
		name       string
		opts       envOptions
		h          http.Header
		wantSecure bool
	}{
		{"plain HTTP", envOptions{}, nil, false},
		{"TLS", envOptions{tls: true}, nil, true},
		{"proxy says https, trusted", envOptions{trustProxy: true}, http.Header{"X-Forwarded-Proto": {"https"}}, true},
		{"proxy says https, not trusted", envOptions{}, http.Header{"X-Forwarded-Proto": {"https"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newAdminEnv(t, tt.opts)
			resp, _ := env.tryLogin(t, testAccount, testPassword, tt.h)
			c := sessionCookieOf(resp)
			if resp.StatusCode != http.StatusSeeOther || c == nil {
				t.Fatalf("login = %d, session cookie %v; want 303 and a cookie", resp.StatusCode, c)
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tt.wantSecure {
				t.Errorf("session cookie HttpOnly %v, SameSite %v, Secure %v; want true, Strict, %v", c.HttpOnly, c.SameSite, c.Secure, tt.wantSecure)
			}
			if tt.wantSecure && !strings.HasPrefix(env.url, "https:") {
				return // the jar will not send a Secure cookie over http
			}
			resp, body := env.do(t, http.MethodGet, "/admin", nil, nil)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, t2h("admin.dash.open")) {
				t.Fatalf("GET /admin after login = %d:\n%s", resp.StatusCode, body)
			}
			for k, want := range map[string]string{
				"Cache-Control":           "no-store",
				"X-Frame-Options":         "DENY",
				"Content-Security-Policy": "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("GET /admin %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestAdminCSRF(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	// The login form has its own token.
	if resp, _ := env.do(t, http.MethodPost, "/admin/login", url.Values{"account": {testAccount}, "password": {testPassword}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without CSRF = %d, want 403", resp.StatusCode)
	}
	tok := env.login(t)
	for _, tt := range []struct {
		name string
		form url.Values
	}{
		{"no token", url.Values{}},
		{"empty token", url.Values{"csrf": {""}}},
		{"wrong token", url.Values{"csrf": {otherToken(tok)}}},
	} {
		if resp, _ := env.do(t, http.MethodPost, "/admin/logout", tt.form, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("logout with %s = %d, want 403", tt.name, resp.StatusCode)
		}
	}
	if resp, _ := env.do(t, http.MethodGet, "/admin", nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin after refused logouts = %d, want 200", resp.StatusCode)
	}
	resp, _ := env.do(t, http.MethodPost, "/admin/logout", url.Values{"csrf": {tok}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/login" {
		t.Fatalf("logout = %d to %q, want 303 to /admin/login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := env.do(t, http.MethodGet, "/admin", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /admin after logout = %d, want 303", resp.StatusCode)
	}
}

func TestAdminSessionExpired(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	tok := env.login(t)
	env.clock.Advance(accounts.DefaultSessionIdle + time.Minute)
	for _, req := range []struct {
		method string
		form   url.Values
	}{{http.MethodGet, nil}, {http.MethodPost, url.Values{"csrf": {tok}}}} {
		path := "/admin"
		if req.method == http.MethodPost {
			path = "/admin/logout"
		}
		resp, _ := env.do(t, req.method, path, req.form, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/login" {
			t.Errorf("%s %s with an expired session = %d to %q, want 303 to /admin/login", req.method, path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestAdminDashboardOpenIncidents(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	start := time.Date(2021, 4, 6, 7, 2, 0, 0, time.UTC)
	var id uint64
	for i := range 3 { // the engine confirms the outage and opens an incident
		seq, err := env.pipe.Record(t.Context(), probes.Result{Component: "monlycee", Start: start.Add(time.Duration(i) * time.Minute),
			Status: probes.MajorOutage, Steps: []probes.StepResult{{URL: "https://ent.iledefrance.fr/", Outcome: probes.HTTPError, StatusCode: 502}}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			id = seq + 1
		}
	}
	if open := env.pipe.OpenIncidents(); len(open) != 1 || open[0].ID != id {
		t.Fatalf("OpenIncidents() = %+v, want incident %d", open, id)
	}
	env.login(t)
	_, body := env.do(t, http.MethodGet, "/admin", nil, nil)
	for _, want := range []string{">" + strconv.FormatUint(id, 10) + "<", "monlycee", "6 avril 2021 à 9\u00a0h\u00a002", "Indisponible"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

func TestAdminStyleSheet(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	resp, body := env.do(t, http.MethodGet, "/admin/style.css", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, "body{") {
		t.Errorf("GET /admin/style.css = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// localInput formats tm as a datetime-local form value, in Paris time.
func localInput(tm time.Time) string { return tm.In(paris).Format("2006-01-02T15:04") }

func TestAdminForms(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	tok := env.login(t)
	start := time.Now().Add(time.Hour)
	tests := []struct {
		name, path string
		form       url.Values
		want       int
		wantText   []string // on the re-rendered form
	}{
		{"update without CSRF", "/admin/updates", url.Values{"status": {"investigating"}, "title": {"t"}, "body": {"b"}}, http.StatusForbidden, nil},
		{"update with a wrong CSRF", "/admin/updates", url.Values{"csrf": {otherToken(tok)}, "status": {"investigating"}, "title": {"t"}, "body": {"b"}}, http.StatusForbidden, nil},
		{"form too large", "/admin/updates", url.Values{"csrf": {tok}, "status": {"investigating"}, "title": {"t"}, "body": {strings.Repeat("x", 70<<10)}}, http.StatusRequestEntityTooLarge, nil},
		{"statement without CSRF", "/admin/statements", url.Values{"speaker": {"s"}}, http.StatusForbidden, nil},
		{"maintenance without CSRF", "/admin/maintenances", url.Values{"title": {"t"}}, http.StatusForbidden, nil},
		{"update without title", "/admin/updates", url.Values{"csrf": {tok}, "status": {"identified"}, "body": {"Texte saisi"}, "component.pcn": {"partial_outage"}},
			http.StatusBadRequest, []string{"Titre", "Texte saisi", `value="partial_outage" selected`, `value="identified" selected`}},
		{"update of an unknown incident", "/admin/updates", url.Values{"csrf": {tok}, "incident": {"999"}, "status": {"identified"}, "title": {"Titre saisi"}, "body": {"b"}},
			http.StatusBadRequest, []string{t2h("admin.incident.unknown"), `value="999"`, `value="Titre saisi"`}},
		{"statement with a bad date", "/admin/statements", url.Values{"csrf": {tok}, "speaker": {"Le recteur"}, "said_at": {"hier"}, "quote": {"q"}, "source_url": {"https://example.org/"}},
			http.StatusBadRequest, []string{t2h("field.said_at"), `value="Le recteur"`, `value="hier"`}},
		{"maintenance without component", "/admin/maintenances", url.Values{"csrf": {tok}, "title": {"Migration"}, "status": {"scheduled"}, "start": {localInput(start)}, "end": {localInput(start.Add(time.Hour))}},
			http.StatusBadRequest, []string{t2h("field.components"), `value="Migration"`}},
		{"update", "/admin/updates", url.Values{"csrf": {tok}, "status": {"investigating"}, "impact": {"minor"}, "title": {"Lenteurs"}, "body": {"On regarde."}, "component.monlycee": {"degraded_performance"}},
			http.StatusSeeOther, nil},
		{"statement", "/admin/statements", url.Values{"csrf": {tok}, "speaker": {"Le recteur"}, "said_at": {localInput(time.Now().Add(-time.Hour))}, "quote": {"Tout va bien."}, "source_url": {"https://example.org/a"}},
			http.StatusSeeOther, nil},
		{"maintenance", "/admin/maintenances", url.Values{"csrf": {tok}, "title": {"Migration"}, "status": {"scheduled"}, "components": {"pcn"}, "start": {localInput(start)}, "end": {localInput(start.Add(time.Hour))}},
			http.StatusSeeOther, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.do(t, http.MethodPost, tt.path, tt.form, nil)
			if resp.StatusCode != tt.want {
				t.Fatalf("POST %s = %d, want %d:\n%s", tt.path, resp.StatusCode, tt.want, body)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(body, want) {
					t.Errorf("re-rendered form lacks %q:\n%s", want, body)
				}
			}
		})
	}
	for _, path := range []string{"/admin/updates/new?incident=7", "/admin/statements/new", "/admin/maintenances/new"} {
		if resp, body := env.do(t, http.MethodGet, path, nil, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="csrf" value="`+tok+`"`) {
			t.Errorf("GET %s = %d, want 200 with the session's CSRF token", path, resp.StatusCode)
		}
	}
	_, body := env.do(t, http.MethodGet, "/admin", nil, nil)
	for _, want := range []string{"Lenteurs", "On regarde.", "Le recteur", "Tout va bien.", "https://example.org/a", "Migration",
		"account.login", "incident.create", "statement.create", "maintenance.create"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if len(env.admin.ManualIncidents()) != 1 || len(env.admin.AllStatements()) != 1 || len(env.admin.Maintenances()) != 1 {
		t.Errorf("recorded %d incidents, %d statements, %d maintenances; want 1 each (refused forms record nothing)",
			len(env.admin.ManualIncidents()), len(env.admin.AllStatements()), len(env.admin.Maintenances()))
	}
}

// Login and logout are audited, with nothing secret or personal.
func TestAdminAuditLoginLogout(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	env.tryLogin(t, testAccount, "wrong password!", nil) // not audited: only the limiter counts it
	tok := env.login(t)
	env.do(t, http.MethodPost, "/admin/logout", url.Values{"csrf": {tok}}, nil)
	trail := env.admin.AuditTrail(0)
	var actions []string
	for _, au := range trail {
		actions = append(actions, au.Actor+" "+au.Action)
		for _, s := range []string{au.Actor, au.Action, au.Detail} {
			if strings.Contains(s, testPassword) || strings.Contains(s, "127.0.0.1") || strings.Contains(s, tok) {
				t.Errorf("audit record %+v holds a secret or an address", au)
			}
		}
	}
	if want := []string{"alice account.logout", "alice account.login"}; !slices.Equal(actions, want) {
		t.Errorf("AuditTrail = %q, want %q", actions, want)
	}
}

// Every admin text field is shown inert: escaped as text, or sanitised
// Markdown.
func TestAdminDashboardXSS(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	csrf := env.login(t)
	payloads := []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`"><svg onload=alert(1)>`,
		`javascript:alert(1)`,
		`[clic](javascript:alert(1))`,
		`<a href="javascript:alert(1)">x</a>`,
	}
	tok := env.token(t, accounts.ScopeIncidentsWrite, accounts.ScopeStatementsWrite, accounts.ScopeMaintenanceWrite)
	soon := time.Now().Add(time.Hour).UTC()
	said := time.Now().Add(-time.Hour).Format(time.RFC3339)
	for i, p := range payloads {
		q, _ := json.Marshal(p)
		resp, _ := env.do(t, http.MethodPost, "/admin/updates", url.Values{"csrf": {csrf}, "status": {"investigating"}, "title": {p}, "body": {p}}, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("update with payload %d = %d, want 303", i, resp.StatusCode)
		}
		src, _ := json.Marshal(`https://example.org/` + p)
		if resp, out := env.api(t, "/api/admin/v1/statements", tok, `{"speaker":`+string(q)+`,"quote":`+string(q)+`,"said_at":"`+said+`","source_url":`+string(src)+`}`); resp.StatusCode != http.StatusCreated {
			t.Fatalf("statement with payload %d = %d %v, want 201", i, resp.StatusCode, out)
		}
		start := soon.Add(time.Duration(i) * time.Hour)
		if resp, out := env.api(t, "/api/admin/v1/maintenances", tok, `{"title":`+string(q)+`,"body":`+string(q)+`,"components":["pcn"],"start":"`+
			start.Format(time.RFC3339)+`","end":"`+start.Add(time.Hour).Format(time.RFC3339)+`"}`); resp.StatusCode != http.StatusCreated {
			t.Fatalf("maintenance with payload %d = %d %v, want 201", i, resp.StatusCode, out)
		}
	}
	_, body := env.do(t, http.MethodGet, "/admin", nil, nil)
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("dashboard does not show the payloads as text:\n%s", body)
	}
	dangerous := regexp.MustCompile(`(?i)<script|<svg|<[^>]*\son[a-z]+\s*=|(href|src|action|formaction)\s*=\s*["']?\s*javascript:`)
	if m := dangerous.FindAllString(body, -1); m != nil {
		t.Errorf("dashboard has live markup %q:\n%s", m, body)
	}
}

// auditActions returns the actions of the whole audit trail.
func auditActions(e *adminEnv) []string {
	var out []string
	for _, au := range e.admin.AuditTrail(0) {
		out = append(out, au.Action)
	}
	return out
}

func TestAdminFormRevisions(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	csrf := env.login(t)
	start := time.Now().Add(time.Hour)
	said := localInput(time.Now().Add(-time.Hour))
	post := func(t *testing.T, path string, form url.Values, want int) string {
		t.Helper()
		resp, body := env.do(t, http.MethodPost, path, form, nil)
		if resp.StatusCode != want {
			t.Fatalf("POST %s %v = %d, want %d:\n%s", path, form, resp.StatusCode, want, body)
		}
		return body
	}
	get := func(t *testing.T, path string, wants ...string) {
		t.Helper()
		resp, body := env.do(t, http.MethodGet, path, nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200:\n%s", path, resp.StatusCode, body)
		}
		for _, want := range wants {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %q:\n%s", path, want, body)
			}
		}
	}

	post(t, "/admin/updates", url.Values{"csrf": {csrf}, "status": {"investigating"}, "impact": {"minor"}, "title": {"Lenteurs"},
		"body": {"On regarde."}, "component.monlycee": {"degraded_performance"}}, http.StatusSeeOther)
	post(t, "/admin/statements", url.Values{"csrf": {csrf}, "speaker": {"Le recteur"}, "said_at": {said}, "quote": {"Tout va bien."},
		"source_url": {"https://example.org/a"}}, http.StatusSeeOther)
	post(t, "/admin/maintenances", url.Values{"csrf": {csrf}, "title": {"Migration"}, "status": {"scheduled"}, "components": {"pcn"},
		"start": {localInput(start)}, "end": {localInput(start.Add(time.Hour))}}, http.StatusSeeOther)
	inc := env.admin.ManualIncidents()[0]
	id := strconv.FormatUint(inc, 10)
	upd := strconv.FormatUint(env.admin.Updates(inc)[0].Seq, 10)
	stmt := strconv.FormatUint(env.admin.AllStatements()[0].Seq, 10)
	maint := strconv.FormatUint(env.admin.Maintenances()[0].Seq, 10)

	// The dashboard links to the pre-filled forms.
	updForm := "/admin/updates/new?incident=" + id + "&revises=" + upd
	stmtForm := "/admin/statements/new?revises=" + stmt
	maintForm := "/admin/maintenances/new?revises=" + maint
	get(t, "/admin", strings.ReplaceAll(updForm, "&", "&amp;"), stmtForm, maintForm, t2h("admin.dash.correct"))
	get(t, updForm, `name="revises" value="`+upd+`"`, `value="Lenteurs"`, "On regarde.", `value="investigating" selected`,
		`value="minor" selected`, `value="degraded_performance" selected`, t2h("admin.revise.update"))
	get(t, stmtForm, `name="revises" value="`+stmt+`"`, `value="Le recteur"`, "Tout va bien.", `value="https://example.org/a"`, `value="`+said+`"`)
	get(t, maintForm, `name="revises" value="`+maint+`"`, `value="Migration"`, `value="pcn" checked`, `value="`+localInput(start)+`"`, `value="scheduled" selected`)
	for _, path := range []string{"/admin/updates/new?incident=" + id + "&revises=abc", "/admin/updates/new?revises=" + upd,
		"/admin/statements/new?revises=999", "/admin/maintenances/new?revises=" + stmt} {
		if resp, _ := env.do(t, http.MethodGet, path, nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}

	updRev := url.Values{"csrf": {csrf}, "revises": {upd}, "incident": {id}, "status": {"identified"}, "impact": {"major"},
		"title": {"Panne de connexion"}, "body": {"Cause trouvée."}, "component.monlycee": {"major_outage"}}
	stmtRev := url.Values{"csrf": {csrf}, "revises": {stmt}, "speaker": {"Le recteur"}, "said_at": {said}, "quote": {"Presque tout va bien."},
		"source_url": {"https://example.org/a"}}
	maintRev := url.Values{"csrf": {csrf}, "revises": {maint}, "title": {"Migration du serveur"}, "status": {"scheduled"}, "components": {"pcn"},
		"start": {localInput(start)}, "end": {localInput(start.Add(2 * time.Hour))}}
	without := func(f url.Values, key string) url.Values {
		g := url.Values{}
		for k, v := range f {
			if k != key {
				g[k] = v
			}
		}
		return g
	}
	post(t, "/admin/updates", without(updRev, "csrf"), http.StatusForbidden)
	post(t, "/admin/statements", without(stmtRev, "csrf"), http.StatusForbidden)
	post(t, "/admin/maintenances", without(maintRev, "csrf"), http.StatusForbidden)
	post(t, "/admin/updates", updRev, http.StatusSeeOther)
	post(t, "/admin/statements", stmtRev, http.StatusSeeOther)
	post(t, "/admin/maintenances", maintRev, http.StatusSeeOther)
	// The old seqs are no longer current: the forms come back with the error.
	for _, f := range []struct {
		path string
		form url.Values
	}{{"/admin/updates", updRev}, {"/admin/statements", stmtRev}, {"/admin/maintenances", maintRev}} {
		if body := post(t, f.path, f.form, http.StatusBadRequest); !strings.Contains(body, t2h("field.revises")) || !strings.Contains(body, `name="revises" value="`) {
			t.Errorf("POST %s of an old revision lacks the revises error or field:\n%s", f.path, body)
		}
	}
	bad := without(updRev, "revises")
	bad.Set("revises", "x1")
	post(t, "/admin/updates", bad, http.StatusBadRequest)

	get(t, "/admin", "Panne de connexion", "Lenteurs", "Presque tout va bien.", "Tout va bien.", "Migration du serveur", "Migration",
		"<details>", "("+t2h("admin.dash.revised")+" 1 "+t2h("admin.dash.times")+")",
		incidents.ActionUpdateRevise, incidents.ActionStatementRevise, incidents.ActionMaintenanceRevise)
	ups := env.admin.Updates(inc)
	if len(ups) != 1 || ups[0].Title != "Panne de connexion" || len(ups[0].Revisions) != 1 || ups[0].Revisions[0].Title != "Lenteurs" {
		t.Errorf("Updates = %+v, want the correction with the first revision", ups)
	}
	if n := len(env.admin.ManualIncidents()); n != 1 {
		t.Errorf("%d manual incidents, want 1: a correction opens none", n)
	}
	actions := strings.Join(auditActions(env), " ")
	for _, want := range []string{incidents.ActionUpdateRevise, incidents.ActionStatementRevise, incidents.ActionMaintenanceRevise} {
		if n := strings.Count(actions, want); n != 1 {
			t.Errorf("audit trail %q has %s %d times, want once", actions, want, n)
		}
	}
	for _, au := range env.admin.AuditTrail(3) {
		if au.Actor != testAccount {
			t.Errorf("audit record %+v, want actor %s", au, testAccount)
		}
	}
}
