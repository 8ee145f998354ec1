package sim

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/dns/dnsmessage"
)

// DNS is an authoritative DNS server on 127.0.0.1 that answers A and AAAA
// queries from a fixed table, over UDP and TCP on the same port: a known name
// gets its address (or an empty answer for the other family), an unknown name
// NXDOMAIN, and every query SERVFAIL while SetServfail(true) holds. It never
// forwards a query. Its methods are safe for concurrent use.
type DNS struct {
	records  map[string]netip.Addr // lower-case FQDN ("ent.test.") → address
	addr     string
	udp      net.PacketConn
	tcp      net.Listener
	servfail atomic.Bool
	queries  atomic.Int64

	mu     sync.Mutex // guards closed and conns
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup // the UDP loop, the TCP accept loop and TCP connections
}

// dnsTTL is the TTL of every answer, in seconds.
const dnsTTL = 60

// NewDNS starts a DNS server answering for records, whose keys are host
// names ("ent.iledefrance.test", with or without the final dot, any case).
// records is copied. The caller must Close the server.
func NewDNS(records map[string]netip.Addr) (*DNS, error) {
	d := &DNS{records: make(map[string]netip.Addr, len(records)), conns: make(map[net.Conn]struct{})}
	for name, addr := range records {
		fqdn := strings.ToLower(strings.TrimSuffix(name, ".")) + "."
		if _, err := dnsmessage.NewName(fqdn); err != nil || fqdn == "." {
			return nil, fmt.Errorf("new DNS server: bad name %q", name)
		}
		if !addr.IsValid() {
			return nil, fmt.Errorf("new DNS server: no address for %q", name)
		}
		d.records[fqdn] = addr.Unmap()
	}
	if err := d.listen(); err != nil {
		return nil, fmt.Errorf("new DNS server: %w", err)
	}
	d.wg.Go(d.serveUDP)
	d.wg.Go(d.acceptTCP)
	return d, nil
}

// listen opens UDP and TCP on the same port, trying a few ports in case the
// TCP one is taken.
func (d *DNS) listen() error {
	var err error
	for range 5 {
		if d.udp, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
			return err
		}
		d.addr = d.udp.LocalAddr().String()
		if d.tcp, err = net.Listen("tcp4", d.addr); err == nil {
			return nil
		}
		d.udp.Close()
	}
	return err
}

// StartDNS is NewDNS for tests: it fails tb if the server cannot start and
// closes it in tb.Cleanup.
func StartDNS(tb TB, records map[string]netip.Addr) *DNS {
	tb.Helper()
	d, err := NewDNS(records)
	if err != nil {
		tb.Fatalf("sim.NewDNS() = %v", err)
	}
	tb.Cleanup(func() {
		if err := d.Close(); err != nil {
			tb.Errorf("close DNS server %s: %v", d.Addr(), err)
		}
	})
	return d
}

// Addr returns "127.0.0.1:PORT", where the server listens on UDP and TCP.
func (d *DNS) Addr() string { return d.addr }

// Queries returns how many well-formed queries the server has received.
func (d *DNS) Queries() int64 { return d.queries.Load() }

// SetServfail makes the server answer every query with SERVFAIL (true) or
// from its table again (false).
func (d *DNS) SetServfail(on bool) { d.servfail.Store(on) }

// Resolver returns a pure-Go resolver that sends every query to this server,
// whatever /etc/resolv.conf names (its search list and options still apply).
// Names in /etc/hosts still resolve from there first.
func (d *DNS) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var dialer net.Dialer
			if strings.HasPrefix(network, "tcp") {
				return dialer.DialContext(ctx, "tcp4", d.addr)
			}
			return dialer.DialContext(ctx, "udp4", d.addr)
		},
	}
}

// Close stops the server and waits for its goroutines. Calling it again
// returns nil.
func (d *DNS) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	err := errors.Join(d.udp.Close(), d.tcp.Close())
	for c := range d.conns {
		c.Close()
	}
	d.mu.Unlock()
	d.wg.Wait()
	if err != nil {
		return fmt.Errorf("close DNS server %s: %w", d.addr, err)
	}
	return nil
}

func (d *DNS) serveUDP() {
	buf := make([]byte, 65535)
	for {
		n, from, err := d.udp.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue // e.g. ICMP port unreachable reported on the socket
		}
		if resp := d.answer(buf[:n]); resp != nil {
			d.udp.WriteTo(resp, from) // a lost answer is a lost UDP packet
		}
	}
}

func (d *DNS) acceptTCP() {
	for {
		c, err := d.tcp.Accept()
		if err != nil {
			return // closed: no other Accept error is expected on loopback
		}
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			c.Close()
			return
		}
		d.conns[c] = struct{}{}
		d.wg.Go(func() { d.serveTCP(c) })
		d.mu.Unlock()
	}
}

// serveTCP answers length-prefixed queries (RFC 1035 §4.2.2) until the
// client closes the connection or sends something unparseable.
func (d *DNS) serveTCP(c net.Conn) {
	defer func() {
		d.mu.Lock()
		delete(d.conns, c)
		d.mu.Unlock()
		c.Close()
	}()
	var size [2]byte
	for {
		if _, err := io.ReadFull(c, size[:]); err != nil {
			return
		}
		req := make([]byte, binary.BigEndian.Uint16(size[:]))
		if _, err := io.ReadFull(c, req); err != nil {
			return
		}
		resp := d.answer(req)
		if resp == nil {
			return
		}
		if _, err := c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(resp)))); err != nil {
			return
		}
		if _, err := c.Write(resp); err != nil {
			return
		}
	}
}

// answer builds the response to req, or returns nil to ignore a message that
// is not a query with one question.
func (d *DNS) answer(req []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil || h.Response || h.OpCode != 0 {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	d.queries.Add(1)
	rh := dnsmessage.Header{
		ID:                 h.ID,
		Response:           true,
		Authoritative:      true,
		RecursionDesired:   h.RecursionDesired,
		RecursionAvailable: true, // else Go's resolver takes an empty answer for a lame referral
	}
	addr, known := d.records[strings.ToLower(q.Name.String())]
	switch {
	case d.servfail.Load():
		rh.RCode = dnsmessage.RCodeServerFailure
	case !known:
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil
	}
	if err := b.Question(q); err != nil {
		return nil
	}
	if rh.RCode == dnsmessage.RCodeSuccess {
		if err := b.StartAnswers(); err != nil {
			return nil
		}
		rr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: dnsTTL}
		switch {
		case q.Type == dnsmessage.TypeA && addr.Is4():
			err = b.AResource(rr, dnsmessage.AResource{A: addr.As4()})
		case q.Type == dnsmessage.TypeAAAA && addr.Is6():
			err = b.AAAAResource(rr, dnsmessage.AAAAResource{AAAA: addr.As16()})
		}
		if err != nil {
			return nil
		}
	}
	resp, err := b.Finish()
	if err != nil {
		return nil
	}
	return resp
}
