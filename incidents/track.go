package incidents

import (
	"time"

	"github.com/constat-ent/constat/probes"
)

// evidence is the round a transition is dated by.
type evidence struct {
	at    time.Time
	seq   uint64
	cause *probes.StepResult
}

// streak counts trailing rounds that share a property, and remembers the
// first of them.
type streak struct {
	n     int
	first evidence
}

// track is one vantage point's view of one component: its rounds,
// confirmed status and flapping, which make its verdict.
type track struct {
	vantage string
	seen    bool
	last    time.Time     // Start of the latest round
	latest  probes.Status // status of the latest round

	down streak // trailing non-operational rounds, whatever their status
	same streak // trailing rounds with status latest

	confirmed probes.Status // what Confirm agreeing rounds said last
	conf      evidence      // the first round of the streak that confirmed it

	// notBefore, when set (by the end of a maintenance window), keeps the
	// streaks from being dated earlier: the first round at or after it
	// becomes their first round.
	notBefore time.Time

	flaps     flapHistory
	flapping  bool
	flapStart evidence  // the round whose change started the flapping
	flapStop  time.Time // when the change count fell to FlapChanges

	verdict probes.Status // confirmed, or partial while flapping faster than confirm
	vev     evidence      // evidence of the latest verdict change
}

// observe takes one round of status s into account. countFlaps is false in
// maintenance.
func (t *track) observe(s probes.Status, ev evidence, confirm int, countFlaps bool, cfg EngineConfig) {
	prev := probes.Operational
	if t.seen {
		prev = t.latest
	}
	var stop time.Time
	if countFlaps {
		stop = t.flaps.prune(ev.at, cfg.FlapWindow, cfg.FlapChanges, t.flapping)
		if s != prev {
			t.flaps.add(flapChange{at: ev.at, seq: ev.seq, status: s, cause: ev.cause})
		}
	}
	t.push(s, ev)
	if countFlaps {
		settled := t.same.first.at.Add(cfg.FlapSettle)
		switch n := t.flaps.len(); {
		case t.flapping && !ev.at.Before(settled):
			// Held one status for the settle time: stable again, and
			// a new episode needs FlapChanges more changes.
			t.flapping, t.flapStop = false, settled
			t.flaps.clear()
		case t.flapping && n <= cfg.FlapChanges:
			t.flapping, t.flapStop = false, stop
		case !t.flapping && n > cfg.FlapChanges:
			t.flapping, t.flapStart = true, ev
		}
	}
	t.confirm(confirm)
	if v := t.judge(confirm); v != t.verdict {
		t.vev = t.verdictEvidence(v, ev)
		t.verdict = v
	}
	t.last, t.seen = ev.at, true
}

// push extends the streaks with a round of status s.
func (t *track) push(s probes.Status, ev evidence) {
	if s == probes.Operational {
		t.down = streak{}
	} else {
		if t.down.n == 0 {
			t.down.first = ev
		}
		t.down.n++
	}
	if t.seen && s == t.latest {
		t.same.n++
	} else {
		t.same = streak{n: 1, first: ev}
	}
	t.latest = s
	if !t.notBefore.IsZero() && !ev.at.Before(t.notBefore) {
		if t.down.n > 0 && t.down.first.at.Before(t.notBefore) {
			t.down.first = ev
		}
		if t.same.first.at.Before(t.notBefore) {
			t.same.first = ev
		}
		t.notBefore = time.Time{}
	}
}

// confirm moves the confirmed status when the trailing rounds agree on a
// new one (see Engine).
func (t *track) confirm(k int) {
	switch {
	case t.latest == t.confirmed:
	case t.confirmed == probes.Operational:
		if t.down.n >= k {
			t.confirmed, t.conf = t.latest, t.down.first
		}
	case t.same.n >= k:
		t.confirmed, t.conf = t.latest, t.same.first
	}
}

// judge is the track's verdict: the confirmed status, unless the track is
// flapping and its latest rounds do not agree for confirm rounds (they
// alternate faster than confirm can follow): then partial_outage, or
// degraded_performance if no round of the window was worse.
func (t *track) judge(confirm int) probes.Status {
	if !t.flapping || t.settled(confirm) {
		return t.confirmed
	}
	if w := t.flaps.worst(); severity(w) < severity(probes.PartialOutage) {
		return w
	}
	return probes.PartialOutage
}

// settled reports whether the latest confirm rounds agree: all working, or
// all failing.
func (t *track) settled(confirm int) bool {
	if t.latest == probes.Operational {
		return t.same.n >= confirm
	}
	return t.down.n >= confirm
}

// verdictEvidence dates a verdict change to v, decided on round ev.
func (t *track) verdictEvidence(v probes.Status, ev evidence) evidence {
	switch {
	case t.flapping && v != t.confirmed:
		// Rounds alternating: from the first failing round of the
		// window when leaving operational, else from this round, with
		// the latest failing round's cause; never before the previous
		// verdict change (a failure that already dated an incident,
		// since resolved, cannot date another).
		if t.verdict == probes.Operational {
			if e, ok := t.flaps.firstDown(t.vev.at); ok {
				return e
			}
		}
		if d, ok := t.flaps.lastDown(); ok && ev.cause == nil {
			ev.cause = d.cause
		}
		return ev
	case v == probes.Operational && t.latest == probes.Operational:
		// Confirmed recovery: from the first round of the current
		// operational streak.
		return t.same.first
	case v == probes.Operational:
		// Flapping over by count while the latest round failed without
		// being confirmed: the component has been up since the count fell.
		return evidence{at: t.flapStop, seq: ev.seq}
	case t.conf.at.Before(t.vev.at):
		// Back to a failure confirmed before rounds alternated: from the
		// first round of the failing streak when leaving operational,
		// else of the streak of this status; else from this round.
		if t.verdict == probes.Operational && t.down.n > 0 && !t.down.first.at.Before(t.vev.at) {
			return t.down.first
		}
		if t.latest == v && !t.same.first.at.Before(t.vev.at) {
			return t.same.first
		}
		return ev
	}
	return t.conf
}

// reset forgets the confirmed status and flapping at the end of a
// maintenance window at time at: the track is operational, and its
// streaks will not be dated before at.
func (t *track) reset(at time.Time, seq uint64) {
	t.confirmed, t.conf = probes.Operational, evidence{at: at, seq: seq}
	t.verdict, t.vev = probes.Operational, t.conf
	t.flapping = false
	t.flaps.clear()
	t.notBefore = at
}

// stopFlapping clears flapping at the start of a maintenance window.
func (t *track) stopFlapping() {
	t.flapping = false
	t.flaps.clear()
	t.verdict = t.confirmed
}
