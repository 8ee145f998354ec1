package probes

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// schoolsConfig returns a configuration of n components as a large
// deployment has them: one vie-scolaire instance per school, grouped by
// academy, each with a portal step and a login step that follows the
// portal's link and checks a marker of the login form.
func schoolsConfig(n int) []byte {
	const perGroup = 500
	var b strings.Builder
	b.WriteString("defaults:\n  interval: 5m\n  timeout: 10s\n  keep_alive: true\ngroups:\n")
	for i := range n {
		if i%perGroup == 0 {
			fmt.Fprintf(&b, "  - id: academie-%02d\n    name: Académie %d\n    components:\n", i/perGroup, i/perGroup)
		}
		fmt.Fprintf(&b, `      - id: vs-%05d
        name: Vie scolaire du collège n° %d
        operator: Éditeur %d
        steps:
          - url: https://%07d.vie-scolaire.example.fr/
            valid_status_codes: [200]
          - follow: 'href="([^"]*/auth/login[^"]*)"'
            fail_if_body_not_matches_regexp: ['name="password"']
`, i, i, i%7, i)
	}
	return []byte(b.String())
}

// BenchmarkParseConfig20000 measures loading a file of 20,000 components
// (target: under 2 s). cpu-s/op is the process's CPU time (GC included),
// which other work on a shared machine does not inflate as it does ns/op.
func BenchmarkParseConfig20000(b *testing.B) {
	data := schoolsConfig(20_000)
	cpu0 := cpuTime(b)
	for b.Loop() {
		cfg, err := ParseConfig("schools.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		if len(cfg.Components) != 20_000 {
			b.Fatalf("ParseConfig(schools.yaml) has %d components, want 20000", len(cfg.Components))
		}
	}
	b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime returns the user and system CPU time of this process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
