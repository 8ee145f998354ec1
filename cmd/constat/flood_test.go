package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes/sim"
)

// openFiles counts this process's open descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(fds)
}

// Seen: 20,000 connections that sent headers then trickled a body
// exhausted the descriptors, and a normal client timed out. Scaled to one
// process (its hard limit is 20,000 descriptors for clients and server
// together): with a cap of 500 and 2,000 slow clients, the server holds at
// most 500 of them, / answers, and the probes go on without a probe_error.
func TestServeSurvivesSlowClients(t *testing.T) {
	const slow, capConns = 2000, 500
	portal := sim.Start(t, sim.Healthy)
	cfg := fastConfig(t, map[string]string{"lycees": portal.URL()}, "lycees")
	base, stop := startServeWith(t, serveOptions{cfg: cfg, dataDir: t.TempDir(), workers: 4, maxConns: capConns})
	defer stop()
	addr := strings.TrimPrefix(base, "http://")
	before := openFiles(t)
	start := time.Now()

	conns := make([]net.Conn, 0, slow)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	head := "POST /admin/login HTTP/1.1\r\nHost: constat\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nu"
	for range slow {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial slow client %d: %v", len(conns), err)
		}
		conns = append(conns, c)
		io.WriteString(c, head) // then nothing more: a body trickling slower than this test
	}

	// The accept queue is served in order: once / answers, every slow
	// client before it was accepted.
	client := &http.Client{Timeout: 5 * time.Second}
	t0 := time.Now()
	resp, err := client.Get(base + "/")
	if err != nil {
		t.Fatalf("GET / under %d slow clients: %v", slow, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	t.Logf("GET / under %d slow clients: %d in %v", slow, resp.StatusCode, time.Since(t0))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET / under %d slow clients = %d, want 200", slow, resp.StatusCode)
	}
	if held := openFiles(t) - before - slow; held > capConns+64 {
		t.Errorf("the server holds %d descriptors for %d slow clients, want at most the cap %d (+64)", held, slow, capConns)
	}

	// The probes go on: two rounds measured since the flood began, none a probe_error.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, csv := get(t, base+"/api/v1/components/lycees/measurements.csv?from="+start.UTC().Format(time.RFC3339))
		lines := strings.Split(strings.TrimSpace(csv), "\n")
		if strings.Contains(csv, "probe_error") {
			t.Fatalf("a probe_error under the flood:\n%s", csv)
		}
		if len(lines) > 2 {
			if !strings.Contains(lines[len(lines)-1], ",ok,") {
				t.Errorf("latest round under the flood: %s, want ok", lines[len(lines)-1])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no two rounds recorded in 20 s under the flood:\n%s", csv)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
