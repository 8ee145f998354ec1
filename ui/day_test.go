package ui

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDayPage(t *testing.T) {
	s, rec := newTestServer(t)
	var failSeq uint64
	for i, ok := range []bool{true, false, true} {
		r := quotaRound(i+2, ok) // 9 h 02 to 9 h 04, Paris
		seq, err := rec.Record(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			failSeq = seq
		}
	}
	w := serveReq(s, http.MethodGet, "/history/monlycee/2021-04-06", nil)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("GET day = %d", w.Code)
	}
	for _, want := range []string{"monlycée.net — 6 avril 2021", "3 mesures ce jour-là, dont 1 en échec", "9 h 03 min 00 s",
		"Page de saturation ou d&#39;attente", "ode_quota", fmt.Sprintf("n° %d", failSeq),
		`href="/api/v1/components/monlycee/measurements.csv?from=2021-04-06&amp;to=2021-04-07"`,
		`href="/history/monlycee/2021-04-05"`, `href="/history/monlycee/2021-04-07"`} {
		if !strings.Contains(body, want) {
			t.Errorf("day page lacks %q", want)
		}
	}
	if strings.Count(body, "<time ") != 1 {
		t.Errorf("day page lists %d rows, want only the failing round", strings.Count(body, "<time "))
	}
	if w.Header().Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("Cache-Control = %q for a past day", w.Header().Get("Cache-Control"))
	}
	if w := serveReq(s, http.MethodGet, "/history/monlycee/2021-04-05", nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Aucune mesure en échec") {
		t.Errorf("quiet day = %d, want 200 saying nothing failed", w.Code)
	}
	tomorrow := time.Now().In(paris).AddDate(0, 0, 2).Format("2006-01-02")
	for path, code := range map[string]int{
		"/history/monlycee/2021-4-6":    http.StatusBadRequest,
		"/history/monlycee/2021-02-30":  http.StatusBadRequest,
		"/history/monlycee/yesterday":   http.StatusBadRequest,
		"/history/monlycee/" + tomorrow: http.StatusNotFound,
		"/history/absent/2021-04-06":    http.StatusNotFound,
	} {
		if w := serveReq(s, http.MethodGet, path, nil); w.Code != code {
			t.Errorf("GET %s = %d, want %d", path, w.Code, code)
		}
	}
}
