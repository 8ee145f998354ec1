package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

// TestHeapFlatOverRounds runs what serve runs for each round (the checks
// with kept connections, the recorder, the engine, the home page and the
// Statuspage summary) on 100 components for 40 rounds two simulated hours
// apart, so that the rounds span four days of rollups, and checks that the
// live heap after the last round is within 2 MiB of the heap after the
// tenth: what a round keeps must not accumulate.
func TestHeapFlatOverRounds(t *testing.T) {
	const (
		components = 100
		warm       = 10
		rounds     = 40
		window     = 5 // rounds sampled at each end
		slack      = 2 << 20
	)
	page := "<!DOCTYPE html><html lang=\"fr\"><body><h1>ENT</h1>" + strings.Repeat("<p>Actualités.</p>", 50) + "</body></html>"
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, page) }))
	t.Cleanup(portal.Close)
	var b strings.Builder
	b.WriteString("defaults:\n  interval: 30s\n  timeout: 5s\n  keep_alive: true\ngroups:\n  - id: g\n    name: G\n    components:\n")
	for i := range components {
		fmt.Fprintf(&b, "      - {id: ent-%03d, name: ENT %d, steps: [url: '%s/ent/%d']}\n", i, i, portal.URL, i)
	}
	cfg := &config{}
	var err error
	if cfg.Config, err = probes.ParseConfig("heap.yaml", []byte(b.String()), cfg.sections()...); err != nil {
		t.Fatal(err)
	}
	o := serveOptions{cfg: cfg, dataDir: t.TempDir(), commitDelay: 10 * time.Millisecond}
	st, err := openStores(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := newServer(o, st)
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	checks := make([]*probes.Check, len(cfg.Components))
	for i, c := range cfg.Components {
		if checks[i], err = probes.NewCheck(c, probes.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().Add(-rounds * 2 * time.Hour)
	var heap [2]uint64
	for round := range rounds {
		// Concurrently, as the scheduler does: Record waits for the batch
		// commit, which the timeline delays to gather results.
		var wg sync.WaitGroup
		errs := make(chan error, len(checks))
		for _, ch := range checks {
			wg.Go(func() {
				r := ch.Run(t.Context())
				r.Start = base.Add(time.Duration(round) * 2 * time.Hour)
				_, err := st.pipe.Record(t.Context(), r)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, path := range []string{"/", "/api/v2/summary.json"} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s after round %d = %d, want 200", path, round, w.Code)
			}
		}
		// What a round leaves in flight (connection buffers, a page being
		// compressed) comes and goes; a leak stays. So the first window's
		// highest live heap is compared with the last window's lowest.
		switch n := round + 1; {
		case n >= warm && n < warm+window:
			heap[0] = max(heap[0], liveHeap())
		case n > rounds-window:
			if h := liveHeap(); heap[1] == 0 || h < heap[1] {
				heap[1] = h
			}
		}
	}
	if heap[1] > heap[0]+slack {
		t.Errorf("live heap: at most %d KiB in rounds %d-%d, at least %d KiB in rounds %d-%d: grew %d KiB, want at most %d KiB",
			heap[0]>>10, warm, warm+window-1, heap[1]>>10, rounds-window+1, rounds, (heap[1]-heap[0])>>10, slack>>10)
	}
	t.Logf("live heap: at most %d KiB in rounds %d-%d, at least %d KiB in rounds %d-%d",
		heap[0]>>10, warm, warm+window-1, heap[1]>>10, rounds-window+1, rounds)
}

// liveHeap returns the bytes of the heap's live objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
