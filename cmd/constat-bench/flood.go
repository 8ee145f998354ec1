package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// benchFlood: constat-bench flood [-slow 20000] [-components 20] [-interval 5s] [-measure 30s]
//
// It runs "constat serve" as a child with its default connection cap,
// probing -components checks on the loopback target, then opens -slow
// connections to it from helper processes (at most 9,000 each: a process
// here has 20,000 descriptors), each sending a POST's headers and then one
// body byte every 3 s. Over -measure it GETs / once a second, and reports
// the latencies, the descriptors the server holds, and the rounds recorded
// meanwhile with how many were probe_error.
func benchFlood(args []string) error {
	fs := flag.NewFlagSet("flood", flag.ExitOnError)
	slow := fs.Int("slow", 20000, "slow connections to open")
	comps := fs.Int("components", 20, "components probed meanwhile")
	interval := fs.Duration("interval", 5*time.Second, "their interval")
	measure := fs.Duration("measure", 30*time.Second, "how long to measure under the flood")
	fs.Parse(args)
	env, err := newBenchEnv("", true, *comps, *interval, false)
	if err != nil {
		return err
	}
	defer env.Close()
	cmd, addr, stop, err := startChild(context.Background(), env.bin, "serve", "-config", env.cfg, "-data", filepath.Join(env.dir, "data"), "-listen", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer stop()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	start := time.Now()
	for left := *slow; left > 0; left -= 9000 {
		_, _, stopHelper, err := startChild(context.Background(), self, "slowclients", "-addr", addr, "-n", strconv.Itoa(min(left, 9000)))
		if err != nil {
			return fmt.Errorf("slow clients: %w", err)
		}
		defer stopHelper()
	}
	opened := time.Since(start)
	client := &http.Client{Timeout: 10 * time.Second}
	var lat []time.Duration
	failed, peakFDs := 0, 0
	for end := time.Now().Add(*measure); time.Now().Before(end); {
		if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid)); err == nil {
			peakFDs = max(peakFDs, len(fds))
		}
		t0 := time.Now()
		resp, err := client.Get("http://" + addr + "/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if err != nil || resp.StatusCode != http.StatusOK {
			failed++
		} else {
			lat = append(lat, time.Since(t0))
		}
		time.Sleep(time.Second - min(time.Since(t0), time.Second))
	}
	rounds, probeErrors, err := roundsSince(addr, *comps, start)
	if err != nil {
		return err
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(time.Millisecond)
	}
	fmt.Printf("flood: %d slow connections opened in %v; serve held at most %d descriptors (sampled each second)\n", *slow, opened.Round(time.Millisecond), peakFDs)
	fmt.Printf("GET / every second for %v: %d answered, %d failed; p50 %v, p99 %v, max %v\n", *measure, len(lat), failed, q(0.5), q(0.99), q(1))
	fmt.Printf("rounds recorded meanwhile: %d of %d components, %d probe_error\n", rounds, *comps, probeErrors)
	return nil
}

// roundsSince counts the rounds recorded since start, and the probe_error
// ones, from the measurements CSV of each component.
func roundsSince(addr string, comps int, start time.Time) (rounds, probeErrors int, err error) {
	for i := range comps {
		resp, err := http.Get(fmt.Sprintf("http://%s/api/v1/components/ent-%04d/measurements.csv?from=%s", addr, i, start.UTC().Format(time.RFC3339)))
		if err != nil {
			return 0, 0, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, 0, err
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		rounds += len(lines) - 1
		probeErrors += strings.Count(string(b), ",probe_error,")
	}
	return rounds, probeErrors, nil
}

// slowClients: constat-bench slowclients -addr A -n N, the helper of
// flood: it opens n connections, sends a POST's headers on each, says it
// is ready in the "serving" line startChild waits for, then sends one body
// byte on each every 3 s until killed.
func slowClients(args []string) error {
	fs := flag.NewFlagSet("slowclients", flag.ExitOnError)
	addr := fs.String("addr", "", "server address")
	n := fs.Int("n", 1000, "connections")
	fs.Parse(args)
	head := "POST /admin/login HTTP/1.1\r\nHost: constat\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
	conns := make([]net.Conn, 0, *n)
	for range *n {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			return fmt.Errorf("dial %d: %w", len(conns), err)
		}
		io.WriteString(c, head)
		conns = append(conns, c)
	}
	fmt.Printf("constat-bench: serving http://%s/ (%d slow connections)\n", *addr, len(conns))
	for {
		time.Sleep(3 * time.Second)
		for _, c := range conns {
			c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			c.Write([]byte("u"))
		}
	}
}
