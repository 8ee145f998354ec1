package ui

import (
	"net/http"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/accounts"
)

// Seen: invalid UTF-8 and lone surrogates silently replaced, "SPEAKER"
// accepted for "speaker", the last of two "title" members kept, a body
// without Content-Type accepted, and bidirectional controls stored in
// titles, names and quotes. Each is now refused with 400 and the field.
func TestAdminJSONStrict(t *testing.T) {
	env := newAdminEnv(t, envOptions{})
	tok := env.token(t, accounts.ScopeStatementsWrite, accounts.ScopeIncidentsWrite)
	said := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	stmt := func(speaker, quote string) string {
		return `{"speaker":"` + speaker + `","said_at":"` + said + `","quote":"` + quote + `","source_url":"https://example.org/"}`
	}
	const json = "application/json"
	tests := []struct {
		name, path, contentType, body string
		want                          int
		field                         string
	}{
		{"valid", "/api/admin/v1/statements", json, stmt("Le ministre", "Tout fonctionne."), http.StatusCreated, ""},
		{"charset parameter", "/api/admin/v1/statements", "application/json; charset=utf-8", stmt("Le ministre", "Tout va bien."), http.StatusCreated, ""},
		{"invalid UTF-8", "/api/admin/v1/statements", json, stmt("Le minist\xffre", "q"), http.StatusBadRequest, "speaker"},
		{"lone surrogate", "/api/admin/v1/statements", json, stmt("Le ministre", `Tout \ud800 va bien`), http.StatusBadRequest, "quote"},
		{"key in another case", "/api/admin/v1/statements", json, `{"SPEAKER":"Le ministre","said_at":"` + said + `","quote":"q","source_url":"https://example.org/"}`, http.StatusBadRequest, "SPEAKER"},
		{"duplicate key", "/api/admin/v1/incidents", json, `{"status":"investigating","title":"Panne","title":"Tout va bien","body":"b"}`, http.StatusBadRequest, "title"},
		{"no Content-Type", "/api/admin/v1/statements", "", stmt("Le ministre", "q"), http.StatusBadRequest, ""},
		{"text/plain", "/api/admin/v1/statements", "text/plain", stmt("Le ministre", "q"), http.StatusBadRequest, ""},
		{"json suffix is not json", "/api/admin/v1/statements", "application/jsonp", stmt("Le ministre", "q"), http.StatusBadRequest, ""},
		{"right-to-left override in a title", "/api/admin/v1/incidents", json, "{\"status\":\"investigating\",\"title\":\"Panne \u202Eetnap\",\"body\":\"b\"}", http.StatusBadRequest, "title"},
		{"isolate in a name", "/api/admin/v1/statements", json, stmt("Le \u2066ministre\u2069", "q"), http.StatusBadRequest, "speaker"},
		{"embedding in a quote, escaped", "/api/admin/v1/statements", json, stmt("Le ministre", `Tout \u202a va`), http.StatusBadRequest, "quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.apiAs(t, tt.path, tok, tt.contentType, tt.body)
			if resp.StatusCode != tt.want {
				t.Fatalf("POST %s (%s) = %d %v, want %d", tt.path, tt.name, resp.StatusCode, body, tt.want)
			}
			if tt.want == http.StatusBadRequest {
				if f, _ := body["field"].(string); f != tt.field || body["error"] == "" {
					t.Errorf("POST %s (%s) = %v, want an error on field %q", tt.path, tt.name, body, tt.field)
				}
			}
		})
	}
}
