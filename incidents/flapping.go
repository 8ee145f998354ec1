package incidents

import (
	"time"

	"github.com/constat-ent/constat/probes"
)

// flapChange is a round whose status differs from the round before.
type flapChange struct {
	at     time.Time
	seq    uint64
	status probes.Status // the new status
	cause  *probes.StepResult
}

// flapHistory holds one vantage's changes within the flap window, oldest
// first. It holds at most one change per round, so its size is bounded by
// FlapWindow over the probing interval.
type flapHistory struct {
	c    []flapChange
	head int // c[:head] have left the window
}

func (h *flapHistory) len() int { return len(h.c) - h.head }

func (h *flapHistory) add(c flapChange) {
	if h.head > 0 && h.head == len(h.c) {
		h.c, h.head = h.c[:0], 0
	}
	if h.head >= 32 && h.head*2 >= len(h.c) {
		n := copy(h.c, h.c[h.head:])
		clear(h.c[n:]) // drop the Cause references
		h.c, h.head = h.c[:n], 0
	}
	h.c = append(h.c, c)
}

func (h *flapHistory) clear() {
	clear(h.c)
	h.c, h.head = h.c[:0], 0
}

// prune drops the changes that are no longer within window of now (the
// window is (now-window, now]). If flapping, it returns when the count fell
// to limit: the moment the (count-limit)-th oldest change left the window.
// That time is only meaningful if the count is now at most limit.
func (h *flapHistory) prune(now time.Time, window time.Duration, limit int, flapping bool) time.Time {
	var fell time.Time
	if n := h.len(); flapping && n > limit {
		fell = h.c[h.head+n-1-limit].at.Add(window)
	}
	from := now.Add(-window)
	for h.head < len(h.c) && !h.c[h.head].at.After(from) {
		h.c[h.head] = flapChange{}
		h.head++
	}
	return fell
}

// worst is the worst status the window's changes went to; operational if
// none failed. With more than one change in the window, one of any two
// consecutive changes goes to a failing status, so a flapping track always
// has a failing worst.
func (h *flapHistory) worst() probes.Status {
	w := probes.Operational
	for _, c := range h.c[h.head:] {
		w = worse(w, c.status)
	}
	return w
}

// firstDown is the oldest change to a failing status in the window, not
// before from.
func (h *flapHistory) firstDown(from time.Time) (evidence, bool) {
	for _, c := range h.c[h.head:] {
		if c.status != probes.Operational && !c.at.Before(from) {
			return evidence{at: c.at, seq: c.seq, cause: c.cause}, true
		}
	}
	return evidence{}, false
}

// first is the oldest change to status s in the window not before from, or
// else the oldest failing one.
func (h *flapHistory) first(s probes.Status, from time.Time) (evidence, bool) {
	for _, c := range h.c[h.head:] {
		if c.status == s && !c.at.Before(from) {
			return evidence{at: c.at, seq: c.seq, cause: c.cause}, true
		}
	}
	return h.firstDown(from)
}

// lastDown is the newest change to a failing status in the window.
func (h *flapHistory) lastDown() (flapChange, bool) {
	for i := len(h.c) - 1; i >= h.head; i-- {
		if h.c[i].status != probes.Operational {
			return h.c[i], true
		}
	}
	return flapChange{}, false
}

// failures counts the changes to a failing status from operational in the
// window.
func (h *flapHistory) failures() int {
	n := 0
	prev := probes.Operational
	for i, c := range h.c[h.head:] {
		if c.status != probes.Operational && (prev == probes.Operational || i == 0) {
			n++
		}
		prev = c.status
	}
	return n
}
