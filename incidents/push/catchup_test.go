package push_test

import (
	"strings"
	"testing"
)

// A catch-up over measurements only writes nothing to push.db (it cost a
// commit and an fsync every poll), and an event after them, read from the
// cursor left behind, is delivered as usual.
func TestCatchUpSkipsMeasurements(t *testing.T) {
	hook := newHookReceiver(t, "unused")
	e := newEnv(t, "", nil)
	e.subscribe(newSubscriber(t, "s"), "fr", []string{"pcn"}, nil)
	recordRounds(t, e.pipe, "pcn", true, 0, 1)
	appendEvents(t, e)
	if push, _ := delivered(t, e, hook); len(push) != 0 {
		t.Fatalf("Web Push messages after working rounds = %v, want none", push)
	}
	lastTx := func() int {
		t.Helper()
		if err := e.p.CatchUp(); err != nil {
			t.Fatalf("CatchUp() = %v", err)
		}
		id, err := e.st.LastTx()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	before := lastTx()
	recordRounds(t, e.pipe, "pcn", true, 2, 3, 4, 5, 6)
	if after := lastTx(); after != before {
		t.Errorf("push.db transaction after a catch-up over 5 measurements = %d, want %d (no commit)", after, before)
	}
	recordRounds(t, e.pipe, "pcn", false, 7, 8)
	appendEvents(t, e)
	push, _ := delivered(t, e, hook)
	if got, want := strings.Join(push, " "), "major_outage@7"; got != want {
		t.Errorf("Web Push messages = %s, want %s", got, want)
	}
}
