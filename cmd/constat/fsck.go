package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

func runFsck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fsck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "data", "data directory of a stopped constat serve")
	vkey := fs.String("key", "", "the log's verifier key, as published (default: derived from evidence.key in -data)")
	if done, code := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: constat fsck [-data DIR] [-key VKEY]")
		return exitUsage
	}
	r, err := fsck(*dataDir, *vkey)
	if err != nil {
		fmt.Fprintln(stderr, "constat fsck:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "constat fsck: %d records and %d checkpoints: every record matches its leaf, every checkpoint the tree\n", r.Records, r.Checkpoints)
	return exitOK
}

// fsck checks the timeline in dataDir against its tree and checkpoints.
func fsck(dataDir, vkey string) (r evidence.FsckReport, err error) {
	if vkey == "" {
		if vkey, err = evidence.ReadVerifierKey(filepath.Join(dataDir, evidence.KeyFile)); err != nil {
			return r, err
		}
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return r, fmt.Errorf("verifier key: %w", err)
	}
	origin, _, _ := strings.Cut(vkey, "+")
	tl, err := timeline.Open(filepath.Join(dataDir, "timeline.db"), timeline.Options{})
	if err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, tl.Close()) }()
	return evidence.Fsck(tl, v, origin)
}
