package probes

import (
	"bufio"
	"context"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes/sim"
	"github.com/prometheus/common/config"
)

// transportOf returns the round tripper under ch's tracing hop.
func transportOf(t *testing.T, c *Component) http.RoundTripper {
	t.Helper()
	ch, err := NewCheck(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ch.rt
}

func TestDirectOnlyWithoutProxyOrAuth(t *testing.T) {
	plain := component(t, "http://127.0.0.1:1/")
	withCA := component(t, "https://127.0.0.1:1/")
	withCA.HTTPClientConfig.TLSConfig = config.TLSConfig{CA: string(sim.CACertPEM())}
	proxied := component(t, "http://127.0.0.1:1/")
	pu, _ := url.Parse("http://127.0.0.1:3128")
	proxied.HTTPClientConfig.ProxyURL = config.URL{URL: pu}
	authed := component(t, "http://127.0.0.1:1/")
	authed.HTTPClientConfig.BasicAuth = &config.BasicAuth{Username: "u", Password: "p"}
	if _, ok := transportOf(t, plain).(*direct); !ok {
		t.Errorf("default configuration: transport %T, want *direct", transportOf(t, plain))
	}
	if rt := transportOf(t, withCA); !isDirect(rt) {
		t.Errorf("inline CA (as the simulators' tests use): transport %T, want *direct", rt)
	}
	if rt := transportOf(t, proxied); isDirect(rt) {
		t.Errorf("proxy_url: transport is direct, want net/http's (it speaks to proxies)")
	}
	if rt := transportOf(t, authed); isDirect(rt) {
		t.Errorf("basic_auth: transport is direct, want prometheus/common's wrapper")
	}
}

func isDirect(rt http.RoundTripper) bool { _, ok := rt.(*direct); return ok }

// TestDirectBasicAuthStillWorks checks that a check whose configuration
// needs prometheus/common's wrappers still measures: the fallback path.
func TestDirectBasicAuthStillWorks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "p" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "<p>ok</p>")
	}))
	t.Cleanup(srv.Close)
	c := component(t, srv.URL+"/")
	c.HTTPClientConfig.BasicAuth = &config.BasicAuth{Username: "u", Password: "p"}
	if r := runComponent(t, c); r.Status != Operational {
		t.Fatalf("basic_auth check: %v %+v, want operational", r.Status, r.Steps)
	}
}

// countConns starts srv counting its new connections.
func countConns(srv *httptest.Server) *atomic.Int64 {
	var n atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

func TestDirectConnectionsKeptOrClosed(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprint("keep_alive=", keep), func(t *testing.T) {
			var closeAsked atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Close {
					closeAsked.Add(1)
				}
				fmt.Fprint(w, "<p>ok</p>")
			}))
			conns := countConns(srv)
			srv.Start()
			t.Cleanup(srv.Close)
			c := component(t, srv.URL+"/", srv.URL+"/login")
			c.KeepAlive = keep
			ch, err := NewCheck(c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			const rounds = 4
			for i := range rounds {
				if r := ch.Run(t.Context()); r.Status != Operational {
					t.Fatalf("round %d: %v %+v", i, r.Status, r.Steps)
				}
			}
			wantConns, wantClose := int64(1), int64(0)
			if !keep {
				wantConns, wantClose = 2*rounds, 2*rounds
			}
			if d := ch.rt.(*direct); keep {
				d.mu.Lock()
				pc := d.idle[srv.URL]
				d.mu.Unlock()
				if pc == nil || !quiet(pc.tcp) {
					t.Errorf("after %d rounds: kept connection %v, want one kept and quiet", rounds, pc)
				}
			}
			if conns.Load() != wantConns || closeAsked.Load() != wantClose {
				t.Errorf("%d rounds of 2 steps: %d connections, %d asked to close; want %d and %d",
					rounds, conns.Load(), closeAsked.Load(), wantConns, wantClose)
			}
		})
	}
}

// rawServer serves each loopback connection with answer, which gets the
// connection, its reader and the number of the request on it (from 0).
func rawServer(t *testing.T, answer func(c net.Conn, br *bufio.Reader, n int) bool) (addr string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = new(atomic.Int64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close() // the client may keep one
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				for n := 0; n < 100; n++ {
					if _, err := http.ReadRequest(br); err != nil {
						return
					}
					if !answer(c, br, n) {
						return
					}
				}
			})
		}
	})
	return ln.Addr().String(), conns
}

const okAnswer = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\n<p>ok</p>"

// A portal that closes a kept connection just as the next request arrives
// works: the request goes again on a new connection, as net/http's
// Transport does, instead of a false "connection reset".
func TestDirectRetriesKeptConnectionClosedByServer(t *testing.T) {
	addr, conns := rawServer(t, func(c net.Conn, _ *bufio.Reader, n int) bool {
		if n > 0 {
			return false // closes, unanswered, the second request on a connection
		}
		_, err := c.Write([]byte(okAnswer))
		return err == nil
	})
	c := component(t, "http://"+addr+"/")
	c.KeepAlive = true
	ch, err := NewCheck(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		r := ch.Run(t.Context())
		if r.Status != Operational {
			t.Fatalf("round %d: %v %+v, want operational", i, r.Status, r.Steps)
		}
		if i > 0 && r.Steps[0].Phases.Connect <= 0 {
			t.Errorf("round %d: Phases.Connect = %v, want the new connection measured", i, r.Steps[0].Phases.Connect)
		}
	}
	if conns.Load() != 3 {
		t.Errorf("%d connections for 3 rounds, want 3 (each kept one refused, each retry new)", conns.Load())
	}
}

// A kept connection that the server closed while idle is seen before use:
// no request is sent on it.
func TestDirectDropsKeptConnectionClosedWhileIdle(t *testing.T) {
	var requests atomic.Int64
	closed := make(chan struct{}, 4)
	addr, conns := rawServer(t, func(c net.Conn, _ *bufio.Reader, n int) bool {
		requests.Add(1)
		c.Write([]byte(okAnswer))
		closed <- struct{}{}
		return false // closes after one answer, without saying so
	})
	c := component(t, "http://"+addr+"/")
	c.KeepAlive = true
	ch, err := NewCheck(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if r := ch.Run(t.Context()); r.Status != Operational {
			t.Fatalf("round %d: %v %+v", i, r.Status, r.Steps)
		}
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("server did not answer")
		}
		// Wait, bounded, for the server's FIN to reach the kept socket.
		d := ch.rt.(*direct)
		d.mu.Lock()
		pc := d.idle["http://"+addr]
		d.mu.Unlock()
		if pc == nil {
			t.Fatalf("round %d: no connection kept", i)
		}
		for j := 0; j < 200 && quiet(pc.tcp); j++ {
			time.Sleep(5 * time.Millisecond)
		}
		if quiet(pc.tcp) {
			t.Fatalf("round %d: the kept connection the server closed still looks usable", i)
		}
	}
	if requests.Load() != 2 || conns.Load() != 2 {
		t.Errorf("%d requests on %d connections, want 2 on 2", requests.Load(), conns.Load())
	}
}

func TestDirectSkipsInformationalAnswers(t *testing.T) {
	addr, _ := rawServer(t, func(c net.Conn, _ *bufio.Reader, _ int) bool {
		c.Write([]byte("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
			"HTTP/1.1 100 Continue\r\n\r\n" + okAnswer))
		return false
	})
	if r := runComponent(t, component(t, "http://"+addr+"/")); r.Status != Operational || r.Steps[0].StatusCode != 200 {
		t.Fatalf("1xx then 200: %v %+v, want operational, 200", r.Status, r.Steps)
	}
	endless, _ := rawServer(t, func(c net.Conn, _ *bufio.Reader, _ int) bool {
		c.Write([]byte(strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 20)))
		return false
	})
	if r := runComponent(t, component(t, "http://"+endless+"/")); r.Status == Operational {
		t.Fatalf("only 1xx answers: %v %+v, want a failure", r.Status, r.Steps)
	}
}

// A server sending headers without end is cut at maxHeaderBytes, not read
// until the step's timeout or memory runs out.
func TestDirectBoundsHeaderBytes(t *testing.T) {
	addr, _ := rawServer(t, func(c net.Conn, _ *bufio.Reader, _ int) bool {
		c.Write([]byte("HTTP/1.1 200 OK\r\n"))
		line := []byte("X-Filler: " + strings.Repeat("a", 1000) + "\r\n")
		for i := 0; i < 2*maxHeaderBytes/len(line); i++ {
			if _, err := c.Write(line); err != nil {
				return false
			}
		}
		return false
	})
	r := runComponent(t, component(t, "http://"+addr+"/"))
	if st := r.Steps[0]; st.Outcome != ConnectionReset || st.Detail != "other" {
		t.Fatalf("endless headers: %v (%s), want connection_reset (other)", st.Outcome, st.Detail)
	}
}

func TestDirectHTTP2(t *testing.T) {
	var protos sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		fmt.Fprint(w, "<p>ok</p>")
	}))
	srv.EnableHTTP2 = true
	conns := countConns(srv)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	for _, keep := range []bool{false, true} {
		conns.Store(0)
		c := component(t, srv.URL+"/", srv.URL+"/login")
		c.KeepAlive = keep
		c.HTTPClientConfig.TLSConfig = config.TLSConfig{CA: ca}
		ch, err := NewCheck(c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !isDirect(ch.rt) {
			t.Fatalf("transport %T, want *direct", ch.rt)
		}
		for i := range 2 {
			r := ch.Run(t.Context())
			if r.Status != Operational || r.Steps[0].TLSVersion == 0 && i == 0 {
				t.Fatalf("keep %v round %d: %v %+v", keep, i, r.Status, r.Steps)
			}
		}
		want := int64(4)
		if keep {
			want = 1
		}
		if conns.Load() != want {
			t.Errorf("keep_alive %v: %d connections for 2 rounds of 2 steps, want %d", keep, conns.Load(), want)
		}
	}
	if _, ok := protos.Load("HTTP/2.0"); !ok {
		t.Errorf("server saw %v, want HTTP/2.0", func() (s []any) { protos.Range(func(k, _ any) bool { s = append(s, k); return true }); return }())
	}
	if _, ok := protos.Load("HTTP/1.1"); ok {
		t.Errorf("server saw HTTP/1.1 requests, want only HTTP/2 (enable_http2 is on by default)")
	}
	off := component(t, srv.URL+"/")
	off.HTTPClientConfig.TLSConfig = config.TLSConfig{CA: ca}
	off.HTTPClientConfig.EnableHTTP2 = false
	protos.Clear()
	if r := runComponent(t, off); r.Status != Operational {
		t.Fatalf("enable_http2 false: %v %+v", r.Status, r.Steps)
	}
	if _, ok := protos.Load("HTTP/1.1"); !ok {
		t.Errorf("enable_http2 false: server saw no HTTP/1.1 request")
	}
}

// Shutdown (ctx cancelled) ends a round waiting on a hanging portal at
// once, and says it was cancelled, not that the portal timed out.
func TestDirectCancelEndsExchange(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	ch, err := NewCheck(component(t, srv.URL+"/"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan Result, 1)
	go func() { done <- ch.Run(ctx) }()
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("request never arrived")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return within 3 s of its context's end (step timeout 5 s)")
	}
}
