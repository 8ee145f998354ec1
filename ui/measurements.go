package ui

import (
	"bufio"
	"crypto/tls"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/labstack/echo/v4"
)

// measurementColumns are the columns of the raw measurements API:
//
//	GET /api/v1/components/{id}/measurements?from=&to=&limit=&after=
//	GET /api/v1/components/{id}/measurements.csv?from=&to=&limit=&after=
//
// return the raw measurements of one configured component (404 otherwise),
// one row per step, as JSON or CSV. The .csv route always answers CSV; the
// other answers CSV when the Accept header prefers text/csv to
// application/json (higher q, or equal q through a more specific range:
// "text/csv" over "text/*" over "*/*"), and JSON otherwise: on a tie, for
// "*/*" and without Accept. Both answer HEAD with the headers of GET and no
// body.
//
// Query parameters (a malformed one gets 400 with {"error": "…", "field": "…"}):
//
//   - from, to: the measurements whose start lies in [from, to), from
//     inclusive, to exclusive. Either an RFC 3339 timestamp
//     ("2021-04-06T09:00:00+02:00") or a date ("2021-04-06"), which means
//     00:00 Europe/Paris that day. Defaults: to = now, from = to − 24 h.
//     Both are rounded up to the millisecond. from must be before to, and the
//     range at most 31 days: page longer periods with several requests.
//   - limit: the most rounds (measurements) per response, 1 to 50000,
//     default 5000. A round is never split: a page holds limit rounds and
//     as many rows as they have steps.
//   - after: a paging cursor "<start_ms>-<seq>" (start in Unix milliseconds,
//     seq the round's sequence number in the timeline), as returned by the
//     previous page: the page then starts strictly after that round in
//     (start, seq) order, the order of every response.
//
// When more rounds remain in [from, to) than limit, the response gives the
// cursor of the next page: in JSON, "next" (null on the last page); in CSV,
// a header Link: </api/v1/…?after=…&from=…&limit=…&to=…>; rel="next" whose
// URL repeats from, to and limit as resolved, so that following it pages
// the same range (to = now is resolved once, by the first page). A page is
// what the timeline held when it was read: a round recorded later with a
// start before the cursor is not seen by later pages.
//
// JSON: {"component": id, "from": …, "to": …, "measurements": [row, …],
// "next": cursor or null}, each row an object with the columns below as
// keys, in that order; numbers are JSON numbers, text is JSON strings, and
// the step columns of a round without steps are null.
// CSV (RFC 4180, UTF-8, CRLF, header line first): Content-Type
// text/csv; charset=utf-8, Content-Disposition attachment;
// filename="<id>-<from>-<to>.csv" with from and to as 20060102T150405Z (UTC);
// the step columns of a round without steps are empty.
//
// Columns (measurementColumns), stable: new columns are only ever added at
// the end.
//
//	seq          the round's sequence number in the timeline (a leaf of the transparency log to come)
//	component    the component ID
//	start        when the round's first step started, RFC 3339 UTC to the millisecond
//	status       the component status the round gave: operational, degraded_performance,
//	             partial_outage, major_outage or under_maintenance
//	step         the step's number in the round, from 1; 0 for a round that ran no step
//	             (the check could not start), whose other columns below are empty
//	url          the URL requested, before redirects
//	outcome      ok, slow, dns_error, connect_refused, connect_timeout, connection_reset,
//	             tls_error, timeout, http_error, redirect_loop, soft_failure, content_missing
//	detail       what qualifies the outcome (e.g. "502", "expired", "ttfb"); empty for ok
//	status_code  HTTP status of the last response, 0 when none arrived
//	dns_ms, connect_ms, tls_ms, ttfb_ms, transfer_ms
//	             phase durations in milliseconds, 3 decimals (microseconds, rounded down),
//	             summed over redirects; 0 for a phase not reached or skipped
//	             (IP literal, reused connection)
//	duration_ms  the whole step, same unit
//	addresses    IP addresses connected to (or resolved when no connection was made),
//	             in order, joined with ";"
//	bytes_read   body bytes read, after decompression
//	tls_version  "TLS 1.2", "TLS 1.3"…; empty for plain HTTP
//	cert_expiry  earliest expiry of the presented certificate chain, RFC 3339 UTC;
//	             empty for plain HTTP
//	redirects    redirects followed
//	record_url   the round's record in the evidence log, /evidence/record/<seq>
//	             (absolute with site.public_url): its canonical bytes, leaf hash
//	             and inclusion proofs; set on a round without steps too
//
// Caching: Cache-Control: public, max-age=60 when to is more than 5 minutes
// in the past, no-cache otherwise; the negotiated route sends Vary: Accept.
//
// Streaming: rows are written as they are read from the timeline and
// flushed every 500 rows; the response is never held whole in memory. A
// CSV response reads its page twice (once to find whether there is a next
// page, for the Link header, once to write it); JSON reads it once. An
// error before the first byte gets a 500 without details; an error after
// it is logged and the connection is cut without completing the response
// (http.ErrAbortHandler), so that a client sees a failed transfer, never a
// short file that looks complete.
const measurementColumns = "seq,component,start,status,step,url,outcome,detail,status_code," +
	"dns_ms,connect_ms,tls_ms,ttfb_ms,transfer_ms,duration_ms,addresses,bytes_read,tls_version,cert_expiry,redirects,record_url"

const (
	numMeasurementColumns = 21
	measColURL            = 5  // the first step column after step
	measColRecord         = 20 // record_url, after the step columns
	measurementsLimit     = 5000
	measurementsMaxLimit  = 50000
	measurementsMaxRange  = 31 * 24 * time.Hour
	measurementsFlush     = 500 // rows between flushes
	rfc3339Millis         = "2006-01-02T15:04:05.000Z07:00"
)

// measurementJSONNumber marks the columns written as JSON numbers; the others are strings.
var measurementJSONNumber = [numMeasurementColumns]bool{0: true, 4: true, 8: true, 9: true, 10: true, 11: true, 12: true, 13: true, 14: true, 16: true, 19: true}

// measCursor is a round's place in (start, seq) order.
type measCursor struct {
	ms  int64
	seq uint64
}

func (k measCursor) String() string {
	return strconv.FormatInt(k.ms, 10) + "-" + strconv.FormatUint(k.seq, 10)
}

func (k measCursor) after(o measCursor) bool { return k.ms > o.ms || (k.ms == o.ms && k.seq > o.seq) }

func parseMeasCursor(s string) (measCursor, bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return measCursor{}, false
	}
	ms, err1 := strconv.ParseInt(s[:i], 10, 64)
	seq, err2 := strconv.ParseUint(s[i+1:], 10, 64)
	k := measCursor{ms, seq}
	return k, err1 == nil && err2 == nil && k.String() == s
}

// measurementsQuery is a validated request.
type measurementsQuery struct {
	comp     string
	from, to time.Time // whole milliseconds, UTC
	limit    int
	after    measCursor
	hasAfter bool
	csv      bool
}

// measurements serves the raw measurements API documented at measurementColumns.
func (s *Server) measurements(c echo.Context) error {
	q, bad := s.parseMeasurements(c, time.Now())
	if bad != nil {
		return bad
	}
	if q.csv {
		return s.streamCSV(c, q)
	}
	return s.streamJSON(c, q)
}

// setMeasurementHeaders sets the headers of a successful answer, just before
// it commits, so that a 500 is never sent as cacheable CSV. link is the
// next page's URL, or "".
func setMeasurementHeaders(c echo.Context, q measurementsQuery, link string) {
	h := c.Response().Header()
	if q.to.Before(time.Now().Add(-5 * time.Minute)) {
		h.Set("Cache-Control", "public, max-age=60")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if !strings.HasSuffix(c.Request().URL.Path, ".csv") {
		h.Add("Vary", "Accept")
	}
	if !q.csv {
		h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		return
	}
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`,
		q.comp, q.from.Format("20060102T150405Z"), q.to.Format("20060102T150405Z")))
	if link != "" {
		h.Set("Link", "<"+link+`>; rel="next"`)
	}
}

func badMeasParam(field, format string, args ...any) *refusal {
	return refuse(http.StatusBadRequest, field, format, args...)
}

func (s *Server) parseMeasurements(c echo.Context, now time.Time) (measurementsQuery, *refusal) {
	q := measurementsQuery{comp: c.Param("id"), limit: measurementsLimit}
	if s.cfg.Component(q.comp) == nil {
		return q, refuse(http.StatusNotFound, "", "unknown component")
	}
	v := c.QueryParams()
	var ok bool
	if q.to, ok = parseMeasInstant(v.Get("to"), now); !ok {
		return q, badMeasParam("to", "to must be an RFC 3339 timestamp or a date YYYY-MM-DD")
	}
	if q.from, ok = parseMeasInstant(v.Get("from"), q.to.Add(-24*time.Hour)); !ok {
		return q, badMeasParam("from", "from must be an RFC 3339 timestamp or a date YYYY-MM-DD")
	}
	switch {
	case !q.from.Before(q.to):
		return q, badMeasParam("from", "from must be before to")
	case q.to.Sub(q.from) > measurementsMaxRange:
		return q, badMeasParam("to", "range longer than 31 days: page with several requests of at most 31 days")
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > measurementsMaxLimit {
			return q, badMeasParam("limit", "limit must be an integer from 1 to %d", measurementsMaxLimit)
		}
		q.limit = n
	}
	if a := v.Get("after"); a != "" {
		if q.after, ok = parseMeasCursor(a); !ok {
			return q, badMeasParam("after", "after must be a cursor <start_ms>-<seq> as given by the previous page")
		}
		q.hasAfter = true
	}
	q.csv = strings.HasSuffix(c.Request().URL.Path, ".csv") || prefersCSV(c.Request().Header.Get("Accept"))
	return q, nil
}

// parseMeasInstant parses an RFC 3339 timestamp or a date (00:00 in Paris), or
// returns def for "", rounded up to the millisecond, in UTC.
func parseMeasInstant(s string, def time.Time) (time.Time, bool) {
	t := def
	if s != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			if t, err = time.ParseInLocation(time.DateOnly, s, paris); err != nil {
				return time.Time{}, false
			}
		}
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return time.Time{}, false
	}
	if r := t.Truncate(time.Millisecond); !r.Equal(t) {
		t = r.Add(time.Millisecond)
	}
	return t.UTC().Truncate(time.Millisecond), true
}

// prefersCSV reports whether an Accept header prefers text/csv to
// application/json: a higher q, or the same q through a more specific range.
func prefersCSV(accept string) bool {
	var csvQ, jsonQ float64
	csvSpec, jsonSpec := -1, -1
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
		}
		if sp := mediaMatch(mt, "text/csv"); sp > csvSpec {
			csvSpec, csvQ = sp, q
		}
		if sp := mediaMatch(mt, "application/json"); sp > jsonSpec {
			jsonSpec, jsonQ = sp, q
		}
	}
	return csvQ > jsonQ || (csvQ == jsonQ && csvQ > 0 && csvSpec > jsonSpec)
}

// mediaMatch says how specifically media range r matches type t: 2 exactly,
// 1 by "type/*", 0 by "*/*", -1 not at all.
func mediaMatch(r, t string) int {
	switch {
	case r == t:
		return 2
	case r == t[:strings.IndexByte(t, '/')]+"/*":
		return 1
	case r == "*/*":
		return 0
	}
	return -1
}

// errPageFull stops a Range once the page is complete.
var errPageFull = errors.New("page full")

// walkMeasurements calls fn for the rounds of q's page in order: those after q.after, at
// most q.limit of them, or, with until set, those up to until (the limit
// then unchecked). It returns the last round given to fn, how many were,
// and whether more rounds remain beyond the limit.
func (s *Server) walkMeasurements(q measurementsQuery, until *measCursor, fn func(timeline.Measurement) error) (last measCursor, n int, more bool, err error) {
	from := q.from
	if q.hasAfter && q.after.ms > from.UnixMilli() {
		from = time.UnixMilli(q.after.ms)
	}
	err = s.tl.Range(q.comp, from, q.to, func(m timeline.Measurement) error {
		k := measCursor{m.Start.UnixMilli(), m.Seq}
		switch {
		case q.hasAfter && !k.after(q.after):
			return nil
		case until != nil && k.after(*until):
			return errPageFull
		case until == nil && n == q.limit:
			more = true
			return errPageFull
		}
		n++
		last = k
		return fn(m)
	})
	if errors.Is(err, errPageFull) {
		err = nil
	}
	return last, n, more, err
}

// streamMeasurements writes the page's rows with write, which writes to w, flushing
// every measurementsFlush rows; begin runs before the first byte, once. Errors
// after the first byte are logged and abort the response.
func (s *Server) streamMeasurements(c echo.Context, q measurementsQuery, until *measCursor, w *bufio.Writer, begin func(), write func(row *[numMeasurementColumns]string, steps bool) error) (last measCursor, n int, more bool, err error) {
	started, rows := false, 0
	var row [numMeasurementColumns]string
	rb := rowBuilder{record: s.base + "/evidence/record/"}
	var writeErr error
	last, n, more, err = s.walkMeasurements(q, until, func(m timeline.Measurement) error {
		if !started {
			started = true
			begin()
		}
		for i := 0; i == 0 || i < len(m.Steps); i++ {
			rb.fill(&row, &m, i)
			if writeErr = write(&row, len(m.Steps) > 0); writeErr != nil {
				return writeErr
			}
			if rows++; rows%measurementsFlush == 0 {
				if writeErr = w.Flush(); writeErr != nil {
					return writeErr
				}
				// Not c.Response().Flush, which panics when a middleware
				// hides http.Flusher: then the rows just wait for the end.
				_ = http.NewResponseController(c.Response().Writer).Flush()
			}
		}
		return nil
	})
	if err != nil && started {
		if writeErr == nil { // the client going away is not Constat's fault
			s.log.Error("measurements response cut", "component", q.comp, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	if err == nil && !started {
		begin()
	}
	return last, n, more, err
}

func (s *Server) streamJSON(c echo.Context, q measurementsQuery) error {
	if c.Request().Method == http.MethodHead {
		setMeasurementHeaders(c, q, "")
		return c.NoContent(http.StatusOK)
	}
	w := bufio.NewWriterSize(c.Response(), 32<<10)
	buf := make([]byte, 0, 1024)
	sep := ""
	begin := func() {
		setMeasurementHeaders(c, q, "")
		c.Response().WriteHeader(http.StatusOK)
		buf = append(buf[:0], `{"component":`...)
		buf = appendJSONStr(buf, q.comp)
		buf = append(buf, `,"from":"`...)
		buf = q.from.AppendFormat(buf, rfc3339Millis)
		buf = append(buf, `","to":"`...)
		buf = q.to.AppendFormat(buf, rfc3339Millis)
		buf = append(buf, `","measurements":[`...)
		w.Write(buf)
	}
	last, _, more, err := s.streamMeasurements(c, q, nil, w, begin, func(row *[numMeasurementColumns]string, steps bool) error {
		buf = appendMeasurementJSON(append(buf[:0], sep...), row, steps)
		sep = ",\n"
		_, err := w.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	buf = append(buf[:0], "\n],\"next\":"...)
	if more {
		buf = appendJSONStr(buf, last.String())
	} else {
		buf = append(buf, "null"...)
	}
	w.Write(append(buf, "}\n"...))
	return w.Flush()
}

func (s *Server) streamCSV(c echo.Context, q measurementsQuery) error {
	// First find the page's end, for the Link header.
	last, n, more, err := s.walkMeasurements(q, nil, func(timeline.Measurement) error { return nil })
	if err != nil {
		return err
	}
	link := ""
	if more {
		link = measurementsNextURL(c, q, last)
	}
	if c.Request().Method == http.MethodHead {
		setMeasurementHeaders(c, q, link)
		return c.NoContent(http.StatusOK)
	}
	bw := bufio.NewWriterSize(c.Response(), 32<<10)
	cw := csv.NewWriter(bw) // shares bw
	cw.UseCRLF = true
	begin := func() {
		setMeasurementHeaders(c, q, link)
		c.Response().WriteHeader(http.StatusOK)
		cw.Write(strings.Split(measurementColumns, ","))
	}
	if n == 0 {
		begin()
	} else if _, _, _, err = s.streamMeasurements(c, q, &last, bw, begin, func(row *[numMeasurementColumns]string, _ bool) error {
		return cw.Write(row[:])
	}); err != nil {
		return err
	}
	cw.Flush() // flushes bw, which cw shares
	return cw.Error()
}

// measurementsNextURL is the URL of the page after last: the request's path with from,
// to and limit as resolved. A day's permalink (dayCSV) takes no query, so
// its pages after the first are the API's.
func measurementsNextURL(c echo.Context, q measurementsQuery, last measCursor) string {
	path := c.Request().URL.EscapedPath()
	if !strings.HasPrefix(path, "/api/") {
		path = "/api/v1/components/" + url.PathEscape(q.comp) + "/measurements.csv"
	}
	v := url.Values{}
	v.Set("from", q.from.Format(rfc3339Millis))
	v.Set("to", q.to.Format(rfc3339Millis))
	v.Set("limit", strconv.Itoa(q.limit))
	v.Set("after", last.String())
	return path + "?" + v.Encode()
}

// rowBuilder formats the columns of a row into one buffer, so that a row
// costs one string allocation rather than one per column.
type rowBuilder struct {
	buf    []byte
	ends   [numMeasurementColumns]int
	record string // the record_url column before the seq
}

// fill sets row to the columns of m's step i (0-based), or of m alone when
// it has no steps; the values are substrings of one string.
func (rb *rowBuilder) fill(row *[numMeasurementColumns]string, m *timeline.Measurement, i int) {
	b := strconv.AppendUint(rb.buf[:0], m.Seq, 10)
	rb.ends[0] = len(b)
	b = append(b, m.Component...)
	rb.ends[1] = len(b)
	b = m.Start.UTC().AppendFormat(b, rfc3339Millis)
	rb.ends[2] = len(b)
	b = append(b, m.Status.String()...)
	rb.ends[3] = len(b)
	if len(m.Steps) == 0 {
		b = append(b, '0')
		for j := 4; j < measColRecord; j++ {
			rb.ends[j] = len(b)
		}
	} else {
		st := &m.Steps[i]
		b = strconv.AppendInt(b, int64(i+1), 10)
		rb.ends[4] = len(b)
		b = append(b, st.URL...)
		rb.ends[5] = len(b)
		b = append(b, st.Outcome.String()...)
		rb.ends[6] = len(b)
		b = append(b, st.Detail...)
		rb.ends[7] = len(b)
		b = strconv.AppendInt(b, int64(st.StatusCode), 10)
		rb.ends[8] = len(b)
		for j, d := range st.Phases.Each() {
			b = appendMillis(b, d)
			rb.ends[9+j] = len(b)
		}
		b = appendMillis(b, st.Duration)
		rb.ends[14] = len(b)
		for j, a := range st.Addresses {
			if j > 0 {
				b = append(b, ';')
			}
			b = append(b, a...)
		}
		rb.ends[15] = len(b)
		b = strconv.AppendInt(b, st.BytesRead, 10)
		rb.ends[16] = len(b)
		if st.TLSVersion != 0 {
			b = append(b, tls.VersionName(st.TLSVersion)...)
		}
		rb.ends[17] = len(b)
		if !st.CertExpiry.IsZero() {
			b = st.CertExpiry.UTC().AppendFormat(b, time.RFC3339)
		}
		rb.ends[18] = len(b)
		b = strconv.AppendInt(b, int64(st.Redirects), 10)
		rb.ends[19] = len(b)
	}
	b = append(b, rb.record...)
	b = strconv.AppendUint(b, m.Seq, 10)
	rb.ends[measColRecord] = len(b)
	rb.buf = b
	str, start := string(b), 0
	for j, end := range rb.ends {
		row[j], start = str[start:end], end
	}
}

// appendMillis appends d in milliseconds with 3 decimals, rounded down to
// the microsecond (durations are stored to the microsecond).
func appendMillis(b []byte, d time.Duration) []byte {
	us := d.Microseconds()
	if us < 0 {
		b, us = append(b, '-'), -us
	}
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

var measurementJSONKeys = func() (keys [numMeasurementColumns][]byte) {
	for i, name := range strings.Split(measurementColumns, ",") {
		keys[i] = []byte(`"` + name + `":`)
	}
	return keys
}()

func appendMeasurementJSON(b []byte, row *[numMeasurementColumns]string, steps bool) []byte {
	b = append(b, '{')
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, measurementJSONKeys[i]...)
		switch {
		case !steps && i >= measColURL && i < measColRecord:
			b = append(b, "null"...)
		case measurementJSONNumber[i]:
			b = append(b, v...)
		default:
			b = appendJSONStr(b, v)
		}
	}
	return append(b, '}')
}

// appendJSONStr appends s as a JSON string.
func appendJSONStr(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
