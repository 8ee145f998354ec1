package ui

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

// Seen: phase="dns" and phase="ttfb" in /metrics, where the blackbox
// exporter (and every dashboard built for it) says resolve and processing.
func TestMetricsPhasesAreBlackboxExporters(t *testing.T) {
	s, pipe := newTestServer(t)
	if _, err := pipe.Record(t.Context(), probes.Result{Component: "monlycee", Start: time.Now(), Status: probes.Operational,
		Steps: []probes.StepResult{{URL: "https://ent.iledefrance.fr/", Outcome: probes.OK, StatusCode: 200,
			Phases: probes.Phases{DNS: 2 * time.Millisecond, Connect: 5 * time.Millisecond, TLS: 7 * time.Millisecond,
				TTFB: 80 * time.Millisecond, Transfer: 3 * time.Millisecond}}}}); err != nil {
		t.Fatal(err)
	}
	body := serveReq(s, http.MethodGet, "/metrics", nil).Body.String()
	for _, want := range []string{
		`probe_http_duration_seconds{component="monlycee",phase="resolve",step="1"} 0.002`,
		`probe_http_duration_seconds{component="monlycee",phase="connect",step="1"} 0.005`,
		`probe_http_duration_seconds{component="monlycee",phase="tls",step="1"} 0.007`,
		`probe_http_duration_seconds{component="monlycee",phase="processing",step="1"} 0.08`,
		`probe_http_duration_seconds{component="monlycee",phase="transfer",step="1"} 0.003`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, lack := range []string{`phase="dns"`, `phase="ttfb"`} {
		if strings.Contains(body, lack) {
			t.Errorf("/metrics has %s, a label value the blackbox exporter never uses", lack)
		}
	}
}
