package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
	"github.com/constat-ent/constat/probes/sim"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// fastConfig writes and loads a config of the given portals probed every second.
func fastConfig(t *testing.T, portals map[string]string, order ...string) *config {
	t.Helper()
	path := writeConfig(t, portals, order...)
	raw, _ := os.ReadFile(path)
	fast := strings.NewReplacer("interval: 10s", "interval: 1s", "timeout: 2s", "timeout: 800ms", "degraded_after: 1s", "degraded_after: 500ms")
	os.WriteFile(path, []byte(fast.Replace(string(raw))), 0o644)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startServe runs serve on 127.0.0.1 and returns its base URL and a stop
// function that cancels it and fails the test unless it returns nil in time.
func startServe(t *testing.T, cfg *config, dataDir string) (base string, stop func()) {
	t.Helper()
	return startServeWith(t, serveOptions{cfg: cfg, dataDir: dataDir, workers: 4})
}

// startServeWith is startServe with o (listen and ready are set here).
func startServeWith(t *testing.T, o serveOptions) (base string, stop func()) {
	t.Helper()
	addrc := make(chan string, 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	o.listen, o.ready = "127.0.0.1:0", func(a string) { addrc <- a }
	go func() { done <- serve(ctx, o) }()
	select {
	case a := <-addrc:
		base = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("serve returned before listening: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("serve did not listen within 10s")
	}
	return base, func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve() = %v, want nil after cancel", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop within 15s of cancel")
		}
	}
}

func TestServeRecordsAndPublishes(t *testing.T) {
	healthy := sim.Start(t, sim.Healthy)
	white := sim.Start(t, sim.WhitePage)
	cfg := fastConfig(t, map[string]string{"lycees": healthy.URL(), "cned": white.URL()}, "lycees", "cned")
	dataDir := t.TempDir()
	base, stop := startServe(t, cfg, dataDir)

	if code, body := get(t, base+"/api/v2/status.json"); code != 200 || !strings.Contains(body, `"indicator"`) {
		t.Errorf("/api/v2/status.json = %d %q", code, body)
	}
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	// Both components are measured within a few intervals.
	deadline := time.Now().Add(15 * time.Second)
	var metrics string
	for time.Now().Before(deadline) {
		_, metrics = get(t, base+"/metrics")
		if strings.Contains(metrics, `probe_success{component="lycees",step="1"} 1`) &&
			strings.Contains(metrics, `probe_success{component="cned",step="1"} 0`) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{
		`probe_success{component="lycees",step="1"} 1`,
		`probe_success{component="cned",step="1"} 0`,
		`probe_http_status_code{component="cned",step="1"} 200`,
		`probe_http_duration_seconds{component="lycees",phase="connect",step="1"}`,
		`probe_duration_seconds{component="lycees",step="1"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	code, page := get(t, base+"/")
	if code != 200 || !strings.Contains(page, `lang="fr"`) || !strings.Contains(page, "page « service indisponible »") || !strings.Contains(page, "Fonctionne") {
		t.Errorf("/ = %d, want the French page showing the white page as saturation and the lycées up:\n%s", code, page)
	}

	stop()

	// The stopped data directory exports as a static site.
	out := t.TempDir()
	n, err := exportSite(serveOptions{cfg: cfg, dataDir: dataDir}, out, 2)
	if err != nil || n < 10 {
		t.Fatalf("exportSite = %d files, %v", n, err)
	}
	for _, f := range []string{"index.html", "methode/index.html", "api/v2/summary.json", "history.atom",
		"components/cned/index.html", "components/cned/history.atom", "badge/lycees.svg"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("export lacks %s: %v", f, err)
		}
	}
	// The day pages' "preuve" bundles are in the copy, and constat verify
	// accepts each with the copy's key.
	key, _ := os.ReadFile(filepath.Join(out, "evidence", "key"))
	bundles, _ := filepath.Glob(filepath.Join(out, "evidence", "bundles", "day", "*", "*"))
	if len(bundles) != 2*2 {
		t.Errorf("export holds day bundles %v, want 2 components × 2 days", bundles)
	}
	for _, f := range bundles {
		var stdout, stderr strings.Builder
		if code := runVerify([]string{"-key", strings.TrimSpace(string(key)), f}, &stdout, &stderr); code != exitOK {
			t.Errorf("constat verify %s = %d: %s", f, code, stderr.String())
		}
	}
	// Everything shown was committed: the timeline has both components after restart.
	tl, err := timeline.Open(filepath.Join(dataDir, "timeline.db"), timeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	for _, id := range []string{"lycees", "cned"} {
		m, ok, err := tl.Last(id)
		if err != nil || !ok {
			t.Fatalf("Last(%s) = %v, %v", id, ok, err)
		}
		if id == "cned" && m.Steps[0].Outcome != probes.SoftFailure {
			t.Errorf("Last(cned) outcome = %v, want soft_failure", m.Steps[0].Outcome)
		}
	}
}
