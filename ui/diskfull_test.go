package ui

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/constat-ent/constat/incidents/timeline/fulldisk"
)

// Seen: with the disk full, /healthz said ok while every write failed, and
// an admin write got 500. Now /healthz answers 503 naming the cause, the
// metric counts the failed commits, an admin write answers 503 with a
// clear message, and all is well again once space returns.
func TestDiskFull(t *testing.T) {
	dir, filler := fulldisk.Mount(t, 256<<10)
	env := newAdminEnv(t, envOptions{dir: dir})
	tok := env.token(t, accounts.ScopeStatementsWrite)
	var failed bool
	for i := range 20000 {
		r := quotaRound(0, true)
		r.Start = r.Start.Add(time.Duration(i) * time.Second)
		if _, err := env.pipe.Record(t.Context(), r); err != nil {
			failed = true
			break
		}
	}
	if !failed {
		t.Fatal("20,000 rounds fitted in the full disk")
	}
	get := func(path string) (int, string) {
		resp, err := env.client.Get(env.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "no space left on device") {
		t.Errorf("GET /healthz on a full disk = %d %q, want 503 naming the full disk", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "\nconstat_timeline_commit_failures_total 1\n") {
		t.Errorf("/metrics lacks constat_timeline_commit_failures_total 1")
	}
	// The failed commit gave some pages back: write statements of 4.7 kB
	// until the disk is full again.
	said := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	stmt := `{"speaker":"Ministre","said_at":"` + said + `","quote":"` + strings.Repeat("Tout fonctionne. ", 280) + `","source_url":"https://example.org/"}`
	refused := false
	for range 400 {
		resp, body := env.api(t, "/api/admin/v1/statements", tok, stmt)
		if resp.StatusCode == http.StatusCreated {
			continue
		}
		if msg, _ := body["error"].(string); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(msg, "storage full") {
			t.Errorf("admin write on a full disk = %d %v, want 503 storage full", resp.StatusCode, body)
		}
		refused = true
		break
	}
	if !refused {
		t.Errorf("400 statements of 4.7 kB fitted in the full disk")
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if resp, body := env.api(t, "/api/admin/v1/statements", tok, stmt); resp.StatusCode != http.StatusCreated {
		t.Errorf("admin write once space returned = %d %v, want 201", resp.StatusCode, body)
	}
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz once space returned = %d %q, want 200", code, body)
	}
}
