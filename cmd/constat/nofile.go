package main

import (
	"log/slog"
	"syscall"

	"github.com/constat-ent/constat/probes"
)

// raiseNoFile raises the soft limit of open descriptors to the hard limit
// (the Go runtime does so too on Linux; saying it here makes it sure and
// logged) and returns the soft limit in force.
func raiseNoFile(log *slog.Logger) uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		log.Warn("descriptor limit unknown", "err", err)
		return 1024
	}
	if rl.Cur < rl.Max {
		old := rl.Cur
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			log.Warn("descriptor limit not raised", "soft", old, "hard", rl.Max, "err", err)
			return old
		}
	}
	return rl.Cur
}

// probeReserve is how many descriptors the HTTP server leaves to the rest
// of the process: two a probe that runs at once (its connection and a DNS
// query), and 256 for the timeline, the accounts, the publisher and the
// runtime.
func probeReserve(workers int) int { return 2*max(workers, 1) + 256 }

// connCap is the HTTP connection cap: asked, when not 0, but never into the
// probes' reserve; else the descriptor limit less that reserve.
func connCap(asked int, nofile uint64, workers int) int {
	room := max(int(min(nofile, 1<<30))-probeReserve(workers), 1)
	if asked > 0 {
		return min(asked, room)
	}
	return room
}

// defaultWorkers is probes.Workers for comps, but never so many that the
// probes' reserve (probeReserve) leaves the HTTP server less than a
// quarter of the descriptors: with a soft limit of 1,024 that is 256
// workers, with the usual raised one what the configuration needs.
func defaultWorkers(comps []*probes.Component, nofile uint64) int {
	room := (int(min(nofile, 1<<30))*3/4 - 256) / 2
	return max(min(probes.Workers(comps), room), 1)
}
