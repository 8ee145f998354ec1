package probes

import (
	"context"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

// Errors local to Constat are probe_error, whatever layer wraps them;
// the portal's own failures keep their outcome.
func TestClassifyLocalCauses(t *testing.T) {
	dial := func(errno syscall.Errno) error {
		return &url.Error{Op: "Get", URL: "https://ent.example/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", errno)}}
	}
	tests := []struct {
		name   string
		err    error
		want   Outcome
		detail string
	}{
		{"out of descriptors", dial(syscall.EMFILE), ProbeError, "emfile"},
		{"system out of descriptors", dial(syscall.ENFILE), ProbeError, "enfile"},
		{"out of memory", dial(syscall.ENOMEM), ProbeError, "enomem"},
		{"out of buffers", dial(syscall.ENOBUFS), ProbeError, "enomem"},
		{"no route", dial(syscall.ENETUNREACH), ProbeError, "no_route"},
		{"no interface", dial(syscall.EADDRNOTAVAIL), ProbeError, "no_interface"},
		{"resolver out of descriptors", &net.DNSError{Err: "dial udp 127.0.0.53:53: socket: " + syscall.EMFILE.Error(), Name: "ent.example"}, ProbeError, "emfile"},
		{"host unreachable stays the portal's", dial(syscall.EHOSTUNREACH), ConnectRefused, "unreachable"},
		{"refused stays the portal's", dial(syscall.ECONNREFUSED), ConnectRefused, "refused"},
		{"name not found stays the portal's", &net.DNSError{Err: "no such host", Name: "ent.example", IsNotFound: true}, DNSError, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v := classify(tt.err, PhaseConnect); v.outcome != tt.want || v.detail != tt.detail {
				t.Errorf("classify(%v) = %v %q, want %v %q", tt.err, v.outcome, v.detail, tt.want, tt.detail)
			}
		})
	}
}

// A resolver that nothing answers on loopback is Constat's own: the round
// is probe_error "resolver", with no status.
func TestCheckOwnResolverUnreachable(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close() // nothing listens there now: the kernel answers port unreachable
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", addr)
	}}
	ch, err := NewCheck(component(t, "http://ent.test/"), Options{Resolver: r})
	if err != nil {
		t.Fatal(err)
	}
	res := ch.Run(t.Context())
	if st := res.Steps[0]; st.Outcome != ProbeError || st.Detail != "resolver" || res.Status != StatusUnknown {
		t.Errorf("Run() = %v %q status %v, want probe_error resolver, status unknown", st.Outcome, st.Detail, res.Status)
	}
}
