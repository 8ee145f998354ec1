package push

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Options.
const (
	DefaultWorkers = 256
	DefaultPoll    = 2 * time.Second
)

// Options configure New. Store, Timeline, Config, Keys and Words are
// required.
type Options struct {
	Store    *Store
	Timeline *timeline.Timeline
	// History tells which components an incident involved (admin updates)
	// and when a component's outage began (the "back" message). Nil: updates
	// reach only the components they name, and ends say no duration.
	History *incidents.History
	Config  *probes.Config // components and groups
	// Settings is the file's push section, Webhooks its webhooks section.
	Settings Config
	Webhooks []Webhook
	// PublicURL is the site's public URL (scheme and host), for the links
	// in notifications and webhooks; "" leaves them relative.
	PublicURL string
	Keys      Keys
	Words     Words
	// TLS is the client TLS configuration for push services (from
	// push.tls_config); nil means the system roots. Webhooks use their own.
	TLS *tls.Config
	// Guard options: tests give a loopback DNS server and a dialer that
	// refuses anything but loopback.
	Guard    GuardOptions
	Registry prometheus.Registerer // nil: metrics not registered
	Log      *slog.Logger
	// Workers bounds the deliveries of one lane (push service or webhook)
	// in flight or answered and not yet committed; 0: DefaultWorkers. A
	// crash sends at most that many again per lane.
	Workers int
	// Poll is how often the outbox looks for new records without Wake;
	// 0: DefaultPoll.
	Poll time.Duration
	Now  func() time.Time // nil: time.Now
}

// Push sends Constat's alerts: it follows the timeline, puts one delivery
// per matching subscription or webhook into a durable outbox, and sends
// them (see the package documentation). Its methods are safe for
// concurrent use; Run must be called once.
type Push struct {
	store   *Store
	tl      *timeline.Timeline
	history *incidents.History
	guard   *Guard
	words   Words
	keys    Keys
	subject string
	tls     *tls.Config
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics

	publicURL     string
	names         map[string]string   // component ID → name
	groups        map[string][]string // group ID → component IDs
	order         []string            // component IDs in config order
	maxSubs       int
	startInterval time.Duration
	webhooks      []*webhook
	workers       int
	poll          time.Duration

	wake chan struct{}

	mu    sync.Mutex
	lanes map[string]*lane
}

// New builds the alert sender. It sets the outbox's cursor to the end of
// the timeline when the store is new, so that a first start sends nothing
// about the past, and deletes what the store keeps of webhooks no longer
// configured (what they were told, their pending deliveries).
func New(o Options) (*Push, error) {
	if o.Store == nil || o.Timeline == nil || o.Config == nil || o.Words == nil {
		return nil, errors.New("push: Store, Timeline, Config and Words are required")
	}
	if err := o.Keys.check(); err != nil {
		return nil, fmt.Errorf("push: vapid keys: %w", err)
	}
	set := o.Settings
	g, err := NewGuard(set.AllowedServices, o.Guard)
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	p := &Push{store: o.Store, tl: o.Timeline, history: o.History, guard: g, words: o.Words, keys: o.Keys,
		subject: set.Subject, tls: o.TLS, log: o.Log, now: o.Now, maxSubs: set.MaxSubscriptions,
		startInterval: set.StartInterval, workers: o.Workers, poll: o.Poll,
		names: map[string]string{}, groups: map[string][]string{}, wake: make(chan struct{}, 1), lanes: map[string]*lane{}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.workers <= 0 {
		p.workers = DefaultWorkers
	}
	if p.poll <= 0 {
		p.poll = DefaultPoll
	}
	if p.startInterval <= 0 {
		p.startInterval = DefaultStartInterval
	}
	p.publicURL = strings.TrimSuffix(o.PublicURL, "/")
	for _, c := range o.Config.Components {
		p.names[c.ID], p.order = c.Name, append(p.order, c.ID)
	}
	for _, gr := range o.Config.Groups {
		for _, c := range gr.Components {
			p.groups[gr.ID] = append(p.groups[gr.ID], c.ID)
		}
	}
	for _, w := range o.Webhooks {
		hw, err := newWebhook(w)
		if err != nil {
			return nil, fmt.Errorf("push: webhook %s: %w", w.URL, err)
		}
		p.webhooks = append(p.webhooks, hw)
	}
	p.metrics = newMetrics(p, o.Registry)
	if err := p.initCursor(); err != nil {
		return nil, err
	}
	if err := p.forgetWebhooks(); err != nil {
		return nil, err
	}
	return p, nil
}

// PublicKey returns the VAPID public key, base64url, uncompressed: what
// GET /api/v1/push/key publishes and browsers take as applicationServerKey.
func (p *Push) PublicKey() string { return p.keys.Public }

// Components returns the subscribable components (ID → name) and groups
// (ID → component IDs); callers must not modify them.
func (p *Push) Components() (names map[string]string, groups map[string][]string) {
	return p.names, p.groups
}

// Wake tells the outbox that records were appended to the timeline: it
// reads them at once rather than at its next poll. It never blocks.
func (p *Push) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run follows the timeline and sends pending deliveries until ctx is done;
// it returns only after every goroutine it started has returned. A delivery
// in flight when ctx ends stays in the outbox and is sent again at the next
// start.
func (p *Push) Run(ctx context.Context) {
	var wg sync.WaitGroup
	lanes, err := p.store.lanes()
	if err != nil {
		p.log.Error("push outbox unreadable", "err", err)
	}
	for _, l := range lanes {
		p.kick(ctx, &wg, l)
	}
	ticker := time.NewTicker(p.poll)
	defer ticker.Stop()
	for {
		touched, err := p.catchUp()
		if err != nil {
			p.log.Error("push outbox not filled", "err", err)
		}
		for l := range touched {
			p.kick(ctx, &wg, l)
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-p.wake:
		case <-ticker.C:
		}
	}
}

// kick starts the lane's sender if needed and tells it there is work.
func (p *Push) kick(ctx context.Context, wg *sync.WaitGroup, name string) {
	if p.subject == "" && !strings.HasPrefix(name, hookLanePrefix) {
		return // no VAPID subject: Web Push deliveries wait in the outbox (and expire)
	}
	p.mu.Lock()
	l := p.lanes[name]
	if l == nil {
		var err error
		if l, err = p.newLane(name); err != nil {
			p.mu.Unlock()
			p.log.Error("push lane not started", "lane", name, "err", err)
			return
		}
		p.lanes[name] = l
		wg.Go(func() { p.runLane(ctx, l) })
	}
	p.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// serviceOf names the allowed service entry an endpoint host falls under,
// the bounded label of per-service metrics.
func (g *Guard) serviceOf(host string) string {
	u := &url.URL{Host: host}
	h, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" || port == "443" {
		if g.exact[h] {
			return h
		}
		for _, s := range g.suffixes {
			if strings.HasSuffix(h, s) {
				return "*" + s
			}
		}
	}
	return host
}
