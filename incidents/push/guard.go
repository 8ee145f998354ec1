package push

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// DefaultServices are the browsers' push services, always allowed: Mozilla
// autopush (Firefox), Google FCM (Chrome, Edge on Android, most Chromium
// browsers), Apple (Safari, iOS web apps) and Microsoft WNS (Edge on
// Windows, whose endpoints are regional hosts under notify.windows.com).
var DefaultServices = []string{
	"updates.push.services.mozilla.com",
	"fcm.googleapis.com",
	"web.push.apple.com",
	"*.notify.windows.com",
}

// ErrForbiddenHost is returned (wrapped) when a push endpoint or webhook
// names a host outside the allowed services, or one that resolves to an
// address Constat must never reach: loopback, private, link-local, CGNAT,
// multicast, unspecified, the cloud metadata address. Only a host:port
// given explicitly in the allowed list may be loopback.
var ErrForbiddenHost = errors.New("host not allowed")

// ErrLookup is returned (wrapped, with the resolver's error) when a host's
// addresses could not be looked up now: the resolver failed or timed out.
// It is the server's trouble, not the host's; a name that does not exist
// is a plain error ("no such host").
var ErrLookup = errors.New("address lookup failed")

// Guard keeps push deliveries away from hosts a subscriber could aim at
// Constat's neighbours (SSRF). It checks a host against the allowed list
// and, when dialling, every address the name resolves to, and then the
// address the socket actually connects to (net.Dialer.Control), so that a
// name that resolved to a public address when the person subscribed and to
// a private one now (DNS rebinding) is refused on the connection itself.
// A Guard is safe for concurrent use once built.
type Guard struct {
	exact    map[string]bool // "host" (port 443) or "host:port", lower case
	suffixes []string        // ".notify.windows.com" from "*.notify.windows.com"
	loopback map[string]bool // "host:port" entries: the only ones that may be loopback
	resolver *net.Resolver
	dial     func(ctx context.Context, network, address string) (net.Conn, error)
}

// GuardOptions configure NewGuard. Resolver nil means net.DefaultResolver;
// Dial nil means a net.Dialer whose ControlContext is the Guard's. Tests inject a
// Dial that refuses anything outside loopback, so that a guard that failed
// would fail the test rather than reach the network.
type GuardOptions struct {
	Resolver *net.Resolver
	Dial     func(ctx context.Context, network, address string) (net.Conn, error)
}

// NewGuard allows the hosts of DefaultServices and extra: host names, "*."
// wildcards, or host:port. A host:port entry is the only way to a loopback
// address (a test receiver on 127.0.0.1).
func NewGuard(extra []string, o GuardOptions) (*Guard, error) {
	g := &Guard{exact: map[string]bool{}, loopback: map[string]bool{}, resolver: o.Resolver, dial: o.Dial}
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	if g.dial == nil {
		d := &net.Dialer{ControlContext: g.ControlContext}
		g.dial = d.DialContext
	}
	for _, s := range append(append([]string(nil), DefaultServices...), extra...) {
		s = strings.ToLower(strings.TrimSpace(s))
		switch {
		case s == "" || strings.ContainsAny(s, "/@?#"):
			return nil, fmt.Errorf("allowed service %q: want a host name or host:port", s)
		case strings.HasPrefix(s, "*."):
			g.suffixes = append(g.suffixes, s[1:])
		default:
			if _, port, err := net.SplitHostPort(s); err == nil && port != "" {
				g.loopback[s] = true
			}
			g.exact[s] = true
		}
	}
	return g, nil
}

// Allowed reports whether endpoint u's host is an allowed service, and
// whether that entry lets it reach loopback. It resolves nothing.
func (g *Guard) Allowed(u *url.URL) (ok, loopbackOK bool) {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" || port == "443" {
		if g.exact[host] {
			return true, false
		}
		for _, s := range g.suffixes {
			if strings.HasSuffix(host, s) && len(host) > len(s) {
				return true, false
			}
		}
	}
	hp := net.JoinHostPort(host, cmpOr(port, "443"))
	return g.exact[hp], g.loopback[hp]
}

// CheckEndpoint checks u as a subscription does: https, an allowed host,
// and every address it resolves to allowed. It returns an error wrapping
// ErrForbiddenHost for a refused host or address.
func (g *Guard) CheckEndpoint(ctx context.Context, u *url.URL) error {
	if u.Scheme != "https" {
		return fmt.Errorf("endpoint scheme %q: want https", u.Scheme)
	}
	ok, lb := g.Allowed(u)
	if !ok {
		return fmt.Errorf("%s is not a push service this server sends to: %w", u.Hostname(), ErrForbiddenHost)
	}
	_, err := g.resolve(ctx, u.Hostname(), lb)
	return err
}

// resolve returns the host's addresses, or an error wrapping
// ErrForbiddenHost if any is forbidden: a name with one private address
// among public ones is refused as a whole.
func (g *Guard) resolve(ctx context.Context, host string, loopbackOK bool) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ips, err := g.resolver.LookupNetIP(ctx, "ip", host)
		if de, ok := errors.AsType[*net.DNSError](err); ok && de.IsNotFound {
			return nil, fmt.Errorf("%s: no such host", host) // not wrapped: its text names our resolver
		}
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w (%w)", host, ErrLookup, err)
		}
		addrs = ips
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: no address", host)
	}
	for _, a := range addrs {
		if !addrAllowed(a, loopbackOK) {
			return nil, fmt.Errorf("%s resolves to %s: %w", host, a, ErrForbiddenHost)
		}
	}
	return addrs, nil
}

// DialContext is the http.Transport dialer for push services and webhooks:
// it checks the host, resolves it itself, checks every address and dials
// the first that answers by IP, so that what was checked is what is
// dialled.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	u := &url.URL{Scheme: "https", Host: address}
	ok, lb := g.Allowed(u)
	if !ok {
		return nil, fmt.Errorf("dial %s: %w", address, ErrForbiddenHost)
	}
	addrs, err := g.resolve(ctx, host, lb)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, a := range addrs {
		c, err := g.dial(withLoopback(ctx, lb), network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

type loopbackKey struct{}

func withLoopback(ctx context.Context, ok bool) context.Context {
	return context.WithValue(ctx, loopbackKey{}, ok)
}

// Control is a net.Dialer Control function that refuses to connect a socket
// to a forbidden address, whatever name led there. Loopback is allowed
// only through DialContext for a host:port entry; Control alone (without
// that context) refuses it. It is exported for tests that wrap the dialer.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	return g.control(false, address)
}

// ControlContext is Control for net.Dialer.ControlContext, which knows
// whether DialContext allowed loopback for this connection.
func (g *Guard) ControlContext(ctx context.Context, network, address string, _ syscall.RawConn) error {
	lb, _ := ctx.Value(loopbackKey{}).(bool)
	return g.control(lb, address)
}

func (g *Guard) control(loopbackOK bool, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("connect %s: %w", address, ErrForbiddenHost)
	}
	if !addrAllowed(ap.Addr(), loopbackOK) {
		return fmt.Errorf("connect %s: %w", address, ErrForbiddenHost)
	}
	return nil
}

// forbidden are the ranges no push service or webhook lives in.
var forbidden = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // CGNAT
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"), // link-local, cloud metadata 169.254.169.254
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("224.0.0.0/3"), // multicast, reserved, broadcast
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach any IPv4
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
	netip.MustParsePrefix("fd00:ec2::254/128"), // AWS metadata over IPv6 (inside fc00::/7, named for the record)
}

// addrAllowed reports whether a may be connected to. IPv4-mapped IPv6
// addresses are judged as the IPv4 address they carry.
func addrAllowed(a netip.Addr, loopbackOK bool) bool {
	a = a.Unmap()
	if a.IsLoopback() {
		return loopbackOK
	}
	if !a.IsValid() || a.IsUnspecified() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsMulticast() {
		return false
	}
	for _, p := range forbidden {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
