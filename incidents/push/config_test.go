package push

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

// TestConfigSections: the push section's defaults and values, and a
// webhook secret read from a file relative to the configuration.
func TestConfigSections(t *testing.T) {
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
	var c Config
	var hooks Webhooks
	if _, err := probes.LoadConfig(path, c.Section(), hooks.Section()); err != nil {
		t.Fatal(err)
	}
	if c.Subject != "mailto:contact@example.org" || !slices.Equal(c.AllowedServices, []string{"127.0.0.1:8443", "*.push.example", "::1"}) ||
		c.MaxSubscriptions != DefaultMaxSubscriptions || c.StartInterval != 20*time.Minute {
		t.Errorf("push section = %+v", c)
	}
	if len(hooks) != 1 || hooks[0].Secret != "s3cret" || hooks[0].URL.Host != "newsroom.example" {
		t.Errorf("webhooks = %+v, want one with the file's secret, newline removed", hooks)
	}
	groups := "groups:\n  - id: g\n    name: G\n    components:\n      - id: c\n        name: C\n        steps:\n          - url: https://c.example/\n"
	if _, err := probes.ParseConfig("empty.yaml", []byte(groups), c.Section(), hooks.Section()); err != nil {
		t.Fatal(err)
	}
	if c.MaxSubscriptions != DefaultMaxSubscriptions || c.StartInterval != DefaultStartInterval || c.Subject != "" || hooks != nil {
		t.Errorf("defaults = %+v, %+v", c, hooks)
	}
}

// The sections' testdata/invalid-*.yaml files, with their exact messages.
func TestConfigSectionsInvalid(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"invalid-push-subject.yaml", `:2: push.subject: subject "contact@example.org": want mailto:address or an https:// URL`},
		{"invalid-push-allowed-service.yaml", `:3: push.allowed_services[0]: allowed service "https://fcm.googleapis.com/fcm/send": want a host name, *.domain or host:port`},
		{"invalid-push-max-subscriptions.yaml", `:2: push.max_subscriptions: max_subscriptions must be at least 1, got 0`},
		{"invalid-webhook-secrets.yaml", `:12: webhooks[0].secret_file: give secret or secret_file, not both`},
		{"invalid-webhook-no-secret.yaml", `:10: webhooks[0]: missing secret or secret_file: webhooks are signed`},
		{"invalid-webhook-component.yaml", `:12: webhooks[0].components[1]: unknown component "pcn"`},
	} {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			var c Config
			var hooks Webhooks
			_, err := probes.LoadConfig(path, c.Section(), hooks.Section())
			if want := path + tt.want; err == nil || err.Error() != want {
				t.Errorf("LoadConfig(%s) = %v, want %q", path, err, want)
			}
		})
	}
}
