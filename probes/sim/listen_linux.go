//go:build linux

package sim

import (
	"fmt"
	"net"
	"syscall"
)

// reservePort binds a TCP socket to 127.0.0.1:0 with SO_REUSEADDR and never
// listens on it. While it is open no other program can take the port, yet a
// listener with SO_REUSEADDR (Go sets it on every listener) can bind and
// listen on the same port: Linux lets any number of such sockets share a port
// as long as at most one listens. With no listener, a SYN to the port is
// answered by a RST, so connect gets ECONNREFUSED.
func reservePort() (port int, release func() error, err error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, nil, fmt.Errorf("reserve port: socket: %w", err)
	}
	release = func() error { return syscall.Close(fd) }
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		release()
		return 0, nil, fmt.Errorf("reserve port: SO_REUSEADDR: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		release()
		return 0, nil, fmt.Errorf("reserve port: bind: %w", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		release()
		return 0, nil, fmt.Errorf("reserve port: getsockname: %w", err)
	}
	return sa.(*syscall.SockaddrInet4).Port, release, nil
}

// chokeBacklog is the listen backlog of a ConnectTimeout listener. Linux
// queues backlog+1 established connections; with the queue full it drops
// further SYNs, so the client retransmits (after 1 s, then 2 s…) and its
// connect times out. 1 rather than 0: with 0, Linux would answer the filling
// connections with SYN cookies and log "possible SYN flooding".
const chokeBacklog = 1

// setBacklog calls listen(2) again on ln's socket, which on Linux changes the
// backlog of a socket that already listens.
func setBacklog(ln *net.TCPListener, backlog int) error {
	rc, err := ln.SyscallConn()
	if err != nil {
		return fmt.Errorf("set listen backlog: %w", err)
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), backlog) }); err != nil {
		return fmt.Errorf("set listen backlog: %w", err)
	}
	if lerr != nil {
		return fmt.Errorf("set listen backlog: %w", lerr)
	}
	return nil
}
