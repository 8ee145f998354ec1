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
		switch round + 1 {
		case warm:
			heap[0] = liveHeap()
		case rounds:
			heap[1] = liveHeap()
		}
	}
	if heap[1] > heap[0]+slack {
		t.Errorf("live heap after round %d = %d KiB, after round %d = %d KiB: grew %d KiB, want at most %d KiB",
			warm, heap[0]>>10, rounds, heap[1]>>10, (heap[1]-heap[0])>>10, slack>>10)
	}
	t.Logf("live heap after round %d = %d KiB, after round %d = %d KiB", warm, heap[0]>>10, rounds, heap[1]>>10)
}

// liveHeap returns the bytes of the heap's live objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
