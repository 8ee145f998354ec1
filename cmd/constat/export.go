package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/constat-ent/constat/ui"
)

func runExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export-site", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the embedded config.example.yaml)")
	o := serveOptions{}
	fs.StringVar(&o.dataDir, "data", "data", "data directory of a stopped constat serve")
	days := fs.Int("days", 7, "day pages to write per component, today included")
	if done, code := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 || *days < 0 {
		fmt.Fprintln(stderr, "usage: constat export-site [-config FILE] [-data DIR] [-days N] OUTDIR")
		return exitUsage
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		printConfigError(stderr, "export-site", err)
		return exitUsage
	}
	o.cfg, o.log = cfg, slog.New(slog.DiscardHandler)
	n, err := exportSite(o, fs.Arg(0), *days)
	if err != nil {
		fmt.Fprintln(stderr, "constat export-site:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "constat export-site: %d files in %s\n", n, fs.Arg(0))
	return exitOK
}

func exportSite(o serveOptions, dir string, days int) (n int, err error) {
	st, err := openStores(o)
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	srv, err := newServer(o, st)
	if err != nil {
		return 0, err
	}
	return srv.Export(dir, days)
}

// publish re-exports the site into dir whenever it changed, checking every
// interval, until ctx is done: with serve -publish-dir, a static host or
// CDN can serve the site when traffic outgrows one server.
func publish(ctx context.Context, srv *ui.Server, dir string, interval time.Duration, log *slog.Logger) {
	var last uint64
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for first := true; ; first = false {
		if g := srv.Generation(); first || g != last {
			if n, err := srv.Export(dir, 7); err != nil {
				log.Error("publish failed", "dir", dir, "err", err)
			} else {
				last = g
				log.Debug("published", "dir", dir, "files", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
