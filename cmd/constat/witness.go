package main

import (
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
	"sync"
	"syscall"
	"time"

	"github.com/constat-ent/constat/incidents/timeline/evidence/witness"
)

const witnessUsage = `usage: constat witness -log URL -key VKEY -state DIR [-name NAME] [-listen ADDR] [-interval D] [-once]

  -log is the log's evidence base, the URL its /evidence/checkpoint is under:
  https://statut.example.org/evidence (the witness reads URL/checkpoint and
  URL/tile/…). -key is the log's verifier key, from its /evidence/key or
  its methodology page, obtained once and kept. Point -log at the log's own
  server, not a cache or a static copy: an older checkpoint served by a
  cache reads as a log that shrank, and the witness alarms.

  DIR/history keeps every checkpoint the witness cosigned, served with
  -listen at /checkpoints?after=SIZE. A damaged history stops the start,
  naming the entry (a last entry cut short by a crash is set aside in
  DIR/history.torn-* and the witness goes on).`

type witnessOptions struct {
	cfg    witness.Config
	listen string
	once   bool
	ln     net.Listener // a listener already bound (tests), instead of listen
}

func runWitness(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("witness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, witnessUsage); fs.PrintDefaults() }
	var o witnessOptions
	fs.StringVar(&o.cfg.LogURL, "log", "", "the log's evidence base URL, https://host/evidence (required)")
	fs.StringVar(&o.cfg.LogKey, "key", "", "the log's verifier key, name+hash+base64 (required)")
	fs.StringVar(&o.cfg.StateDir, "state", "", "directory of the witness's key, history of cosigned checkpoints and conflicts (created; required)")
	fs.StringVar(&o.cfg.Name, "name", "", "name of the witness's key at first start, a schema-less URL such as redaction.example.org/temoin (default: the host name + /constat-witness)")
	fs.StringVar(&o.listen, "listen", "", "serve /checkpoint, /checkpoints, /healthz and /metrics on this address")
	fs.DurationVar(&o.cfg.Interval, "interval", time.Minute, "time between two polls of the log")
	fs.BoolVar(&o.once, "once", false, "poll once and exit: 0 when the log checks out, 1 otherwise")
	if done, code := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 0 || o.cfg.LogURL == "" || o.cfg.LogKey == "" || o.cfg.StateDir == "" || o.cfg.Interval <= 0 {
		fmt.Fprintln(stderr, witnessUsage)
		return exitUsage
	}
	o.cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := runWitnessWith(ctx, o, stdout); err != nil {
		fmt.Fprintln(stderr, "constat witness:", err)
		return exitFailure
	}
	return exitOK
}

// runWitnessWith opens the witness and polls: once, or until ctx is done
// or the log contradicts itself. Serving, it keeps serving the last good
// checkpoint after an alarm until ctx is done (or the listener fails),
// and then returns the alarm.
func runWitnessWith(ctx context.Context, o witnessOptions, stdout io.Writer) error {
	if err := os.MkdirAll(o.cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	if o.cfg.Name == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "localhost"
		}
		o.cfg.Name = host + "/constat-witness"
	}
	if _, err := os.Stat(filepath.Join(o.cfg.StateDir, witness.KeyFile)); err == nil {
		o.cfg.Name = "" // the stored key's name stands
	}
	w, err := witness.Open(o.cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "constat witness: verifier key, for the log's evidence.witnesses[].key: %s\n", w.VerifierKey())
	if o.once {
		cosigned, err := w.Poll(ctx)
		if err != nil {
			return err
		}
		msg, _ := w.Cosigned()
		fmt.Fprintf(stdout, "constat witness: log checked (new checkpoint cosigned: %t)\n%s", cosigned, msg)
		return nil
	}
	if o.listen == "" && o.ln == nil {
		return w.Run(ctx)
	}
	ln := o.ln
	if ln == nil {
		if ln, err = net.Listen("tcp", o.listen); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	hs := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var runErr error // read after runHTTP, which waits for wg
	wg.Go(func() {
		if runErr = w.Run(runCtx); runErr != nil {
			o.cfg.Logger.Error("cosigning stopped; serving the last good checkpoint, /healthz reports the alarm", "err", runErr)
		}
	})
	err = runHTTP(ctx, hs, ln, func() {
		fmt.Fprintf(stdout, "constat witness: serving http://%s/checkpoint\n", ln.Addr())
	}, cancel, &wg, 5*time.Second)
	return errors.Join(runErr, err)
}
