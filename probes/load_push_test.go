package probes

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestLoadPushAndWebhooks: the push section's defaults and values, and a
// webhook secret read from a file relative to the configuration.
func TestLoadPushAndWebhooks(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hook.secret"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "constat.yaml")
	os.WriteFile(path, []byte(`
push:
  subject: mailto:contact@example.org
  allowed_services: ["127.0.0.1:8443", "*.push.example", "::1"]
  start_interval: 20m
groups:
  - id: idf
    name: Île-de-France
    components:
      - id: monlycee
        name: monlycée.net
        steps:
          - url: https://monlycee.net/
webhooks:
  - url: https://newsroom.example/constat
    secret_file: hook.secret
    components: [monlycee]
`), 0o600)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Push
	if p.Subject != "mailto:contact@example.org" || !slices.Equal(p.AllowedServices, []string{"127.0.0.1:8443", "*.push.example", "::1"}) ||
		p.MaxSubscriptions != DefaultMaxSubscriptions || p.StartInterval != 20*time.Minute {
		t.Errorf("Push = %+v", p)
	}
	if len(cfg.Webhooks) != 1 || cfg.Webhooks[0].Secret != "s3cret" || cfg.Webhooks[0].URL.Host != "newsroom.example" {
		t.Errorf("Webhooks = %+v, want one with the file's secret, newline removed", cfg.Webhooks)
	}
	empty, err := ParseConfig("empty.yaml", []byte("groups:\n  - id: g\n    name: G\n    components:\n      - id: c\n        name: C\n        steps:\n          - url: https://c.example/\n"))
	if err != nil {
		t.Fatal(err)
	}
	if empty.Push.MaxSubscriptions != DefaultMaxSubscriptions || empty.Push.StartInterval != 15*time.Minute || empty.Push.Subject != "" {
		t.Errorf("defaults = %+v", empty.Push)
	}
}
