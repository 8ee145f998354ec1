//go:build unix

package probes

import (
	"net"
	"syscall"
)

// quiet reports whether the kept TCP connection conn has nothing to read
// and is not closed: a peek that does not wait, which finds the server's
// FIN, RST or stray bytes without a goroutine reading in the background,
// as net/http's Transport keeps one per idle connection.
func quiet(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var b [1]byte
	ok = false
	err = raw.Read(func(fd uintptr) bool {
		_, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		ok = rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK
		return true // never wait
	})
	return err == nil && ok
}
