package incidents

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// recorder appends each result to the timeline and, once committed, makes
// it the component's latest result. It is safe for concurrent use.
type recorder struct {
	tl *timeline.Timeline

	mu     sync.RWMutex
	latest map[string]timeline.Measurement
	gen    atomic.Uint64 // bumped on every change, for cache validation
}

// newRecorder returns a recorder writing to tl, with the latest result of
// every component already in tl loaded, so that a restart shows at once what
// was last measured.
func newRecorder(tl *timeline.Timeline) (*recorder, error) {
	r := &recorder{tl: tl, latest: make(map[string]timeline.Measurement)}
	for _, id := range tl.Components() {
		m, ok, err := tl.Last(id)
		if err != nil {
			return nil, fmt.Errorf("load last measurement of %s: %w", id, err)
		}
		if ok {
			r.latest[id] = m
		}
	}
	return r, nil
}

// record appends res to the timeline and returns its sequence number once
// committed. The latest result moves only forward in time: a result older
// than the one shown is recorded but does not replace it. res.Start is
// kept to the millisecond, as the timeline stores it.
func (r *recorder) record(ctx context.Context, res probes.Result) (uint64, error) {
	res.Start = storedTime(res.Start)
	seq, err := r.tl.Append(ctx, res)
	if err != nil {
		return 0, fmt.Errorf("record result of %s: %w", res.Component, err)
	}
	r.mu.Lock()
	if cur, ok := r.latest[res.Component]; !ok || !res.Start.Before(cur.Start) {
		r.latest[res.Component] = timeline.Measurement{Seq: seq, Result: res}
		r.gen.Add(1)
	}
	r.mu.Unlock()
	return seq, nil
}

// latestAll is Pipeline.Latest.
func (r *recorder) latestAll() (map[string]timeline.Measurement, uint64) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make(map[string]timeline.Measurement, len(r.latest))
	for k, v := range r.latest {
		out[k] = v
	}
	return out, r.gen.Load()
}

// latestOf returns the latest committed result of component id.
func (r *recorder) latestOf(id string) (timeline.Measurement, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, ok := r.latest[id]
	return m, ok
}

// generation changes whenever the latest results change.
func (r *recorder) generation() uint64 { return r.gen.Load() }
