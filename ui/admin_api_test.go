package ui

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/accounts"
)

// api posts body as JSON with the bearer token tok ("" for none) and
// returns the status and the decoded JSON answer.
func (e *adminEnv) api(t *testing.T, path, tok, body string) (*http.Response, map[string]any) {
	t.Helper()
	return e.apiAs(t, path, tok, "application/json", body)
}

// apiAs is api with the Content-Type contentType ("" for none).
func (e *adminEnv) apiAs(t *testing.T, path, tok, contentType, body string) (*http.Response, map[string]any) {
	t.Helper()
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	if tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("POST %s: decode answer: %v", path, err)
		}
	}
	return resp, out
}

func (e *adminEnv) token(t *testing.T, scopes ...accounts.Scope) string {
	t.Helper()
	tok, err := e.accounts.NewToken(testAccount, scopes, "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

const validIncident = `{"status":"investigating","impact":"major","title":"Connexion impossible","body":"On cherche.","components":[{"component":"monlycee","status":"major_outage"}]}`

func TestAdminAPIAuth(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	stmtOnly := env.token(t, accounts.ScopeStatementsWrite)
	tests := []struct {
		name, path, tok string
		want            int
	}{
		{"no token", "/api/admin/v1/incidents", "", http.StatusUnauthorized},
		{"malformed token", "/api/admin/v1/incidents", "nope", http.StatusUnauthorized},
		{"unknown token", "/api/admin/v1/incidents", "cst_" + strings.Repeat("A", 43), http.StatusUnauthorized},
		{"token without incidents:write", "/api/admin/v1/incidents", stmtOnly, http.StatusForbidden},
		{"token without incidents:write, update", "/api/admin/v1/incidents/1/updates", stmtOnly, http.StatusForbidden},
		{"token without maintenance:write", "/api/admin/v1/maintenances", stmtOnly, http.StatusForbidden},
		{"token without statements:write", "/api/admin/v1/statements", env.token(t, accounts.ScopeIncidentsWrite), http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, out := env.api(t, tt.path, tt.tok, validIncident)
			if resp.StatusCode != tt.want || out["error"] == nil {
				t.Fatalf("POST %s = %d %v, want %d with a JSON error", tt.path, resp.StatusCode, out, tt.want)
			}
			if tt.want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 WWW-Authenticate = %q, want Bearer …", resp.Header.Get("WWW-Authenticate"))
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
			}
		})
	}
	if n := len(env.admin.ManualIncidents()); n != 0 {
		t.Errorf("refused requests created %d incidents", n)
	}
}

func TestAdminAPIRequests(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	tok := env.token(t, accounts.ScopeIncidentsWrite, accounts.ScopeStatementsWrite, accounts.ScopeMaintenanceWrite)
	soon := time.Now().Add(time.Hour).UTC()
	start, end := soon.Format(time.RFC3339), soon.Add(time.Hour).Format(time.RFC3339)
	said := time.Now().Add(-time.Hour).Format(time.RFC3339)

	resp, out := env.api(t, "/api/admin/v1/incidents", tok, validIncident)
	if resp.StatusCode != http.StatusCreated || out["seq"] == nil || out["incident"] != out["seq"].(float64)+1 {
		t.Fatalf("create incident = %d %v, want 201 with seq and incident = seq+1", resp.StatusCode, out)
	}
	inc := strconv.FormatFloat(out["incident"].(float64), 'f', 0, 64)

	tests := []struct {
		name, path, body string
		want             int
		field            string // of a 400's answer
	}{
		{"too large", "/api/admin/v1/incidents", `{"title":"` + strings.Repeat("x", 70<<10) + `"}`, http.StatusRequestEntityTooLarge, ""},
		{"unknown field", "/api/admin/v1/incidents", `{"status":"investigating","titel":"x"}`, http.StatusBadRequest, "titel"},
		{"not JSON", "/api/admin/v1/incidents", `status=investigating`, http.StatusBadRequest, ""},
		{"two objects", "/api/admin/v1/incidents", validIncident + validIncident, http.StatusBadRequest, ""},
		{"wrong type", "/api/admin/v1/incidents", `{"title":3}`, http.StatusBadRequest, "title"},
		{"bad status", "/api/admin/v1/incidents", `{"status":"fine","title":"t","body":"b"}`, http.StatusBadRequest, "status"},
		{"missing title", "/api/admin/v1/incidents", `{"status":"investigating","body":"b"}`, http.StatusBadRequest, "title"},
		{"unknown component", "/api/admin/v1/incidents", `{"status":"investigating","title":"t","body":"b","components":[{"component":"nope","status":"major_outage"}]}`, http.StatusBadRequest, "components[0]"},
		{"bad component status", "/api/admin/v1/incidents", `{"status":"investigating","title":"t","body":"b","components":[{"component":"pcn","status":"down"}]}`, http.StatusBadRequest, "components[0].status"},
		{"update of unknown incident", "/api/admin/v1/incidents/999/updates", validIncident, http.StatusNotFound, ""},
		{"update", "/api/admin/v1/incidents/" + inc + "/updates", `{"status":"resolved","title":"Rétabli","body":"Fini."}`, http.StatusCreated, ""},
		{"statement, bad time", "/api/admin/v1/statements", `{"speaker":"Ministre","said_at":"hier","quote":"q","source_url":"https://example.org/"}`, http.StatusBadRequest, "said_at"},
		{"statement, javascript: source", "/api/admin/v1/statements", `{"speaker":"Ministre","said_at":"` + said + `","quote":"q","source_url":"javascript:alert(1)"}`, http.StatusBadRequest, "source_url"},
		{"statement", "/api/admin/v1/statements", `{"incident":` + inc + `,"speaker":"Ministre","said_at":"` + said + `","quote":"Tout fonctionne.","source_url":"https://example.org/"}`, http.StatusCreated, ""},
		{"maintenance, end before start", "/api/admin/v1/maintenances", `{"title":"Mise à jour","components":["pcn"],"start":"` + end + `","end":"` + start + `"}`, http.StatusBadRequest, "end"},
		{"maintenance, bad time", "/api/admin/v1/maintenances", `{"title":"Mise à jour","components":["pcn"],"start":"2026-13-01T00:00:00Z","end":"` + end + `"}`, http.StatusBadRequest, "start"},
		{"maintenance", "/api/admin/v1/maintenances", `{"title":"Mise à jour","components":["pcn"],"start":"` + start + `","end":"` + end + `"}`, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, out := env.api(t, tt.path, tok, tt.body)
			if resp.StatusCode != tt.want {
				t.Fatalf("POST %s = %d %v, want %d", tt.path, resp.StatusCode, out, tt.want)
			}
			switch {
			case tt.want == http.StatusCreated && out["seq"] == nil:
				t.Errorf("201 answer %v lacks seq", out)
			case tt.want >= 400 && out["error"] == nil:
				t.Errorf("%d answer %v lacks error", tt.want, out)
			case tt.field != "" && out["field"] != tt.field:
				t.Errorf("400 answer %v: field %v, want %q", out, out["field"], tt.field)
			}
		})
	}
	if got := env.admin.Updates(uint64(out["incident"].(float64))); len(got) != 2 {
		t.Errorf("incident %s has %d updates, want 2", inc, len(got))
	}
	if got := env.admin.Maintenances(); len(got) != 1 || got[0].Author != testAccount {
		t.Errorf("Maintenances() = %+v, want one by %s", got, testAccount)
	}
}

// seqOf returns the seq of an API answer, as the path segment of a revision.
func seqOf(t *testing.T, out map[string]any) string {
	t.Helper()
	f, ok := out["seq"].(float64)
	if !ok {
		t.Fatalf("answer %v lacks seq", out)
	}
	return strconv.FormatFloat(f, 'f', 0, 64)
}

// firstRoot checks the answer to a first revision: its root is its own
// seq, whatever the kind (seen: "root": 0 for an update).
func firstRoot(t *testing.T, kind string, out map[string]any) {
	t.Helper()
	if root, ok := out["root"].(float64); !ok || strconv.FormatFloat(root, 'f', 0, 64) != seqOf(t, out) {
		t.Errorf("%s answer %v: root is not its own seq", kind, out)
	}
}

func TestAdminAPIRevisions(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	tok := env.token(t, accounts.ScopeIncidentsWrite, accounts.ScopeStatementsWrite, accounts.ScopeMaintenanceWrite)
	soon := time.Now().Add(time.Hour).UTC()
	start, end := soon.Format(time.RFC3339), soon.Add(time.Hour).Format(time.RFC3339)
	said := time.Now().Add(-time.Hour).Format(time.RFC3339)
	statement := `{"speaker":"Ministre","said_at":"` + said + `","quote":"Tout fonctionne.","source_url":"https://example.org/"}`
	maintenance := `{"title":"Mise à jour","components":["pcn"],"start":"` + start + `","end":"` + end + `"}`

	_, out := env.api(t, "/api/admin/v1/incidents", tok, validIncident)
	upd := seqOf(t, out)
	firstRoot(t, "update", out)
	_, out = env.api(t, "/api/admin/v1/statements", tok, statement)
	stmt := seqOf(t, out)
	firstRoot(t, "statement", out)
	_, out = env.api(t, "/api/admin/v1/maintenances", tok, maintenance)
	maint := seqOf(t, out)
	firstRoot(t, "maintenance", out)

	// Each kind: a revision of the current revision is recorded; a second
	// one naming the old seq is refused, field revises.
	kinds := []struct {
		name, path, body string
	}{
		{"update", "/api/admin/v1/updates/" + upd + "/revisions", `{"status":"investigating","impact":"major","title":"Connexion impossible (corrigé)","body":"On cherche encore."}`},
		{"statement", "/api/admin/v1/statements/" + stmt + "/revisions", strings.Replace(statement, "Tout fonctionne.", "Presque tout fonctionne.", 1)},
		{"maintenance", "/api/admin/v1/maintenances/" + maint + "/revisions", strings.Replace(maintenance, "Mise à jour", "Mise à jour (corrigée)", 1)},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			resp, out := env.api(t, k.path, tok, k.body)
			if resp.StatusCode != http.StatusCreated || out["seq"] == nil || seqOf(t, out) == strings.Split(k.path, "/")[5] {
				t.Fatalf("POST %s = %d %v, want 201 with a new seq", k.path, resp.StatusCode, out)
			}
			if root := strconv.FormatFloat(out["root"].(float64), 'f', 0, 64); root != strings.Split(k.path, "/")[5] {
				t.Errorf("root = %s, want the first revision's seq", root)
			}
			resp, out = env.api(t, k.path, tok, k.body)
			if resp.StatusCode != http.StatusBadRequest || out["field"] != "revises" {
				t.Errorf("second revision of the old seq = %d %v, want 400 with field revises", resp.StatusCode, out)
			}
		})
	}

	tests := []struct {
		name, path, tok string
		want            int
		field           string
	}{
		{"seq not a number", "/api/admin/v1/updates/abc/revisions", tok, http.StatusBadRequest, "revises"},
		{"seq zero", "/api/admin/v1/statements/0/revisions", tok, http.StatusBadRequest, "revises"},
		{"seq negative", "/api/admin/v1/maintenances/-1/revisions", tok, http.StatusBadRequest, "revises"},
		{"seq overflows", "/api/admin/v1/updates/18446744073709551616/revisions", tok, http.StatusBadRequest, "revises"},
		{"unknown seq", "/api/admin/v1/updates/999/revisions", tok, http.StatusBadRequest, "revises"},
		{"seq of another kind", "/api/admin/v1/updates/" + stmt + "/revisions", tok, http.StatusBadRequest, "revises"},
		{"no token", "/api/admin/v1/updates/" + upd + "/revisions", "", http.StatusUnauthorized, ""},
		{"token without incidents:write", "/api/admin/v1/updates/" + upd + "/revisions", env.token(t, accounts.ScopeStatementsWrite), http.StatusForbidden, ""},
		{"token without statements:write", "/api/admin/v1/statements/" + stmt + "/revisions", env.token(t, accounts.ScopeIncidentsWrite), http.StatusForbidden, ""},
		{"token without maintenance:write", "/api/admin/v1/maintenances/" + maint + "/revisions", env.token(t, accounts.ScopeIncidentsWrite), http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, out := env.api(t, tt.path, tt.tok, kinds[0].body)
			if resp.StatusCode != tt.want || out["error"] == nil {
				t.Fatalf("POST %s = %d %v, want %d with a JSON error", tt.path, resp.StatusCode, out, tt.want)
			}
			if tt.field != "" && out["field"] != tt.field {
				t.Errorf("answer %v: field %v, want %q", out, out["field"], tt.field)
			}
		})
	}

	ups := env.admin.Updates(env.admin.ManualIncidents()[0])
	if len(ups) != 1 || len(ups[0].Revisions) != 1 || ups[0].Title != "Connexion impossible (corrigé)" || ups[0].Revisions[0].Title != "Connexion impossible" {
		t.Errorf("Updates = %+v, want one update with its corrected title and the first revision", ups)
	}
	if ss := env.admin.AllStatements(); len(ss) != 1 || len(ss[0].Revisions) != 1 || ss[0].Quote != "Presque tout fonctionne." {
		t.Errorf("AllStatements = %+v, want one statement revised once", ss)
	}
	if ms := env.admin.Maintenances(); len(ms) != 1 || len(ms[0].Revisions) != 1 || ms[0].Title != "Mise à jour (corrigée)" {
		t.Errorf("Maintenances = %+v, want one maintenance revised once", ms)
	}
	actions := auditActions(env)
	for _, want := range []string{incidents.ActionUpdateRevise, incidents.ActionStatementRevise, incidents.ActionMaintenanceRevise} {
		if n := strings.Count(strings.Join(actions, " "), want); n != 1 {
			t.Errorf("audit trail %q has %s %d times, want once", actions, want, n)
		}
	}
}

// otherToken returns tok with its first character changed: a token that
// differs from tok whatever tok is.
func otherToken(tok string) string {
	if tok[0] == 'x' {
		return "y" + tok[1:]
	}
	return "x" + tok[1:]
}
