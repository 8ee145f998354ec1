package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// benchPair runs constat serve and the bare net/http client side by side.
func benchPair(args []string) error {
	fs := flag.NewFlagSet("pair", flag.ExitOnError)
	checks := fs.Int("checks", 1000, "components to check, for each of the two")
	interval := fs.Duration("interval", 30*time.Second, "check interval")
	measure := fs.Duration("measure", 2*time.Minute, "measuring window, after every check ran once")
	bin := fs.String("constat", "", "constat binary (default: built from ./cmd/constat)")
	keepAlive := fs.Bool("keep-alive", false, "keep_alive: true for constat, connection reuse for the bare client")
	profile := fs.String("cpuprofile", "", "have serve write a CPU profile of its whole run to this file")
	tick := fs.Duration("tick", 0, "have the bare client wake once per tick, as serve does (probes.Tick); 0: once per fetch")
	fs.Parse(args)

	env, err := newBenchEnv(*bin, true, *checks, *interval, *keepAlive)
	if err != nil {
		return err
	}
	defer env.Close()
	var bareHits atomic.Int64
	bareTarget, err := startTarget(&bareHits)
	if err != nil {
		return err
	}
	defer bareTarget.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	extra, err := profileArgs(*profile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *interval+*measure+2*time.Minute)
	defer cancel()
	serve, addr, stopServe, err := startChild(ctx, env.bin, append([]string{"serve", "-config", env.cfg,
		"-data", filepath.Join(env.dir, "data"), "-listen", "127.0.0.1:0"}, extra...)...)
	if err != nil {
		return err
	}
	defer stopServe()
	bare, _, stopBare, err := startChild(ctx, self, "netclient", "-target", bareTarget.Addr().String(),
		"-checks", strconv.Itoa(*checks), "-interval", interval.String(), "-keep-alive="+strconv.FormatBool(*keepAlive), "-tick", tick.String())
	if err != nil {
		return err
	}
	defer stopBare()

	fmt.Printf("constat serve and a bare net/http client side by side: %d checks each every %v (keep-alive %v, bare client tick %v), warming up %v\n",
		*checks, *interval, *keepAlive, *tick, *interval+5*time.Second)
	time.Sleep(*interval + 5*time.Second)
	sides := []*pairSide{
		{name: "constat serve", pid: serve.Process.Pid, results: func() (float64, error) { return recorded(addr) }},
		{name: "bare client", pid: bare.Process.Pid, results: func() (float64, error) { return float64(bareHits.Load()), nil }},
	}
	for _, s := range sides {
		if err := s.sample(0); err != nil {
			return err
		}
	}
	t0 := time.Now()
	time.Sleep(*measure)
	wall := time.Since(t0).Seconds()
	for _, s := range sides {
		if err := s.sample(1); err != nil {
			return err
		}
	}
	for _, s := range sides {
		fmt.Printf("%-14s cpu %6.2f s = %5.2f %% of one core; %6.0f checks (%.1f/s); %4.0f µs per check; %.2f context switches per check\n",
			s.name, s.cpu(), 100*s.cpu()/wall, s.n(), s.n()/wall, s.perCheck(), float64(s.switches[1]-s.switches[0])/s.n())
	}
	fmt.Printf("constat / bare: %.3f (constat's own share %+.0f µs per check)\n",
		sides[0].perCheck()/sides[1].perCheck(), sides[0].perCheck()-sides[1].perCheck())
	return nil
}

// pairSide is one process of benchPair and its two samples.
type pairSide struct {
	name     string
	pid      int
	results  func() (float64, error)
	ticks    [2]uint64
	done     [2]float64
	switches [2]uint64 // context switches of all its threads
}

// sample reads the CPU and the results count of the side: at the start
// the results first, at the end the CPU first, so that serve's answer to
// the /metrics read (tens of ms at 1,000 components) is outside the window.
func (s *pairSide) sample(i int) (err error) {
	steps := []func() error{
		func() (err error) { s.done[i], err = s.results(); return err },
		func() (err error) {
			if s.ticks[i], err = cpuTicks(s.pid); err == nil {
				s.switches[i], err = ctxSwitches(s.pid)
			}
			return err
		},
	}
	if i == 1 {
		steps[0], steps[1] = steps[1], steps[0]
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

func (s *pairSide) cpu() float64      { return float64(s.ticks[1]-s.ticks[0]) / 100 } // USER_HZ
func (s *pairSide) n() float64        { return s.done[1] - s.done[0] }
func (s *pairSide) perCheck() float64 { return 1e6 * s.cpu() / s.n() }

// ctxSwitches sums the voluntary and involuntary context switches of the
// threads of pid that are alive now (Go keeps its threads once started).
func ctxSwitches(pid int) (uint64, error) {
	dirs, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue // the thread exited
		}
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				c, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
				if err != nil {
					return 0, fmt.Errorf("%s: %s: %w", d, k, err)
				}
				n += c
			}
		}
	}
	return n, nil
}
