package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
	"github.com/constat-ent/constat/probes"
	"github.com/constat-ent/constat/ui"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	promconfig "github.com/prometheus/common/config"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the embedded config.example.yaml)")
	o := serveOptions{}
	fs.StringVar(&o.dataDir, "data", "data", "directory of the timeline file (created if absent)")
	fs.StringVar(&o.listen, "listen", "localhost:8080", "HTTP listen address")
	fs.IntVar(&o.workers, "workers", 0, "checks run at once at most (0: as many as run at once if every portal hangs to its timeout, sum of timeout/interval over the components, 64 to 8192, within the descriptor limit)")
	fs.IntVar(&o.maxConns, "max-conns", 0, "HTTP connections held at once at most (default: the descriptor limit less a reserve for the probes)")
	fs.StringVar(&o.probe.UserAgent, "user-agent", "", "User-Agent of the probes (default names Constat and its site)")
	fs.StringVar(&o.publishDir, "publish-dir", "", "also write the public site as static files into this directory, refreshed on every change")
	fs.BoolVar(&o.trustProxy, "trust-proxy", false, "behind a reverse proxy: trust X-Forwarded-For and X-Forwarded-Proto")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (for the benchmarks)")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file on exit (for the benchmarks)")
	if done, code := parseFlags(fs, args); done {
		return code
	}
	if *memProfile != "" {
		defer writeHeapProfile(*memProfile, stderr)
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "constat serve:", err)
			return exitFailure
		}
		defer stopProfile()
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		printConfigError(stderr, "serve", err)
		return exitUsage
	}
	o.cfg = cfg
	o.log = slog.New(slog.NewTextHandler(stderr, nil))
	o.ready = func(addr string) {
		fmt.Fprintf(stdout, "constat: serving http://%s/ (%d components)\n", addr, len(cfg.Components))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, o); err != nil {
		fmt.Fprintln(stderr, "constat serve:", err)
		return exitFailure
	}
	return exitOK
}

// startCPUProfile profiles the process into path until the returned
// function is called; constat-bench uses it to see where serve's CPU goes.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeHeapProfile writes the live heap to path, after a collection, so
// that constat-bench can see what a long run keeps.
func writeHeapProfile(path string, stderr io.Writer) {
	f, err := os.Create(path)
	if err == nil {
		runtime.GC()
		err = errors.Join(pprof.WriteHeapProfile(f), f.Close())
	}
	if err != nil {
		fmt.Fprintln(stderr, "constat serve: heap profile:", err)
	}
}

// commitDelay lets results of the spread schedule share timeline commits:
// with 1,000 checks at 30 s, about 8 results per fsync instead of 1. A
// result reaches the page at most this much later.
const commitDelay = time.Second

type serveOptions struct {
	cfg     *config
	dataDir string
	listen  string
	workers int // 0: defaultWorkers
	probe   probes.Options
	log     *slog.Logger
	ready   func(addr string) // called once the listener is bound
	// trustProxy: believe X-Forwarded-For and -Proto (behind a reverse proxy only).
	trustProxy bool
	publishDir string // static copy of the public site, "" for none
	maxConns   int    // HTTP connections at once; 0: from the descriptor limit (connCap)
	// commitDelay overrides the package's commitDelay when positive.
	commitDelay time.Duration
}

// serve runs the scheduler, the timeline and the HTTP server until ctx is
// done, then stops them in order: probes first, then HTTP, then the
// timeline, so that every result taken is committed before exit.
func serve(ctx context.Context, o serveOptions) (err error) {
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	checks := make([]probes.Job, 0, len(o.cfg.Components))
	for _, c := range o.cfg.Components {
		ch, err := probes.NewCheck(c, o.probe)
		if err != nil {
			return err
		}
		checks = append(checks, probes.CheckJob(ch))
	}
	st, err := openStores(o)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	srv, err := newServer(o, st)
	if err != nil {
		return err
	}
	nofile := raiseNoFile(o.log)
	if o.workers <= 0 {
		o.workers = defaultWorkers(o.cfg.Components, nofile)
	}
	limit := ui.NewConnLimit(connCap(o.maxConns, nofile, o.workers))
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ln = limit.Listener(ln)
	// A request has 5 s for its headers and 15 s in all (its body
	// included), an answer 60 s: a slow client cannot hold a slot longer.
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 60 * time.Second, ConnState: limit.ConnState}

	vantage := probes.NewVantage(o.cfg.connectivity, o.cfg.Components, o.probe, o.log)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	keep := context.WithoutCancel(runCtx) // made once: one allocation fewer per result
	sink := func(ctx context.Context, r probes.Result) {
		// A round measured while Constat had no network is kept, flagged.
		r = vantage.Judge(ctx, r)
		// A result taken is recorded even if shutdown starts meanwhile:
		// Close flushes the writer after the scheduler has returned.
		// A failing commit (a full disk) is logged by the timeline once a
		// minute and shown by /healthz: not once a result.
		if _, err := st.pipe.Record(keep, r); err != nil && !errors.Is(err, timeline.ErrCommit) {
			o.log.Error("result not recorded", "component", r.Component, "err", err)
		}
	}
	sched := probes.NewScheduler(checks, o.workers, sink, o.log)
	var wg sync.WaitGroup
	wg.Go(func() { sched.Run(runCtx) })
	wg.Go(func() { st.push.Run(runCtx) })
	wg.Go(func() { vantage.Run(runCtx) })
	wg.Go(func() { st.ev.Run(runCtx) })
	if st.wit != nil {
		wg.Go(func() { st.wit.Run(runCtx) })
	}
	if o.publishDir != "" {
		wg.Go(func() { publish(runCtx, srv, o.publishDir, 10*time.Second, o.log) })
	}
	return runHTTP(ctx, hs, ln, func() {
		if o.ready != nil {
			o.ready(ln.Addr().String())
		}
		o.log.Info("serving", "addr", ln.Addr().String(), "components", len(checks),
			"nofile", nofile, "max_conns", limit.Max(), "probe_reserve", probeReserve(o.workers), "workers", o.workers)
	}, cancel, &wg, 10*time.Second)
}

// stores are what serve opens in the data directory: the public timeline
// and, in files of their own, the admin accounts and the push
// subscriptions with their outbox.
type stores struct {
	tl     *timeline.Timeline
	ev     *evidence.Log
	wit    *evidence.Witnessed // the witnesses' cosignatures; nil without evidence.witnesses
	acc    *accounts.Store
	pipe   *incidents.Pipeline
	pushDB *push.Store
	push   *push.Push
	// registry gets every metric: the probes', the push sender's, Go's.
	registry *prometheus.Registry
}

func openStores(o serveOptions) (_ *stores, err error) {
	if err := os.MkdirAll(o.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	st := &stores{registry: prometheus.NewRegistry()}
	st.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	defer func() {
		if err != nil {
			err = errors.Join(err, st.Close())
		}
	}()
	if st.tl, err = timeline.Open(filepath.Join(o.dataDir, "timeline.db"), timeline.Options{Logger: o.log, MaxDelay: cmp.Or(o.commitDelay, commitDelay)}); err != nil {
		return st, err
	}
	// The start check: refuse to serve a timeline altered since it was signed.
	st.ev, err = evidence.Open(st.tl, evidence.Config{
		KeyPath:  filepath.Join(o.dataDir, evidence.KeyFile),
		Origin:   o.cfg.evidence.OriginFor(o.cfg.site.PublicURL),
		Interval: o.cfg.evidence.CheckpointInterval,
		Logger:   o.log,
	})
	if errors.Is(err, evidence.ErrAltered) {
		return st, fmt.Errorf("%w; refusing to serve altered data: run constat fsck -data %s", err, o.dataDir)
	}
	if err != nil {
		return st, err
	}
	if ws := o.cfg.evidence.Witnesses; len(ws) > 0 {
		st.wit, err = evidence.OpenWitnessed(st.ev, filepath.Join(o.dataDir, evidence.WitnessedFile), ws,
			evidence.WitnessedOptions{Interval: witnessInterval(o.cfg.evidence.CheckpointInterval), Logger: o.log, Registry: st.registry})
		if err != nil {
			return st, err
		}
	}
	if st.acc, err = accounts.Open(filepath.Join(o.dataDir, "accounts.db"), accounts.Options{Logger: o.log}); err != nil {
		return st, err
	}
	if st.pipe, err = incidents.NewPipeline(st.tl, o.cfg.Components, o.cfg.incidents, o.log); err != nil {
		return st, err
	}
	if err := st.openPush(o); err != nil {
		return st, err
	}
	return st, nil
}

// openPush opens the push store beside the accounts, creates the VAPID
// keys at first start, and builds the alert sender.
func (st *stores) openPush(o serveOptions) (err error) {
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	keys, created, err := push.LoadOrCreateKeys(o.dataDir)
	if err != nil {
		return err
	}
	if created {
		o.log.Info("vapid keys created", "file", filepath.Join(o.dataDir, push.KeysFile))
	}
	if st.pushDB, err = push.OpenStore(filepath.Join(o.dataDir, push.StoreFile), push.StoreOptions{Timeout: time.Second}); err != nil {
		return err
	}
	tlsCfg, err := promconfig.NewTLSConfig(&o.cfg.push.TLSConfig)
	if err != nil {
		return fmt.Errorf("push.tls_config: %w", err)
	}
	if o.cfg.push.Subject == "" {
		o.log.Warn("push.subject not set: subscriptions are taken, alerts are not sent")
	}
	var publicURL string
	if u := o.cfg.site.PublicURL; u != nil {
		publicURL = u.String()
	}
	st.push, err = push.New(push.Options{Store: st.pushDB, Timeline: st.tl, History: st.pipe.History(), Config: o.cfg.Config,
		Settings: o.cfg.push, Webhooks: o.cfg.webhooks, PublicURL: publicURL,
		Keys: keys, Words: ui.PushWords{}, TLS: tlsCfg, Registry: st.registry, Log: o.log})
	if err != nil {
		return err
	}
	// What the pipeline commits (engine events, admin updates) goes out at
	// once rather than at the sender's next poll.
	st.pipe.OnPublish(st.push.Wake)
	return nil
}

// Close closes what was opened; the timeline last but for the accounts, so
// that pending results are committed.
func (st *stores) Close() error {
	var errs []error
	if st.ev != nil {
		// Sign what the last results added, so that the next start check
		// has no tail to read.
		_, err := st.ev.Sign()
		errs = append(errs, err)
	}
	if st.wit != nil {
		errs = append(errs, st.wit.Close())
	}
	if st.tl != nil {
		errs = append(errs, st.tl.Close())
	}
	if st.acc != nil {
		errs = append(errs, st.acc.Close())
	}
	if st.pushDB != nil {
		errs = append(errs, st.pushDB.Close())
	}
	return errors.Join(errs...)
}

// newServer builds the HTTP side: public pages, metrics and the admin.
func newServer(o serveOptions, st *stores) (*ui.Server, error) {
	return ui.New(o.cfg.Config, st.pipe, ui.Options{Site: o.cfg.site, Accounts: st.acc, Registry: st.registry, Push: st.push, TrustProxy: o.trustProxy, Log: o.log, Evidence: st.ev, Witnessed: st.wit})
}

// witnessInterval is how often serve reads the witnesses' cosignatures:
// a quarter of the checkpoint interval, between 1 s and 15 s, so that a
// witness's cosignature of the latest checkpoint is served soon after it
// is made.
func witnessInterval(checkpoint time.Duration) time.Duration {
	return min(max(checkpoint/4, time.Second), 15*time.Second)
}
