package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"
)

// benchPage measures how many requests per second "constat serve" answers
// for path over keep-alive connections, and the same for a bare net/http
// server (a child process too) writing the same bytes: the ratio says what
// Constat's own serving costs. Load and servers share this machine.
func benchPage(args []string) error {
	fs := flag.NewFlagSet("page", flag.ExitOnError)
	conns := fs.Int("conns", 100, "concurrent keep-alive connections")
	dur := fs.Duration("duration", 10*time.Second, "load duration per server")
	path := fs.String("path", "/", "path to request")
	components := fs.Int("components", 100, "components in the config (all on a loopback target)")
	bin := fs.String("constat", "", "constat binary (default: built from ./cmd/constat)")
	encoding := fs.String("accept-encoding", "gzip", "Accept-Encoding sent (\"\" for none)")
	profile := fs.String("cpuprofile", "", "have serve write a CPU profile of its whole run to this file")
	rate := fs.Float64("rate", 0, "requests per second over all connections, open loop (0: each connection sends as soon as it has its answer)")
	fs.Parse(args)

	env, err := newBenchEnv(*bin, true, *components, 30*time.Second, false)
	if err != nil {
		return err
	}
	defer env.Close()
	dir := env.dir
	extra, err := profileArgs(*profile)
	if err != nil {
		return err
	}
	addr, stop, err := startServe(env.bin, env.cfg, filepath.Join(dir, "data"), extra...)
	if err != nil {
		return err
	}
	defer stop()
	time.Sleep(35 * time.Second) // every component measured once, the page as in production
	url := "http://" + addr + *path
	body, err := fetchBody(url, *encoding)
	if err != nil {
		return err
	}
	bare, stopBare, err := startBare(dir, body, *encoding)
	if err != nil {
		return err
	}
	defer stopBare()

	a := load(url, *conns, *rate, *dur, *encoding)
	b := load("http://"+bare+"/", *conns, *rate, *dur, *encoding)
	fmt.Printf("%s (%d bytes, Accept-Encoding %q), %d connections, %v each, %s, %d components checked every 30 s:\n",
		*path, len(body), *encoding, *conns, *dur, pacing(*rate), *components)
	fmt.Printf("  constat serve: %s\n  bare net/http: %s\n  ratio: %.2f\n", a, b, a.rps/b.rps)
	return nil
}

type loadResult struct {
	rps           float64
	p50, p99      time.Duration
	errors, total int
}

func (r loadResult) String() string {
	return fmt.Sprintf("%.0f req/s, p50 %v, p99 %v, %d errors of %d", r.rps, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.errors, r.total)
}

func pacing(rate float64) string {
	if rate <= 0 {
		return "closed loop"
	}
	return fmt.Sprintf("open loop at %.0f req/s", rate)
}

// load sends GETs over conns keep-alive connections for d and reports the
// rate and latency percentiles.
//
// Closed loop (rate 0), each connection sends its next request as soon as
// it has the answer: that measures the most the server answers, but with
// 1,000 connections the latency is then mostly queueing (Little's law: at
// 16,000 req/s a request waits 1,000/16,000 s = 62 ms on average) and says
// little about a parent's wait. Open loop (rate > 0), the requests are due
// at a fixed rate whatever the answers, like visitors who do not wait for
// each other, and a request's latency counts from when it was due, so a
// server falling behind shows in the percentiles (no coordinated omission).
func load(url string, conns int, rate float64, d time.Duration, encoding string) loadResult {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	start := time.Now()
	var wg sync.WaitGroup
	var period time.Duration // between two requests of one connection, open loop
	if rate > 0 {
		period = time.Duration(float64(conns) / rate * float64(time.Second))
	}
	for i := range conns {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			offset := period * time.Duration(i) / time.Duration(conns) // the connections' sends interleave
			for k := 0; ctx.Err() == nil; k++ {
				t0 := time.Now()
				if period > 0 {
					t0 = start.Add(offset + time.Duration(k)*period)
					if !sleepUntil(ctx, t0) {
						break
					}
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if encoding != "" {
					req.Header.Set("Accept-Encoding", encoding)
				}
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat, errs = append(lat, mine...), errs+bad
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	slices.Sort(lat)
	r := loadResult{rps: float64(len(lat)) / elapsed, errors: errs, total: len(lat) + errs}
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r
}

// sleepUntil waits until t, and reports false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	wait := time.Until(t)
	if wait <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func fetchBody(url, encoding string) ([]byte, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s = %d", url, resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

// startBare runs this binary's "bare" subcommand: a plain net/http server
// writing body, in a process of its own like constat serve.
func startBare(dir string, body []byte, encoding string) (string, func(), error) {
	file := filepath.Join(dir, "body")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		return "", nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(self, "bare", file, addr, encoding)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return "", nil, errors.New("bare server did not start")
}

// serveBare is the bare server: the same bytes for every request.
func serveBare(args []string) error {
	if len(args) != 3 {
		return errors.New("usage: constat-bench bare FILE ADDR ENCODING")
	}
	body, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	return http.ListenAndServe(args[1], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if args[2] != "" {
			w.Header().Set("Content-Encoding", args[2])
		}
		w.Write(body)
	}))
}
