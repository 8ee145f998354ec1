// Command constat-bench measures Constat under load, on loopback only.
//
//	constat-bench probes [-checks 1000] [-interval 30s] [-measure 2m] [-keep-alive] [-cpuprofile FILE] [-baseline [-raw|-idle]]
//	constat-bench pair [-checks 1000] [-interval 30s] [-measure 2m] [-keep-alive]
//	constat-bench page [-conns 100] [-rate 0] [-components 100] [-duration 10s] [-path /] [-accept-encoding gzip]
//	constat-bench push [-subs 100000] [-cpuprofile FILE]
//	constat-bench flood [-slow 20000] [-components 20] [-interval 5s] [-measure 30s]
//
// probes builds the constat binary, starts a loopback HTTP target in this
// process, writes a config of -checks components all pointing at it, runs
// "constat serve" as a child process, waits until every check has run once,
// then reads the child's CPU time from /proc over -measure and reports it as
// a percentage of one core, with the results recorded per second (read from
// its /metrics) and its peak resident memory. Only the child is measured: the
// target's work is in this process. With -baseline the child is instead a
// bare net/http client doing the same GETs on the same schedule (see
// netclient): the floor under which no Go checker on the standard client goes.
//
// pair runs constat serve and the bare client at once, each with its own
// loopback target, over the same window, and reports the CPU per check of
// each from its own /proc entry: a ratio that the machine's other load
// touches alike, as two runs one after the other do not.
package main

import (
	"bufio"
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
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	cmds := map[string]func([]string) error{"probes": benchProbes, "pair": benchPair, "page": benchPage, "push": benchPush, "flood": benchFlood,
		"bare": serveBare, "netclient": netClient, "slowclients": slowClients}
	if len(os.Args) < 2 || cmds[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: constat-bench probes [-checks N] [-interval D] [-measure D] [-keep-alive] [-baseline [-raw|-idle]] [-cpuprofile FILE]\n       constat-bench pair [-checks N] [-interval D] [-measure D] [-keep-alive]\n       constat-bench page [-conns 100] [-rate R] [-components N] [-duration 10s] [-path /] [-accept-encoding gzip]\n       constat-bench push [-subs 100000] [-cpuprofile FILE]\n       constat-bench flood [-slow 20000] [-components 20] [-interval 5s] [-measure 30s]")
		os.Exit(2)
	}
	if err := cmds[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "constat-bench:", err)
		os.Exit(1)
	}
}

// buildConstat builds ./cmd/constat into dir.
func buildConstat(dir string) (string, error) {
	bin := filepath.Join(dir, "constat")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/constat").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build constat: %v\n%s", err, out)
	}
	return bin, nil
}

// profileArgs are the serve flags that write a CPU profile to path, none
// when path is "".
func profileArgs(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	abs, err := filepath.Abs(path)
	return []string{"-cpuprofile", abs}, err
}

// startServe runs "constat serve" on a loopback port, with extra flags, and
// returns its address and a function that stops it.
func startServe(bin, cfg, data string, extra ...string) (string, func(), error) {
	_, addr, stop, err := startChild(context.Background(), bin, append([]string{"serve", "-config", cfg, "-data", data, "-listen", "127.0.0.1:0"}, extra...)...)
	return addr, stop, err
}

// startChild runs name with args, killed when ctx ends, and waits for the
// line saying where it serves; it returns the process, that address and a
// function that stops it.
func startChild(ctx context.Context, name string, args ...string) (*exec.Cmd, string, func(), error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", nil, err
	}
	stop := func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }
	addr, err := servingAddr(stdout)
	if err != nil {
		stop()
		return nil, "", nil, err
	}
	go io.Copy(io.Discard, stdout)
	return cmd, addr, stop, nil
}

func benchProbes(args []string) error {
	fs := flag.NewFlagSet("probes", flag.ExitOnError)
	checks := fs.Int("checks", 1000, "components to check, all on the loopback target")
	interval := fs.Duration("interval", 30*time.Second, "check interval")
	measure := fs.Duration("measure", 2*time.Minute, "measuring window, after every check ran once")
	bin := fs.String("constat", "", "constat binary (default: built from ./cmd/constat)")
	keepAlive := fs.Bool("keep-alive", false, "set keep_alive: true (reuse connections between rounds)")
	profile := fs.String("cpuprofile", "", "have serve write a CPU profile of its whole run to this file")
	memProfile := fs.String("memprofile", "", "have serve write a heap profile to this file when it stops")
	rssEvery := fs.Duration("rss-every", 0, "print the child's resident memory at this period during the window (0: never)")
	baseline := fs.Bool("baseline", false, "measure a bare net/http client doing the same GETs instead of constat serve")
	raw := fs.Bool("raw", false, "with -baseline: a client of raw sockets and http.ReadResponse instead of net/http's")
	idle := fs.Bool("idle", false, "with -baseline: wake up on the schedule and fetch nothing")
	fs.Parse(args)

	build := !*baseline // the baseline runs this binary, not constat
	env, err := newBenchEnv(*bin, build, *checks, *interval, *keepAlive)
	if err != nil {
		return err
	}
	defer env.Close()
	dir, cfg, target := env.dir, env.cfg, env.target
	*bin = env.bin
	ctx, cancel := context.WithTimeout(context.Background(), *interval+*measure+2*time.Minute)
	defer cancel()
	serveArgs := []string{"serve", "-config", cfg, "-data", filepath.Join(dir, "data"), "-listen", "127.0.0.1:0"}
	extra, err := profileArgs(*profile)
	if err != nil {
		return err
	}
	serveArgs = append(serveArgs, extra...)
	if *memProfile != "" {
		abs, err := filepath.Abs(*memProfile)
		if err != nil {
			return err
		}
		serveArgs = append(serveArgs, "-memprofile", abs)
	}
	name, what := *bin, "constat serve"
	if *baseline {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		name, what = self, "bare net/http client"
		switch {
		case *idle:
			what = "idle schedule, no fetch"
		case *raw:
			what = "raw sockets client"
		}
		serveArgs = []string{"netclient", "-target", target.Addr().String(), "-checks", strconv.Itoa(*checks),
			"-interval", interval.String(), "-keep-alive=" + strconv.FormatBool(*keepAlive), "-raw=" + strconv.FormatBool(*raw), "-idle=" + strconv.FormatBool(*idle)}
	}
	cmd, addr, stop, err := startChild(ctx, name, serveArgs...)
	if err != nil {
		return err
	}
	defer stop()

	fmt.Printf("%s: %d checks every %v against http://%s/, warming up %v\n", what, *checks, *interval, target.Addr(), *interval+5*time.Second)
	time.Sleep(*interval + 5*time.Second) // every check has run at least once
	// Results are what serve recorded in its timeline (from its /metrics);
	// the baseline records nothing, so for it the target counts the GETs.
	results := func() (float64, error) { return recorded(addr) }
	if *baseline {
		results = func() (float64, error) { return float64(targetHits.Load()), nil }
	}
	cpu0, err := cpuTicks(cmd.Process.Pid)
	if err != nil {
		return err
	}
	rec0, err := results()
	if err != nil {
		return err
	}
	t0 := time.Now()
	sampleRSS(cmd.Process.Pid, t0, *measure, *rssEvery)
	cpu1, err := cpuTicks(cmd.Process.Pid)
	if err != nil {
		return err
	}
	rec1, err := results()
	if err != nil {
		return err
	}
	wall := time.Since(t0).Seconds()
	const ticksPerSecond = 100 // USER_HZ on Linux
	cpuSec := float64(cpu1-cpu0) / ticksPerSecond
	rss, _ := peakRSS(cmd.Process.Pid)
	fmt.Printf("window %.0f s: cpu %.2f s = %.2f %% of one core; results %.0f (%.1f/s, expected %.1f/s); peak RSS %d MiB\n",
		wall, cpuSec, 100*cpuSec/wall, rec1-rec0, (rec1-rec0)/wall, float64(*checks)/interval.Seconds(), rss>>20)
	return nil
}

// targetHits counts the requests the loopback target of benchEnv answered.
var targetHits atomic.Int64

// startTarget serves a small healthy ENT-like page on 127.0.0.1, counting
// the requests it answers in hits.
func startTarget(hits *atomic.Int64) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	page := []byte(`<!DOCTYPE html><html lang="fr"><head><title>ENT</title></head><body><h1>Bienvenue sur votre ENT</h1>` +
		strings.Repeat("<p>Actualités de l'établissement.</p>", 100) + `<a href="/auth/login">Se connecter</a></body></html>`)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return ln, nil
}

func benchConfig(n int, interval time.Duration, addr string, keepAlive bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "defaults:\n  interval: %s\n  timeout: 5s\n  keep_alive: %v\ngroups:\n  - id: bench\n    name: Bench\n    components:\n", interval, keepAlive)
	for i := range n {
		fmt.Fprintf(&b, "      - id: ent-%04d\n        name: ENT %d\n        steps:\n          - url: http://%s/ent/%d\n", i, i, addr, i)
	}
	return []byte(b.String())
}

var servingRe = regexp.MustCompile(`serving http://([^/]+)/`)

func servingAddr(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
			return m[1], nil
		}
	}
	return "", errors.New("constat serve exited before serving")
}

// cpuTicks returns utime+stime of pid, in clock ticks (/proc/PID/stat fields 14, 15).
func cpuTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 on
	ut, err1 := strconv.ParseUint(fields[11], 10, 64)
	st, err2 := strconv.ParseUint(fields[12], 10, 64)
	return ut + st, errors.Join(err1, err2)
}

func peakRSS(pid int) (int64, error) { return procStatus(pid, "VmHWM") }

// procStatus reads a memory field of /proc/PID/status ("VmRSS"), in bytes.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// sampleRSS waits until t0+window, printing pid's resident memory every
// period (never when period is 0), as "rss t=90s 212 MiB (anon 180 MiB,
// file 32 MiB)": file pages are the timeline's mmap, anon the heap and stacks.
func sampleRSS(pid int, t0 time.Time, window, period time.Duration) {
	if period <= 0 {
		time.Sleep(window)
		return
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	end := time.NewTimer(window)
	defer end.Stop()
	for {
		select {
		case <-end.C:
			return
		case now := <-tick.C:
			rss, err1 := procStatus(pid, "VmRSS")
			anon, err2 := procStatus(pid, "RssAnon")
			file, err3 := procStatus(pid, "RssFile")
			if err := errors.Join(err1, err2, err3); err != nil {
				fmt.Println("rss:", err)
				continue
			}
			fmt.Printf("rss t=%.0fs %d MiB (anon %d MiB, file %d MiB)\n", now.Sub(t0).Seconds(), rss>>20, anon>>20, file>>20)
		}
	}
}

var recordsRe = regexp.MustCompile(`(?m)^constat_timeline_records (\S+)$`)

// recorded reads the timeline's record count from /metrics.
func recorded(addr string) (float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	m := recordsRe.FindSubmatch(b)
	if m == nil {
		return 0, errors.New("no constat_timeline_records in /metrics")
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// benchEnv is what both benchmarks start from: a temporary directory, the
// constat binary (built from ./cmd/constat when bin is "" and build is set),
// a loopback target and a config of n components on it.
type benchEnv struct {
	dir, bin, cfg string
	target        net.Listener
}

func newBenchEnv(bin string, build bool, n int, interval time.Duration, keepAlive bool) (_ *benchEnv, err error) {
	e := &benchEnv{bin: bin}
	if e.dir, err = os.MkdirTemp("", "constat-bench-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	if e.bin == "" && build {
		if e.bin, err = buildConstat(e.dir); err != nil {
			return nil, err
		}
	}
	if e.target, err = startTarget(&targetHits); err != nil {
		return nil, err
	}
	e.cfg = filepath.Join(e.dir, "bench.yaml")
	return e, os.WriteFile(e.cfg, benchConfig(n, interval, e.target.Addr().String(), keepAlive), 0o644)
}

func (e *benchEnv) Close() {
	if e.target != nil {
		e.target.Close()
	}
	os.RemoveAll(e.dir)
}
