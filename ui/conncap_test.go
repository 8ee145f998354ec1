package ui

import (
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// At the cap, a new connection closes the one held longest without a
// request under way; only when every one is active, the oldest.
func TestConnLimitEvicts(t *testing.T) {
	l := NewConnLimit(2)
	pipe := func() (net.Conn, net.Conn) {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b
	}
	closed := func(c net.Conn) bool { // an open pipe without a reader times out instead
		c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := c.Write([]byte("x"))
		return errors.Is(err, io.ErrClosedPipe)
	}
	a, _ := pipe()
	b, _ := pipe()
	l.admit(a)
	l.admit(b)
	l.ConnState(a, http.StateActive)
	c, _ := pipe()
	l.admit(c) // b: not active, evicted although a is older
	if !closed(b) || l.Open() != 2 || l.Evicted() != 1 {
		t.Errorf("after a third connection: b closed %v, open %d, evicted %d; want b closed, 2, 1", closed(b), l.Open(), l.Evicted())
	}
	l.ConnState(c, http.StateActive)
	d, _ := pipe()
	l.admit(d) // every one active: the oldest, a
	if !closed(a) || l.Open() != 2 {
		t.Errorf("with every connection active: a closed %v, open %d; want a closed, 2", closed(a), l.Open())
	}
	l.ConnState(d, http.StateClosed)
	if l.Open() != 1 {
		t.Errorf("after a close: open %d, want 1", l.Open())
	}
}
