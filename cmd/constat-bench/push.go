package main

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// benchPush measures one alert sent by "constat serve" to -subs phones:
// it writes a data directory whose push store holds that many
// subscriptions to a TLS push receiver in this process, a configuration
// whose only component is a loopback server answering 503, starts serve
// (a child process), and times from the first message the receiver gets
// to the last. The child's CPU time and peak resident memory are its own;
// the receiver's work is in this process. Encryption and VAPID are real
// (the receiver only counts: package push's tests decrypt and verify).
func benchPush(args []string) error {
	fs := flag.NewFlagSet("push", flag.ExitOnError)
	subs := fs.Int("subs", 100_000, "subscriptions, all to the one component that fails")
	bin := fs.String("constat", "", "constat binary (default: built from ./cmd/constat)")
	profile := fs.String("cpuprofile", "", "have serve write a CPU profile of its whole run to this file")
	fs.Parse(args)

	dir, err := os.MkdirTemp("", "constat-bench-push")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if *bin == "" {
		if *bin, err = buildConstat(dir); err != nil {
			return err
		}
	}
	var got atomic.Int64
	first, last := make(chan time.Time, 1), make(chan time.Time, 1)
	rcv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
		switch n := got.Add(1); {
		case n == 1:
			first <- time.Now()
		case n == int64(*subs):
			last <- time.Now()
		}
	}))
	rcv.EnableHTTP2 = true
	rcv.Config.ErrorLog = log.New(io.Discard, "", 0)
	rcv.StartTLS()
	defer rcv.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Le service est indisponible", http.StatusServiceUnavailable)
	}))
	defer down.Close()

	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rcv.Certificate().Raw}), 0o600); err != nil {
		return err
	}
	host := rcv.Listener.Addr().String()
	cfg := filepath.Join(dir, "constat.yaml")
	yaml := fmt.Sprintf(`push:
  subject: mailto:bench@constat.test
  allowed_services: [%q]
  tls_config: {ca_file: %s}
groups:
  - id: g
    name: G
    components:
      - id: ent
        name: ENT
        interval: 5s
        confirm: 2
        steps:
          - url: %s/
            timeout: 4s
`, host, ca, down.URL)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	start := time.Now()
	if err := writeSubscriptions(data, cfg, "https://"+host, *subs); err != nil {
		return err
	}
	fmt.Printf("%d subscriptions written in %v\n", *subs, time.Since(start).Round(time.Second))

	extra, err := profileArgs(*profile)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd, _, stop, err := startChild(ctx, *bin, append([]string{"serve", "-config", cfg, "-data", data, "-listen", "127.0.0.1:0"}, extra...)...)
	if err != nil {
		return err
	}
	defer stop()
	var t0, t1 time.Time
	select {
	case t0 = <-first:
	case <-ctx.Done():
		return fmt.Errorf("no message: %w", ctx.Err())
	}
	ticks0, err := cpuTicks(cmd.Process.Pid)
	if err != nil {
		return err
	}
	select {
	case t1 = <-last:
	case <-ctx.Done():
		return fmt.Errorf("%d of %d messages: %w", got.Load(), *subs, ctx.Err())
	}
	ticks1, err := cpuTicks(cmd.Process.Pid)
	if err != nil {
		return err
	}
	rss, err := peakRSS(cmd.Process.Pid)
	if err != nil {
		return err
	}
	d := t1.Sub(t0)
	cpu := time.Duration(ticks1-ticks0) * time.Second / 100 // USER_HZ
	fmt.Printf("serve sent %d messages in %v: %.0f msgs/s; serve CPU %v (%.0f µs/msg); serve peak RSS %d MiB\n",
		*subs, d.Round(time.Millisecond), float64(*subs)/d.Seconds(), cpu.Round(time.Millisecond),
		float64(cpu.Microseconds())/float64(*subs), rss>>20)
	return nil
}

// writeSubscriptions creates the data directory with a timeline and a push
// store holding n subscriptions to endpoints under base, without fsync (the
// setup is not what is measured).
func writeSubscriptions(data, cfgPath, base string, n int) error {
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	var set push.Config
	var hooks push.Webhooks
	cfg, err := probes.LoadConfig(cfgPath, set.Section(), hooks.Section())
	if err != nil {
		return err
	}
	keys, err := push.CreateKeys(data)
	if err != nil {
		return err
	}
	tl, err := timeline.Open(filepath.Join(data, "timeline.db"), timeline.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer tl.Close()
	st, err := push.OpenStore(filepath.Join(data, push.StoreFile), push.StoreOptions{NoSync: true})
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := push.New(push.Options{Store: st, Timeline: tl, Config: cfg, Settings: set, Webhooks: hooks, Keys: keys, Words: noWords{}})
	if err != nil {
		return err
	}
	auth := make([]byte, 16)
	for i := range n {
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		rand.Read(auth)
		_, err = p.Subscribe(context.Background(), push.SubscribeRequest{Components: []string{"ent"},
			Subscription: push.Subscription{Endpoint: base + "/push/" + strconv.Itoa(i), Keys: push.SubscriptionKeys{
				P256dh: base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), Auth: base64.RawURLEncoding.EncodeToString(auth)}}})
		if err != nil {
			return err
		}
	}
	return nil
}

// noWords: writing subscriptions needs no text.
type noWords struct{}

func (noWords) Notice(string, push.Notice) (string, string) { return "", "" }
func (noWords) Indicator(string, string) string             { return "" }
