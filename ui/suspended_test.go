package ui

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

// Rounds flagged offline (Constat without network) make the home page say
// when measurements were suspended, in each language, and leave the
// component operational.
func TestHomeSaysMeasurementsSuspended(t *testing.T) {
	now := time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC) // 10 h 00 in Paris
	s, svc, _ := newPublicServer(t, now)
	for i := range 3 {
		r := quotaRound(i, true) // 9 h 00, 9 h 01, 9 h 02 in Paris
		r.Status = probes.StatusUnknown
		r.Steps[0].Outcome, r.Steps[0].StatusCode, r.Steps[0].Duration = probes.ConnectTimeout, 0, 10*time.Second
		if _, err := svc.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{
		"/":    "6 avril 2021 — mesures suspendues : Constat n&#39;avait plus accès au réseau de 9\u00a0h\u00a000 à 9\u00a0h\u00a002",
		"/en/": "6 April 2021 — measurements suspended: Constat had lost network access from 09:00 to 09:02 (Paris time)",
	} {
		w := serveReq(s, http.MethodGet, path, nil)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), want) {
			t.Errorf("GET %s = %d, want the sentence %q in:\n%s", path, w.Code, want, w.Body.String())
		}
	}
	if st := svc.Components()[0].Status; st != probes.Operational {
		t.Errorf("state after offline rounds = %v, want operational", st)
	}
}
