package sim

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

var testRecords = map[string]netip.Addr{
	"ent.iledefrance.test": netip.MustParseAddr("127.0.0.1"),
	"Cas.Monbureau.TEST.":  netip.MustParseAddr("127.0.0.2"),
	"v6.educonnect.test":   netip.MustParseAddr("::1"),
}

func TestDNSLookups(t *testing.T) {
	d := StartDNS(t, testRecords)
	r := d.Resolver()
	tests := []struct {
		name, network, host string
		want                []string
	}{
		{"A", "ip", "ent.iledefrance.test", []string{"127.0.0.1"}},
		{"case and final dot", "ip4", "cas.monbureau.test.", []string{"127.0.0.2"}},
		{"AAAA", "ip6", "v6.educonnect.test", []string{"::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addrs, err := r.LookupNetIP(t.Context(), tt.network, tt.host)
			if err != nil {
				t.Fatalf("LookupNetIP(%s, %s) = %v", tt.network, tt.host, err)
			}
			var got []string
			for _, a := range addrs {
				got = append(got, a.Unmap().String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("LookupNetIP(%s, %s) = %v, want %v", tt.network, tt.host, got, tt.want)
			}
		})
	}
	if d.Queries() == 0 {
		t.Errorf("Queries() = 0 after lookups, want the resolver to use this server")
	}
}

func TestDNSNotFoundAndServfail(t *testing.T) {
	d := StartDNS(t, testRecords)
	r := d.Resolver()
	_, err := r.LookupHost(t.Context(), "nope.iledefrance.test")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound {
		t.Errorf("LookupHost(unknown) = %v, want a DNSError with IsNotFound", err)
	}
	_, err = r.LookupNetIP(t.Context(), "ip6", "ent.iledefrance.test")
	if !errors.As(err, &de) || !de.IsNotFound {
		t.Errorf("LookupNetIP(ip6, IPv4-only name) = %v, want IsNotFound (no AAAA)", err)
	}
	d.SetServfail(true)
	_, err = r.LookupHost(t.Context(), "ent.iledefrance.test")
	if !errors.As(err, &de) || de.IsNotFound || !de.IsTemporary {
		t.Errorf("LookupHost during SERVFAIL = %v, want a temporary DNSError", err)
	}
	d.SetServfail(false)
	if _, err := r.LookupHost(t.Context(), "ent.iledefrance.test"); err != nil {
		t.Errorf("LookupHost after SetServfail(false) = %v", err)
	}
}

func TestDNSOverTCP(t *testing.T) {
	d := StartDNS(t, testRecords)
	conn, err := net.DialTimeout("tcp", d.Addr(), okTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(okTimeout))
	for i, q := range []struct {
		name  string
		rcode dnsmessage.RCode
	}{{"ent.iledefrance.test.", dnsmessage.RCodeSuccess}, {"nope.test.", dnsmessage.RCodeNameError}} {
		msg := dnsmessage.Message{
			Header:    dnsmessage.Header{ID: uint16(i + 1), RecursionDesired: true},
			Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName(q.name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}},
		}
		req, err := msg.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(req))), req...)); err != nil {
			t.Fatal(err)
		}
		var size [2]byte
		if _, err := io.ReadFull(conn, size[:]); err != nil {
			t.Fatal(err)
		}
		resp := make([]byte, binary.BigEndian.Uint16(size[:]))
		if _, err := io.ReadFull(conn, resp); err != nil {
			t.Fatal(err)
		}
		var got dnsmessage.Message
		if err := got.Unpack(resp); err != nil {
			t.Fatal(err)
		}
		if got.ID != msg.ID || got.RCode != q.rcode {
			t.Errorf("TCP query %s: ID %d, rcode %v; want %d, %v", q.name, got.ID, got.RCode, msg.ID, q.rcode)
		}
		if q.rcode == dnsmessage.RCodeSuccess && (len(got.Answers) != 1 || got.Answers[0].Body.(*dnsmessage.AResource).A != [4]byte{127, 0, 0, 1}) {
			t.Errorf("TCP query %s: answers %v, want 127.0.0.1", q.name, got.Answers)
		}
	}
}

func TestNewDNSRejectsBadRecords(t *testing.T) {
	for name, records := range map[string]map[string]netip.Addr{
		"no address": {"a.test": {}},
		"root":       {".": netip.MustParseAddr("127.0.0.1")},
	} {
		if d, err := NewDNS(records); err == nil {
			d.Close()
			t.Errorf("NewDNS(%s) = nil error, want one", name)
		}
	}
}

func TestDNSCloseIsIdempotent(t *testing.T) {
	d, err := NewDNS(testRecords)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", d.Addr()) // an idle TCP client must not block Close
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := d.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
}
