package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/constat-ent/constat/probes/sim"
)

// writeConfig writes a config of the given portals (id → URL) and returns its path.
func writeConfig(t *testing.T, portals map[string]string, order ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("defaults:\n  interval: 10s\n  timeout: 2s\n  degraded_after: 1s\ngroups:\n  - id: test\n    name: Test\n    components:\n")
	for _, id := range order {
		fmt.Fprintf(&b, "      - id: %s\n        name: %s\n        steps:\n          - url: %q\n", id, id, portals[id])
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckCommand(t *testing.T) {
	healthy := sim.Start(t, sim.Healthy)
	queue := sim.Start(t, sim.QueuePage)
	cfg := writeConfig(t, map[string]string{"up": healthy.URL(), "queue": queue.URL()}, "up", "queue")

	t.Run("json, one failing", func(t *testing.T) {
		var out, errb bytes.Buffer
		code := run([]string{"check", "-config", cfg, "-json"}, &out, &errb)
		if code != exitFailure {
			t.Errorf("check exit = %d, want %d (stderr %q)", code, exitFailure, errb.String())
		}
		var lines []checkLine
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			var l checkLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			lines = append(lines, l)
		}
		if len(lines) != 2 || lines[0].Component != "up" || lines[1].Component != "queue" {
			t.Fatalf("check -json printed %+v, want up then queue", lines)
		}
		if lines[0].Status != "operational" || lines[1].Status != "major_outage" {
			t.Errorf("statuses = %s, %s; want operational, major_outage", lines[0].Status, lines[1].Status)
		}
		st := lines[1].Steps[0]
		if st.Outcome != "soft_failure" || st.Detail != "ode_quota" || st.StatusCode != 200 {
			t.Errorf("queue step = %+v, want soft_failure (ode_quota) with 200", st)
		}
		for _, ph := range []string{"dns", "connect", "tls", "ttfb", "transfer"} {
			if _, ok := st.PhasesMS[ph]; !ok {
				t.Errorf("phases_ms lacks %q: %v", ph, st.PhasesMS)
			}
		}
	})
	t.Run("table, selected operational component", func(t *testing.T) {
		var out, errb bytes.Buffer
		if code := run([]string{"check", "-config", cfg, "up"}, &out, &errb); code != exitOK {
			t.Errorf("check up exit = %d, want 0 (stderr %q)", code, errb.String())
		}
		if !strings.Contains(out.String(), "COMPONENT") || !strings.Contains(out.String(), "operational") || strings.Contains(out.String(), "queue") {
			t.Errorf("table = %q, want a header and only the up component", out.String())
		}
		if !strings.HasSuffix(out.String(), "\n1 service, 0 en panne\n") {
			t.Errorf("table = %q, want it to end with the summary line", out.String())
		}
	})
	t.Run("table, one failing", func(t *testing.T) {
		var out, errb bytes.Buffer
		run([]string{"check", "-config", cfg}, &out, &errb)
		if !strings.HasSuffix(out.String(), "\n2 services, 1 en panne\n") {
			t.Errorf("table = %q, want it to end with \"2 services, 1 en panne\"", out.String())
		}
	})
	t.Run("missing config file", func(t *testing.T) {
		var out, errb bytes.Buffer
		path := filepath.Join(t.TempDir(), "absent.yaml")
		if code := run([]string{"check", "-config", path}, &out, &errb); code != exitUsage || !strings.HasPrefix(errb.String(), "constat check: open "+path) {
			t.Errorf("check -config absent = %d, %q; want %d and \"constat check: open …\"", code, errb.String(), exitUsage)
		}
	})
	t.Run("unknown component", func(t *testing.T) {
		var out, errb bytes.Buffer
		if code := run([]string{"check", "-config", cfg, "nope"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), `no component "nope"`) {
			t.Errorf("check nope = %d, %q; want %d and a message naming it", code, errb.String(), exitUsage)
		}
	})
}

func TestCheckCommandBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte("groups:\n  - id: x\n    name: X\n    components:\n      - id: a\n        name: A\n        stepz: []\n"), 0o644)
	var out, errb bytes.Buffer
	code := run([]string{"check", "-config", path}, &out, &errb)
	if code != exitUsage {
		t.Errorf("check bad config exit = %d, want %d", code, exitUsage)
	}
	if want := "bad.yaml:7: groups[0].components[0].stepz: unknown key"; !strings.Contains(errb.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", errb.String(), want)
	}
}

func TestEmbeddedConfigLoads(t *testing.T) {
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatalf("loadConfig(embedded) = %v", err)
	}
	if len(cfg.Components) < 30 {
		t.Errorf("embedded config has %d components, want the full list", len(cfg.Components))
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("run(frobnicate) = %d, %q", code, errb.String())
	}
}
