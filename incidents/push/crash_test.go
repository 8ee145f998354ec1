package push_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// crashSubs is 1,000 by default, to keep the race-detector suite short:
// go test -run CrashMidFanOut -push.crash-subs 10000 ./incidents/push/
// runs the 10,000.
var crashSubs = flag.Int("push.crash-subs", 1000, "subscribers of TestCrashMidFanOut")

const crashWorkers = 64

// TestCrashMidFanOut kills (SIGKILL) a process in the middle of sending one
// event to -push.crash-subs subscribers, restarts the sender on the same files, and
// checks that every subscriber got the message, with duplicates only for
// what was in flight or answered but not yet committed at the kill.
func TestCrashMidFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 encrypted messages")
	}
	dir := t.TempDir()
	keys, err := push.CreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, testSubject, keys.Public)
	host := strings.TrimPrefix(rcv.srv.URL, "https://")
	yaml := fmt.Sprintf("push:\n  subject: %s\n  allowed_services: [%q]\n", testSubject, host)
	cfgPath := filepath.Join(dir, "push.yaml")
	os.WriteFile(cfgPath, []byte(testYAML+yaml), 0o600)
	caPath := filepath.Join(dir, "ca.pem")
	os.WriteFile(caPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rcv.srv.Certificate().Raw}), 0o600)

	start := time.Now()
	// Subscribe 10,000, then record the event, with a sender that does not run.
	h := openCrashFiles(t, dir, cfgPath, caPath, true)
	for i := range *crashSubs {
		s := newSubscriber(t, fmt.Sprintf("s%05d", i))
		rcv.add(s)
		_, err := h.p.Subscribe(context.Background(), push.SubscribeRequest{
			Subscription: push.Subscription{Endpoint: rcv.endpoint(s.name), Keys: push.SubscriptionKeys{P256dh: s.p256dh(), Auth: s.authKey()}},
			Components:   []string{"monlycee"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	pipe, err := incidents.NewPipeline(h.tl, h.cfg.Components, incidents.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	recordRounds(t, pipe, "monlycee", false, 0, 1) // opens an incident: one message each
	h.close()
	t.Logf("%d subscribed at %v", *crashSubs, time.Since(start))

	child := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v", fmt.Sprintf("-push.crash-subs=%d", *crashSubs))
	child.Env = append(os.Environ(), "CONSTAT_PUSH_CHILD="+dir)
	var out strings.Builder
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	rcv.wait(t, 2*time.Minute, "child sends a quarter of the fan-out", func() bool { return len(rcv.got) >= *crashSubs/4 })
	child.Process.Kill() // SIGKILL: no deferred Close, no final commit
	t.Logf("killed at %v", time.Since(start))
	child.Wait()
	rcv.mu.Lock()
	atKill := len(rcv.got)
	rcv.mu.Unlock()
	if atKill >= *crashSubs {
		t.Fatalf("the child sent everything (%d) before the kill; output:\n%s", atKill, out.String())
	}

	h = openCrashFiles(t, dir, cfgPath, caPath, false)
	walked, err := h.st.WalkOutbox()
	if pending, perr := h.st.Pending(); err != nil || perr != nil || pending != walked || walked == 0 {
		t.Errorf("after the kill: Pending() = %d (%v), outbox walked = %d (%v); want equal, not 0", pending, perr, walked, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { h.p.Run(ctx) })
	defer func() { cancel(); wg.Wait(); h.close() }()
	rcv.wait(t, 3*time.Minute, "every subscriber served after the restart", func() bool { return len(rcv.counts) == *crashSubs && distinctGot(rcv) == *crashSubs })
	rcv.checkErrs(t)
	rcv.mu.Lock()
	dups := len(rcv.got) - *crashSubs
	rcv.mu.Unlock()
	// In flight at the kill: sent, or answered and not yet committed; a
	// send holds one of crashWorkers slots until its result is committed.
	bound := crashWorkers
	t.Logf("kill after %d messages received; %d duplicates after restart (bound %d)", atKill, dups, bound)
	if dups < 0 || dups > bound {
		t.Errorf("%d duplicates, want at most %d (deliveries in flight at the kill)", dups, bound)
	}
}

func distinctGot(r *receiver) int {
	seen := map[string]bool{}
	for _, m := range r.got {
		seen[m.sub] = true
	}
	return len(seen)
}

type crashFiles struct {
	cfg *probes.Config
	tl  *timeline.Timeline
	st  *push.Store
	p   *push.Push
}

func openCrashFiles(t testing.TB, dir, cfgPath, caPath string, noSync bool) *crashFiles {
	t.Helper()
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	c := loadOptions(t, cfgPath, data)
	keys, err := push.LoadKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(ca)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	h := &crashFiles{cfg: c.Config}
	if h.tl, err = timeline.Open(filepath.Join(dir, "timeline.db"), timeline.Options{NoSync: noSync}); err != nil {
		t.Fatal(err)
	}
	if h.st, err = push.OpenStore(filepath.Join(dir, push.StoreFile), push.StoreOptions{Timeout: 5 * time.Second, NoSync: noSync}); err != nil {
		t.Fatal(err)
	}
	h.p, err = push.New(withConfig(push.Options{Store: h.st, Timeline: h.tl, Keys: keys, Words: testWords{},
		TLS: &tls.Config{RootCAs: roots}, Guard: push.GuardOptions{Dial: loopbackOnly(t)}, Workers: crashWorkers}, c))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *crashFiles) close() {
	h.st.Close()
	h.tl.Close()
}

// TestCrashChild is the process TestCrashMidFanOut kills: it sends the
// outbox of the directory it is given until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("CONSTAT_PUSH_CHILD")
	if dir == "" {
		t.Skip("run by TestCrashMidFanOut")
	}
	h := openCrashFiles(t, dir, filepath.Join(dir, "push.yaml"), filepath.Join(dir, "ca.pem"), false)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	h.p.Run(ctx) // until SIGKILL
}
