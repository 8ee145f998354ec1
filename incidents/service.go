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

// Service is the pipeline after the probes: it records each result in the
// timeline (through Recorder), feeds it to the incident engine and appends
// the engine's events to the timeline, where they are the automatic
// updates of incidents. It is the scheduler's sink and is safe for
// concurrent use.
//
// # Restart
//
// The engine is deterministic, so NewService rebuilds its state by
// replaying recent measurements through a fresh engine: from the start of
// the earliest incident still open (by the persisted events), and at least
// the flapping window back, moved earlier while that point falls inside a
// persisted incident, so that the replay never starts in the middle of one.
// Replayed events that were already persisted are not written again; events
// newer than every persisted one (lost in a crash between a measurement's
// commit and its events') are written. An incident open before the restart
// thus stays open with the same ID and measured start.
type Service struct {
	tl  *timeline.Timeline
	rec *Recorder
	log *slog.Logger

	mu  sync.Mutex // serialises the engine
	eng *Engine

	hist *History // every persisted event, for the pages and APIs
}

// EngineConfigOf maps the config file's incidents section to the engine's.
func EngineConfigOf(s probes.IncidentSettings) EngineConfig {
	return EngineConfig{CorrelationWindow: s.CorrelationWindow, FlapChanges: s.FlapChanges, FlapWindow: s.FlapWindow}
}

// NewService builds the engine for cfg's components and restores its state
// from tl (see Restart).
func NewService(tl *timeline.Timeline, rec *Recorder, cfg *probes.Config, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ecfg := EngineConfigOf(cfg.Incidents).withDefaults()
	hist, err := LoadHistory(tl)
	if err != nil {
		return nil, fmt.Errorf("load incident history: %w", err)
	}
	s := &Service{tl: tl, rec: rec, log: log, eng: NewEngine(ecfg, cfg.Components), hist: hist}
	if err := s.restore(ecfg.FlapWindow); err != nil {
		return nil, fmt.Errorf("restore incident state: %w", err)
	}
	return s, nil
}

// Record appends res to the timeline, runs it through the engine and
// appends the events it caused. It returns the measurement's seq once the
// measurement is committed; an error appending the events is logged, not
// returned (the measurement is safe, and the next restart writes them).
func (s *Service) Record(ctx context.Context, res probes.Result) (uint64, error) {
	seq, err := s.rec.Record(ctx, res)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	evs := s.eng.Observe(Observation{Seq: seq, Result: res})
	s.mu.Unlock()
	if len(evs) == 0 {
		return seq, nil
	}
	for _, ev := range evs {
		s.log.Info("incident event", "kind", ev.Kind.String(), "component", ev.Component, "incident", ev.Incident,
			"from", ev.From.String(), "to", ev.To.String(), "at", ev.At, "evidence", ev.Seq)
	}
	if err := s.persist(ctx, evs); err != nil {
		s.log.Error("incident events not recorded", "component", res.Component, "events", len(evs), "err", err)
	}
	return seq, nil
}

// Components returns every component's state, in config order.
func (s *Service) Components() []ComponentState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eng.Components()
}

// OpenIncidents returns the open automatic incidents.
func (s *Service) OpenIncidents() []Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eng.OpenIncidents()
}

// SetMaintenance replaces the maintenance windows the engine knows.
func (s *Service) SetMaintenance(ws []Maintenance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eng.SetMaintenance(ws)
}

// Recorder returns the recorder the service writes through.
func (s *Service) Recorder() *Recorder { return s.rec }

// History returns the incident history the service keeps up to date.
func (s *Service) History() *History { return s.hist }

func (s *Service) persist(ctx context.Context, evs []Event) error {
	entries := make([]timeline.Entry, len(evs))
	for i := range evs {
		entries[i] = toRecord(&evs[i])
	}
	seqs, err := s.tl.AppendRecords(context.WithoutCancel(ctx), entries...)
	if err != nil {
		return err
	}
	for i, seq := range seqs {
		s.hist.Add(seq, entries[i].(timeline.Event))
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

func (s *Service) readPersisted() (*persisted, error) {
	p := &persisted{keys: map[eventKey]bool{}, spans: map[uint64]*span{}}
	err := s.tl.Events(func(_ uint64, e timeline.Event) error {
		p.keys[eventKey{e.EventKind, e.Incident, e.Component, e.Evidence}] = true
		p.lastEvidence = max(p.lastEvidence, e.Evidence)
		if e.Incident == 0 {
			return nil
		}
		sp := p.spans[e.Incident]
		if sp == nil {
			sp = &span{start: e.At}
			p.spans[e.Incident] = sp
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
	return p, err
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

func (s *Service) restore(window time.Duration) error {
	if s.tl.Len() == 0 {
		return nil
	}
	p, err := s.readPersisted()
	if err != nil {
		return err
	}
	latest, _ := s.rec.Latest()
	var last time.Time
	for _, m := range latest {
		if m.Start.After(last) {
			last = m.Start
		}
	}
	from := p.replayFrom(last, window)
	var ms []timeline.Measurement
	for _, id := range s.tl.Components() {
		err := s.tl.Range(id, from, last.Add(time.Millisecond), func(m timeline.Measurement) error {
			ms = append(ms, m)
			return nil
		})
		if err != nil {
			return err
		}
	}
	slices.SortFunc(ms, func(a, b timeline.Measurement) int { return cmp.Compare(a.Seq, b.Seq) })
	var missing []Event
	for _, m := range ms {
		for _, ev := range s.eng.Observe(Observation{Seq: m.Seq, Result: m.Result}) {
			if ev.Seq > p.lastEvidence && !p.keys[eventKey{uint8(ev.Kind), ev.Incident, ev.Component, ev.Seq}] {
				missing = append(missing, ev)
			}
		}
	}
	s.log.Info("incident state restored", "replayed", len(ms), "from", from, "open_incidents", len(s.eng.OpenIncidents()), "events_written", len(missing))
	if len(missing) > 0 {
		return s.persist(context.Background(), missing)
	}
	return nil
}
