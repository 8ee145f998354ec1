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
		`href="/history/monlycee/2021-04-06.csv"`,
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

// /history/{component}/{day}.csv is the day's permalink: the API's CSV for
// that Paris day, at an address a static copy of the site can serve.
func TestDayCSVPermalink(t *testing.T) {
	s, rec := newTestServer(t)
	for i, ok := range []bool{true, false, true} {
		if _, err := rec.Record(t.Context(), quotaRound(i+2, ok)); err != nil {
			t.Fatal(err)
		}
	}
	// A round just before the day, in Paris: 23 h 59 on 5 April is 21 h 59 UTC.
	if _, err := rec.Record(t.Context(), quotaRound(-9*60-1, true)); err != nil {
		t.Fatal(err)
	}
	api := serveReq(s, http.MethodGet, "/api/v1/components/monlycee/measurements.csv?from=2021-04-06&to=2021-04-07", nil)
	w := serveReq(s, http.MethodGet, "/history/monlycee/2021-04-06.csv", nil)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("GET day CSV = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if got, want := w.Body.String(), api.Body.String(); got != want || strings.Count(got, "\r\n") != 4 {
		t.Errorf("GET day CSV =\n%s\nwant the API's CSV of the day, header and 3 rounds:\n%s", got, want)
	}
	if got, want := w.Header().Get("Content-Disposition"), api.Header().Get("Content-Disposition"); got != want {
		t.Errorf("day CSV Content-Disposition = %q, want the API's %q", got, want)
	}
	if h := serveReq(s, http.MethodHead, "/history/monlycee/2021-04-06.csv", nil); h.Code != http.StatusOK || h.Body.Len() != 0 {
		t.Errorf("HEAD day CSV = %d with %d bytes, want 200 and no body", h.Code, h.Body.Len())
	}
	for path, code := range map[string]int{
		"/history/monlycee/2021-4-6.csv":      http.StatusBadRequest,
		"/history/monlycee/2021-02-30.csv":    http.StatusBadRequest,
		"/history/monlycee/.csv":              http.StatusBadRequest,
		"/history/absent/2021-04-06.csv":      http.StatusNotFound,
		"/en/history/monlycee/2021-04-06.csv": http.StatusNotFound, // the data has one address
	} {
		if w := serveReq(s, http.MethodGet, path, nil); w.Code != code {
			t.Errorf("GET %s = %d, want %d", path, w.Code, code)
		}
	}
}
