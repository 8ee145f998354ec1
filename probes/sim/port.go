package sim

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// portMode is what the portal's TCP port does, which only Refused and
// ConnectTimeout change: every other behaviour is served over HTTP.
type portMode int

const (
	listening portMode = iota // accept and serve HTTP
	refusing                  // nothing listens: SYN answered by RST
	choking                   // a listener with a full accept queue: SYN dropped
)

func modeOf(b Behaviour) portMode {
	switch b {
	case Refused:
		return refusing
	case ConnectTimeout:
		return choking
	}
	return listening
}

// setLocked stores b and changes the port's mode if b needs another one.
// p.mu must be held.
func (p *Portal) setLocked(b Behaviour) error {
	from := modeOf(p.Behaviour())
	p.flap.Store(0)
	p.behaviour.Store(int64(b))
	to := modeOf(b)
	if from == to {
		return nil
	}
	err := p.closePortLocked()
	if to != listening {
		p.closeConnsLocked()
	}
	switch to {
	case listening:
		err = errors.Join(err, p.listenLocked())
	case choking:
		var c *choke
		c, err = openChoke(p.addr)
		p.choke = c
	}
	if err != nil {
		p.behaviour.Store(int64(Refused))
		return fmt.Errorf("switch portal %s to %v: %w", p.addr, b, err)
	}
	return nil
}

// listenLocked listens on the portal's port and serves HTTP on it in a
// goroutine that returns when the listener is closed.
func (p *Portal) listenLocked() error {
	ln, err := net.Listen("tcp4", p.addr)
	if err != nil {
		return err
	}
	p.ln = ln
	sl := &switchListener{Listener: ln, p: p}
	p.serving.Go(func() { p.srv.Serve(sl) }) // returns net.ErrClosed when ln is closed
	return nil
}

// closePortLocked closes the serving or choking listener, if any.
func (p *Portal) closePortLocked() error {
	var err error
	if p.ln != nil {
		if cerr := p.ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
		p.ln = nil
	}
	if p.choke != nil {
		err = errors.Join(err, p.choke.close())
		p.choke = nil
	}
	return err
}

// closeConnsLocked closes every open HTTP connection; their handlers see
// their context cancelled, and ConnState reports them closed.
func (p *Portal) closeConnsLocked() {
	for c := range p.conns {
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn() // no close_notify: the peer must not wait for it
		}
		c.Close()
	}
}

// connState tracks open connections, so that Set can close them and Close
// can wait for them. StateNew is reported by a Serve goroutine before it
// returns, so Close's serving.Wait orders every active.Add before
// active.Wait.
func (p *Portal) connState(c net.Conn, s http.ConnState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch s {
	case http.StateNew:
		p.conns[c] = struct{}{}
		p.active.Add(1)
		if p.closed || p.ln == nil { // accepted just before a switch or Close
			c.Close()
		}
	case http.StateHijacked, http.StateClosed:
		if _, ok := p.conns[c]; ok {
			delete(p.conns, c)
			p.active.Done()
		}
	}
}

// enter registers a running handler; it reports false once the portal is
// closed.
func (p *Portal) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.active.Add(1)
	return true
}

// switchListener hands each accepted connection to net/http as plain TCP or
// wrapped in TLS, according to the portal's TLS mode at accept time.
type switchListener struct {
	net.Listener
	p *Portal
}

func (l *switchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || l.p.TLS() == PlainHTTP {
		return c, err
	}
	return tls.Server(c, l.p.tlsCfg), nil
}

// choke is a listener whose accept queue is full and never drained, and the
// connections that fill it.
type choke struct {
	ln   net.Listener
	fill []net.Conn
}

// chokeProbe is how long fillQueue waits for a connection it expects to be
// dropped. On loopback an accepted SYN is answered in microseconds.
const chokeProbe = 50 * time.Millisecond

// openChoke listens on addr with a tiny backlog and connects to it until a
// connect times out, which proves that SYNs are now dropped.
func openChoke(addr string) (*choke, error) {
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return nil, err
	}
	c := &choke{ln: ln}
	if err := setBacklog(ln.(*net.TCPListener), chokeBacklog); err != nil {
		return nil, errors.Join(err, c.close())
	}
	for i := 0; i < 16; i++ {
		timeout := time.Second // the queue has room for chokeBacklog+1
		if i > chokeBacklog {
			timeout = chokeProbe
		}
		conn, err := net.DialTimeout("tcp4", addr, timeout)
		var ne net.Error
		switch {
		case err == nil:
			c.fill = append(c.fill, conn)
		case i > chokeBacklog && errors.As(err, &ne) && ne.Timeout():
			return c, nil
		default:
			return nil, errors.Join(fmt.Errorf("fill accept queue: %w", err), c.close())
		}
	}
	return nil, errors.Join(fmt.Errorf("fill accept queue: %d connections and still accepting", len(c.fill)), c.close())
}

func (c *choke) close() error {
	err := c.ln.Close()
	for _, conn := range c.fill {
		conn.Close()
	}
	return err
}
