package push_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// ev is an engine event of component pcn in incident inc, minute m after t0.
func ev(kind incidents.EventKind, inc uint64, from, to probes.Status, m int) timeline.Event {
	return timeline.Event{EventKind: uint8(kind), Incident: inc, Component: "pcn", From: from, To: to,
		At: t0.Add(time.Duration(m) * time.Minute), Evidence: 1}
}

const (
	op    = probes.Operational
	major = probes.MajorOutage
	part  = probes.PartialOutage
	maint = probes.UnderMaintenance
)

// TestAnnouncements feeds event sequences, as the engine records them, to
// the outbox and checks what one Web Push subscriber and one webhook of
// component pcn receive: the subscriber one start per start interval and
// exactly one end per announced start; the webhook every change of the
// published state, once.
func TestAnnouncements(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events []timeline.Event
		push   []string // state@minute of each Web Push message
		hook   []string // old>new@minute of each webhook component_update
	}{{
		name: "outage",
		events: []timeline.Event{
			ev(incidents.Opened, 1, op, major, 0),
			ev(incidents.Resolved, 1, major, op, 45),
		},
		push: []string{"major_outage@0", "operational@45"},
		hook: []string{"operational>major_outage@0", "major_outage>operational@45"},
	}, {
		// A flapping component back while its incident stays open, then
		// the incident resolves when it settles: one end, not two.
		name: "settle after back",
		events: []timeline.Event{
			ev(incidents.Opened, 1, op, major, 0),
			ev(incidents.Updated, 1, major, op, 3),
			ev(incidents.Resolved, 1, major, op, 3),
		},
		push: []string{"major_outage@0", "operational@3"},
		hook: []string{"operational>major_outage@0", "major_outage>operational@3"},
	}, {
		name: "flapping within the start interval",
		events: []timeline.Event{
			ev(incidents.Opened, 1, op, major, 0),
			ev(incidents.Updated, 1, major, op, 3),
			ev(incidents.Updated, 1, op, part, 6),
			ev(incidents.Updated, 1, part, op, 8),
			ev(incidents.Updated, 1, op, major, 10),
			ev(incidents.Updated, 1, major, op, 12),
			ev(incidents.Resolved, 1, major, op, 12),
		},
		push: []string{"major_outage@0", "operational@3"},
		hook: []string{"operational>major_outage@0", "major_outage>operational@3", "operational>partial_outage@6",
			"partial_outage>operational@8", "operational>major_outage@10", "major_outage>operational@12"},
	}, {
		// A start held back by the interval, and the component down when
		// the interval allows again: that start is announced, then its end.
		name: "flapping beyond the start interval",
		events: []timeline.Event{
			ev(incidents.Opened, 1, op, major, 0),
			ev(incidents.Updated, 1, major, op, 3),
			ev(incidents.Updated, 1, op, major, 6),
			ev(incidents.Updated, 1, major, op, 9),
			ev(incidents.Updated, 1, op, major, 20),
			ev(incidents.Updated, 1, major, op, 23),
			ev(incidents.Resolved, 1, major, op, 23),
		},
		push: []string{"major_outage@0", "operational@3", "major_outage@20", "operational@23"},
		hook: []string{"operational>major_outage@0", "major_outage>operational@3", "operational>major_outage@6",
			"major_outage>operational@9", "operational>major_outage@20", "major_outage>operational@23"},
	}, {
		// Worse or better inside an announced outage: no Web Push
		// message (the person knows it is down), a component_update.
		name: "severity change inside an outage",
		events: []timeline.Event{
			ev(incidents.Opened, 1, op, major, 0),
			ev(incidents.Updated, 1, major, part, 5),
			ev(incidents.Resolved, 1, part, op, 30),
		},
		push: []string{"major_outage@0", "operational@30"},
		hook: []string{"operational>major_outage@0", "major_outage>partial_outage@5", "partial_outage>operational@30"},
	}, {
		// A start while an announced outage is outstanding (a second
		// incident with no recovery in between) is the same outage to
		// the person: no second "down", one "back".
		name: "start while an outage is announced",
		events: []timeline.Event{
			ev(incidents.Opened, 1, op, major, 0),
			ev(incidents.Opened, 21, op, major, 20),
			ev(incidents.Resolved, 21, major, op, 40),
		},
		push: []string{"major_outage@0", "operational@40"},
		hook: []string{"operational>major_outage@0", "major_outage>operational@40"},
	}, {
		// The end of an outage never announced (the subscription is
		// newer than its start): no "back" to the person; the webhook,
		// which knew nothing of the component, gets the change.
		name: "end without an announced start",
		events: []timeline.Event{
			ev(incidents.Resolved, 1, major, op, 30),
		},
		push: nil,
		hook: []string{"major_outage>operational@30"},
	}, {
		// An outage that ends in maintenance ends the announced one; the
		// webhook is also told when the maintenance ends.
		name: "maintenance ends the outage",
		events: []timeline.Event{
			ev(incidents.Opened, 1, op, major, 0),
			ev(incidents.Resolved, 1, major, maint, 10),
			ev(incidents.MaintenanceEnded, 0, maint, op, 50),
		},
		push: []string{"major_outage@0", "under_maintenance@10"},
		hook: []string{"operational>major_outage@0", "major_outage>under_maintenance@10", "under_maintenance>operational@50"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			hook := newHookReceiver(t, "s3cret")
			e := newEnv(t, fmt.Sprintf("webhooks:\n  - url: %s/constat\n    secret: s3cret\n    components: [pcn]\n", hook.srv.URL), nil)
			e.subscribe(newSubscriber(t, "s"), "fr", []string{"pcn"}, nil)
			appendEvents(t, e, tc.events...)
			push, hooks := delivered(t, e, hook)
			if got, want := strings.Join(push, " "), strings.Join(tc.push, " "); got != want {
				t.Errorf("Web Push messages = %s\nwant %s", got, want)
			}
			if got, want := strings.Join(hooks, " "), strings.Join(tc.hook, " "); got != want {
				t.Errorf("webhook component_updates = %s\nwant %s", got, want)
			}
		})
	}
}

// minute is an RFC 3339 time as minutes after t0.
func minute(t *testing.T, v any) string {
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Errorf("time %v: %v", v, err)
		return "?"
	}
	return fmt.Sprint(int(at.Sub(t0) / time.Minute))
}

// TestAnnouncementsFlappingEngine drives the real engine into flapping:
// outages at minutes 0, 4 and 8 (the last two held back by the start
// interval), flapping from minute 10, an outage at 12 (held back), one at
// 16 (announced: 16 minutes after the last start sent; partial, then
// major, a change the subscriber is not told) that ends at 18 while
// flapping holds its incident open, which resolves when the component
// settles. The
// subscriber gets two starts and their two ends; the webhook every change
// once, none repeated by the settling.
func TestAnnouncementsFlappingEngine(t *testing.T) {
	hook := newHookReceiver(t, "s3cret")
	e := newEnv(t, fmt.Sprintf("webhooks:\n  - url: %s/constat\n    secret: s3cret\n    components: [pcn]\n", hook.srv.URL), nil)
	e.subscribe(newSubscriber(t, "s"), "fr", []string{"pcn"}, nil)
	for _, r := range []struct {
		ok      bool
		minutes []int
	}{{false, []int{0, 1}}, {true, []int{2, 3}}, {false, []int{4, 5}}, {true, []int{6, 7}}, {false, []int{8, 9}},
		{true, []int{10, 11}}, {false, []int{12, 13}}, {true, []int{14, 15}}, {false, []int{16, 17}},
		{true, []int{18, 19, 20, 21, 22, 23, 24, 25}}} {
		recordRounds(t, e.pipe, "pcn", r.ok, r.minutes...)
	}
	var kinds []string
	if err := e.tl.Events(func(_ uint64, ev timeline.Event) error {
		if ev.Component == "pcn" {
			kinds = append(kinds, fmt.Sprintf("%s@%s", incidents.EventKind(ev.EventKind), minute(t, ev.At.UTC().Format(time.RFC3339))))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if k := strings.Join(kinds, " "); !strings.Contains(k, "flapping_started") || !strings.Contains(k, "incident_updated@18") || !strings.Contains(k, "incident_resolved@18") {
		t.Fatalf("engine events = %s; want flapping, a recovery at 18 inside the incident, then its resolution", k)
	}
	appendEvents(t, e)
	push, _ := delivered(t, e, hook)
	if got, want := strings.Join(push, " "), "major_outage@0 operational@2 partial_outage@16 operational@18"; got != want {
		t.Errorf("Web Push messages = %s\nwant %s\nengine events: %s", got, want, strings.Join(kinds, " "))
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	last := "operational"
	for i, b := range hook.bodies {
		cu, _ := b["component_update"].(map[string]any)
		if cu["old_status"] != last || cu["new_status"] == last {
			t.Errorf("webhook %d: %v → %v after %s: a change sent twice or out of order", i, cu["old_status"], cu["new_status"], last)
		}
		last = fmt.Sprint(cu["new_status"])
	}
	if last != "operational" || len(hook.bodies) < 6 {
		t.Errorf("%d webhooks ending in %s; want every change (at least 6), ending operational", len(hook.bodies), last)
	}
}

// TestAnnouncementsSurviveRestart: what a subscriber and a webhook were
// told lives in the push store: after a restart between the start and the
// recovery, the end is sent once, and the resolution that follows is not.
func TestAnnouncementsSurviveRestart(t *testing.T) {
	hook := newHookReceiver(t, "s3cret")
	e := newEnv(t, fmt.Sprintf("webhooks:\n  - url: %s/constat\n    secret: s3cret\n    components: [pcn]\n", hook.srv.URL), nil)
	e.subscribe(newSubscriber(t, "s"), "fr", []string{"pcn"}, nil)
	appendEvents(t, e, ev(incidents.Opened, 1, op, major, 0))
	delivered(t, e, hook)
	e.stop()
	e.start()
	appendEvents(t, e, ev(incidents.Updated, 1, major, op, 3), ev(incidents.Resolved, 1, major, op, 3))
	push, hooks := delivered(t, e, hook)
	if got, want := strings.Join(push, " "), "major_outage@0 operational@3"; got != want {
		t.Errorf("Web Push messages = %s\nwant %s", got, want)
	}
	if got, want := strings.Join(hooks, " "), "operational>major_outage@0 major_outage>operational@3"; got != want {
		t.Errorf("webhook component_updates = %s\nwant %s", got, want)
	}
}

// appendEvents records evs in the timeline, then the start or the end of
// an outage of maclasse, hours later (the sentinel that delivered waits
// for: each reaches the sentinel subscriber), and wakes the outbox.
func appendEvents(t *testing.T, e *env, evs ...timeline.Event) {
	t.Helper()
	if e.sentinels == 0 {
		e.subscribe(newSubscriber(t, "sentinel"), "fr", []string{"maclasse"}, nil)
	}
	e.sentinels++
	sentinel := timeline.Event{EventKind: uint8(incidents.Opened), Incident: 999, Component: "maclasse",
		From: op, To: major, At: t0.Add(time.Duration(e.sentinels) * time.Hour), Evidence: 1}
	if e.sentinels%2 == 0 {
		sentinel.EventKind, sentinel.From, sentinel.To = uint8(incidents.Resolved), major, op
	}
	evs = append(evs, sentinel)
	for _, x := range evs {
		if _, err := e.tl.AppendRecords(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	e.p.Wake()
}

// delivered waits until the outbox has read every record (the last
// sentinel's message arrived) and sent every delivery, and returns what subscriber "s" and the webhook received:
// "state@minute" and "old>new@minute".
func delivered(t *testing.T, e *env, hook *hookReceiver) (push, hooks []string) {
	t.Helper()
	e.rcv.wait(t, 20*time.Second, "the sentinel's message", func() bool {
		n := 0
		for _, m := range e.rcv.got {
			if m.sub == "sentinel" {
				n++
			}
		}
		return n == e.sentinels
	})
	waitFor(t, "an empty outbox", func() bool {
		n, _, err := e.st.Depth()
		return err == nil && n == 0
	})
	e.rcv.checkErrs(t)
	e.rcv.mu.Lock()
	for _, m := range e.rcv.got {
		if m.sub == "s" {
			push = append(push, fmt.Sprintf("%v@%s", m.payload["state"], minute(t, m.payload["at"])))
		}
	}
	e.rcv.mu.Unlock()
	hook.mu.Lock()
	defer hook.mu.Unlock()
	for _, err := range hook.errs {
		t.Error(err)
	}
	for _, b := range hook.bodies {
		cu, _ := b["component_update"].(map[string]any)
		hooks = append(hooks, fmt.Sprintf("%v>%v@%s", cu["old_status"], cu["new_status"], minute(t, cu["created_at"])))
	}
	return push, hooks
}
