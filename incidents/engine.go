package incidents

import (
	"strings"
	"time"

	"github.com/constat-ent/constat/probes"
)

// Defaults of EngineConfig, used for its zero (or negative) fields.
const (
	DefaultCorrelationWindow = 5 * time.Minute
	DefaultFlapChanges       = 5
	DefaultFlapWindow        = 30 * time.Minute
	DefaultFlapSettle        = 5 * time.Minute
	DefaultMaintenanceMax    = 7 * 24 * time.Hour
	// DefaultConfirm is used for a Component whose Confirm is zero or negative.
	DefaultConfirm = 2
)

// EngineConfig tunes the state machine. Zero or negative fields take the
// defaults above; Vantages and Quorum default to 1, and a Quorum larger than
// Vantages is lowered to Vantages.
type EngineConfig struct {
	// CorrelationWindow is how far apart the measured starts of two failures
	// may be for them to share an incident. It is measured from the
	// incident's start (its earliest measured start), not from its latest
	// joiner, so that a slow wave cannot drag one incident along for hours.
	CorrelationWindow time.Duration
	// FlapChanges and FlapWindow: a component whose rounds changed status
	// more than FlapChanges times within the last FlapWindow is flapping.
	FlapChanges int
	FlapWindow  time.Duration
	// FlapSettle: a flapping component whose rounds have held one status
	// this long is no longer flapping.
	FlapSettle time.Duration
	// MaintenanceMax bounds a maintenance window: a longer one ends
	// MaintenanceMax after its start.
	MaintenanceMax time.Duration
	// Vantages is how many vantage points probe each component (n), Quorum
	// how many of them must agree (k) for the component's state to change.
	// A vantage is known from its first observation; the engine counts
	// every vantage it hears from, even beyond Vantages.
	Vantages, Quorum int
}

func (c EngineConfig) withDefaults() EngineConfig {
	if c.CorrelationWindow <= 0 {
		c.CorrelationWindow = DefaultCorrelationWindow
	}
	if c.FlapChanges <= 0 {
		c.FlapChanges = DefaultFlapChanges
	}
	if c.FlapWindow <= 0 {
		c.FlapWindow = DefaultFlapWindow
	}
	if c.FlapSettle <= 0 {
		c.FlapSettle = DefaultFlapSettle
	}
	if c.MaintenanceMax <= 0 {
		c.MaintenanceMax = DefaultMaintenanceMax
	}
	c.Vantages = max(c.Vantages, 1)
	c.Quorum = min(max(c.Quorum, 1), c.Vantages)
	return c
}

// Observation is one round of one component as measured from one vantage
// point: the Result as stored in the timeline, with its sequence number.
type Observation struct {
	// Seq is the timeline sequence number of the Result. Seqs must be unique:
	// incident IDs are derived from them.
	Seq uint64
	// Vantage names the vantage point that measured it; "" is the local one.
	Vantage string
	probes.Result
}

// Engine is the incident state machine: it turns observations into
// component states, automatic incidents and events. Component states are
// Atlassian Statuspage's (probes.Status).
//
// Not safe for concurrent use: the caller serialises Observe, SetMaintenance
// and the snapshot methods. The engine never reads the wall clock: every
// time comes from the observations and the maintenance windows, so the same
// observations in the same order give the same events, and a restart can
// replay recent measurements through a fresh engine. The engine keeps
// references to the Steps of the observations it was given (they become
// Event.Cause): callers must not modify them after Observe.
//
// # Rounds and confirmation
//
// Each observation is a round with one status (operational, degraded_performance,
// partial_outage or major_outage; observations with any other status, of an
// unknown component, or older than the last one of the same component and
// vantage are ignored). A component starts operational. Its state changes
// only when Component.Confirm consecutive rounds (DefaultConfirm if unset)
// agree on a new status: a round agrees when its status equals the
// candidate, except that for leaving operational every non-operational
// status agrees with every other. A mixed streak (partial, major, …) that
// leaves operational takes the status of its latest round: the streak
// confirms that the component is down, the latest round says how badly.
// Moving between two non-operational statuses, or back to operational,
// needs Confirm rounds of exactly that status. Degraded performance counts
// as leaving operational (an incident of minor impact, as in Statuspage).
//
// Every event carries a measured time, never the detection time: a state
// change is dated by the Start of the first round of the streak that
// confirmed it, and its Seq and Cause are that round's. A change is never
// dated before the component's previous one.
//
// # Incidents
//
// An incident opens when a component leaves operational. Its start is the
// first failing measurement, and its ID that measurement's Seq plus one
// (deterministic under replay; 0 means "no incident"). Each later state
// change of an affected
// component is an incident update (Updated) with the step that caused it;
// it is resolved when no component is affected any more, with the measured
// end of the last component to come back. A component that comes back while
// others are still down leaves the incident (Updated, to operational); if it
// fails again while the incident is open, it returns to it (Updated).
//
// # Correlation
//
// A component that leaves operational joins an open incident instead of
// opening one (Joined) when its measured start is within CorrelationWindow
// of the incident's start (not of its latest joiner), and it shares with a
// component of the incident whose failure looked alike either an operator (Component.Operator,
// non-empty, compared without case or surrounding space) or an IP address
// of its failing step (StepResult.Addresses). Loopback and unspecified
// addresses never correlate (they say where the probe runs, not who hosts
// the ENT), nor do the addresses of a component probed through a proxy
// (they are the proxy's). When several incidents qualify, the one that
// started first wins. The incident's start becomes the earliest measured
// start of its components. Failures look alike when the steps that caused
// them (Event.Cause) fall in one class: the service does not serve (queue
// or white page, 5xx or 429, timeout, refused or reset connection, slow
// answer: what load does), a certificate fails (TLS), a name does not
// resolve (DNS), or anything else (redirect loop, 4xx). An expired
// certificate and a saturation page of one operator are two incidents.
//
// # Flapping
//
// Flapping is counted on rounds, not on confirmed states: a component
// whose consecutive rounds changed status more than FlapChanges times within
// FlapWindow is flapping (FlappingStarted). Flapping never holds a state
// that no recent round measured: once Confirm consecutive rounds agree
// (all working, or all failing), the state is the confirmed one, flapping
// or not. While the rounds alternate faster than Confirm can follow, the
// state is partial_outage (degraded_performance if no round of the window
// was worse): the service answers some of the time, which is what a
// Statuspage client reads partial_outage as. Leaving operational that way
// is dated by the window's first failing round; this catches a portal that
// fails one round in two, which Confirm alone would show as operational.
//
// What flapping holds is the incident: a flapping component that works
// again stays in its incident (Updated, to operational) instead of
// resolving it, so that a portal failing every few minutes makes one
// incident, not dozens. Flapping stops (FlappingStopped) when the component
// has held one status for FlapSettle (dated then), or when the window holds
// no more than FlapChanges changes (dated when the count fell); its change
// history is then forgotten. If it works then, it leaves its incident,
// which resolves if it was the last affected, dated by the start of its
// stable streak (its measured recovery). FlappingStarted follows the
// events it causes, so that it names the incident; FlappingStopped
// precedes them. No event other than these two and MaintenanceEnded has
// From equal to To.
//
// # Maintenance
//
// During a maintenance window (SetMaintenance) a component is
// under_maintenance: rounds are still observed, but no incident opens and
// no flapping is counted. Entering a window takes the component out of its
// incident (which resolves if it was the last affected). When the first
// round after the window arrives, the state is recomputed from the latest
// rounds as if the component had just started operational, except that no
// state change is dated before the window's end: a component still down
// after the window opens an incident starting at its first failing round
// after the window, without waiting for Confirm more rounds if the rounds
// during the window already agree.
//
// # Vantage points
//
// Each vantage point has its own rounds, confirmation and flapping. The
// component is non-operational when at least Quorum vantages say so; its
// status is then the Quorum-th worst of theirs (the worst that Quorum
// vantages agree it is at least). With one vantage, this is that vantage.
//
// # Caveats
//
// A vantage point that stops reporting keeps its last state forever. A
// fresh engine knows nothing before the first observation it is given:
// replay enough history to cover the longest incident that must survive a
// restart.
type Engine struct {
	cfg   EngineConfig
	comps []*comp
	byID  map[string]*comp
	open  []*incident // open incidents, in opening order
}

// comp is the engine's state of one component.
type comp struct {
	id       string
	operator string // as configured, trimmed
	opKey    string // lower-case operator, "" for none
	proxied  bool   // probed through an HTTP proxy: its addresses are the proxy's
	confirm  int
	tracks   []*track // one per vantage, in order of first observation

	status   probes.Status // published state
	since    time.Time     // measured time of the last state change
	sinceSeq uint64        // its evidence
	backFrom probes.Status // the state it came back from, while flapping in its incident
	flapping bool
	lastSeq  uint64
	lastObs  time.Time // Start of the latest observation, any vantage
	seen     bool

	inc     *incident // the incident it is affected in, or nil
	lastInc *incident // the last incident it was affected in (to return to while open)

	windows  []window
	inMaint  bool
	maintID  uint64
	maintEnd time.Time
}

// NewEngine returns an engine for comps, all operational. comps are read
// once (ID, Operator, Confirm and whether a proxy is configured); later
// changes to them are not seen. Of two components with one ID, the first
// counts.
func NewEngine(cfg EngineConfig, comps []*probes.Component) *Engine {
	e := &Engine{cfg: cfg.withDefaults(), byID: make(map[string]*comp, len(comps))}
	for _, pc := range comps {
		if _, dup := e.byID[pc.ID]; dup {
			continue
		}
		op := strings.TrimSpace(pc.Operator)
		c := &comp{id: pc.ID, operator: op, opKey: strings.ToLower(op), confirm: pc.Confirm, status: probes.Operational,
			proxied: pc.HTTPClientConfig.ProxyURL.URL != nil || pc.HTTPClientConfig.ProxyFromEnvironment}
		if c.confirm <= 0 {
			c.confirm = DefaultConfirm
		}
		e.comps = append(e.comps, c)
		e.byID[c.id] = c
	}
	return e
}

// Observe takes one round into account and returns the events it caused,
// in order (nil for none). See Engine for the rules.
func (e *Engine) Observe(o Observation) []Event {
	c := e.byID[o.Component]
	if c == nil || severity(o.Status) < 0 {
		return nil
	}
	if !o.Measured() { // Constat's own fault or its network down: the portal was not measured
		return nil
	}
	t := c.track(o.Vantage, e.cfg.Vantages)
	if t.seen && o.Start.Before(t.last) {
		return nil
	}
	var out []Event
	ev := evidence{at: o.Start, seq: o.Seq, cause: causeOf(&o.Result)}
	exit := e.maintenance(c, ev, &out)
	t.observe(o.Status, ev, c.confirm, !c.inMaint, e.cfg)
	c.seen, c.lastSeq = true, o.Seq
	if o.Start.After(c.lastObs) {
		c.lastObs = o.Start
	}
	if !c.inMaint {
		e.publish(c, t, ev, exit, &out)
	}
	return out
}

// publish recomputes c's state from its vantages after t observed ev, and
// emits the resulting events.
func (e *Engine) publish(c *comp, t *track, ev evidence, exit *exitInfo, out *[]Event) {
	status, flapping := c.aggregate(e.cfg.Quorum)
	if c.flapping && !flapping {
		c.flapping = false
		*out = append(*out, Event{Kind: FlappingStopped, Incident: c.incID(), Component: c.id,
			From: c.status, To: c.status, At: t.flapStop, Seq: ev.seq})
	}
	if exit != nil {
		*out = append(*out, Event{Kind: MaintenanceEnded, Component: c.id, Maintenance: exit.id,
			From: probes.UnderMaintenance, To: status, At: exit.at, Seq: ev.seq})
	}
	started := !c.flapping && flapping
	c.flapping = flapping // before the change: a flapping component stays in its incident
	if status != c.status {
		e.change(c, status, c.changeEvidence(t, status, ev, exit), out)
	}
	if !c.flapping && c.inc != nil && c.status == probes.Operational {
		e.settle(c, out)
	}
	if started {
		*out = append(*out, Event{Kind: FlappingStarted, Incident: c.incID(), Component: c.id,
			From: c.status, To: c.status, At: t.flapStart.at, Seq: t.flapStart.seq, Cause: t.flapStart.cause})
	}
}

// change moves c to status, dated by ev: a StateChanged event, then the
// incident event it causes.
func (e *Engine) change(c *comp, to probes.Status, ev evidence, out *[]Event) {
	from := c.status
	if ev.at.Before(c.since) { // vantages can disagree on when; keep the order
		ev.at = c.since
	}
	c.status, c.since, c.sinceSeq = to, ev.at, ev.seq
	var inc Event
	switch {
	case severity(to) > 0 && c.inc != nil: // worse, better, or failing again while flapping
		inc = e.worsen(c, from, to, ev)
	case severity(to) > 0:
		inc = e.down(c, from, to, ev)
	case to == probes.Operational && c.flapping && c.inc != nil:
		// Working again, but flapping: it stays in its incident until
		// it settles (see settle).
		c.backFrom = from
		inc = Event{Kind: Updated, Incident: c.inc.id, Component: c.id, From: from, To: to, At: ev.at, Seq: ev.seq}
	default:
		inc = e.up(c, from, to, ev)
	}
	cause := ev.cause
	if severity(to) <= 0 {
		cause = nil
	}
	*out = append(*out, Event{Kind: StateChanged, Incident: inc.Incident, Component: c.id,
		From: from, To: to, At: ev.at, Seq: ev.seq, Cause: cause})
	if inc.Kind != EventUnknown {
		*out = append(*out, inc)
	}
}

// changeEvidence dates c's change to status, caused by t observing ev.
func (c *comp) changeEvidence(t *track, status probes.Status, ev evidence, exit *exitInfo) evidence {
	switch {
	case exit != nil && status == probes.Operational:
		return evidence{at: exit.at, seq: ev.seq}
	case severity(status) > 0 && severity(c.status) <= 0:
		// Leaving operational: the first failing measurement of the
		// vantages that agree, but not before the component was last
		// seen back (with several vantages, one can have been failing
		// all along): that failure may already date an incident.
		var best *evidence
		for _, o := range c.tracks {
			if severity(o.verdict) <= 0 || o.vev.at.Before(c.since) || c.lastInc != nil && o.vev.seq+1 == c.lastInc.id {
				continue
			}
			if best == nil || o.vev.at.Before(best.at) {
				best = &o.vev
			}
		}
		if best == nil {
			return ev
		}
		return *best
	}
	return t.vev
}

// aggregate is c's status and flapping as quorum of its vantages see it.
func (c *comp) aggregate(quorum int) (probes.Status, bool) {
	if len(c.tracks) == 1 && quorum == 1 {
		t := c.tracks[0]
		return t.verdict, t.flapping
	}
	var bySeverity [4]int // operational, degraded, partial, major
	flapping := 0
	for _, t := range c.tracks {
		bySeverity[severity(t.verdict)]++
		if t.flapping {
			flapping++
		}
	}
	n := 0
	for sev := 3; sev > 0; sev-- {
		if n += bySeverity[sev]; n >= quorum {
			return statusOf(sev), flapping >= quorum
		}
	}
	return probes.Operational, flapping >= quorum
}

// track returns c's track for vantage, creating it on first use.
func (c *comp) track(vantage string, vantages int) *track {
	for _, t := range c.tracks {
		if t.vantage == vantage {
			return t
		}
	}
	if c.tracks == nil {
		c.tracks = make([]*track, 0, vantages)
	}
	t := &track{vantage: vantage, confirmed: probes.Operational, verdict: probes.Operational}
	c.tracks = append(c.tracks, t)
	return t
}

func (c *comp) incID() uint64 {
	if c.inc == nil {
		return 0
	}
	return c.inc.id
}

// severity orders the statuses a round can have: operational 0 to major 3;
// -1 for any other status.
func severity(s probes.Status) int {
	switch s {
	case probes.Operational:
		return 0
	case probes.DegradedPerformance:
		return 1
	case probes.PartialOutage:
		return 2
	case probes.MajorOutage:
		return 3
	}
	return -1
}

func statusOf(sev int) probes.Status {
	return [4]probes.Status{probes.Operational, probes.DegradedPerformance, probes.PartialOutage, probes.MajorOutage}[sev]
}

// worse returns the more severe of a and b.
func worse(a, b probes.Status) probes.Status {
	if severity(b) > severity(a) {
		return b
	}
	return a
}

// causeOf is the step that makes r's status: the first failing step, else
// the first slow one (degraded performance); nil for an operational round.
func causeOf(r *probes.Result) *probes.StepResult {
	if r.Status == probes.Operational {
		return nil
	}
	if st := r.Failed(); st != nil {
		return st
	}
	for i := range r.Steps {
		if r.Steps[i].Outcome == probes.Slow {
			return &r.Steps[i]
		}
	}
	return nil
}
