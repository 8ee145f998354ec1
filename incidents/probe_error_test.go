package incidents_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
	"github.com/prometheus/common/config"
)

// emfileChild is set in the environment of the child process that
// TestDescriptorExhaustionIsNotAnOutage starts.
const emfileChild = "CONSTAT_TEST_EMFILE_CHILD"

// emfileRound is what the child reports of one round.
type emfileRound struct {
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
	Status  string `json:"status"`
	Events  int    `json:"events"`
}

// Seen: under a connection flood the process ran out of descriptors, a
// healthy component recorded rounds of connection_reset, and incidents
// opened for healthy components. A child process lowers its own
// RLIMIT_NOFILE to the descriptors it holds, so that the real dialer's
// socket() fails with EMFILE, and probes a healthy portal on loopback: the
// rounds are probe_error, with no status, and the engine (Confirm 1, so
// one failing round would open an incident) publishes nothing.
func TestDescriptorExhaustionIsNotAnOutage(t *testing.T) {
	if os.Getenv(emfileChild) == "1" {
		runEmfileChild()
		return
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestDescriptorExhaustionIsNotAnOutage$", "-test.count=1")
	cmd.Env = append(os.Environ(), emfileChild+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var rounds []emfileRound
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "ROUND ")
		if !ok {
			continue
		}
		var r emfileRound
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("child line %q: %v", line, err)
		}
		rounds = append(rounds, r)
	}
	if len(rounds) != 4 {
		t.Fatalf("child reported %d rounds, want 4:\n%s", len(rounds), out)
	}
	if r := rounds[0]; r.Outcome != "ok" || r.Events != 0 {
		t.Fatalf("round with descriptors to spare = %+v, want ok and no event", r)
	}
	for i, r := range rounds[1:] {
		if r.Outcome != "probe_error" || r.Detail != "emfile" || r.Status != "unknown" || r.Events != 0 {
			t.Errorf("round %d out of descriptors = %+v, want probe_error emfile, status unknown, no event", i+1, r)
		}
	}
}

// runEmfileChild is the child's side: it prints one ROUND line a round.
func runEmfileChild() {
	var open atomic.Int64 // server-side connections not yet closed
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html><body><form><input name=\"password\"></form></body></html>")
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/")
	comp := &probes.Component{ID: "ent", Name: "ENT", Interval: 30 * time.Second, Confirm: 1, MaxBody: 1 << 20,
		HTTPClientConfig: config.DefaultHTTPClientConfig,
		Steps:            []*probes.Step{{URL: u, Timeout: 5 * time.Second, DegradedAfter: 3 * time.Second, FailIfBodyMatches: probes.BuiltinSignatures()}}}
	ch, err := probes.NewCheck(comp, probes.Options{})
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	eng := incidents.NewEngine(incidents.EngineConfig{}, []*probes.Component{comp})
	round := func(seq uint64) {
		r := ch.Run(context.Background())
		evs := eng.Observe(incidents.Observation{Seq: seq, Result: r})
		st := r.Steps[len(r.Steps)-1]
		b, _ := json.Marshal(emfileRound{Outcome: st.Outcome.String(), Detail: st.Detail, Status: r.Status.String(), Events: len(evs)})
		fmt.Println("ROUND " + string(b))
	}
	fdCount := func() int { fds, _ := os.ReadDir("/proc/self/fd"); return len(fds) }
	before := fdCount()
	round(0)
	// Both sides close round 0's connection on their own time (the server
	// in its handler's goroutine, the client in its transport's): wait for
	// both, or a descriptor freed during a later round would serve its
	// dial (seen: round 1 dialled, and timed out waiting for an accept).
	for i := 0; (open.Load() > 0 || fdCount() > before) && i < 500; i++ {
		time.Sleep(10 * time.Millisecond)
	}

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		fmt.Println("ERROR", err)
		return
	}
	fds, err := os.ReadDir("/proc/self/fd") // its own descriptor is closed on return
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	low := syscall.Rlimit{Cur: uint64(len(fds) - 1), Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		fmt.Println("ERROR", err)
		return
	}
	// A new descriptor takes the lowest free number below the limit: fill
	// the gaps left by descriptors closed earlier, again before each round
	// (the runtime may close one meanwhile).
	var fillers []*os.File
	defer func() {
		for _, f := range fillers {
			f.Close()
		}
	}()
	fill := func() {
		for range low.Cur {
			f, err := os.Open(os.DevNull)
			if err != nil {
				return
			}
			fillers = append(fillers, f)
		}
	}
	for seq := uint64(1); seq <= 3; seq++ {
		fill()
		round(seq)
	}
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
}
