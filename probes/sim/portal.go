// Package sim serves, on 127.0.0.1, the ways French school portals failed
// under load in 2020–21: a 200 OK quota or restriction page in place of the
// portal, a white "service indisponible" page, a home page whose login is a
// 502, stalls, resets, refused and unanswered connections, bad certificates
// and DNS failures. Tests and the `constat demo` command share it.
//
// A Portal owns one TCP port for its whole life and can switch Behaviour and
// TLSMode at run time, so one URL can go from Healthy to Refused and back as a
// real ENT did. The page texts are the ones the press reported on 6 April
// 2021 (QuotaText, RestrictedText), byte for byte, so that a probe's
// signatures are tested against what parents saw.
//
// # Caveats
//
// Nothing here sends a packet beyond the loopback interface; the DNS server
// answers only from its own table. ConnectTimeout needs Linux (New and Set
// return an error wrapping errors.ErrUnsupported elsewhere). The sim CA and
// its leaves are generated once per process and live only in memory.
package sim

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultDelay is how long a Slow portal holds its response headers back
// unless WithDelay says otherwise.
const DefaultDelay = 1500 * time.Millisecond

// ErrClosed is returned by Set and SetTLS when the portal has been closed.
var ErrClosed = errors.New("sim: portal closed")

// Option configures New.
type Option func(*options)

type options struct {
	tls   TLSMode
	delay time.Duration
	name  string
}

// WithTLS makes the portal serve https with the certificate of mode m.
func WithTLS(m TLSMode) Option { return func(o *options) { o.tls = m } }

// WithDelay sets how long Slow holds the response headers back (default
// DefaultDelay). It must not be negative.
func WithDelay(d time.Duration) Option { return func(o *options) { o.delay = d } }

// WithName sets the portal name shown in page titles (default "ENT").
func WithName(name string) Option { return func(o *options) { o.name = name } }

// Portal is a simulated school portal on 127.0.0.1. Its methods are safe for
// concurrent use. Close it to free its port and stop its goroutines.
type Portal struct {
	name   string
	delay  time.Duration
	token  string // value of the session cookie the home page sets
	addr   string // 127.0.0.1:port, fixed for the portal's life
	srv    *http.Server
	tlsCfg *tls.Config
	done   chan struct{} // closed by Close: unblocks Slow, Hanging, EndlessBody

	behaviour atomic.Int64 // a Behaviour
	tlsMode   atomic.Int64 // a TLSMode
	flap      atomic.Uint64
	requests  atomic.Int64
	sawCookie atomic.Bool

	mu      sync.Mutex // serialises Set and Close; guards the fields below
	closed  bool
	ln      net.Listener // the serving listener; nil unless the port mode is listening
	choke   *choke       // ConnectTimeout's full listener; nil otherwise
	release func() error // frees the reserved port
	conns   map[net.Conn]struct{}
	serving sync.WaitGroup // srv.Serve goroutines
	active  sync.WaitGroup // open connections (from StateNew) and running handlers
}

// New starts a portal with behaviour b on 127.0.0.1 and a port of its own.
// The caller must Close it.
func New(b Behaviour, opts ...Option) (*Portal, error) {
	o := options{delay: DefaultDelay, name: "ENT"}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case !b.valid():
		return nil, fmt.Errorf("new portal: unknown behaviour %v", b)
	case !o.tls.valid():
		return nil, fmt.Errorf("new portal: unknown TLS mode %v", o.tls)
	case o.delay < 0:
		return nil, fmt.Errorf("new portal: negative delay %v", o.delay)
	}
	port, release, err := reservePort()
	if err != nil {
		return nil, fmt.Errorf("new portal: %w", err)
	}
	p := &Portal{
		name:    o.name,
		delay:   o.delay,
		token:   rand.Text(),
		addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		done:    make(chan struct{}),
		release: release,
		conns:   make(map[net.Conn]struct{}),
	}
	p.tlsCfg = p.tlsConfig()
	p.tlsMode.Store(int64(o.tls))
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serveHTTP),
		ConnState:         p.connState,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // bad-certificate handshakes are the point
	}
	p.behaviour.Store(int64(Refused)) // the port is reserved, nothing listens yet
	p.mu.Lock()
	err = p.setLocked(b)
	p.mu.Unlock()
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// TB is the part of testing.TB that Start and StartDNS use: *testing.T and
// *testing.B satisfy it. Naming it here keeps package testing out of the
// constat binary, whose demo uses New and NewDNS.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start is New for tests: it fails tb if the portal cannot start and closes
// the portal in tb.Cleanup.
func Start(tb TB, b Behaviour, opts ...Option) *Portal {
	tb.Helper()
	p, err := New(b, opts...)
	if err != nil {
		tb.Fatalf("sim.New(%v) = %v", b, err)
	}
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Errorf("close portal %s: %v", p.Addr(), err)
		}
	})
	return p
}

// URL returns the portal's home page, "http://127.0.0.1:PORT/", or https://
// while its TLSMode is not PlainHTTP.
func (p *Portal) URL() string {
	if p.TLS() == PlainHTTP {
		return "http://" + p.addr + homePath
	}
	return "https://" + p.addr + homePath
}

// LoginURL returns the login page, URL() + "auth/login".
func (p *Portal) LoginURL() string { return p.URL() + loginPath[1:] }

// Addr returns "127.0.0.1:PORT". The port does not change when the
// behaviour does.
func (p *Portal) Addr() string { return p.addr }

// Behaviour returns the current behaviour. After a failed Set it is Refused.
func (p *Portal) Behaviour() Behaviour { return Behaviour(p.behaviour.Load()) }

// TLS returns the current TLS mode.
func (p *Portal) TLS() TLSMode { return TLSMode(p.tlsMode.Load()) }

// Requests returns how many HTTP requests the portal has received, whatever
// it did with them (a Hanging or Reset request counts). Connections that were
// refused or never accepted do not count.
func (p *Portal) Requests() int64 { return p.requests.Load() }

// LoginSawCookie reports whether the last request to /auth/login carried the
// session cookie the home page sets, i.e. whether the client kept its cookie
// jar between the two steps.
func (p *Portal) LoginSawCookie() bool { return p.sawCookie.Load() }

// Set switches the portal to behaviour b. Requests that arrive after Set
// returns see b; requests already being served finish as they started.
// Switching to Refused or ConnectTimeout closes the listener and every open
// connection (keep-alive ones too); switching back listens again on the same
// port. Set(Flapping) restarts the alternation with Healthy. If the port
// cannot be opened again, Set returns the error and the portal is left
// Refused. Set returns ErrClosed after Close.
func (p *Portal) Set(b Behaviour) error {
	if !b.valid() {
		return fmt.Errorf("set portal %s: unknown behaviour %v", p.addr, b)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	return p.setLocked(b)
}

// SetTLS switches the portal to TLS mode m for connections accepted after it
// returns; open connections keep their certificate. It returns ErrClosed
// after Close.
func (p *Portal) SetTLS(m TLSMode) error {
	if !m.valid() {
		return fmt.Errorf("set portal %s: unknown TLS mode %v", p.addr, m)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.tlsMode.Store(int64(m))
	return nil
}

// Close stops the portal: it unblocks Slow, Hanging and EndlessBody handlers,
// closes the listener and every connection, frees the port and waits for its
// goroutines and handlers to return. Calling it again returns nil.
func (p *Portal) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	err := p.closePortLocked()
	p.closeConnsLocked()
	if rerr := p.release(); rerr != nil {
		err = errors.Join(err, fmt.Errorf("release port: %w", rerr))
	}
	p.mu.Unlock()
	p.srv.Close()    // whatever net/http still tracks; its error repeats ours
	p.serving.Wait() // no StateNew after this, so no active.Add either
	p.active.Wait()
	if err != nil {
		return fmt.Errorf("close portal %s: %w", p.addr, err)
	}
	return nil
}
