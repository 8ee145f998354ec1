//go:build linux

package sim

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
)

// TestRefusedKeepsPort checks that while nothing listens, the port stays
// bound: a socket that asks the kernel for that port without SO_REUSEADDR
// (as a free-port allocation would see it) is told it is in use.
func TestRefusedKeepsPort(t *testing.T) {
	p := Start(t, Refused)
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	port := int(netip.MustParseAddrPort(p.Addr()).Port())
	err = syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("bind(127.0.0.1:%d) while Refused = %v, want EADDRINUSE", port, err)
	}
}
