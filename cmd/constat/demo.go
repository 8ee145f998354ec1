package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/constat-ent/constat/probes/sim"
)

// demoENT is one simulated service of the demo: how it behaves in normal
// times and during the rush, modelled on what was seen on 6 April 2021.
type demoENT struct {
	group, groupName string
	id, name, op     string
	host             string // resolved by the demo's loopback DNS
	normal, rush     sim.Behaviour
	tls              sim.TLSMode
	login            bool // a second step: the login page found on the home page
}

var demoFleet = []demoENT{
	{"idf", "Île-de-France", "monlycee", "monlycée.net (lycées)", "Open Digital Education", "monlycee.test", sim.Healthy, sim.QueuePage, sim.PlainHTTP, true},
	{"idf", "Île-de-France", "pcn-paris", "Paris Classe Numérique (collèges)", "Open Digital Education", "pcn.test", sim.Healthy, sim.QueuePage, sim.PlainHTTP, true},
	{"grand-est", "Grand Est", "mbn", "Mon Bureau Numérique", "Kosmos", "mbn.test", sim.Healthy, sim.Restricted, sim.ValidTLS, false},
	{"normandie", "Normandie", "educ-normandie", "L'Educ de Normandie", "Open Digital Education", "normandie.test", sim.Healthy, sim.LoginBroken, sim.PlainHTTP, true},
	{"normandie", "Normandie", "ent27", "ENT27 (Eure, collèges)", "Kosmos", "ent27.test", sim.Healthy, sim.Restricted, sim.ExpiredCert, false},
	{"cvl", "Centre-Val de Loire", "netocentre", "NetOcentre", "GIP RECIA", "netocentre.test", sim.Healthy, sim.Hanging, sim.PlainHTTP, false},
	{"hdf", "Hauts-de-France", "ent-hdf", "ENT Hauts-de-France", "Open Digital Education", "enthdf.test", sim.Healthy, sim.Slow, sim.PlainHTTP, true},
	{"occitanie", "Occitanie", "ent-occitanie", "Mon ENT Occitanie", "Kosmos", "occitanie.test", sim.Healthy, sim.Flapping, sim.PlainHTTP, false},
	{"nouvelle-aquitaine", "Nouvelle-Aquitaine", "lycee-connecte", "Lycée connecté", "Open Digital Education", "lyceeconnecte.test", sim.Healthy, sim.Healthy, sim.ValidTLS, true},
	{"bretagne", "Bretagne", "toutatice", "Toutatice", "Académie de Rennes", "toutatice.test", sim.Healthy, sim.Healthy, sim.PlainHTTP, false},
	{"cned", "CNED", "mcalm-college", "Ma classe à la maison — collège", "CNED", "college.cned.test", sim.Healthy, sim.WhitePage, sim.PlainHTTP, false},
	{"cned", "CNED", "cned-www", "cned.fr", "CNED", "www.cned.test", sim.Healthy, sim.Reset, sim.PlainHTTP, false},
	{"national", "Services nationaux", "educonnect", "EduConnect", "Ministère de l'Éducation nationale", "educonnect.test", sim.Healthy, sim.Healthy, sim.ValidTLS, false},
}

func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := serveOptions{}
	fs.StringVar(&o.listen, "listen", "localhost:8080", "HTTP listen address")
	fs.StringVar(&o.dataDir, "data", "", "directory for the demo's config, CA and timeline (default: a temporary directory, removed at exit)")
	cycle := fs.Duration("cycle", 3*time.Minute, "length of one simulated morning: calm, rush, recovery")
	if done, code := parseFlags(fs, args); done {
		return code
	}
	if *cycle < 30*time.Second {
		fmt.Fprintln(stderr, "constat demo: -cycle must be at least 30s")
		return exitUsage
	}
	if o.dataDir == "" {
		dir, err := os.MkdirTemp("", "constat-demo-")
		if err != nil {
			fmt.Fprintln(stderr, "constat demo:", err)
			return exitFailure
		}
		defer os.RemoveAll(dir)
		o.dataDir = dir
	}
	o.log = slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := demo(ctx, o, *cycle, stdout); err != nil {
		fmt.Fprintln(stderr, "constat demo:", err)
		return exitFailure
	}
	return exitOK
}

// demo starts the simulators and a loopback DNS server, writes a config for
// them, and serves it while switching the simulators through calm, rush and
// recovery, over and over.
func demo(ctx context.Context, o serveOptions, cycle time.Duration, stdout io.Writer) error {
	portals := make([]*sim.Portal, 0, len(demoFleet))
	defer func() {
		for _, p := range portals {
			p.Close()
		}
	}()
	records := map[string]netip.Addr{}
	for _, e := range demoFleet {
		p, err := sim.New(e.normal, sim.WithTLS(e.tls), sim.WithName(e.name))
		if err != nil {
			return fmt.Errorf("start simulator %s: %w", e.id, err)
		}
		portals = append(portals, p)
		records[e.host] = netip.MustParseAddr("127.0.0.1")
	}
	dns, err := sim.NewDNS(records)
	if err != nil {
		return fmt.Errorf("start DNS simulator: %w", err)
	}
	defer dns.Close()
	if err := os.MkdirAll(o.dataDir, 0o755); err != nil { // as serve does
		return fmt.Errorf("demo data directory: %w", err)
	}
	caFile := filepath.Join(o.dataDir, "sim-ca.pem")
	if err := sim.WriteCA(caFile); err != nil {
		return err
	}
	cfgFile := filepath.Join(o.dataDir, "demo.yaml")
	if err := os.WriteFile(cfgFile, demoConfig(portals, caFile), 0o644); err != nil {
		return fmt.Errorf("write demo config: %w", err)
	}
	if o.cfg, err = loadConfig(cfgFile); err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	o.workers = 16
	o.probe.Resolver = dns.Resolver()
	password, token, err := demoAccount(o.dataDir)
	if err != nil {
		return err
	}
	o.ready = func(addr string) {
		fmt.Fprintf(stdout, "constat demo: %d simulated services, config %s\nconstat demo: open http://%s/ (a morning lasts %v; Ctrl-C stops)\n",
			len(portals), cfgFile, addr, cycle)
		fmt.Fprintf(stdout, "constat demo: admin pages at http://%s/admin — account \"demo\", password %q\n", addr, password)
		fmt.Fprintf(stdout, "constat demo: admin API token (every scope): %s\n  e.g. curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"speaker\":\"Le ministre\",\"said_at\":\"%s\",\"quote\":\"Tout fonctionne.\",\"source_url\":\"https://example.org/\"}' http://%s/api/admin/v1/statements\n",
			token, token, time.Now().UTC().Format(time.RFC3339), addr)
	}
	go cycleFleet(ctx, portals, cycle, o.log)
	return serve(ctx, o)
}

// cycleFleet switches the simulators: calm for the first third of each
// cycle, the rush for the second, recovery (calm again) for the last.
func cycleFleet(ctx context.Context, portals []*sim.Portal, cycle time.Duration, log *slog.Logger) {
	third := cycle / 3
	rush := false
	t := time.NewTimer(third)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rush = !rush
		for i, p := range portals {
			b := demoFleet[i].normal
			if rush {
				b = demoFleet[i].rush
			}
			if err := p.Set(b); err != nil {
				log.Warn("demo simulator not switched", "component", demoFleet[i].id, "behaviour", b, "err", err)
			}
		}
		log.Info("demo phase", "rush", rush)
		if rush {
			t.Reset(third)
		} else {
			t.Reset(2 * third)
		}
	}
}

// demoConfig writes the YAML a user would write for these services.
func demoConfig(portals []*sim.Portal, caFile string) []byte {
	var b strings.Builder
	b.WriteString("# Written by constat demo: loopback simulators of ENTs failing as on 6 April 2021.\n")
	b.WriteString("defaults:\n  interval: 10s\n  timeout: 3s\n  degraded_after: 1s\n  confirm: 2\n")
	b.WriteString("groups:\n")
	last := ""
	for i, e := range demoFleet {
		if e.group != last {
			fmt.Fprintf(&b, "  - id: %s\n    name: %q\n    components:\n", e.group, e.groupName)
			last = e.group
		}
		u := portals[i].URL()
		if e.tls == sim.PlainHTTP { // the sim's certificates name 127.0.0.1, not the demo hosts
			u = strings.Replace(u, "127.0.0.1", e.host, 1)
		}
		fmt.Fprintf(&b, "      - id: %s\n        name: %q\n        operator: %q\n", e.id, e.name, e.op)
		if e.tls != sim.PlainHTTP {
			fmt.Fprintf(&b, "        http_client_config:\n          tls_config:\n            ca_file: %q\n", caFile)
		}
		fmt.Fprintf(&b, "        steps:\n          - url: %q\n", u)
		if e.login { // as config.example.yaml checks ODE logins: no body marker (see there)
			fmt.Fprintf(&b, "          - url: %q\n            impact: partial\n", strings.TrimSuffix(u, "/")+"/auth/login")
		}
	}
	return []byte(b.String())
}

// demoAccount creates the admin account "demo" with a random password in
// dataDir, and an API token of it with every scope, labelled "demo", so
// that the demo's admin pages and API can be tried at once. An existing
// account is given a new password, and a new token replaces the old one.
func demoAccount(dataDir string) (password, token string, err error) {
	acc, err := accounts.Open(filepath.Join(dataDir, "accounts.db"), accounts.Options{})
	if err != nil {
		return "", "", err
	}
	defer acc.Close()
	password = rand.Text()
	err = acc.Add("demo", password)
	if errors.Is(err, accounts.ErrExists) {
		err = acc.SetPassword("demo", password)
	}
	if err != nil {
		return "", "", err
	}
	if err := acc.RevokeToken("demo", "demo"); err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return "", "", err
	}
	token, err = acc.NewToken("demo", accounts.Scopes(), "demo")
	return password, token, err
}
