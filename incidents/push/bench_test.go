package push_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/incidents/timeline"
)

var benchSubs = flag.Int("push.bench-subs", 100_000, "subscribers of BenchmarkFanOut")

// BenchmarkFanOut sends one outage start (then its end, alternately) to
// -push.bench-subs subscribers through a TLS receiver on 127.0.0.1, with
// the real encryption, VAPID signature and outbox commits (fsync on). The
// receiver, in the same process, decrypts and checks one message in 1,000
// and counts the others, so the figure includes part of its cost.
//
//	go test -run '^$' -bench FanOut -benchtime 1x ./incidents/push/
//
// It reports messages/s, CPU time per message and the process's resident
// memory, which includes the receiver's.
func BenchmarkFanOut(b *testing.B) {
	dir := b.TempDir()
	keys, err := push.CreateKeys(dir)
	if err != nil {
		b.Fatal(err)
	}
	full := newReceiver(b, testSubject, keys.Public) // checks the sampled messages
	var got atomic.Int64
	var subsMu sync.Mutex
	subs := map[string]*subscriber{}
	rcv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := got.Add(1)
		if n%1000 == 0 {
			name := strings.TrimPrefix(r.URL.Path, "/push/")
			subsMu.Lock()
			s := subs[name]
			subsMu.Unlock()
			body, _ := io.ReadAll(r.Body)
			if err := full.checkVAPID(r.Header.Get("Authorization"), keys.Public); err != nil {
				b.Error(err)
			} else if _, err := decrypt(s, body); err != nil {
				b.Error(err)
			}
		} else {
			io.Copy(io.Discard, r.Body)
		}
		w.WriteHeader(http.StatusCreated)
	}))
	rcv.EnableHTTP2 = true
	rcv.StartTLS()
	defer rcv.Close()
	full.srv.URL = rcv.URL // the JWT's aud is this receiver's origin

	host := strings.TrimPrefix(rcv.URL, "https://")
	c := testConfig(b, fmt.Sprintf("push:\n  subject: %s\n  allowed_services: [%q]\n", testSubject, host))
	tl, err := timeline.Open(filepath.Join(dir, "timeline.db"), timeline.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer tl.Close()
	pipe, err := incidents.NewPipeline(tl, c.Config.Components, incidents.Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(rcv.Certificate())
	open := func(noSync bool) (*push.Store, *push.Push) {
		st, err := push.OpenStore(filepath.Join(dir, push.StoreFile), push.StoreOptions{Timeout: time.Second, NoSync: noSync})
		if err != nil {
			b.Fatal(err)
		}
		p, err := push.New(withConfig(push.Options{Store: st, Timeline: tl, History: pipe.History(), Keys: keys, Words: testWords{},
			TLS: &tls.Config{RootCAs: roots}, Guard: push.GuardOptions{Dial: loopbackOnly(b)}}, c))
		if err != nil {
			b.Fatal(err)
		}
		return st, p
	}
	// Subscribing is not what is measured: without fsync, then reopened.
	st, p := open(true)
	subscribeMany(b, p, rcv.URL, *benchSubs, func(s *subscriber) {
		subsMu.Lock()
		subs[s.name] = s
		subsMu.Unlock()
	})
	st.Close()
	st, p = open(false)
	defer st.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	runtime.GC()
	rss0, rssMax := procStatusMiB("VmRSS:"), 0.0
	cpu0 := cpuTime()
	b.ResetTimer()
	want := int64(0)
	i := 0
	for b.Loop() {
		// An outage start, then its end, 20 minutes apart (past the
		// flapping limit): each reaches every subscriber.
		recordRounds(b, pipe, "monlycee", i%2 == 1, 20*i, 20*i+1)
		p.Wake()
		want += int64(*benchSubs)
		deadline := time.Now().Add(10 * time.Minute)
		for got.Load() < want {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d messages after 10 minutes", got.Load(), want)
			}
			time.Sleep(10 * time.Millisecond)
			rssMax = max(rssMax, procStatusMiB("VmRSS:"))
		}
		i++
	}
	b.ReportMetric(float64(want)/b.Elapsed().Seconds(), "msgs/s")
	// The machine is shared: CPU time per message says what the wall
	// clock cannot (sender and receiver together, both in this process).
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(want), "cpu-µs/msg")
	// Resident memory of the whole process (sender, receiver, the test's
	// 100,000 subscriber keys, bbolt's mapped pages) before the fan-out, and
	// at most during it.
	b.ReportMetric(rss0, "RSS-before-MiB")
	b.ReportMetric(rssMax, "RSS-fanout-MiB")
}

// subscribeMany makes n subscriptions to endpoints of base.
func subscribeMany(b *testing.B, p *push.Push, base string, n int, keep func(*subscriber)) {
	b.Helper()
	for i := range n {
		s := newSubscriber(b, "s"+strconv.Itoa(i))
		keep(s)
		_, err := p.Subscribe(context.Background(), push.SubscribeRequest{
			Subscription: push.Subscription{Endpoint: base + "/push/" + s.name, Keys: push.SubscriptionKeys{P256dh: s.p256dh(), Auth: s.authKey()}},
			Components:   []string{"monlycee"}})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatusMiB reads a kB field of /proc/self/status ("VmRSS:"), in MiB.
func procStatusMiB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kb) / 1024
		}
	}
	return 0
}
