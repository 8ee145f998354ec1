package probes

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// direct is the round tripper of a check whose transport needs neither a
// proxy nor an authentication wrapper: the common case. It speaks HTTP/1.1
// in the calling goroutine: dial, TLS handshake, write the request with
// http.Request.Write, read the answer with http.ReadResponse. A server
// that chooses HTTP/2 in the handshake is spoken to through
// golang.org/x/net/http2's client connection.
//
// net/http's Transport starts a goroutine to dial and two more for every
// connection (its read and write loops), and hands each request and
// answer between them over channels. With a new connection per check, as
// Constat opens to measure connect and TLS every time, that machinery cost
// more CPU than everything Constat does with the result (constat-bench
// pair: a raw client used 27 % less CPU per GET than net/http's). A check
// needs none of it: it sends one request at a time and reads the answer
// itself.
//
// What net/http's Transport does that a check relies on, direct does too:
// the httptrace hooks (DNS and connect come from the net package's dialer,
// the others are called here), the step's deadline on every phase,
// "Connection: close" when connections are not kept, 1xx answers skipped,
// a bound on the answer's header bytes, and, for kept connections, one
// retry on a new connection when the kept one turns out closed by the
// server before any answer came (as net/http retries such a request), so
// that a portal that closes idle connections is not reported down.
type direct struct {
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	tls       *tls.Config      // the component's tls_config; cloned per connection
	h2        *http2.Transport // nil when HTTP/2 is off
	keep      bool             // keep connections between rounds
	idleLimit time.Duration    // close a kept connection idle longer than this
	handshake time.Duration    // bound on the TLS handshake, within the step's timeout

	mu   sync.Mutex
	idle map[string]*pconn // at most one kept connection per scheme and address
}

// maxHeaderBytes bounds the status line and headers of an answer, as
// net/http's Transport does by default, so that a server sending endless
// headers cannot fill Constat's memory.
const maxHeaderBytes = 1 << 20

// max1xx bounds the informational answers skipped before the real one.
const max1xx = 5

// longAgo is a deadline in the past: it interrupts a blocked read or write.
var longAgo = time.Unix(1, 0)

// newDirect returns the direct round tripper of t's settings, dialling with
// dial. ok is false when t needs what direct does not do (a proxy): the
// check keeps net/http's Transport then.
func newDirect(t *http.Transport, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (*direct, bool) {
	if t.Proxy != nil || t.DialTLSContext != nil || t.DialTLS != nil {
		return nil, false
	}
	d := &direct{dial: dial, tls: t.TLSClientConfig, keep: !t.DisableKeepAlives,
		idleLimit: t.IdleConnTimeout, handshake: t.TLSHandshakeTimeout}
	if t.Protocols != nil && t.Protocols.HTTP2() {
		d.h2 = &http2.Transport{DisableCompression: true}
		if t.HTTP2 != nil {
			d.h2.ReadIdleTimeout = t.HTTP2.SendPingTimeout // a ping after this long without a frame
		}
	}
	return d, true
}

// pconn is one connection of direct.
type pconn struct {
	conn   net.Conn          // TCP, or TLS over it
	tcp    net.Conn          // the TCP connection, for the liveness check of a kept one
	lim    *limitReader      // what br reads: the connection, bounded while headers are read
	br     *bufio.Reader     // during an exchange only; nil while idle
	h2     *http2.ClientConn // set when the server chose HTTP/2
	idleAt time.Time
}

func (pc *pconn) close() {
	if pc.h2 != nil {
		pc.h2.Close()
		return
	}
	pc.conn.Close()
	if pc.br != nil {
		putReader(pc.br)
		pc.br = nil
	}
}

// RoundTrip sends req on a kept connection to its address, or on a new one.
func (d *direct) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	key, addr, err := connKey(req)
	if err != nil {
		return nil, err
	}
	trace := httptrace.ContextClientTrace(ctx)
	if pc := d.take(key); pc != nil {
		resp, stale, err := d.exchange(ctx, req, key, pc, true, trace)
		if !stale {
			return resp, err
		}
		// The server closed the kept connection while it was idle, and
		// nothing of an answer came: the request never reached a working
		// exchange. Send it again on a new connection, as net/http does.
	}
	pc, err := d.connect(ctx, req.URL.Scheme, addr, trace)
	if err != nil {
		return nil, err
	}
	resp, _, err := d.exchange(ctx, req, key, pc, false, trace)
	return resp, err
}

// connKey returns the kept-connection key and the address to dial for req.
func connKey(req *http.Request) (key, addr string, err error) {
	u := req.URL
	port := u.Port()
	switch u.Scheme {
	case "http":
		port = cmp.Or(port, "80")
	case "https":
		port = cmp.Or(port, "443")
	default:
		return "", "", fmt.Errorf("unsupported protocol scheme %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return "", "", errors.New("no host in request URL")
	}
	addr = net.JoinHostPort(u.Hostname(), port)
	return u.Scheme + "://" + addr, addr, nil
}

// take returns the kept connection of key if it is still usable.
func (d *direct) take(key string) *pconn {
	d.mu.Lock()
	pc := d.idle[key]
	delete(d.idle, key)
	d.mu.Unlock()
	if pc == nil {
		return nil
	}
	if (d.idleLimit > 0 && time.Since(pc.idleAt) > d.idleLimit) || !pc.usable() {
		pc.close()
		return nil
	}
	return pc
}

// usable reports whether a kept connection can carry a request: for
// HTTP/2, what the client connection knows; for HTTP/1.1, that the server
// neither closed it nor sent anything since the last answer.
func (pc *pconn) usable() bool {
	if pc.h2 != nil {
		return pc.h2.CanTakeNewRequest()
	}
	return quiet(pc.tcp)
}

// keepIdle keeps pc for the next request to key, replacing (and closing)
// any connection kept there before. An idle connection holds no buffer.
func (d *direct) keepIdle(key string, pc *pconn) {
	pc.idleAt = time.Now()
	if pc.br != nil {
		putReader(pc.br)
		pc.br = nil
	}
	d.mu.Lock()
	if d.idle == nil {
		d.idle = make(map[string]*pconn)
	}
	old := d.idle[key]
	d.idle[key] = pc
	d.mu.Unlock()
	if old != nil {
		old.close()
	}
}

// connect dials addr and, for https, shakes hands, offering HTTP/2 when
// it is on.
func (d *direct) connect(ctx context.Context, scheme, addr string, trace *httptrace.ClientTrace) (*pconn, error) {
	conn, err := d.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	pc := &pconn{conn: conn, tcp: conn}
	pc.lim = &limitReader{r: conn}
	if scheme == "https" {
		tc, err := d.shake(ctx, conn, addr, trace)
		if err != nil {
			conn.Close()
			return nil, err
		}
		pc.conn, pc.lim.r = tc, tc
		if d.h2 != nil && tc.ConnectionState().NegotiatedProtocol == http2.NextProtoTLS {
			if pc.h2, err = d.h2.NewClientConn(tc); err != nil {
				tc.Close()
				return nil, err
			}
		}
	}
	return pc, nil
}

// shake runs the TLS handshake on conn, bounded by d.handshake and ctx.
func (d *direct) shake(ctx context.Context, conn net.Conn, addr string, trace *httptrace.ClientTrace) (*tls.Conn, error) {
	cfg := d.tls.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		host, _, _ := net.SplitHostPort(addr)
		cfg.ServerName = host
	}
	if d.h2 != nil && len(cfg.NextProtos) == 0 {
		cfg.NextProtos = []string{http2.NextProtoTLS, "http/1.1"}
	}
	if d.handshake > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.handshake)
		defer cancel()
	}
	tc := tls.Client(conn, cfg)
	if trace != nil && trace.TLSHandshakeStart != nil {
		trace.TLSHandshakeStart()
	}
	err := tc.HandshakeContext(ctx)
	if trace != nil && trace.TLSHandshakeDone != nil {
		var cs tls.ConnectionState
		if err == nil {
			cs = tc.ConnectionState()
		}
		trace.TLSHandshakeDone(cs, err)
	}
	return tc, err
}

// exchange sends req on pc and reads the answer's header. stale is true
// when pc was kept (reused) and failed before any byte of an answer came
// while ctx is live: the request may be sent again on a new connection.
// On error pc is closed.
func (d *direct) exchange(ctx context.Context, req *http.Request, key string, pc *pconn, reused bool, trace *httptrace.ClientTrace) (_ *http.Response, stale bool, _ error) {
	if trace != nil && trace.GotConn != nil {
		info := httptrace.GotConnInfo{Conn: pc.conn, Reused: reused}
		if reused {
			info.WasIdle, info.IdleTime = true, time.Since(pc.idleAt)
		}
		trace.GotConn(info)
	}
	if pc.h2 != nil {
		return d.exchange2(ctx, req, key, pc, reused)
	}
	deadline, _ := ctx.Deadline()
	pc.conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { pc.conn.SetDeadline(longAgo) })
	fail := func(err error, beforeAnswer bool) (*http.Response, bool, error) {
		stop()
		pc.close()
		if ctx.Err() != nil {
			return nil, false, ctx.Err() // the step's deadline, or shutdown: not the kept connection's fault
		}
		return nil, reused && beforeAnswer && !isTimeout(err), err
	}
	if err := writeRequest(pc.conn, req, !d.keep); err != nil {
		return fail(err, true)
	}
	if trace != nil && trace.WroteRequest != nil {
		trace.WroteRequest(httptrace.WroteRequestInfo{})
	}
	pc.br = getReader(pc.lim)
	pc.lim.n = maxHeaderBytes
	if _, err := pc.br.Peek(1); err != nil {
		return fail(err, true)
	}
	if trace != nil && trace.GotFirstResponseByte != nil {
		trace.GotFirstResponseByte()
	}
	var resp *http.Response
	for n := 0; ; n++ {
		var err error
		if resp, err = http.ReadResponse(pc.br, req); err != nil {
			return fail(err, false)
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols || resp.StatusCode < 100 {
			break
		}
		if n == max1xx {
			return fail(fmt.Errorf("more than %d informational (1xx) answers", max1xx), false)
		}
	}
	pc.lim.n = -1 // the body is bounded by the caller
	resp.Body = &body{rc: resp.Body, d: d, key: key, pc: pc, stop: stop, keep: d.keep && !resp.Close}
	return resp, false, nil
}

// exchange2 is exchange over HTTP/2; the http2 client connection calls the
// remaining trace hooks itself and watches ctx.
func (d *direct) exchange2(ctx context.Context, req *http.Request, key string, pc *pconn, reused bool) (*http.Response, bool, error) {
	resp, err := pc.h2.RoundTrip(req)
	if err != nil {
		pc.close()
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, reused && !isTimeout(err), err
	}
	resp.Body = &body{rc: resp.Body, d: d, key: key, pc: pc, stop: func() bool { return true }, keep: d.keep}
	return resp, false, nil
}

// writeRequest writes req to conn through a pooled buffer; closing asks
// the server to close the connection after its answer.
func writeRequest(conn net.Conn, req *http.Request, closing bool) error {
	if closing && !req.Close {
		r := *req // RoundTrip must not change the caller's request
		r.Close = true
		req = &r
	}
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(conn)
	err := req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	writers.Put(bw)
	return err
}

// body is an answer's body. Closing it after the last byte was read keeps
// the connection for the next round when connections are kept; closing it
// earlier closes the connection rather than reading the rest, as an
// endless body would never end.
type body struct {
	rc   io.ReadCloser
	d    *direct
	key  string
	pc   *pconn
	stop func() bool // stops the context's interruption of the connection
	keep bool
	eof  bool
	done bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.done {
		return 0, errors.New("read on closed body")
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *body) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	interrupted := !b.stop()
	if b.pc.h2 != nil {
		b.rc.Close() // resets the stream if unread; the connection stays
		if b.keep && b.pc.h2.CanTakeNewRequest() {
			b.d.keepIdle(b.key, b.pc)
		} else {
			b.pc.close()
		}
		return nil
	}
	if b.keep && b.eof && !interrupted && b.pc.br.Buffered() == 0 && b.pc.conn.SetDeadline(time.Time{}) == nil {
		b.d.keepIdle(b.key, b.pc)
		return nil
	}
	b.pc.close()
	return nil
}

// limitReader reads from r, failing once n bytes were read while n >= 0:
// the bound on an answer's header bytes, lifted (n < 0) for its body.
type limitReader struct {
	r io.Reader
	n int64
}

var errHeaderTooLong = fmt.Errorf("answer header longer than %d bytes", maxHeaderBytes)

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return l.r.Read(p)
	}
	if l.n == 0 {
		return 0, errHeaderTooLong
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// readers and writers recycle the connections' buffers: a connection holds
// a reader only while an exchange is under way or data waits in it, and a
// writer only while it writes.
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 1<<10) }}
)

func getReader(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putReader(br *bufio.Reader) {
	br.Reset(nil)
	readers.Put(br)
}
