package incidents

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// The kill test's scripted outage: killComps components, the first 30 of
// one operator; rounds a minute apart. From round 5 to 14 the operator's
// components answer a queue page, and four of them flap until round 22.
const (
	killComps  = 40
	killRounds = 30
	killEnv    = "CONSTAT_KILL_HELPER_DIR"
)

func killConfig(t testing.TB) *probes.Config {
	t.Helper()
	var b strings.Builder
	b.WriteString("groups:\n  - id: g\n    name: G\n    components:\n")
	for i := range killComps {
		op := "Open Digital Education"
		if i >= 30 {
			op = fmt.Sprintf("Operator %d", i)
		}
		fmt.Fprintf(&b, "      - id: c%02d\n        name: C%02d\n        operator: %s\n        steps:\n          - url: https://c%02d.test/\n", i, i, op, i)
	}
	cfg, err := probes.ParseConfig("kill.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// killRound is component i's result in round k.
func killRound(i, k int) probes.Result {
	r := probes.Result{Component: fmt.Sprintf("c%02d", i), Start: morning.Add(time.Duration(k) * time.Minute), Status: probes.Operational,
		Steps: []probes.StepResult{{URL: fmt.Sprintf("https://c%02d.test/", i), Outcome: probes.OK, StatusCode: 200}}}
	down := i < 30 && k >= 5 && k < 15
	if i < 4 && k >= 15 && k < 23 {
		down = k%2 == 0
	}
	if down {
		r.Status = probes.MajorOutage
		r.Steps[0].Outcome, r.Steps[0].Detail = probes.SoftFailure, "ode_quota"
	}
	return r
}

// TestPipelineKillHelper is the child process of TestPipelineKill9Replay:
// it runs the scripted outage into the timeline in $CONSTAT_KILL_HELPER_DIR
// from where an earlier (killed) run left off, each round's results
// recorded concurrently, and prints "round k" after each round.
func TestPipelineKillHelper(t *testing.T) {
	dir := os.Getenv(killEnv)
	if dir == "" {
		t.Skip("child process of TestPipelineKill9Replay")
	}
	tl, err := timeline.Open(filepath.Join(dir, "timeline.db"), timeline.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	p, err := NewPipeline(tl, killConfig(t).Components, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	latest, _ := p.Latest()
	for k := range killRounds {
		var wg sync.WaitGroup
		for i := range killComps {
			r := killRound(i, k)
			if m, ok := latest[r.Component]; ok && !m.Start.Before(r.Start) {
				continue // recorded before the kill
			}
			wg.Go(func() {
				if _, err := p.Record(context.Background(), r); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		fmt.Printf("round %d\n", k)
	}
}

// TestPipelineKill9Replay kills the recording process with SIGKILL at random
// points of a scripted outage, restarts it, and checks that the persisted
// incidents and events are exactly those of one engine fed every measurement
// in seq order: the run without kills, for the order the commits took.
func TestPipelineKill9Replay(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary as a child process")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 10))
	t.Logf("seed %d", seed)
	run := func(killAfter int) {
		t.Helper()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestPipelineKillHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), killEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		lines := 0
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "round ") {
				if lines++; killAfter > 0 && lines == killAfter {
					cmd.Process.Kill() // SIGKILL: no deferred Close, no final checkpoint
					break
				}
			}
		}
		io := sc.Err()
		err = cmd.Wait()
		if killAfter == 0 && (err != nil || io != nil) {
			t.Fatalf("child run to completion: %v, %v", err, io)
		}
	}
	for range 4 {
		run(1 + rng.IntN(5)) // a few rounds further, then somewhere inside the next one
	}
	run(0)

	tl, err := timeline.Open(filepath.Join(dir, "timeline.db"), timeline.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	var got []string
	if err := tl.Events(func(_ uint64, e timeline.Event) error {
		got = append(got, killEventLine(EventKind(e.EventKind), e.Incident, e.Component, e.From, e.To, e.At, e.Evidence))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var ms []timeline.Measurement
	for _, id := range tl.Components() {
		if err := tl.Range(id, morning.Add(-time.Hour), morning.Add(time.Duration(killRounds)*time.Minute), func(m timeline.Measurement) error {
			ms = append(ms, m)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(ms) != killComps*killRounds {
		t.Fatalf("timeline holds %d measurements, want %d", len(ms), killComps*killRounds)
	}
	slices.SortFunc(ms, func(a, b timeline.Measurement) int { return cmp.Compare(a.Seq, b.Seq) })
	eng := NewEngine(Config{}.engine(), killConfig(t).Components)
	var want []string
	for _, m := range ms {
		for _, e := range eng.Observe(Observation{Seq: m.Seq, Result: m.Result}) {
			want = append(want, killEventLine(e.Kind, e.Incident, e.Component, e.From, e.To, e.At, e.Seq))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("persisted events after kills (seed %d) =\n\t%s\nwant (one engine, seq order)\n\t%s", seed,
			strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	if len(eng.OpenIncidents()) != 0 {
		t.Errorf("reference engine has open incidents %+v, want none at the end of the script", eng.OpenIncidents())
	}
}

func killEventLine(k EventKind, inc uint64, comp string, from, to probes.Status, at time.Time, evidence uint64) string {
	return fmt.Sprintf("%v %d %s %v>%v %s #%d", k, inc, comp, from, to, at.UTC().Format("15:04:05.000"), evidence)
}
