package probes

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/config"
	"golang.org/x/text/encoding/charmap"
)

// maxRedirects bounds the redirects one step follows.
const maxRedirects = 10

// DefaultUserAgent names Constat and where to read about it, so that an ENT
// operator who sees the probes in its logs knows who measures and why.
const DefaultUserAgent = "Constat/1.0 (+https://github.com/constat-ent/constat; mesure independante de disponibilite)"

// Options are the process-wide settings of checks, not part of the config file.
type Options struct {
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
	// Resolver resolves host names; nil means the system resolver. Tests and
	// the demo point it at a loopback DNS server.
	Resolver *net.Resolver
}

// Check runs one component's steps. It is safe for concurrent use, but the
// scheduler never runs two rounds of one check at once.
type Check struct {
	Component *Component
	header    http.Header // of every request; cloned, as the cookie jar adds to it
	rt        http.RoundTripper
	// checkRedirect is redirectPolicy, bound once rather than per step.
	checkRedirect func(*http.Request, []*http.Request) error
}

// NewCheck builds the HTTP transport of c once, from its http_client_config,
// with keep-alives off so that every step pays DNS, connect and TLS afresh,
// unless c.KeepAlive, which keeps idle connections for two intervals.
func NewCheck(c *Component, opts Options) (*Check, error) {
	hopts := []config.HTTPClientOption{config.WithKeepAlivesDisabled()}
	if c.KeepAlive {
		hopts = []config.HTTPClientOption{config.WithIdleConnTimeout(2 * c.Interval)}
	}
	if opts.Resolver != nil {
		d := &net.Dialer{Resolver: opts.Resolver}
		hopts = append(hopts, config.WithDialContextFunc(d.DialContext))
	}
	rt, err := config.NewRoundTripperFromConfig(c.HTTPClientConfig, "constat", hopts...)
	if err != nil {
		return nil, fmt.Errorf("component %s: http_client_config: %w", c.ID, err)
	}
	// prometheus/common wraps every dial in go-conntrack with tracing, which
	// builds an x/net/trace event log per connection: 17% of a check's
	// allocations, for metrics Constat does not export. When the transport
	// is a plain *http.Transport (no auth or TLS file wrappers), dial
	// directly, and, without a proxy, let direct speak HTTP in the check's
	// own goroutine.
	if t, ok := rt.(*http.Transport); ok {
		dialer := &net.Dialer{Resolver: opts.Resolver}
		if !c.KeepAlive {
			dialer.KeepAlive = -1 // a connection of one round needs no TCP keep-alive
		}
		if d, ok := newDirect(t, dialer.DialContext); ok {
			rt = d
		} else {
			t.DialContext = dialer.DialContext
		}
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	h := http.Header{
		"User-Agent":      {ua},
		"Accept":          {"text/html,application/xhtml+xml,*/*;q=0.8"},
		"Accept-Language": {"fr-FR,fr;q=0.9"},
		"Accept-Encoding": {"gzip"}, // set by us, so decompressed by us, bounded
	}
	ch := &Check{Component: c, header: h, rt: rt}
	ch.checkRedirect = ch.redirectPolicy
	return ch, nil
}

// Run performs one round: each step in order, sharing a fresh cookie jar,
// until one fails. A failing ENT is a Result, never an error; Run returns
// early with the steps done so far if ctx ends.
func (c *Check) Run(ctx context.Context) Result {
	jar, _ := cookiejar.New(nil) // cookiejar.New never fails without options
	res := Result{Component: c.Component.ID, Start: time.Now(), Steps: make([]StepResult, 0, len(c.Component.Steps))}
	// The pages read live only until Run returns: their buffers go back to
	// bodyBuffers then.
	var bufs [4]*bytes.Buffer
	used := bufs[:0]
	defer func() {
		for _, b := range used {
			putBodyBuffer(b)
		}
	}()
	var prev *page
	for _, st := range c.Component.Steps {
		buf := bodyBuffers.Get().(*bytes.Buffer)
		used = append(used, buf)
		sr, pg := c.step(ctx, st, jar, prev, buf)
		res.Steps = append(res.Steps, sr)
		if sr.Outcome.Failed() {
			break
		}
		prev = pg
	}
	res.Status = c.status(res.Steps)
	return res
}

// status is the component status of one round: unknown when a step failed
// for a reason local to Constat, else the failing step's impact, else
// degraded when a step was slow, else operational.
func (c *Check) status(steps []StepResult) Status {
	s := Operational
	for i, sr := range steps {
		switch {
		case sr.Outcome == ProbeError:
			return StatusUnknown
		case sr.Outcome.Failed():
			return c.Component.Steps[i].Impact.status()
		case sr.Outcome == Slow:
			s = DegradedPerformance
		}
	}
	return s
}

// page is what a step read, for the next step's follow.
type page struct {
	url  *url.URL
	body []byte
}

// step runs one step, reading the body into buf; the returned page is nil
// unless the step delivered.
func (c *Check) step(ctx context.Context, st *Step, jar http.CookieJar, prev *page, buf *bytes.Buffer) (StepResult, *page) {
	target, sr := c.target(st, prev)
	if sr.Outcome != OutcomeUnknown {
		return sr, nil
	}
	ctx, cancel := context.WithTimeout(ctx, st.Timeout)
	defer cancel()
	tr := &tracer{}
	u := target.String()
	start := time.Now()
	body, n, resp, err := c.fetch(ctx, tr, jar, u, buf)
	end := time.Now()

	sr = StepResult{URL: u, Phases: tr.phases(end), Duration: end.Sub(start), Addresses: tr.addrs(), BytesRead: n}
	if resp != nil {
		sr.StatusCode = resp.StatusCode
		sr.Redirects = redirectCount(resp)
	}
	if cs, ok := tr.handshake(); ok {
		sr.TLSVersion, sr.CertExpiry = cs.Version, earliestExpiry(&cs)
	}
	if err != nil {
		v := classify(err, tr.stalledPhase())
		sr.Outcome, sr.Detail = v.outcome, v.detail
		if sr.CertExpiry.IsZero() {
			sr.CertExpiry = v.certExpiry
		}
		return sr, nil
	}
	sr.Outcome, sr.Detail = judge(st, resp.StatusCode, body, sr.Duration)
	if sr.Outcome.Failed() {
		return sr, nil
	}
	return sr, &page{url: resp.Request.URL, body: body}
}

// target resolves the step's URL; a follow pattern that finds nothing is
// ContentMissing, reported in the returned StepResult.
func (c *Check) target(st *Step, prev *page) (*url.URL, StepResult) {
	if st.Follow == nil {
		return st.URL, StepResult{}
	}
	missing := StepResult{Outcome: ContentMissing, Detail: st.Follow.Name}
	if prev == nil {
		return nil, missing
	}
	m := st.Follow.Re.FindSubmatch(prev.body)
	if m == nil {
		missing.URL = prev.url.String()
		return nil, missing
	}
	ref := m[0]
	if len(m) > 1 {
		ref = m[1]
	}
	u, err := prev.url.Parse(html.UnescapeString(strings.TrimSpace(string(ref))))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		missing.URL = prev.url.String()
		return nil, missing
	}
	return u, StepResult{}
}

// fetch GETs u and reads at most MaxBody bytes of its (decompressed) body
// into buf.
func (c *Check) fetch(ctx context.Context, tr *tracer, jar http.CookieJar, u string, buf *bytes.Buffer) ([]byte, int64, *http.Response, error) {
	tr.transport = hopTransport{rt: c.rt, tr: tr}
	tr.client = http.Client{Transport: &tr.transport, Jar: jar, CheckRedirect: c.checkRedirect}
	client := &tr.client
	req, err := http.NewRequestWithContext(withTrace(ctx, tr), http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, nil, err
	}
	req.Header = c.header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, nil, err
	}
	defer resp.Body.Close()
	body, n, err := readBody(resp, c.Component.MaxBody, buf)
	return body, n, resp, err
}

func (c *Check) redirectPolicy(req *http.Request, via []*http.Request) error {
	if !c.Component.HTTPClientConfig.FollowRedirects {
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return errTooManyRedirects
	}
	// A URL seen twice before is a loop; seen once may be a cookie check.
	seen := 0
	for _, v := range via {
		if v.URL.String() == req.URL.String() {
			seen++
		}
	}
	if seen >= 2 {
		return errRedirectLoop
	}
	return nil
}

// bodyBuffers recycles the buffers pages are read into, across checks: a
// page is read, judged and dropped within one round, and growing a fresh
// buffer each time was a quarter of a check's allocations.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody bounds the buffers bodyBuffers keeps, so that one huge page
// does not stay pinned.
const maxPooledBody = 256 << 10

func putBodyBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBody {
		b.Reset()
		bodyBuffers.Put(b)
	}
}

// readBody reads at most max bytes of the body into buf, after gzip
// decoding, and converts Latin-1 pages to UTF-8 so that the signatures match
// them; n is the count of bytes read, before that conversion. body is buf's
// bytes (or their conversion), valid until buf is reused.
func readBody(resp *http.Response, max int64, buf *bytes.Buffer) (body []byte, n int64, err error) {
	var r io.Reader = resp.Body
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, 0, err
		}
		defer zr.Close()
		r = zr
	}
	buf.Reset()
	if cl := resp.ContentLength; cl > 0 && r == resp.Body { // one allocation for the usual page
		buf.Grow(int(min(cl+1, max)))
	}
	n, err = buf.ReadFrom(io.LimitReader(r, max))
	b := buf.Bytes()
	if isLatin1(resp.Header.Get("Content-Type")) {
		if u, derr := charmap.Windows1252.NewDecoder().Bytes(b); derr == nil {
			b = u
		}
	}
	return b, n, err
}

func isLatin1(contentType string) bool {
	if plainCharset(contentType) { // most pages: no parse, no map
		return false
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch strings.ToLower(params["charset"]) {
	case "iso-8859-1", "latin1", "iso-8859-15", "windows-1252", "cp1252":
		return true
	}
	return false
}

// plainCharset reports, without parsing, that contentType names no
// charset or names UTF-8 as its one charset parameter; false means parse it.
func plainCharset(contentType string) bool {
	const word, utf8 = "charset", "utf-8"
	at := -1
	for i := 0; i+len(word) <= len(contentType); i++ {
		if strings.EqualFold(contentType[i:i+len(word)], word) {
			if at >= 0 {
				return false // twice: let the parser decide
			}
			at = i
		}
	}
	if at < 0 {
		return true
	}
	if at == 0 || !strings.ContainsRune("; \t", rune(contentType[at-1])) {
		return false
	}
	v, ok := strings.CutPrefix(contentType[at+len(word):], "=")
	if !ok || len(v) < len(utf8) || !strings.EqualFold(v[:len(utf8)], utf8) {
		return false
	}
	rest := v[len(utf8):]
	return rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t'
}

// judge applies the assertions to a response that arrived whole: status
// code, then soft-failure signatures, then markers, then speed.
func judge(st *Step, code int, body []byte, took time.Duration) (Outcome, string) {
	if !validStatus(st.ValidStatusCodes, code) {
		return HTTPError, fmt.Sprint(code)
	}
	page := &pageText{raw: body}
	for _, p := range st.FailIfBodyMatches {
		if p.match(page) {
			return SoftFailure, p.Name
		}
	}
	for _, p := range st.FailIfBodyNotMatches {
		if !p.match(page) {
			return ContentMissing, p.Name
		}
	}
	if took > st.DegradedAfter {
		return Slow, ""
	}
	return OK, ""
}

func validStatus(valid []int, code int) bool {
	if len(valid) == 0 {
		return code >= 200 && code < 300
	}
	for _, v := range valid {
		if v == code {
			return true
		}
	}
	return false
}

func redirectCount(resp *http.Response) int {
	n := 0
	for r := resp.Request; r != nil && r.Response != nil; r = r.Response.Request {
		n++
	}
	return n
}

func earliestExpiry(cs *tls.ConnectionState) time.Time {
	var t time.Time
	for _, c := range cs.PeerCertificates {
		if t.IsZero() || c.NotAfter.Before(t) {
			t = c.NotAfter
		}
	}
	return t
}
