package evidence

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

const evidenceGroups = "groups:\n  - id: g\n    name: G\n    components:\n      - id: c\n        name: C\n        steps:\n          - url: https://example.test/\n"

func TestSection(t *testing.T) {
	const wkey = "witness.example+1a2b3c4d+BNWsWf0gZVxfRPDVK2kbEQHXYVVBZyzoTbRjz5XvG6As"
	public, _ := url.Parse("https://statut.example.org")
	tests := []struct {
		name, yaml string
		public     *url.URL
		want       Settings
		origin     string
	}{
		{"defaults", "", nil, Settings{CheckpointInterval: time.Minute}, "constat.localhost"},
		{"origin from public_url", "", public, Settings{CheckpointInterval: time.Minute}, "statut.example.org/constat"},
		{"all keys", "evidence:\n  origin: log.example/x\n  checkpoint_interval: 5m\n" +
			"  witnesses:\n    - url: https://witness.example/checkpoint\n      key: " + wkey + "\n", public,
			Settings{Origin: "log.example/x", CheckpointInterval: 5 * time.Minute,
				Witnesses: []Witness{{URL: "https://witness.example/checkpoint", Key: wkey}}}, "log.example/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Settings
			if _, err := probes.ParseConfig("x.yaml", []byte(tt.yaml+evidenceGroups), got.Section()); err != nil {
				t.Fatal(err)
			}
			if got.Origin != tt.want.Origin || got.CheckpointInterval != tt.want.CheckpointInterval ||
				len(got.Witnesses) != len(tt.want.Witnesses) || (len(got.Witnesses) > 0 && got.Witnesses[0] != tt.want.Witnesses[0]) {
				t.Errorf("ParseConfig(%s) = %+v, want %+v", tt.name, got, tt.want)
			}
			if o := got.OriginFor(tt.public); o != tt.origin {
				t.Errorf("OriginFor(%v) = %q, want %q", tt.public, o, tt.origin)
			}
		})
	}
	bad := []struct{ yaml, want string }{
		{"evidence:\n  origin: a b\n", `x.yaml:2: evidence.origin: origin "a b" has a space`},
		{"evidence:\n  origin: \"\"\n", `x.yaml:2: evidence.origin: empty origin`},
		{"evidence:\n  checkpoint_interval: 10ms\n", `x.yaml:2: evidence.checkpoint_interval: checkpoint_interval 10ms is below 1s`},
		{"evidence:\n  witnesses:\n    - url: ftp://w.example/\n      key: " + wkey + "\n", `x.yaml:3: evidence.witnesses[0].url: url scheme "ftp"`},
		{"evidence:\n  witnesses:\n    - url: https://w.example/\n      key: nope\n", `x.yaml:4: evidence.witnesses[0].key: key "nope" is not a verifier key`},
		{"evidence:\n  witnesses:\n    - url: https://w.example/\n      key: w+1a2b3c4d+AAAA\n", `evidence.witnesses[0].key: key "w+1a2b3c4d+AAAA" is not an Ed25519 verifier key`},
		{"evidence:\n  witness: []\n", `x.yaml:2: evidence.witness`},
	}
	for _, tt := range bad {
		var s Settings
		if _, err := probes.ParseConfig("x.yaml", []byte(tt.yaml+evidenceGroups), s.Section()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseConfig(%q) = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
