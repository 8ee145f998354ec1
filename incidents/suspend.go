package incidents

import (
	"sync"
	"time"

	"github.com/constat-ent/constat/probes"
)

// Suspension is a period when Constat could not reach the network: the
// rounds measured then (probes.Result.Offline) are kept as evidence but
// moved no state and opened no incident. From is the Start of its first
// flagged round, Until the end of its last.
type Suspension struct {
	From, Until time.Time
}

// suspensionGap: flagged rounds less than this apart are one suspension.
const suspensionGap = 5 * time.Minute

// maxSuspensions bounds what a long-running server keeps in memory.
const maxSuspensions = 256

// suspensions are the periods derived from flagged rounds, in order. They
// are rebuilt on restart from the rounds the restore replays.
type suspensions struct {
	mu   sync.Mutex
	list []Suspension
}

// add extends the latest suspension with r, or starts one.
func (s *suspensions) add(r *probes.Result) {
	end := r.Start
	for i := range r.Steps {
		end = end.Add(r.Steps[i].Duration)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.list); n > 0 && r.Start.Sub(s.list[n-1].Until) <= suspensionGap && !r.Start.Before(s.list[n-1].From.Add(-suspensionGap)) {
		last := &s.list[n-1]
		last.From, last.Until = minTime(last.From, r.Start), maxTime(last.Until, end)
		return
	}
	s.list = append(s.list, Suspension{From: r.Start, Until: end})
	if len(s.list) > maxSuspensions {
		s.list = s.list[len(s.list)-maxSuspensions:]
	}
}

// since returns the suspensions that ended at or after t, oldest first.
func (s *suspensions) since(t time.Time) []Suspension {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Suspension
	for _, sp := range s.list {
		if !sp.Until.Before(t) {
			out = append(out, sp)
		}
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
