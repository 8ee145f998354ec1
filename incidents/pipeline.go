package incidents

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// Pipeline is what follows the probes, and the one owner of the timeline's
// in-memory views: it records each result in the timeline, feeds it to the
// incident engine and appends the engine's events, where they are the
// automatic updates of incidents; it keeps the latest result of each
// component, the incident history (History) and the admin records (Admin).
// Because it builds all of them from one timeline, none can be left out of
// step: a maintenance an admin schedules reaches the engine at once, and
// Admin knows every incident History knows. It is the scheduler's sink and
// is safe for concurrent use.
//
// # Restart
//
// The engine is deterministic, so NewPipeline rebuilds its state by
// replaying recent measurements through a fresh engine: from the start of
// the earliest incident still open (by the persisted events), and at least
// the flapping window back, moved earlier while that point falls inside a
// persisted incident, so that the replay never starts in the middle of one.
// Replayed events that were already persisted are not written again; events
// replayed after the last persisted one (lost in a crash between a
// measurement's commit and its events') are written. An incident open before the restart
// thus stays open with the same ID and measured start.
type Pipeline struct {
	tl  *timeline.Timeline
	rec *recorder
	log *slog.Logger

	mu    sync.Mutex // serialises the engine and order
	eng   *Engine
	order seqOrder // observes in seq order, as a restart replays

	persistMu sync.Mutex // persists events in the order the engine emitted them

	ecfg EngineConfig // the engine's thresholds, defaults included

	hist *History // every persisted event, for the pages and APIs
	adm  *Admin   // the admins' records
	susp suspensions

	published *notifier // OnPublish's function, shared with adm
}

// NewPipeline builds the engine for comps with the thresholds of cfg, loads
// the history and the admin records of tl, gives the engine the maintenance
// windows and restores its state (see Restart). tl stays the caller's to
// close, after the last Record has returned.
func NewPipeline(tl *timeline.Timeline, comps []*probes.Component, cfg Config, log *slog.Logger) (*Pipeline, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ecfg := cfg.engine().withDefaults()
	rec, err := newRecorder(tl)
	if err != nil {
		return nil, err
	}
	hist, err := loadHistory(tl)
	if err != nil {
		return nil, fmt.Errorf("load incident history: %w", err)
	}
	p := &Pipeline{tl: tl, rec: rec, log: log, eng: NewEngine(ecfg, comps), ecfg: ecfg, hist: hist, published: &notifier{}}
	if p.adm, err = newAdmin(tl, comps, hist, p.setMaintenance, ecfg.MaintenanceMax); err != nil {
		return nil, err
	}
	p.adm.published = p.published
	p.setMaintenance(p.adm.Windows())
	if err := p.restore(ecfg.FlapWindow); err != nil {
		return nil, fmt.Errorf("restore incident state: %w", err)
	}
	return p, nil
}

// Record appends res to the timeline, runs it through the engine and
// appends the events it caused. It returns the measurement's seq once the
// measurement is committed; an error appending the events is logged, not
// returned (the measurement is safe, and the next restart writes them).
// The engine observes measurements in seq order (see seqOrder): a Record
// may observe, and persist the events of, measurements that concurrent
// Records committed.
func (p *Pipeline) Record(ctx context.Context, res probes.Result) (uint64, error) {
	res.Start = storedTime(res.Start) // the precision the timeline keeps, live as after a restart
	p.mu.Lock()
	next := p.tl.Len()
	p.order.begin(next)
	p.mu.Unlock()
	seq, err := p.rec.record(ctx, res)
	if err == nil && res.Offline() {
		p.susp.add(&res)
	}
	p.mu.Lock()
	p.order.end(next, seq, res, err == nil)
	var evs []Event
	p.order.ready(func(o Observation) { evs = append(evs, p.eng.Observe(o)...) })
	if len(evs) == 0 {
		p.mu.Unlock()
		return seq, err
	}
	p.persistMu.Lock() // before releasing mu: batches persist in engine order
	p.mu.Unlock()
	defer p.persistMu.Unlock()
	for _, ev := range evs {
		p.log.Info("incident event", "kind", ev.Kind.String(), "component", ev.Component, "incident", ev.Incident,
			"from", ev.From.String(), "to", ev.To.String(), "at", ev.At, "evidence", ev.Seq)
	}
	if perr := p.persist(ctx, evs); perr != nil {
		p.log.Error("incident events not recorded", "component", res.Component, "events", len(evs), "err", perr)
	} else {
		p.published.notify()
	}
	return seq, err
}

// OnPublish sets f to be called each time engine events or admin records
// have been committed, so that what follows the timeline (the alert
// outbox) reads them at once rather than at its next poll. f is called on
// the committing goroutine and must not block (a non-blocking channel send,
// as push.Push.Wake). Set it before the first Record; a later f replaces it.
func (p *Pipeline) OnPublish(f func()) { p.published.set(f) }

// Components returns every component's state, in config order.
func (p *Pipeline) Components() []ComponentState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.eng.Components()
}

// OpenIncidents returns the open automatic incidents.
func (p *Pipeline) OpenIncidents() []Incident {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.eng.OpenIncidents()
}

// setMaintenance replaces the maintenance windows the engine knows; Admin
// calls it after each maintenance recorded.
func (p *Pipeline) setMaintenance(ws []Maintenance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.eng.SetMaintenance(ws)
}

// Latest returns the latest committed result of every component that has
// one, and a generation number that changes whenever the set changes. The
// map is a copy; its Results share Steps slices, which callers must not
// modify.
func (p *Pipeline) Latest() (map[string]timeline.Measurement, uint64) { return p.rec.latestAll() }

// LatestOf returns the latest committed result of component id, if it has
// one, without copying every component's as Latest does.
func (p *Pipeline) LatestOf(id string) (timeline.Measurement, bool) { return p.rec.latestOf(id) }

// Suspensions returns the periods when Constat could not reach the
// network that ended at or after t, oldest first: those seen since start,
// and those in the measurements replayed at start.
func (p *Pipeline) Suspensions(t time.Time) []Suspension { return p.susp.since(t) }

// Thresholds returns the engine's thresholds, defaults included, for the
// pages that explain them.
func (p *Pipeline) Thresholds() EngineConfig { return p.ecfg }

// History returns the incident history the pipeline keeps up to date.
func (p *Pipeline) History() *History { return p.hist }

// Admin returns the admins' records, which the pipeline keeps in step with
// the engine.
func (p *Pipeline) Admin() *Admin { return p.adm }

// Generation changes whenever anything the public site shows changes: the
// latest results, the incident history or the admin records. It is cheap
// enough to call on every request.
func (p *Pipeline) Generation() uint64 {
	return p.rec.generation() + p.hist.Generation()<<24 + p.adm.Generation()<<48
}

// Range calls fn with each measurement of component that started in
// [from, to), in start order, read from the timeline file: a scan, for
// what no snapshot holds (a day's rounds, an export). fn's Measurement is
// its own; an error from fn stops the scan and is returned.
func (p *Pipeline) Range(component string, from, to time.Time, fn func(timeline.Measurement) error) error {
	return p.tl.Range(component, from, to, fn)
}

// AppendRollups appends to dst the daily rollups of component from day
// first through day last, in date order (days without measurements are
// absent), and returns the extended slice: timeline.AppendRollups, one
// cursor range, whatever the measurement rate.
func (p *Pipeline) AppendRollups(dst []timeline.DayRollup, component string, first, last timeline.Date) ([]timeline.DayRollup, error) {
	return p.tl.AppendRollups(dst, component, first, last)
}

// Records returns how many records the timeline holds.
func (p *Pipeline) Records() uint64 { return p.tl.Len() }

// StorageHealth returns nil while the timeline's commits succeed, else a
// *timeline.CommitError saying since when and why (a full disk: ENOSPC).
func (p *Pipeline) StorageHealth() error { return p.tl.Health() }

// CommitFailures returns how many timeline commits failed since start.
func (p *Pipeline) CommitFailures() uint64 { return p.tl.CommitFailures() }

func (p *Pipeline) persist(ctx context.Context, evs []Event) error {
	entries := make([]timeline.Entry, len(evs))
	for i := range evs {
		entries[i] = toRecord(&evs[i])
	}
	seqs, err := p.tl.AppendRecords(context.WithoutCancel(ctx), entries...)
	if err != nil {
		return err
	}
	for i, seq := range seqs {
		p.hist.addEvent(seq, entries[i].(timeline.Event))
	}
	return nil
}

// toRecord converts an engine event to its timeline record.
func toRecord(ev *Event) timeline.Event {
	r := timeline.Event{EventKind: uint8(ev.Kind), Incident: ev.Incident, Component: ev.Component,
		From: ev.From, To: ev.To, At: ev.At, Evidence: ev.Seq, Maintenance: ev.Maintenance}
	if ev.Cause != nil {
		r.Cause = &timeline.Cause{Outcome: ev.Cause.Outcome, Detail: ev.Cause.Detail, Phases: ev.Cause.Phases}
	}
	return r
}

// eventKey identifies an event across a replay; At is left out, as the
// timeline keeps it to the millisecond only.
type eventKey struct {
	kind      uint8
	incident  uint64
	component string
	evidence  uint64
}

// persisted is what the stored events say about incidents.
type persisted struct {
	keys         map[eventKey]bool
	lastEvidence uint64
	spans        map[uint64]*span // incident ID → measured span
}

type span struct {
	start, end time.Time // end zero while open
}

func (p *Pipeline) readPersisted() (*persisted, error) {
	ps := &persisted{keys: map[eventKey]bool{}, spans: map[uint64]*span{}}
	err := p.tl.Events(func(_ uint64, e timeline.Event) error {
		ps.keys[eventKey{e.EventKind, e.Incident, e.Component, e.Evidence}] = true
		ps.lastEvidence = max(ps.lastEvidence, e.Evidence)
		if e.Incident == 0 {
			return nil
		}
		sp := ps.spans[e.Incident]
		if sp == nil {
			sp = &span{start: e.At}
			ps.spans[e.Incident] = sp
		}
		switch EventKind(e.EventKind) {
		case Opened, Joined:
			if e.At.Before(sp.start) {
				sp.start = e.At
			}
		case Resolved:
			sp.end = e.At
		}
		return nil
	})
	return ps, err
}

// replayFrom picks where the replay starts: at least window before the
// last measurement, before every open incident, and never inside a
// persisted incident.
func (p *persisted) replayFrom(last time.Time, window time.Duration) time.Time {
	from := last.Add(-window)
	for changed := true; changed; {
		changed = false
		for _, sp := range p.spans {
			inside := !sp.start.After(from) && (sp.end.IsZero() || sp.end.After(from))
			if (sp.end.IsZero() || inside) && sp.start.Before(from) {
				from, changed = sp.start, true
			}
		}
	}
	return from
}

func (p *Pipeline) restore(window time.Duration) error {
	if p.tl.Len() == 0 {
		return nil
	}
	ps, err := p.readPersisted()
	if err != nil {
		return err
	}
	latest, _ := p.rec.latestAll()
	var last time.Time
	for _, m := range latest {
		if m.Start.After(last) {
			last = m.Start
		}
	}
	from := ps.replayFrom(last, window)
	var ms []timeline.Measurement
	for _, id := range p.tl.Components() {
		err := p.tl.Range(id, from, last.Add(time.Millisecond), func(m timeline.Measurement) error {
			ms = append(ms, m)
			return nil
		})
		if err != nil {
			return err
		}
	}
	slices.SortFunc(ms, func(a, b timeline.Measurement) int { return cmp.Compare(a.Seq, b.Seq) })
	// Events are persisted in the order the engine emits them, a batch at
	// a time, so the lost ones are those replayed after the last persisted
	// one (or, if none was, those newer than every persisted evidence).
	var replayed []Event
	lastKnown := -1
	for _, m := range ms {
		if m.Offline() {
			p.susp.add(&m.Result)
		}
		for _, ev := range p.eng.Observe(Observation{Seq: m.Seq, Result: m.Result}) {
			if ps.keys[eventKey{uint8(ev.Kind), ev.Incident, ev.Component, ev.Seq}] {
				lastKnown = len(replayed)
			}
			replayed = append(replayed, ev)
		}
	}
	var missing []Event
	for i, ev := range replayed {
		if i > lastKnown && (lastKnown >= 0 || ev.Seq > ps.lastEvidence) &&
			!ps.keys[eventKey{uint8(ev.Kind), ev.Incident, ev.Component, ev.Seq}] {
			missing = append(missing, ev)
		}
	}
	p.log.Info("incident state restored", "replayed", len(ms), "from", from, "open_incidents", len(p.eng.OpenIncidents()), "events_written", len(missing))
	if len(missing) > 0 {
		return p.persist(context.Background(), missing)
	}
	return nil
}
