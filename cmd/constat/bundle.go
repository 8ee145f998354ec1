package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

func runBundle(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bundle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file, for evidence.origin (default: the embedded config.example.yaml)")
	dataDir := fs.String("data", "data", "data directory of a stopped constat serve")
	comp := fs.String("component", "", "component ID")
	fromS := fs.String("from", "", "first instant, RFC 3339 (2021-04-06T00:00:00+02:00)")
	toS := fs.String("to", "", "instant after the last, RFC 3339")
	out := fs.String("o", "", "file to write")
	if done, code := parseFlags(fs, args); done {
		return code
	}
	from, err1 := time.Parse(time.RFC3339, *fromS)
	to, err2 := time.Parse(time.RFC3339, *toS)
	if fs.NArg() != 0 || *comp == "" || *out == "" || err1 != nil || err2 != nil || !from.Before(to) {
		fmt.Fprintln(stderr, "usage: constat bundle [-config FILE] [-data DIR] -component ID -from RFC3339 -to RFC3339 -o FILE")
		return exitUsage
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	n, err := writeBundle(*dataDir, cfg.evidence.OriginFor(cfg.site.PublicURL), *comp, from, to, *out)
	if err != nil {
		fmt.Fprintln(stderr, "constat bundle:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "constat bundle: %d records of %s in %s\n", n, *comp, *out)
	return exitOK
}

func writeBundle(dataDir, origin, comp string, from, to time.Time, out string) (n int, err error) {
	tl, err := timeline.Open(filepath.Join(dataDir, "timeline.db"), timeline.Options{})
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, tl.Close()) }()
	l, err := evidence.Open(tl, evidence.Config{KeyPath: filepath.Join(dataDir, evidence.KeyFile), Origin: origin})
	if err != nil {
		return 0, err
	}
	b, err := l.RangeBundle([]string{comp}, from, to)
	if err != nil {
		return 0, err
	}
	data, err := json.Marshal(b)
	if err != nil {
		return 0, err
	}
	return len(b.Records), os.WriteFile(out, append(data, '\n'), 0o644)
}

func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("key", "", "the log's verifier key as published at /evidence/key (default: the one in the bundle, which proves nothing by itself)")
	if done, code := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: constat verify [-key VKEY] FILE")
		return exitUsage
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "constat verify:", err)
		return exitFailure
	}
	b, err := evidence.ParseBundle(data)
	if err == nil {
		var cp evidence.Checkpoint
		if cp, err = evidence.VerifyBundle(b, *key); err == nil {
			fmt.Fprintf(stdout, "constat verify: OK: %d records and %d strings are in the log %s of %d records, checkpoint signed by %s\n",
				len(b.Records), len(b.Strings), cp.Origin, cp.Size, b.Key)
			if *key == "" {
				fmt.Fprintln(stdout, "constat verify: checked against the key the bundle carries: compare it with the one the log publishes (/evidence/key), or pass -key")
			}
			return exitOK
		}
	}
	fmt.Fprintln(stderr, "constat verify: FAILED:", err)
	return exitFailure
}
