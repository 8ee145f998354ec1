package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os/signal"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/constat-ent/constat/probes"
)

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the embedded config.example.yaml)")
	asJSON := fs.Bool("json", false, "print one JSON object per component and line")
	workers := fs.Int("workers", 16, "checks run at once")
	if done, code := parseFlags(fs, args); done {
		return code
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		printConfigError(stderr, "check", err)
		return exitUsage
	}
	comps, err := selectComponents(cfg.Config, fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "constat check:", err)
		return exitUsage
	}
	checks := make([]*probes.Check, len(comps))
	for i, c := range comps {
		if checks[i], err = probes.NewCheck(c, probes.Options{}); err != nil {
			fmt.Fprintln(stderr, "constat check:", err)
			return exitUsage
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	results := runOnce(ctx, checks, *workers)
	if *asJSON {
		err = printJSON(stdout, results)
	} else {
		err = printTable(stdout, results)
	}
	if err != nil {
		fmt.Fprintln(stderr, "constat check:", err)
		return exitFailure
	}
	for _, r := range results {
		if r.Status != probes.Operational {
			return exitFailure
		}
	}
	return exitOK
}

// selectComponents returns the components named in ids, or all of them.
func selectComponents(cfg *probes.Config, ids []string) ([]*probes.Component, error) {
	if len(ids) == 0 {
		return cfg.Components, nil
	}
	out := make([]*probes.Component, 0, len(ids))
	for _, id := range ids {
		c := cfg.Component(id)
		if c == nil {
			return nil, fmt.Errorf("no component %q in %s", id, cfg.File)
		}
		out = append(out, c)
	}
	return out, nil
}

// runOnce runs every check once, at most workers at a time, and returns the
// results in the order of checks.
func runOnce(ctx context.Context, checks []*probes.Check, workers int) []probes.Result {
	results := make([]probes.Result, len(checks))
	sem := make(chan struct{}, max(workers, 1))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = c.Run(ctx)
		})
	}
	wg.Wait()
	return results
}

func printTable(w io.Writer, results []probes.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tSTATUS\tSTEP\tOUTCOME\tDNS\tCONNECT\tTLS\tTTFB\tTRANSFER\tCODE\tURL")
	for _, r := range results {
		comp, status := r.Component, r.Status.String()
		for i, st := range r.Steps {
			outcome := st.Outcome.String()
			if st.Detail != "" {
				outcome += " (" + st.Detail + ")"
			}
			ph := st.Phases.Each()
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", comp, status, i+1, outcome,
				msText(ph[0]), msText(ph[1]), msText(ph[2]), msText(ph[3]), msText(ph[4]), st.StatusCode, st.URL)
			comp, status = "", ""
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, summary(results))
	return err
}

// summary is the table's last line: how many services were checked and
// how many are not operational, "13 services, 3 en panne".
func summary(results []probes.Result) string {
	down := 0
	for _, r := range results {
		if r.Status != probes.Operational {
			down++
		}
	}
	noun := "services"
	if len(results) == 1 {
		noun = "service"
	}
	return fmt.Sprintf("%d %s, %d en panne", len(results), noun, down)
}

func msText(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000)
}

// checkLine is the JSON form of one result; the field names are a contract.
type checkLine struct {
	Component string     `json:"component"`
	Status    string     `json:"status"`
	Start     time.Time  `json:"start"`
	Steps     []stepJSON `json:"steps"`
}

type stepJSON struct {
	URL        string             `json:"url"`
	Outcome    string             `json:"outcome"`
	Detail     string             `json:"detail"`
	StatusCode int                `json:"status_code"`
	PhasesMS   map[string]float64 `json:"phases_ms"`
	DurationMS float64            `json:"duration_ms"`
	Addresses  []string           `json:"addresses"`
	BytesRead  int64              `json:"bytes_read"`
	TLSVersion string             `json:"tls_version,omitempty"`
	CertExpiry *time.Time         `json:"cert_expiry,omitempty"`
	Redirects  int                `json:"redirects"`
}

func printJSON(w io.Writer, results []probes.Result) error {
	enc := json.NewEncoder(w)
	for _, r := range results {
		line := checkLine{Component: r.Component, Status: r.Status.String(), Start: r.Start.UTC(), Steps: []stepJSON{}}
		for _, st := range r.Steps {
			sj := stepJSON{URL: st.URL, Outcome: st.Outcome.String(), Detail: st.Detail, StatusCode: st.StatusCode,
				PhasesMS: map[string]float64{}, DurationMS: msFloat(st.Duration), Addresses: st.Addresses,
				BytesRead: st.BytesRead, Redirects: st.Redirects, TLSVersion: tlsVersionName(st.TLSVersion)}
			if sj.Addresses == nil {
				sj.Addresses = []string{}
			}
			for i, d := range st.Phases.Each() {
				sj.PhasesMS[probes.PhaseNames[i]] = msFloat(d)
			}
			if !st.CertExpiry.IsZero() {
				t := st.CertExpiry.UTC()
				sj.CertExpiry = &t
			}
			line.Steps = append(line.Steps, sj)
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}

func msFloat(d time.Duration) float64 {
	return math.Round(float64(d.Microseconds())) / 1000
}

func tlsVersionName(v uint16) string {
	if v == 0 {
		return ""
	}
	return tls.VersionName(v)
}
