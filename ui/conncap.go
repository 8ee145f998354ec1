package ui

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ConnLimit caps the connections a server holds at once, so that a flood
// of connections (slow clients trickling a body) cannot take the file
// descriptors the probes need. At the cap, a new connection makes room by
// closing the one that has held its slot longest without a complete
// request (new or idle), else the oldest: a flood ages out, and a newcomer
// is served at once instead of waiting behind it. Use Listener for the
// server's listener and ConnState as its http.Server.ConnState. Safe for
// concurrent use.
type ConnLimit struct {
	max     int
	evicted atomic.Uint64

	mu    sync.Mutex
	conns map[net.Conn]*connSlot
}

type connSlot struct {
	since time.Time
	state http.ConnState
}

// NewConnLimit returns a limit of n connections (at least 1).
func NewConnLimit(n int) *ConnLimit {
	return &ConnLimit{max: max(n, 1), conns: make(map[net.Conn]*connSlot)}
}

// Max returns the cap.
func (l *ConnLimit) Max() int { return l.max }

// Open returns how many connections are held now.
func (l *ConnLimit) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// Evicted returns how many connections were closed to make room.
func (l *ConnLimit) Evicted() uint64 { return l.evicted.Load() }

// Listener wraps ln so that every accepted connection takes a slot.
func (l *ConnLimit) Listener(ln net.Listener) net.Listener { return &limitListener{Listener: ln, l: l} }

type limitListener struct {
	net.Listener
	l *ConnLimit
}

func (ll *limitListener) Accept() (net.Conn, error) {
	c, err := ll.Listener.Accept()
	if err != nil {
		return nil, err
	}
	ll.l.admit(c)
	return c, nil
}

// admit gives c a slot, closing another connection when at the cap.
func (l *ConnLimit) admit(c net.Conn) {
	l.mu.Lock()
	var victim net.Conn
	if len(l.conns) >= l.max {
		victim = l.oldest()
		delete(l.conns, victim)
	}
	l.conns[c] = &connSlot{since: time.Now(), state: http.StateNew}
	l.mu.Unlock()
	if victim != nil {
		l.evicted.Add(1)
		victim.Close()
	}
}

// oldest picks the connection to close: the longest held of those without
// a request under way, else the longest held. l.mu is held.
func (l *ConnLimit) oldest() net.Conn {
	var best, bestWaiting net.Conn
	var at, atWaiting time.Time
	for c, s := range l.conns {
		if best == nil || s.since.Before(at) {
			best, at = c, s.since
		}
		if s.state != http.StateActive && (bestWaiting == nil || s.since.Before(atWaiting)) {
			bestWaiting, atWaiting = c, s.since
		}
	}
	if bestWaiting != nil {
		return bestWaiting
	}
	return best
}

// ConnState follows the server's connections: a closed or hijacked one
// frees its slot.
func (l *ConnLimit) ConnState(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(l.conns, c)
	default:
		if s := l.conns[c]; s != nil {
			s.state = st
		}
	}
}
