//go:build !linux

package sim

import (
	"errors"
	"fmt"
	"net"
	"runtime"
)

// reservePort picks a free port on 127.0.0.1 without holding it: outside
// Linux, a switch to Refused and back re-listens on a port that another
// program could, in principle, have taken in between.
func reservePort() (port int, release func() error, err error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, nil, fmt.Errorf("reserve port: %w", err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, nil, fmt.Errorf("reserve port: %w", err)
	}
	return port, func() error { return nil }, nil
}

const chokeBacklog = 1

// setBacklog is only implemented on Linux, where re-listening changes the
// backlog and a full accept queue drops SYNs.
func setBacklog(*net.TCPListener, int) error {
	return fmt.Errorf("%v on %s: %w", ConnectTimeout, runtime.GOOS, errors.ErrUnsupported)
}
