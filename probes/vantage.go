package probes

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Vantage tells whether Constat itself could reach the network when it
// measured a round, so that a round measured while it could not is kept as
// evidence but blamed on no portal (Judge flags it).
//
// With connectivity targets (reference sites outside the monitored
// services), the vantage is offline when every target fails: Run probes
// them every interval, and a round that failed at the network level makes
// Judge probe them again at once, unless they were probed within the last
// few seconds. Without targets, the vantage is offline when the latest
// round of every component failed at the network level (DNS or connect)
// within one interval; it is online again at the first round that reached
// a server. The rounds that made the verdict without targets were measured
// before it and keep their status: with Confirm 2 or more, as is the
// default, they cannot move a state on their own.
//
// A Vantage is safe for concurrent use.
type Vantage struct {
	targets  []*url.URL
	interval time.Duration
	client   *http.Client
	comps    int
	window   time.Duration // rounds older than this say nothing of now (no targets)
	fresh    time.Duration // a probe of the targets answers for later rounds this long (targetFresh)
	log      *slog.Logger

	probing sync.Mutex // one probe of the targets at a time

	mu        sync.Mutex
	offline   bool
	checkedAt time.Time            // last probe of the targets
	netDown   map[string]time.Time // no targets: component → Start of its latest round, if it failed at the network level
}

// targetFresh is how long a probe of the targets answers for later rounds.
const targetFresh = 5 * time.Second

// NewVantage returns the vantage of cs over comps (for the rule without
// targets). Targets are probed with opts' resolver and user agent, each
// with a timeout of min(interval, 10 s); any HTTP answer counts as reached.
func NewVantage(cs ConnectivitySettings, comps []*Component, opts Options, log *slog.Logger) *Vantage {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	interval := cs.Interval
	if interval <= 0 {
		interval = DefaultConnectivityInterval
	}
	var window time.Duration
	for _, c := range comps {
		window = max(window, c.Interval)
	}
	tr := &http.Transport{DialContext: (&net.Dialer{Resolver: opts.Resolver}).DialContext, DisableKeepAlives: true,
		Proxy: http.ProxyFromEnvironment}
	return &Vantage{targets: cs.Targets, interval: interval, comps: len(comps), window: window + window/2, fresh: targetFresh, log: log,
		client:  &http.Client{Transport: tr, Timeout: min(interval, 10*time.Second)},
		netDown: map[string]time.Time{}}
}

// Run probes the targets every interval until ctx is done; without
// targets it returns at once.
func (v *Vantage) Run(ctx context.Context) {
	if len(v.targets) == 0 {
		return
	}
	tick := time.NewTicker(v.interval)
	defer tick.Stop()
	for {
		v.probe(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Offline reports whether the vantage is offline now.
func (v *Vantage) Offline() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.offline
}

// Judge returns r, flagged (Status StatusUnknown, steps kept) when it was
// measured while the vantage was offline; see Result.Offline.
func (v *Vantage) Judge(ctx context.Context, r Result) Result {
	if !r.Measured() {
		return r // Constat's own fault already
	}
	if len(v.targets) > 0 {
		down := networkFailure(&r, false)
		if down && v.probeUnlessFresh(ctx) {
			r.Status = StatusUnknown
		}
		return r
	}
	down := networkFailure(&r, true)
	v.mu.Lock()
	defer v.mu.Unlock()
	if !down {
		delete(v.netDown, r.Component)
		v.set(false, r.Start)
		return r
	}
	v.netDown[r.Component] = r.Start
	if !v.offline && v.everyComponentDown(r.Start) {
		v.set(true, r.Start)
	}
	if v.offline {
		r.Status = StatusUnknown
	}
	return r
}

// everyComponentDown: the latest round of every component failed at the
// network level, none of them longer than window before now.
func (v *Vantage) everyComponentDown(now time.Time) bool {
	if v.comps == 0 || len(v.netDown) < v.comps {
		return false
	}
	for _, at := range v.netDown {
		if now.Sub(at) > v.window {
			return false
		}
	}
	return true
}

// probeUnlessFresh probes the targets unless they were probed within
// targetFresh, and reports whether the vantage is offline.
func (v *Vantage) probeUnlessFresh(ctx context.Context) bool {
	v.probing.Lock()
	defer v.probing.Unlock()
	v.mu.Lock()
	fresh := time.Since(v.checkedAt) < v.fresh
	offline := v.offline
	v.mu.Unlock()
	if fresh {
		return offline
	}
	return v.probeLocked(ctx)
}

func (v *Vantage) probe(ctx context.Context) bool {
	v.probing.Lock()
	defer v.probing.Unlock()
	return v.probeLocked(ctx)
}

// probeLocked GETs every target at once; the vantage is online if any
// answered. The caller holds v.probing.
func (v *Vantage) probeLocked(ctx context.Context) bool {
	start := time.Now()
	reached := make(chan bool, len(v.targets))
	for _, u := range v.targets {
		go func() { reached <- v.reach(ctx, u) }()
	}
	online := false
	for range v.targets {
		online = <-reached || online
	}
	if ctx.Err() != nil {
		return v.Offline() // cut short by shutdown: says nothing
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.checkedAt = time.Now()
	v.set(!online, start)
	return v.offline
}

func (v *Vantage) reach(ctx context.Context, u *url.URL) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", DefaultUserAgent)
	resp, err := v.client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return true
}

// set records the verdict at, logging a change. The caller holds v.mu.
func (v *Vantage) set(offline bool, at time.Time) {
	if offline == v.offline {
		return
	}
	v.offline = offline
	if offline {
		v.log.Warn("vantage offline: rounds are kept but blamed on no portal", "since", at)
	} else {
		v.log.Info("vantage online again", "at", at)
	}
}

// networkFailure reports whether r's failing step failed before any server
// answered: name resolution or connection, or with connectOnly false also
// a reset or a TLS timeout, which a network going down mid-round gives.
func networkFailure(r *Result, connectOnly bool) bool {
	st := r.Failed()
	if st == nil || st.StatusCode != 0 {
		return false
	}
	switch st.Outcome {
	case DNSError, ConnectRefused, ConnectTimeout:
		return true
	case ConnectionReset:
		return !connectOnly
	case Timeout:
		return st.Detail == PhaseDNS || st.Detail == PhaseConnect || !connectOnly && st.Detail == PhaseTLS
	}
	return false
}
