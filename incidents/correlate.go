package incidents

import (
	"net/netip"
	"slices"
	"time"

	"github.com/constat-ent/constat/probes"
)

// incident is an automatic incident in the engine.
type incident struct {
	id       uint64
	members  []*member // in join order
	start    time.Time
	end      time.Time // zero while open
	lastBack time.Time // latest measured recovery of a member
	worst    probes.Status
	affected int // members affected now
	open     bool
}

// member is one component of an incident.
type member struct {
	c        *comp
	affected bool
	addrs    []string     // shareable addresses of its failing steps
	class    failureClass // what its failure looked like when it joined
}

// failureClass groups the outcomes whose failures look alike: only
// components failing alike are correlated.
type failureClass uint8

const (
	classOther failureClass = iota // redirect loops, 4xx, no cause
	// classUnavailable: the service does not serve, which is what load
	// does: a queue or white page, a 5xx or 429, a timeout, a refused or
	// reset connection, a slow answer.
	classUnavailable
	classCertificate // TLS: expired, unknown authority, wrong name, handshake
	classDNS         // the name does not resolve
)

// classOf is the class of the failure of step st (nil: classOther).
func classOf(st *probes.StepResult) failureClass {
	if st == nil {
		return classOther
	}
	switch st.Outcome {
	case probes.Slow, probes.Timeout, probes.ConnectTimeout, probes.ConnectRefused, probes.ConnectionReset,
		probes.SoftFailure, probes.ContentMissing:
		return classUnavailable
	case probes.HTTPError:
		if st.StatusCode >= 500 || st.StatusCode == 429 {
			return classUnavailable
		}
	case probes.TLSError:
		return classCertificate
	case probes.DNSError:
		return classDNS
	}
	return classOther
}

func (inc *incident) member(c *comp) *member {
	for _, m := range inc.members {
		if m.c == c {
			return m
		}
	}
	return nil
}

// related reports whether c, failing from addrs in class, shares an
// operator or an address with a member of inc that failed alike.
func (inc *incident) related(c *comp, addrs []string, class failureClass) bool {
	for _, m := range inc.members {
		if m.class != class {
			continue
		}
		if c.opKey != "" && m.c.opKey == c.opKey {
			return true
		}
		for _, a := range addrs {
			if slices.Contains(m.addrs, a) {
				return true
			}
		}
	}
	return false
}

// down records that c left operational (from operational or maintenance)
// for to, dated by ev: it returns to its last incident if still open, joins
// a correlated one, or opens one. It returns the incident event.
func (e *Engine) down(c *comp, from, to probes.Status, ev evidence) Event {
	var addrs []string
	if !c.proxied {
		addrs = shareable(ev.cause)
	}
	class := classOf(ev.cause)
	kind := Updated
	inc := c.lastInc
	if inc == nil || !inc.open {
		inc, kind = e.correlate(c, ev.at, addrs, class), Joined
	}
	if inc == nil {
		inc, kind = &incident{id: ev.seq + 1, start: ev.at, open: true}, Opened
		e.open = append(e.open, inc)
	}
	m := inc.member(c)
	if m == nil {
		m = &member{c: c, class: class}
		inc.members = append(inc.members, m)
	}
	for _, a := range addrs {
		if !slices.Contains(m.addrs, a) {
			m.addrs = append(m.addrs, a)
		}
	}
	m.affected = true
	inc.affected++
	inc.worst = worse(inc.worst, to)
	if ev.at.Before(inc.start) {
		inc.start = ev.at
	}
	c.inc, c.lastInc = inc, inc
	return Event{Kind: kind, Incident: inc.id, Component: c.id, From: from, To: to, At: ev.at, Seq: ev.seq, Cause: ev.cause}
}

// correlate returns the open incident c should join, failing from start
// with addrs in class, or nil: the earliest-started one whose start is
// within the correlation window and that shares an operator or an address
// with a member that failed alike.
func (e *Engine) correlate(c *comp, start time.Time, addrs []string, class failureClass) *incident {
	var best *incident
	for _, inc := range e.open {
		if d := start.Sub(inc.start); d > e.cfg.CorrelationWindow || d < -e.cfg.CorrelationWindow {
			continue
		}
		if !inc.related(c, addrs, class) {
			continue
		}
		if best == nil || inc.start.Before(best.start) || inc.start.Equal(best.start) && inc.id < best.id {
			best = inc
		}
	}
	return best
}

// worsen records that c, affected, went from one failing status to another.
func (e *Engine) worsen(c *comp, from, to probes.Status, ev evidence) Event {
	inc := c.inc
	if inc == nil { // cannot happen: a failing component is affected
		return e.down(c, from, to, ev)
	}
	inc.worst = worse(inc.worst, to)
	return Event{Kind: Updated, Incident: inc.id, Component: c.id, From: from, To: to, At: ev.at, Seq: ev.seq, Cause: ev.cause}
}

// up records that c is no longer affected: back to operational, or into
// maintenance. The incident resolves if c was its last affected component.
// It returns the incident event, or the zero Event if c was not affected.
func (e *Engine) up(c *comp, from, to probes.Status, ev evidence) Event {
	inc := c.inc
	if inc == nil {
		return Event{}
	}
	if !e.leave(c, ev.at) {
		return Event{Kind: Updated, Incident: inc.id, Component: c.id, From: from, To: to, At: ev.at, Seq: ev.seq}
	}
	return Event{Kind: Resolved, Incident: inc.id, Component: c.id, From: from, To: to, At: inc.end, Seq: ev.seq}
}

// settle takes c, working again and no longer flapping, out of the
// incident its flapping held it in. The incident resolves if c was its
// last affected component, dated by the start of c's stable streak (its
// measured recovery), and citing that recovery's evidence.
func (e *Engine) settle(c *comp, out *[]Event) {
	inc := c.inc
	if e.leave(c, c.since) {
		*out = append(*out, Event{Kind: Resolved, Incident: inc.id, Component: c.id, From: c.backFrom, To: probes.Operational,
			At: inc.end, Seq: c.sinceSeq})
	}
}

// leave takes c, back at at, out of its incident, and resolves the
// incident if c was its last affected component (it then returns true).
func (e *Engine) leave(c *comp, at time.Time) bool {
	inc := c.inc
	c.inc = nil
	inc.member(c).affected = false
	inc.affected--
	if at.After(inc.lastBack) {
		inc.lastBack = at
	}
	if inc.affected > 0 {
		return false
	}
	e.resolve(inc)
	return true
}

func (e *Engine) resolve(inc *incident) {
	inc.open, inc.end = false, inc.lastBack
	e.open = slices.DeleteFunc(e.open, func(o *incident) bool { return o == inc })
}

// shareable returns the addresses of a failing step that can show shared
// hosting: not loopback, not unspecified.
func shareable(st *probes.StepResult) []string {
	if st == nil {
		return nil
	}
	var out []string
	for _, a := range st.Addresses {
		if ip, err := netip.ParseAddr(a); err == nil && (ip.IsLoopback() || ip.IsUnspecified()) {
			continue
		}
		out = append(out, a)
	}
	return out
}
