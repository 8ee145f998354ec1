package push_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestHeldStartSentLater is the defect seen: pcn down at minute 0 (sent),
// back at 3 (sent), down again at 6: that start, 6 minutes after the one
// sent, is held back by the 15-minute start interval, and pcn then stays
// down. The clock is the measured time of the rounds the real engine is
// given: nothing is sent while they are before minute 15; the round at
// 15 finds pcn still failing, and the held start goes out once, dated by
// the measured start (6), and the recovery at 40 is sent exactly once.
// With restart, the sender is stopped before the rounds reach 15 and
// started after: the held start is in the push store, not in a timer.
func TestHeldStartSentLater(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			hook := newHookReceiver(t, "unused")
			e := newEnv(t, "", nil)
			e.subscribe(newSubscriber(t, "s"), "fr", []string{"pcn"}, nil)
			recordRounds(t, e.pipe, "pcn", false, 0, 1)
			recordRounds(t, e.pipe, "pcn", true, 3, 4)
			recordRounds(t, e.pipe, "pcn", false, 6, 7, 8, 10, 12, 14)
			appendEvents(t, e)
			push, _ := delivered(t, e, hook)
			if got, want := strings.Join(push, " "), "major_outage@0 operational@3"; got != want {
				t.Fatalf("before minute 15: Web Push messages = %s\nwant %s", got, want)
			}
			if restart {
				e.stop()
				recordRounds(t, e.pipe, "pcn", false, 15, 16)
				e.start()
			} else {
				recordRounds(t, e.pipe, "pcn", false, 15, 16)
			}
			appendEvents(t, e)
			push, _ = delivered(t, e, hook)
			if got, want := strings.Join(push, " "), "major_outage@0 operational@3 major_outage@6"; got != want {
				t.Fatalf("after minute 15: Web Push messages = %s\nwant %s", got, want)
			}
			recordRounds(t, e.pipe, "pcn", false, 20, 30)
			recordRounds(t, e.pipe, "pcn", true, 40, 41, 42, 50, 60)
			appendEvents(t, e)
			push, _ = delivered(t, e, hook)
			if got, want := strings.Join(push, " "), "major_outage@0 operational@3 major_outage@6 operational@40"; got != want {
				t.Errorf("after the recovery: Web Push messages = %s\nwant %s", got, want)
			}
			e.rcv.mu.Lock()
			defer e.rcv.mu.Unlock()
			for _, m := range e.rcv.got {
				if m.sub != "s" || m.payload["at"] != "2021-04-06T07:08:00Z" {
					continue
				}
				if m.urgency != "high" || m.topic != "pcn" || !strings.Contains(fmt.Sprint(m.payload["body"]), "cause=soft_failure at=07:08") {
					t.Errorf("released start: Urgency %q, Topic %q, payload %v; want high, pcn, the cause and the measured start", m.urgency, m.topic, m.payload)
				}
			}
		})
	}
}

// TestHeldStartForgotten: a start held back whose component is working
// again when its rounds reach the interval's end is never sent, and the
// next outage after the interval is announced as usual.
func TestHeldStartForgotten(t *testing.T) {
	hook := newHookReceiver(t, "unused")
	e := newEnv(t, "", nil)
	e.subscribe(newSubscriber(t, "s"), "fr", []string{"pcn"}, nil)
	recordRounds(t, e.pipe, "pcn", false, 0, 1)
	recordRounds(t, e.pipe, "pcn", true, 3, 4)
	recordRounds(t, e.pipe, "pcn", false, 6, 7)
	recordRounds(t, e.pipe, "pcn", true, 9, 10, 15, 16)
	appendEvents(t, e)
	recordRounds(t, e.pipe, "pcn", false, 17, 18)
	recordRounds(t, e.pipe, "pcn", true, 20, 21)
	appendEvents(t, e)
	push, _ := delivered(t, e, hook)
	if got, want := strings.Join(push, " "), "major_outage@0 operational@3 major_outage@17 operational@20"; got != want {
		t.Errorf("Web Push messages = %s\nwant %s", got, want)
	}
}
