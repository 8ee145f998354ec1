package ui

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
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
	for _, want := range []string{"monlycée.net — 6 avril 2021", "3 mesures ce jour-là, dont 1 en échec", "9\u00a0h\u00a003\u00a0min\u00a000\u00a0s",
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

// The day page gives each period not working normally to the second, with
// the evidence numbers of its first and last rounds and the next round's
// time; the strip draws the day's runs, one unit a minute.
func TestDayPagePeriods(t *testing.T) {
	s, rec := newTestServer(t)
	var seqs []uint64
	// 9 h 02 ok, 9 h 03 to 9 h 05 saturation, 9 h 06 ok, 9 h 30 saturation (after a silence).
	for _, round := range []struct {
		minute int
		ok     bool
	}{{2, true}, {3, false}, {4, false}, {5, false}, {6, true}, {30, false}} {
		seq, err := rec.Record(t.Context(), quotaRound(round.minute, round.ok))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/history/monlycee/2021-04-06", []string{"Périodes sans fonctionnement normal",
			"de 9\u00a0h\u00a003\u00a0min\u00a000\u00a0s à 9\u00a0h\u00a005\u00a0min\u00a000\u00a0s", fmt.Sprintf("3 mesures, n° %d à n° %d", seqs[1], seqs[3]),
			"Page de saturation ou d&#39;attente × 3", "mesure suivante, dans un autre état : 9\u00a0h\u00a006\u00a0min\u00a000\u00a0s",
			fmt.Sprintf("1 mesure, n° %d", seqs[5]),
			`viewBox="0 0 1440 20"`, `aria-label="La journée minute par minute ; périodes sans fonctionnement normal : 2"`,
			// 9 h 03 Paris is minute 543; the run lasts until the next round, at 9 h 06.
			`<rect x="543" y="0" width="3" height="20" fill="#b00020">`,
			// The last round ends the day's data: one minute wide.
			`<rect x="570" y="0" width="1" height="20" fill="#b00020">`}},
		{"/en/history/monlycee/2021-04-06", []string{"Periods not working normally",
			"from 09:03:00 to 09:05:00", fmt.Sprintf("3 measurements, no. %d to no. %d", seqs[1], seqs[3]),
			"next measurement, in another state: 09:06:00"}},
	} {
		body := serveReq(s, http.MethodGet, tt.path, nil).Body.String()
		for _, want := range tt.want {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", tt.path, want)
			}
		}
	}
	// The operational run from 9 h 06 stops at its round: 24 minutes of
	// silence follow, which the strip must not paint as working.
	body := serveReq(s, http.MethodGet, "/history/monlycee/2021-04-06", nil).Body.String()
	if !strings.Contains(body, `<rect x="546" y="0" width="1" height="20" fill="#1e6b2f">`) {
		t.Errorf("the run before a silence is not one minute wide:\n%s", body)
	}
}

// A day of the change to summer time has 23 hours: the strip has 1,380
// minutes, not 1,440.
func TestDayStripDaylightSaving(t *testing.T) {
	d := timeline.Date{Year: 2021, Month: 3, Day: 28}
	var rs runs
	rs.add(timeline.Measurement{Seq: 1, Result: probes.Result{Start: d.Start().Add(4 * time.Hour), Status: probes.Operational}})
	if svg := string(rs.strip(french, d)); !strings.Contains(svg, `viewBox="0 0 1380 20"`) {
		t.Errorf("strip of 28 March 2021 = %s, want 1380 minutes", svg)
	}
}

// A silence splits a run, but the round after it, in the same state, is
// not "the next measurement in another state".
func TestDayRunsSilenceInSameState(t *testing.T) {
	var rs runs
	for i, minute := range []int{3, 4, 30} { // 9 h 03, 9 h 04, then 9 h 30 after a silence
		r := quotaRound(minute, false)
		rs.add(timeline.Measurement{Seq: uint64(i + 1), Result: r})
	}
	ps := rs.periods(french)
	if len(ps) != 2 {
		t.Fatalf("periods = %+v, want 2 split by the silence", ps)
	}
	if ps[0].Next != "" {
		t.Errorf("first period's next = %q, want none: the round after the silence is in the same state", ps[0].Next)
	}
}

// A past day's page cannot change: it is rendered once and then served
// without reading the timeline (here closed), with an ETag; today's page
// is read on each request.
func TestPastDayPageCached(t *testing.T) {
	st := newTestStack(t, t.TempDir())
	for i, ok := range []bool{true, false} {
		if _, err := st.pipe.Record(t.Context(), quotaRound(i+2, ok)); err != nil {
			t.Fatal(err)
		}
	}
	const past = "/history/monlycee/2021-04-06"
	first := serveReq(st.s, http.MethodGet, past, nil)
	etag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || etag == "" || !strings.Contains(first.Body.String(), "ode_quota") {
		t.Fatalf("GET %s = %d, ETag %q", past, first.Code, etag)
	}
	if err := st.tl.Close(); err != nil {
		t.Fatal(err)
	}
	again := serveReq(st.s, http.MethodGet, past, nil)
	if again.Code != http.StatusOK || again.Body.String() != first.Body.String() || again.Header().Get("ETag") != etag {
		t.Errorf("GET %s again, timeline closed = %d, ETag %q; want the cached page, ETag %q", past, again.Code, again.Header().Get("ETag"), etag)
	}
	if w := serveReq(st.s, http.MethodGet, past, http.Header{"If-None-Match": {etag}}); w.Code != http.StatusNotModified {
		t.Errorf("GET %s If-None-Match = %d, want 304", past, w.Code)
	}
	today := "/history/monlycee/" + timeline.DateOf(time.Now()).String()
	if w := serveReq(st.s, http.MethodGet, today, nil); w.Code != http.StatusInternalServerError {
		t.Errorf("GET today, timeline closed = %d, want 500: today's page is read on each request", w.Code)
	}
}
