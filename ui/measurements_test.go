package ui

import (
	"bytes"
	"crypto/tls"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
)

// measurementsBody is the JSON response, decoded strictly.
type measurementsBody struct {
	Component    string           `json:"component"`
	From         string           `json:"from"`
	To           string           `json:"to"`
	Measurements []measurementRow `json:"measurements"`
	Next         *string          `json:"next"`
}

// measurementRow has a pointer for each step column, to tell null apart.
type measurementRow struct {
	Seq        uint64   `json:"seq"`
	Component  string   `json:"component"`
	Start      string   `json:"start"`
	Status     string   `json:"status"`
	Step       int      `json:"step"`
	URL        *string  `json:"url"`
	Outcome    *string  `json:"outcome"`
	Detail     *string  `json:"detail"`
	StatusCode *int     `json:"status_code"`
	DNSMs      *float64 `json:"dns_ms"`
	ConnectMs  *float64 `json:"connect_ms"`
	TLSMs      *float64 `json:"tls_ms"`
	TTFBMs     *float64 `json:"ttfb_ms"`
	TransferMs *float64 `json:"transfer_ms"`
	DurationMs *float64 `json:"duration_ms"`
	Addresses  *string  `json:"addresses"`
	BytesRead  *int64   `json:"bytes_read"`
	TLSVersion *string  `json:"tls_version"`
	CertExpiry *string  `json:"cert_expiry"`
	Redirects  *int     `json:"redirects"`
	RecordURL  string   `json:"record_url"`
}

var t0 = time.Date(2021, 4, 6, 7, 0, 0, 0, time.UTC) // 9 h in Paris

// recordURL is the record_url column of a round.
func recordURL(seq uint64) string { return "/evidence/record/" + strconv.FormatUint(seq, 10) }

// twoSteps is a round of two steps with every field set, the second failing.
func twoSteps(start time.Time) probes.Result {
	return probes.Result{Component: "monlycee", Start: start, Status: probes.MajorOutage, Steps: []probes.StepResult{
		{URL: "https://ent.iledefrance.fr/", Outcome: probes.OK, StatusCode: 200,
			Phases:    probes.Phases{DNS: 1234567 * time.Nanosecond, Connect: 5 * time.Millisecond, TLS: 20 * time.Millisecond, TTFB: 80 * time.Millisecond, Transfer: 3 * time.Millisecond},
			Duration:  109*time.Millisecond + 999*time.Microsecond + 999,
			Addresses: []string{"192.0.2.1", "2001:db8::1"}, BytesRead: 51234, TLSVersion: tls.VersionTLS13,
			CertExpiry: time.Date(2021, 6, 1, 12, 0, 0, 0, time.UTC), Redirects: 2},
		{URL: "https://ent.iledefrance.fr/auth?x=\"1\",2", Outcome: probes.SoftFailure, Detail: "quota, \"ode\"", StatusCode: 200,
			Duration: 2 * time.Second},
	}}
}

func record(t testing.TB, rec *incidents.Pipeline, rs ...probes.Result) []uint64 {
	t.Helper()
	var seqs []uint64
	for _, r := range rs {
		seq, err := rec.Record(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	return seqs
}

func decodeMeasurements(t *testing.T, b []byte) measurementsBody {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var body measurementsBody
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return body
}

func rangeQuery(from, to time.Time, extra ...string) string {
	q := "?from=" + url.QueryEscape(from.Format(time.RFC3339Nano)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339Nano))
	for _, e := range extra {
		q += "&" + e
	}
	return q
}

func ptr[T any](v T) *T { return &v }

func TestMeasurementsJSON(t *testing.T) {
	s, rec := newTestServer(t)
	seqs := record(t, rec, twoSteps(t0.Add(1500*time.Millisecond)),
		probes.Result{Component: "monlycee", Start: t0.Add(time.Minute), Status: probes.MajorOutage},
		probes.Result{Component: "pcn", Start: t0.Add(time.Minute), Status: probes.Operational, Steps: []probes.StepResult{{Outcome: probes.OK}}})
	w := serveReq(s, http.MethodGet, "/api/v1/components/monlycee/measurements"+rangeQuery(t0, t0.Add(time.Hour)), nil)
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET = %d %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	body := decodeMeasurements(t, w.Body.Bytes())
	want := measurementsBody{Component: "monlycee", From: "2021-04-06T07:00:00.000Z", To: "2021-04-06T08:00:00.000Z", Measurements: []measurementRow{
		{Seq: seqs[0], Component: "monlycee", Start: "2021-04-06T07:00:01.500Z", Status: "major_outage", Step: 1,
			URL: ptr("https://ent.iledefrance.fr/"), Outcome: ptr("ok"), Detail: ptr(""), StatusCode: ptr(200),
			DNSMs: ptr(1.234), ConnectMs: ptr(5.0), TLSMs: ptr(20.0), TTFBMs: ptr(80.0), TransferMs: ptr(3.0), DurationMs: ptr(109.999),
			Addresses: ptr("192.0.2.1;2001:db8::1"), BytesRead: ptr[int64](51234), TLSVersion: ptr("TLS 1.3"),
			CertExpiry: ptr("2021-06-01T12:00:00Z"), Redirects: ptr(2), RecordURL: recordURL(seqs[0])},
		{Seq: seqs[0], Component: "monlycee", Start: "2021-04-06T07:00:01.500Z", Status: "major_outage", Step: 2,
			URL: ptr("https://ent.iledefrance.fr/auth?x=\"1\",2"), Outcome: ptr("soft_failure"), Detail: ptr("quota, \"ode\""), StatusCode: ptr(200),
			DNSMs: ptr(0.0), ConnectMs: ptr(0.0), TLSMs: ptr(0.0), TTFBMs: ptr(0.0), TransferMs: ptr(0.0), DurationMs: ptr(2000.0),
			Addresses: ptr(""), BytesRead: ptr[int64](0), TLSVersion: ptr(""), CertExpiry: ptr(""), Redirects: ptr(0), RecordURL: recordURL(seqs[0])},
		{Seq: seqs[1], Component: "monlycee", Start: "2021-04-06T07:01:00.000Z", Status: "major_outage", Step: 0, RecordURL: recordURL(seqs[1])}, // step columns null
	}}
	got, _ := json.Marshal(body)
	exp, _ := json.Marshal(want)
	if !bytes.Equal(got, exp) {
		t.Errorf("body\n got %s\nwant %s", got, exp)
	}
	// Keys in column order, durations with 3 decimals.
	keyRe := regexp.MustCompile(`"([a-z_]+)":`)
	first := w.Body.String()[strings.Index(w.Body.String(), "[{")+1:]
	first = first[:strings.IndexByte(first, '}')+1]
	var keys []string
	for _, m := range keyRe.FindAllStringSubmatch(first, -1) {
		keys = append(keys, m[1])
	}
	if strings.Join(keys, ",") != measurementColumns {
		t.Errorf("keys %v, want %s", keys, measurementColumns)
	}
	for _, want := range []string{`"connect_ms":5.000,`, `"dns_ms":1.234,`, `"duration_ms":109.999,`} {
		if !strings.Contains(first, want) {
			t.Errorf("first row %s lacks %s", first, want)
		}
	}
	if !strings.HasSuffix(w.Body.String(), `],"next":null}`+"\n") {
		t.Errorf("body ends %q", w.Body.String()[max(0, w.Body.Len()-30):])
	}
}

func TestMeasurementsCSV(t *testing.T) {
	s, rec := newTestServer(t)
	seqs := record(t, rec, twoSteps(t0), probes.Result{Component: "monlycee", Start: t0.Add(time.Minute), Status: probes.PartialOutage})
	for _, tc := range []struct {
		path   string
		accept string
	}{
		{"/api/v1/components/monlycee/measurements.csv", ""},
		{"/api/v1/components/monlycee/measurements.csv", "application/json"},
		{"/api/v1/components/monlycee/measurements", "text/csv"},
	} {
		w := serveReq(s, http.MethodGet, tc.path+rangeQuery(t0, t0.Add(time.Hour)), http.Header{"Accept": {tc.accept}})
		h := w.Header()
		if w.Code != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" ||
			h.Get("Content-Disposition") != `attachment; filename="monlycee-20210406T070000Z-20210406T080000Z.csv"` {
			t.Fatalf("%s Accept %q = %d %v", tc.path, tc.accept, w.Code, h)
		}
		if h.Get("Link") != "" {
			t.Errorf("Link %q on a single page", h.Get("Link"))
		}
		rows, err := csv.NewReader(w.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			strings.Split(measurementColumns, ","),
			{strconv.FormatUint(seqs[0], 10), "monlycee", "2021-04-06T07:00:00.000Z", "major_outage", "1", "https://ent.iledefrance.fr/", "ok", "", "200",
				"1.234", "5.000", "20.000", "80.000", "3.000", "109.999", "192.0.2.1;2001:db8::1", "51234", "TLS 1.3", "2021-06-01T12:00:00Z", "2", recordURL(seqs[0])},
			{strconv.FormatUint(seqs[0], 10), "monlycee", "2021-04-06T07:00:00.000Z", "major_outage", "2", "https://ent.iledefrance.fr/auth?x=\"1\",2", "soft_failure", "quota, \"ode\"", "200",
				"0.000", "0.000", "0.000", "0.000", "0.000", "2000.000", "", "0", "", "", "0", recordURL(seqs[0])},
			{strconv.FormatUint(seqs[1], 10), "monlycee", "2021-04-06T07:01:00.000Z", "partial_outage", "0", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", recordURL(seqs[1])},
		}
		if !slices.EqualFunc(rows, want, slices.Equal) {
			t.Errorf("%s Accept %q:\n got %q\nwant %q", tc.path, tc.accept, rows, want)
		}
	}
}

func TestMeasurementsAccept(t *testing.T) {
	for accept, csv := range map[string]bool{
		"":                                    false,
		"*/*":                                 false,
		"application/json":                    false,
		"text/csv":                            true,
		"text/*":                              true,
		"TEXT/CSV; charset=utf-8":             true,
		"text/csv, */*;q=0.8":                 true,
		"text/csv, application/json":          false, // equal q and specificity: JSON
		"application/json, text/csv":          false,
		"text/csv;q=0.5, application/json":    false,
		"application/json;q=0.1, text/csv":    true,
		"text/*, application/json":            false,
		"text/csv;q=0, */*":                   false,
		"text/html,application/xhtml+xml,*/*": false, // a browser
		"text/csv;q=abc":                      true,  // a bad q counts as 1
	} {
		if got := prefersCSV(accept); got != csv {
			t.Errorf("prefersCSV(%q) = %v, want %v", accept, got, csv)
		}
	}
	s, rec := newTestServer(t)
	record(t, rec, twoSteps(t0))
	w := serveReq(s, http.MethodGet, "/api/v1/components/monlycee/measurements"+rangeQuery(t0, t0.Add(time.Hour)), http.Header{"Accept": {"text/html,*/*;q=0.8"}})
	if w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Vary") != "Accept" {
		t.Errorf("browser Accept: %v", w.Header())
	}
}

// Ten rounds, two of them at the same millisecond, paged by three: every
// row once, in order, in JSON and in CSV.
func TestMeasurementsPaging(t *testing.T) {
	s, rec := newTestServer(t)
	var rs []probes.Result
	for i := range 10 {
		start := t0.Add(time.Duration(i) * 30 * time.Second)
		if i == 5 {
			start = rs[4].Start // a tie, ordered by seq
		}
		rs = append(rs, probes.Result{Component: "monlycee", Start: start, Status: probes.Operational,
			Steps: []probes.StepResult{{Outcome: probes.OK, StatusCode: 200, Redirects: i}}})
	}
	seqs := record(t, rec, rs...)
	base := "/api/v1/components/monlycee/measurements"

	var got []uint64
	path, pages := base+rangeQuery(t0, t0.Add(time.Hour), "limit=3"), 0
	for pages = 1; ; pages++ {
		w := serveReq(s, http.MethodGet, path, nil)
		if w.Code != 200 {
			t.Fatalf("GET %s = %d %s", path, w.Code, w.Body)
		}
		body := decodeMeasurements(t, w.Body.Bytes())
		if len(body.Measurements) > 3 {
			t.Fatalf("page %d has %d rows", pages, len(body.Measurements))
		}
		for _, m := range body.Measurements {
			got = append(got, m.Seq)
		}
		if body.Next == nil {
			break
		}
		path = base + rangeQuery(t0, t0.Add(time.Hour), "limit=3", "after="+*body.Next)
	}
	if !slices.Equal(got, seqs) || pages != 4 {
		t.Errorf("JSON pages: %d, seqs %v, want 4 and %v", pages, got, seqs)
	}

	got = got[:0]
	linkRe := regexp.MustCompile(`^<([^>]+)>; rel="next"$`)
	path = base + ".csv" + rangeQuery(t0, t0.Add(time.Hour), "limit=3")
	for pages = 1; ; pages++ {
		w := serveReq(s, http.MethodGet, path, nil)
		rows, err := csv.NewReader(w.Body).ReadAll()
		if w.Code != 200 || err != nil || len(rows) > 4 {
			t.Fatalf("GET %s = %d, %d rows, %v", path, w.Code, len(rows), err)
		}
		for _, r := range rows[1:] {
			seq, _ := strconv.ParseUint(r[0], 10, 64)
			got = append(got, seq)
		}
		link := w.Header().Get("Link")
		if link == "" {
			break
		}
		m := linkRe.FindStringSubmatch(link)
		if m == nil || !strings.HasPrefix(m[1], base+".csv?") {
			t.Fatalf("Link %q", link)
		}
		path = m[1]
	}
	if !slices.Equal(got, seqs) || pages != 4 {
		t.Errorf("CSV pages: %d, seqs %v, want 4 and %v", pages, got, seqs)
	}
}

// from is inclusive, to exclusive, to the millisecond; a date is midnight in Paris.
func TestMeasurementsBoundaries(t *testing.T) {
	s, rec := newTestServer(t)
	from, to := time.Date(2021, 4, 5, 22, 0, 0, 0, time.UTC), time.Date(2021, 4, 6, 22, 0, 0, 0, time.UTC) // Paris days
	var rs []probes.Result
	for _, st := range []time.Time{from.Add(-time.Millisecond), from, to.Add(-time.Millisecond), to} {
		rs = append(rs, probes.Result{Component: "monlycee", Start: st, Status: probes.Operational, Steps: []probes.StepResult{{Outcome: probes.OK}}})
	}
	seqs := record(t, rec, rs...)
	for _, q := range []string{rangeQuery(from, to), "?from=2021-04-06&to=2021-04-07", "?from=2021-04-06T00:00:00%2B02:00&to=2021-04-07"} {
		w := serveReq(s, http.MethodGet, "/api/v1/components/monlycee/measurements"+q, nil)
		body := decodeMeasurements(t, w.Body.Bytes())
		var got []uint64
		for _, m := range body.Measurements {
			got = append(got, m.Seq)
		}
		if !slices.Equal(got, seqs[1:3]) || body.From != "2021-04-05T22:00:00.000Z" || body.To != "2021-04-06T22:00:00.000Z" {
			t.Errorf("%s: %s..%s seqs %v, want %v", q, body.From, body.To, got, seqs[1:3])
		}
	}
	// Defaults: the last 24 hours, not cacheable.
	record(t, rec, probes.Result{Component: "monlycee", Start: time.Now().Add(-time.Hour), Status: probes.Operational})
	w := serveReq(s, http.MethodGet, "/api/v1/components/monlycee/measurements", nil)
	if body := decodeMeasurements(t, w.Body.Bytes()); len(body.Measurements) != 1 || w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("default range: %d rows, Cache-Control %q", len(body.Measurements), w.Header().Get("Cache-Control"))
	}
	w = serveReq(s, http.MethodGet, "/api/v1/components/monlycee/measurements.csv?from=2021-04-06&to=2021-04-07", nil)
	if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("past range: Cache-Control %q", cc)
	}
}

func TestMeasurementsBadRequests(t *testing.T) {
	s, rec := newTestServer(t)
	record(t, rec, twoSteps(t0))
	base := "/api/v1/components/monlycee/measurements"
	for _, tc := range []struct {
		path  string
		code  int
		field string
	}{
		{base + "?from=yesterday", 400, "from"},
		{base + "?from=2021-04-06T09:00:00", 400, "from"}, // no offset
		{base + "?from=2021-13-01", 400, "from"},
		{base + "?to=2021-04-06T25:00:00Z", 400, "to"},
		{base + "?from=2021-04-06&to=2021-04-05", 400, "from"},
		{base + "?from=2021-04-06&to=2021-04-06", 400, "from"},
		{base + "?from=3000-01-01", 400, "from"}, // after now
		{base + "?from=2021-01-01&to=2021-02-02", 400, "to"},
		{base + "?from=2021-01-01&to=2021-02-01T00:00:00.001%2B01:00", 400, "to"},
		{base + "?limit=0", 400, "limit"},
		{base + "?limit=-1", 400, "limit"},
		{base + "?limit=abc", 400, "limit"},
		{base + "?limit=999999", 400, "limit"},
		{base + "?limit=1e3", 400, "limit"},
		{base + "?after=abc", 400, "after"},
		{base + "?after=12", 400, "after"},
		{base + "?after=12-", 400, "after"},
		{base + "?after=-3", 400, "after"},
		{base + "?after=012-3", 400, "after"},
		{base + "?after=1-99999999999999999999999", 400, "after"},
		{base + ".csv?after=1-2-3", 400, "after"},
		{"/api/v1/components/nope/measurements", 404, ""},
		{"/api/v1/components/nope/measurements.csv?limit=abc", 404, ""},
	} {
		for _, h := range []http.Header{nil, {"Accept": {"text/csv"}}} {
			w := serveReq(s, http.MethodGet, tc.path, h)
			var e struct {
				Error string `json:"error"`
				Field string `json:"field"`
			}
			dec := json.NewDecoder(w.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil || w.Code != tc.code || e.Field != tc.field || e.Error == "" || len(e.Error) > 100 {
				t.Errorf("GET %s = %d %+v (%v), want %d field %q", tc.path, w.Code, e, err, tc.code, tc.field)
			}
		}
		if w := serveReq(s, http.MethodHead, tc.path, nil); w.Code != tc.code || w.Body.Len() != 0 {
			t.Errorf("HEAD %s = %d with %d bytes", tc.path, w.Code, w.Body.Len())
		}
	}
	// Accepted edge values.
	for _, q := range []string{"?from=2021-01-01&to=2021-02-01", "?limit=1", "?limit=50000", "?after=-5-0", "?from=2021-04-06T09:00:00.5%2B02:00&to=2021-04-06T10:00:00Z"} {
		if w := serveReq(s, http.MethodGet, base+q, nil); w.Code != 200 {
			t.Errorf("GET %s = %d %s", q, w.Code, w.Body)
		}
	}
}

func TestMeasurementsHead(t *testing.T) {
	s, rec := newTestServer(t)
	for i := range 3 {
		record(t, rec, twoSteps(t0.Add(time.Duration(i)*time.Minute)))
	}
	q := rangeQuery(t0, t0.Add(time.Hour), "limit=2")
	for path, ct := range map[string]string{
		"/api/v1/components/monlycee/measurements":     "application/json",
		"/api/v1/components/monlycee/measurements.csv": "text/csv; charset=utf-8",
	} {
		get, head := serveReq(s, http.MethodGet, path+q, nil), serveReq(s, http.MethodHead, path+q, nil)
		if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Type") != ct ||
			head.Header().Get("Cache-Control") != get.Header().Get("Cache-Control") || head.Header().Get("Link") != get.Header().Get("Link") {
			t.Errorf("HEAD %s = %d, %d bytes, %v; GET %v", path, head.Code, head.Body.Len(), head.Header(), get.Header())
		}
	}
}

func TestMeasurementsCursor(t *testing.T) {
	for _, k := range []measCursor{{0, 0}, {1617692400000, 42}, {-5, 3}} {
		if got, ok := parseMeasCursor(k.String()); !ok || got != k {
			t.Errorf("parseMeasCursor(%q) = %v, %v", k, got, ok)
		}
	}
}

// BenchmarkMeasurementsDayCSV serves one day of one component at 30 s:
// 2,880 one-step rounds, read twice (Link header, then rows).
func BenchmarkMeasurementsDayCSV(b *testing.B) {
	benchmarkDay(b, "/api/v1/components/monlycee/measurements.csv")
}

// BenchmarkMeasurementsDayJSON is the same day in JSON, read once.
func BenchmarkMeasurementsDayJSON(b *testing.B) {
	benchmarkDay(b, "/api/v1/components/monlycee/measurements")
}

func benchmarkDay(b *testing.B, path string) {
	st := newTestStack(b, b.TempDir())
	s := st.s
	var rs []probes.Result
	for i := range 2880 {
		r := twoSteps(t0.Add(time.Duration(i) * 30 * time.Second))
		r.Steps = r.Steps[:1]
		rs = append(rs, r)
	}
	if _, err := st.tl.AppendAll(b.Context(), rs); err != nil {
		b.Fatal(err)
	}
	path += rangeQuery(t0, t0.Add(24*time.Hour))
	var n int
	b.ReportAllocs()
	for b.Loop() {
		w := serveReq(s, http.MethodGet, path, nil)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
		n = w.Body.Len()
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/op")
	b.ReportMetric(float64(n), "bytes/resp")
}

// A timeline failure before the first byte is a bare 500.
func TestMeasurementsStoreError(t *testing.T) {
	st := newTestStack(t, t.TempDir())
	s := st.s
	record(t, st.pipe, twoSteps(t0))
	st.tl.Close()
	for _, p := range []string{"/api/v1/components/monlycee/measurements", "/api/v1/components/monlycee/measurements.csv"} {
		w := serveReq(s, http.MethodGet, p+rangeQuery(t0, t0.Add(time.Hour)), nil)
		if w.Code != 500 || strings.Contains(w.Body.String(), "closed") {
			t.Errorf("GET %s on a closed timeline = %d %q", p, w.Code, w.Body)
		}
	}
}
