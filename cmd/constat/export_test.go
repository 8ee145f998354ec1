package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
	"github.com/constat-ent/constat/probes/sim"
)

// serve -publish-dir writes the site at once, and again after a change.
func TestPublish(t *testing.T) {
	p := sim.Start(t, sim.Healthy)
	cfg := fastConfig(t, map[string]string{"lycees": p.URL()}, "lycees")
	o := serveOptions{cfg: cfg, dataDir: t.TempDir(), log: slog.New(slog.DiscardHandler)}
	st, err := openStores(o)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := newServer(o, st)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { publish(ctx, srv, out, 20*time.Millisecond, o.log); close(done) }()
	defer func() { cancel(); <-done }()
	index := filepath.Join(out, "index.html")
	waitFor := func(cond func([]byte) bool, what string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if b, err := os.ReadFile(index); err == nil && cond(b) {
				return
			}
		}
		t.Fatalf("published index.html never %s", what)
	}
	waitFor(func(b []byte) bool { return bytes.Contains(b, []byte("Pas encore mesuré")) }, "appeared")
	ch, err := probes.NewCheck(cfg.Components[0], probes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.pipe.Record(t.Context(), ch.Run(t.Context())); err != nil {
		t.Fatal(err)
	}
	waitFor(func(b []byte) bool { return !strings.Contains(string(b), "Pas encore mesuré") }, "showed the new result")
}
