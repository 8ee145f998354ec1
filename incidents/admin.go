package incidents

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// Actions Admin records in the audit trail. Callers of Admin.Audit use their
// own ("account.login", "token.create") in the same form.
const (
	ActionIncidentCreate    = "incident.create" // an update that opens a manual incident
	ActionUpdateCreate      = "incident_update.create"
	ActionUpdateRevise      = "incident_update.revise"
	ActionMaintenanceCreate = "maintenance.create"
	ActionMaintenanceRevise = "maintenance.revise"
	ActionStatementCreate   = "statement.create"
	ActionStatementRevise   = "statement.revise"
)

// UpdateInput is what an admin posts as an incident update.
type UpdateInput struct {
	// Incident is the incident updated; 0 opens a manual incident
	// (PostUpdate). ReviseUpdate takes 0 or the revised update's incident.
	Incident   uint64
	Status     UpdateStatus // investigating, identified, monitoring or resolved
	Impact     Impact
	Title      string // plain text, required
	Body       string // Markdown, required
	Components []timeline.Affected
}

// Update is one incident update, at its current revision.
type Update struct {
	Seq        uint64 // the record of this revision
	Root       uint64 // the record of the first revision: stable across corrections
	Revises    uint64 // the record this one corrects; 0 for the first
	Incident   uint64 // for the update that opened a manual incident, Root + 1
	Status     UpdateStatus
	Impact     Impact
	Title      string // plain text: let html/template escape it
	Body       string // Markdown source: render with RenderMarkdown
	Components []timeline.Affected
	Author     string
	Published  time.Time // of this revision, to the millisecond, UTC
	// Revisions are the earlier revisions, oldest first (nil if none);
	// their own Revisions are nil.
	Revisions []Update
}

// MaintenanceInput is what an admin posts to schedule a maintenance or
// revise one (to correct it, start it early or complete it).
type MaintenanceInput struct {
	Title      string // plain text, required
	Body       string // Markdown, optional
	Components []string
	Start, End time.Time
	Status     UpdateStatus // scheduled, in_progress or completed
}

// ScheduledMaintenance is a maintenance at its current revision.
type ScheduledMaintenance struct {
	ID         uint64 // Root + 1: the ID of its window (Maintenance.ID) and engine events
	Seq        uint64
	Root       uint64
	Revises    uint64
	Title      string
	Body       string
	Components []string
	Start, End time.Time
	Status     UpdateStatus
	Author     string
	At         time.Time
	Revisions  []ScheduledMaintenance // as Update.Revisions
}

// StatementInput is an official statement as an admin records it.
type StatementInput struct {
	Incident  uint64    // 0 for none
	Speaker   string    // who said it, with their office; required
	SaidAt    time.Time // required, not in the future
	Quote     string    // required
	SourceURL string    // absolute http or https URL, required
	About     time.Time // the time the statement is about; zero means SaidAt
}

// Statement is an official statement at its current revision.
type Statement struct {
	Seq       uint64
	Root      uint64
	Revises   uint64
	Incident  uint64
	Speaker   string // plain text
	SaidAt    time.Time
	Quote     string // plain text
	SourceURL string
	About     time.Time
	Author    string
	At        time.Time
	Revisions []Statement // as Update.Revisions
}

// chains holds the revision chains of one record kind.
type chains[T any] struct {
	order []uint64          // roots, in the order they were first posted
	revs  map[uint64][]T    // root → revisions, oldest first
	seqs  map[uint64]uint64 // root → seq of its current revision
	root  map[uint64]uint64 // any revision's seq → its root
}

func newChains[T any]() chains[T] {
	return chains[T]{revs: make(map[uint64][]T), seqs: make(map[uint64]uint64), root: make(map[uint64]uint64)}
}

// add appends revision seq of v; revises 0 starts a chain.
func (c *chains[T]) add(seq, revises uint64, v T) error {
	root := seq
	if revises != 0 {
		r, ok := c.root[revises]
		if !ok {
			return fmt.Errorf("record %d revises %d, not a record of its kind: %w", seq, revises, timeline.ErrCorrupt)
		}
		root = r
	} else {
		c.order = append(c.order, seq)
	}
	c.root[seq], c.seqs[root] = root, seq
	c.revs[root] = append(c.revs[root], v)
	return nil
}

// target checks that seq is the current revision of a chain and returns
// its root.
func (c *chains[T]) target(seq uint64, kind string) (uint64, error) {
	root, ok := c.root[seq]
	if !ok {
		return 0, invalidf("revises", "record %d is not a %s", seq, kind)
	}
	if cur := c.seqs[root]; cur != seq {
		return 0, invalidf("revises", "record %d was corrected by record %d: revise that one", seq, cur)
	}
	return root, nil
}

// current returns the current revision of root with the earlier ones.
func (c *chains[T]) current(root uint64, with func(cur T, earlier []T) T) T {
	revs := c.revs[root]
	var earlier []T
	if len(revs) > 1 {
		earlier = slices.Clone(revs[:len(revs)-1])
	}
	return with(revs[len(revs)-1], earlier)
}

// Admin records what admins publish (incident updates, maintenances,
// official statements) and the audit trail, append-only, in the timeline.
// A correction is a new revision; every revision stays readable. Every
// action appends its record and its audit record in one transaction.
//
// Admin holds all admin records in memory (they are few) and is safe for
// concurrent use; writes are serialised, reads do not wait for them. The
// values its methods return share their slices (Components, Revisions)
// with other callers: do not modify them.
type Admin struct {
	tl        *timeline.Timeline
	comps     map[string]bool
	hist      *History               // the automatic incidents
	onWindows func(ws []Maintenance) // the engine's, after each maintenance recorded
	maintMax  time.Duration          // the longest window: incidents.maintenance_max
	now       func() time.Time       // replaced by tests
	published *notifier              // the pipeline's OnPublish; nil: none

	write sync.Mutex // held from validation to the in-memory update of each write

	mu       sync.RWMutex
	updates  chains[Update]
	byInc    map[uint64][]uint64 // incident → roots of its updates, in order
	maints   chains[ScheduledMaintenance]
	stmts    chains[Statement]
	manual   []uint64
	isManual map[uint64]bool
	audit    []timeline.Audit
}

// newAdmin loads the admin records of tl (AdminRecords: the admin index, not
// the whole log) for the components comps; hist tells which automatic
// incidents exist, and onWindows receives the maintenance windows after
// each maintenance recorded. It returns an error wrapping
// timeline.ErrCorrupt when a revision names a record of another kind.
func newAdmin(tl *timeline.Timeline, comps []*probes.Component, hist *History, onWindows func([]Maintenance), maintMax time.Duration) (*Admin, error) {
	a := &Admin{tl: tl, comps: make(map[string]bool, len(comps)), hist: hist, onWindows: onWindows, maintMax: maintMax, now: time.Now,
		updates: newChains[Update](), byInc: make(map[uint64][]uint64),
		maints: newChains[ScheduledMaintenance](), stmts: newChains[Statement](), isManual: make(map[uint64]bool)}
	for _, c := range comps {
		a.comps[c.ID] = true
	}
	if err := tl.AdminRecords(a.apply); err != nil {
		return nil, fmt.Errorf("load admin records: %w", err)
	}
	return a, nil
}

// apply adds a committed record to the in-memory state. Callers hold a.mu
// or own a (newAdmin). Engine events are History's.
func (a *Admin) apply(r timeline.Record) error {
	switch {
	case r.Update != nil:
		return a.applyUpdate(r.Seq, r.Update)
	case r.Maintenance != nil:
		m := r.Maintenance
		if !UpdateStatus(m.Status).ForMaintenance() {
			return fmt.Errorf("record %d: maintenance status %v: %w", r.Seq, UpdateStatus(m.Status), timeline.ErrCorrupt)
		}
		v := ScheduledMaintenance{Seq: r.Seq, Revises: m.Revises, Title: m.Title, Body: m.Body,
			Components: m.Components, Start: m.Start, End: m.End, Status: UpdateStatus(m.Status), Author: m.Author, At: m.At}
		if err := a.maints.add(r.Seq, m.Revises, v); err != nil {
			return err
		}
		revs := a.maints.revs[a.maints.root[r.Seq]]
		revs[len(revs)-1].Root = a.maints.root[r.Seq]
		revs[len(revs)-1].ID = revs[len(revs)-1].Root + 1
	case r.Statement != nil:
		s := r.Statement
		v := Statement{Seq: r.Seq, Revises: s.Revises, Incident: s.Incident, Speaker: s.Speaker, SaidAt: s.SaidAt,
			Quote: s.Quote, SourceURL: s.Source, About: s.About, Author: s.Author, At: s.At}
		if err := a.stmts.add(r.Seq, s.Revises, v); err != nil {
			return err
		}
		revs := a.stmts.revs[a.stmts.root[r.Seq]]
		revs[len(revs)-1].Root = a.stmts.root[r.Seq]
	case r.Audit != nil:
		a.audit = append(a.audit, *r.Audit)
	}
	return nil
}

func (a *Admin) applyUpdate(seq uint64, u *timeline.Update) error {
	if st, im := UpdateStatus(u.Status), Impact(u.Impact); !st.ForIncident() || !im.Valid() {
		return fmt.Errorf("record %d: update status %v, impact %v: %w", seq, st, im, timeline.ErrCorrupt)
	}
	v := Update{Seq: seq, Revises: u.Revises, Incident: u.Incident, Status: UpdateStatus(u.Status), Impact: Impact(u.Impact),
		Title: u.Title, Body: u.Body, Components: u.Components, Author: u.Author, Published: u.Published}
	if err := a.updates.add(seq, u.Revises, v); err != nil {
		return err
	}
	root := a.updates.root[seq]
	revs := a.updates.revs[root]
	revs[len(revs)-1].Root = root
	if u.Incident == 0 {
		revs[len(revs)-1].Incident = seq + 1
		a.manual = append(a.manual, seq+1)
		a.isManual[seq+1] = true
	}
	if u.Revises == 0 {
		inc := revs[0].Incident
		a.byInc[inc] = append(a.byInc[inc], root)
	}
	return nil
}

// commit records e and its audit record (action, detail) in one call, then
// applies them. The caller holds a.write.
func (a *Admin) commit(ctx context.Context, actor, action, detail string, e timeline.Entry, at time.Time) (uint64, error) {
	audit := timeline.Audit{Actor: actor, Action: action, At: at, Detail: detail, TargetEntry: 1}
	seqs, err := a.tl.AppendRecords(ctx, e, audit)
	if err != nil {
		return 0, err
	}
	audit.TargetEntry, audit.Target = 0, seqs[0] // as stored
	recs := [2]timeline.Record{{Seq: seqs[0], Kind: e.Kind()}, {Seq: seqs[1], Kind: timeline.KindAudit, Audit: &audit}}
	switch e := e.(type) {
	case timeline.Update:
		recs[0].Update = &e
	case timeline.Maintenance:
		recs[0].Maintenance = &e
	case timeline.Statement:
		recs[0].Statement = &e
	}
	a.mu.Lock()
	for _, r := range recs {
		if err := a.apply(r); err != nil {
			a.mu.Unlock()
			return 0, err // validated before: a broken invariant
		}
	}
	a.mu.Unlock()
	if a.published != nil {
		a.published.notify()
	}
	return seqs[0], nil
}

// stamp is now as stored: to the millisecond, in UTC.
func (a *Admin) stamp() time.Time { return storedTime(a.now()) }

func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// PostUpdate records an update of incident in.Incident, automatic or
// manual, or opens a manual incident when in.Incident is 0 (its ID is the
// returned update's Incident). It returns a *ValidationError for a bad
// field, an error wrapping ErrNotFound for an unknown incident, and the
// timeline's error when the append fails.
func (a *Admin) PostUpdate(ctx context.Context, actor string, in UpdateInput) (Update, error) {
	a.write.Lock()
	defer a.write.Unlock()
	if in.Incident != 0 {
		if err := a.incidentExists(in.Incident); err != nil {
			return Update{}, fmt.Errorf("post update: %w", err)
		}
	}
	action := ActionUpdateCreate
	if in.Incident == 0 {
		action = ActionIncidentCreate
	}
	u, err := a.writeUpdate(ctx, actor, action, in, 0)
	if err != nil {
		return Update{}, fmt.Errorf("post update: %w", err)
	}
	return u, nil
}

// ReviseUpdate records a correction of update seq, which must be the
// current revision of an update: the new revision replaces it in Updates,
// and both stay readable. in.Incident must be 0 or the update's incident.
// Errors are as for PostUpdate.
func (a *Admin) ReviseUpdate(ctx context.Context, actor string, seq uint64, in UpdateInput) (Update, error) {
	a.write.Lock()
	defer a.write.Unlock()
	a.mu.RLock()
	root, err := a.updates.target(seq, "incident update")
	var inc uint64
	if err == nil {
		inc = a.updates.revs[root][0].Incident
	}
	a.mu.RUnlock()
	if err == nil && in.Incident != 0 && in.Incident != inc {
		err = invalidf("incident", "an update cannot move from incident %d to %d", inc, in.Incident)
	}
	var u Update
	if err == nil {
		in.Incident = inc
		u, err = a.writeUpdate(ctx, actor, ActionUpdateRevise, in, seq)
	}
	if err != nil {
		return Update{}, fmt.Errorf("revise update %d: %w", seq, err)
	}
	return u, nil
}

func (a *Admin) writeUpdate(ctx context.Context, actor, action string, in UpdateInput, revises uint64) (Update, error) {
	if err := a.checkUpdate(actor, in); err != nil {
		return Update{}, err
	}
	rec := timeline.Update{Incident: in.Incident, Revises: revises, Status: uint8(in.Status), Impact: uint8(in.Impact),
		Title: in.Title, Body: in.Body, Components: slices.Clone(in.Components), Author: actor, Published: a.stamp()}
	if len(rec.Components) == 0 {
		rec.Components = nil
	}
	seq, err := a.commit(ctx, actor, action, in.Status.String(), rec, rec.Published)
	if err != nil {
		return Update{}, err
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.currentUpdate(a.updates.root[seq]), nil
}

// incidentExists returns nil if id is a manual incident or an automatic
// one (History), else an error wrapping ErrNotFound.
func (a *Admin) incidentExists(id uint64) error {
	a.mu.RLock()
	known := a.isManual[id]
	a.mu.RUnlock()
	if known || a.hist.Exists(id) {
		return nil
	}
	return fmt.Errorf("incident %d: %w", id, ErrNotFound)
}

// ScheduleMaintenance records a maintenance window: its components are
// under_maintenance from in.Start to in.End, and that time does not count
// as an outage (the engine learns the new windows before it returns). The
// window may not start more than a few minutes before
// now: maintenance is announced, not declared after the fact. It returns a
// *ValidationError for a bad field and the timeline's error when the
// append fails.
func (a *Admin) ScheduleMaintenance(ctx context.Context, actor string, in MaintenanceInput) (ScheduledMaintenance, error) {
	a.write.Lock()
	defer a.write.Unlock()
	m, err := a.writeMaintenance(ctx, actor, ActionMaintenanceCreate, in, nil)
	if err != nil {
		return ScheduledMaintenance{}, fmt.Errorf("schedule maintenance: %w", err)
	}
	return m, nil
}

// ReviseMaintenance records a new revision of maintenance seq (its current
// revision): a correction, or a change of status (in_progress when it
// starts early, completed when it ends). A revision may not move the start
// earlier into the past, extend a window that has already ended, or reopen
// a completed maintenance. Errors are as for ScheduleMaintenance.
func (a *Admin) ReviseMaintenance(ctx context.Context, actor string, seq uint64, in MaintenanceInput) (ScheduledMaintenance, error) {
	a.write.Lock()
	defer a.write.Unlock()
	a.mu.RLock()
	root, err := a.maints.target(seq, "maintenance")
	var prev ScheduledMaintenance
	if err == nil {
		prev = a.currentMaintenance(root)
	}
	a.mu.RUnlock()
	var m ScheduledMaintenance
	if err == nil {
		m, err = a.writeMaintenance(ctx, actor, ActionMaintenanceRevise, in, &prev)
	}
	if err != nil {
		return ScheduledMaintenance{}, fmt.Errorf("revise maintenance %d: %w", seq, err)
	}
	return m, nil
}

func (a *Admin) writeMaintenance(ctx context.Context, actor, action string, in MaintenanceInput, prev *ScheduledMaintenance) (ScheduledMaintenance, error) {
	now := a.stamp()
	in.Start, in.End = storedTime(in.Start), storedTime(in.End)
	if err := a.checkMaintenance(actor, in, prev, now); err != nil {
		return ScheduledMaintenance{}, err
	}
	rec := timeline.Maintenance{Title: in.Title, Body: in.Body, Components: slices.Clone(in.Components),
		Start: in.Start, End: in.End, Status: uint8(in.Status), Author: actor, At: now}
	if prev != nil {
		rec.Revises = prev.Seq
	}
	seq, err := a.commit(ctx, actor, action, in.Status.String(), rec, now)
	if err != nil {
		return ScheduledMaintenance{}, err
	}
	if a.onWindows != nil {
		a.onWindows(a.Windows()) // the engine learns the new windows at once
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.currentMaintenance(a.maints.root[seq]), nil
}

// RecordStatement records an official statement, linked to in.Incident if
// non-zero. It returns a *ValidationError for a bad field, an error
// wrapping ErrNotFound for an unknown incident, and the timeline's error
// when the append fails.
func (a *Admin) RecordStatement(ctx context.Context, actor string, in StatementInput) (Statement, error) {
	a.write.Lock()
	defer a.write.Unlock()
	s, err := a.writeStatement(ctx, actor, ActionStatementCreate, in, 0)
	if err != nil {
		return Statement{}, fmt.Errorf("record statement: %w", err)
	}
	return s, nil
}

// ReviseStatement records a correction of statement seq (its current
// revision). Errors are as for RecordStatement.
func (a *Admin) ReviseStatement(ctx context.Context, actor string, seq uint64, in StatementInput) (Statement, error) {
	a.write.Lock()
	defer a.write.Unlock()
	a.mu.RLock()
	_, err := a.stmts.target(seq, "statement")
	a.mu.RUnlock()
	var s Statement
	if err == nil {
		s, err = a.writeStatement(ctx, actor, ActionStatementRevise, in, seq)
	}
	if err != nil {
		return Statement{}, fmt.Errorf("revise statement %d: %w", seq, err)
	}
	return s, nil
}

func (a *Admin) writeStatement(ctx context.Context, actor, action string, in StatementInput, revises uint64) (Statement, error) {
	now := a.stamp()
	in.SaidAt, in.About = storedTime(in.SaidAt), storedTime(in.About)
	if in.About.IsZero() {
		in.About = in.SaidAt
	}
	if err := checkStatement(actor, in, now); err != nil {
		return Statement{}, err
	}
	if in.Incident != 0 {
		if err := a.incidentExists(in.Incident); err != nil {
			return Statement{}, err
		}
	}
	rec := timeline.Statement{Revises: revises, Incident: in.Incident, Speaker: in.Speaker, SaidAt: in.SaidAt,
		Quote: in.Quote, Source: in.SourceURL, About: in.About, Author: actor, At: now}
	seq, err := a.commit(ctx, actor, action, "", rec, now)
	if err != nil {
		return Statement{}, err
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.currentStatement(a.stmts.root[seq]), nil
}

// auditAction is the form of an action: dotted lower-case words.
var auditAction = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// Audit records an action outside Admin's own (a login, a token created)
// in the audit trail: actor did action on the record target (0 for none),
// with a short detail. The trail is public: never pass passwords, tokens,
// IP addresses or session IDs. detail is interned in the timeline's string
// table: keep it to a bounded set (a status, an account name), at most 100
// bytes. It returns a *ValidationError for a bad argument and the
// timeline's error when the append fails.
func (a *Admin) Audit(ctx context.Context, actor, action string, target uint64, detail string) error {
	a.write.Lock() // so that the trail in memory is in seq order
	defer a.write.Unlock()
	err := checkActor(actor)
	switch {
	case err != nil:
	case len(action) > 64 || !auditAction.MatchString(action):
		err = invalidf("action", "%.64q is not of the form word.word (lower case)", action)
	case target != 0 && target >= a.tl.Len():
		err = invalidf("target", "no record %d", target)
	default:
		err = checkText("detail", detail, 100, false, false)
	}
	if err == nil {
		at := a.stamp()
		audit := timeline.Audit{Actor: actor, Action: action, Target: target, At: at, Detail: detail}
		if _, err = a.tl.AppendRecords(ctx, audit); err == nil {
			a.mu.Lock()
			a.audit = append(a.audit, audit)
			a.mu.Unlock()
		}
	}
	if err != nil {
		return fmt.Errorf("audit %.64s: %w", action, err)
	}
	return nil
}
