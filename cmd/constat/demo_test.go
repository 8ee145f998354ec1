package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDemo runs the demo on 127.0.0.1 with dataDir until the test ends,
// and returns what it printed once it serves.
func startDemo(t *testing.T, dataDir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- demo(ctx, serveOptions{listen: "127.0.0.1:0", dataDir: dataDir}, time.Hour, &out) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo returned %v", err)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "admin pages at") {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("demo stopped before serving: %v; it printed %q", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo not serving after 20 s; it printed %q", out.String())
		}
	}
	return out.String()
}

// Seen: `constat demo -data DIR` failed when DIR did not exist (serve
// creates it).
func TestDemoCreatesDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet")
	out := startDemo(t, dir)
	if !strings.Contains(out, filepath.Join(dir, "demo.yaml")) {
		t.Errorf("demo printed %q, want its config in %s", out, dir)
	}
}

// Seen: the demo checked name="password" on ODE login pages, which
// config.example.yaml says fails on a healthy ODE site (the field comes
// from a template the browser loads later). The demo checks them as the
// example does: the login URL, impact partial, no body marker.
func TestDemoConfigIsLikeTheExample(t *testing.T) {
	dir := t.TempDir()
	startDemo(t, dir)
	cfg, err := probes.LoadConfig(filepath.Join(dir, "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	logins := 0
	for _, c := range cfg.Components {
		if c.Operator != "Open Digital Education" {
			continue
		}
		if len(c.Steps) != 2 {
			t.Errorf("%s: %d steps, want the home page and the login page", c.ID, len(c.Steps))
			continue
		}
		login := c.Steps[1]
		if login.URL == nil || !strings.HasSuffix(login.URL.Path, "/auth/login") || len(login.FailIfBodyNotMatches) != 0 {
			t.Errorf("%s: login step %+v, want GET …/auth/login with no body marker, as config.example.yaml", c.ID, login)
		}
		logins++
	}
	if logins == 0 {
		t.Errorf("demo config has no ODE login step")
	}
}

// The demo prints an admin API token that works at once, with the curl
// command to try it.
func TestDemoPrintsAToken(t *testing.T) {
	out := startDemo(t, t.TempDir())
	addr := regexp.MustCompile(`open http://([^/]+)/`).FindStringSubmatch(out)
	tok := regexp.MustCompile(`admin API token \(every scope\): (cst_\S+)`).FindStringSubmatch(out)
	if addr == nil || tok == nil || !strings.Contains(out, "curl -H 'Authorization: Bearer "+tok[1]+"' -H 'Content-Type: application/json' -d '{") {
		t.Fatalf("demo printed %q, want its address, a token and a curl example", out)
	}
	said := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+addr[1]+"/api/admin/v1/statements",
		strings.NewReader(`{"speaker":"Le ministre","said_at":"`+said+`","quote":"Tout fonctionne.","source_url":"https://example.org/"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok[1])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("POST /api/admin/v1/statements with the demo's token = %d, want 201", resp.StatusCode)
	}
}
