// Package ui serves what people read and what admins write: the status
// page and the pages below it, the Statuspage v2 JSON API, feeds, badges,
// the raw measurements API, /metrics, and the admin pages and API. Every
// route, with its middleware, is listed in one function (routes.go), and
// errors become statuses in one place (errors.go).
//
// Pages render from the in-memory snapshots of incidents.Pipeline and are
// cached; what no snapshot holds (a day's rounds, the bars' rollups, the raw
// measurements) is read through the small timelineReader interface, and a
// past day's page, which can no longer change, is cached once rendered.
// Public pages are in French at the root and in English under /en (see
// lang); the admin pages and every machine-read document are French only.
package ui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
	"github.com/constat-ent/constat/probes"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

//go:embed templates/*.html
var templateFS embed.FS

// Server is the HTTP face of Constat. Build it with New; it is safe for
// concurrent use.
type Server struct {
	e          *echo.Echo
	cfg        *probes.Config
	pipe       *incidents.Pipeline // the snapshots: states, latest results, incidents, admin records
	tl         timelineReader      // what no snapshot holds; pipe in production
	now        func() time.Time
	trustProxy bool
	tmpl       *template.Template           // French: the admin pages
	pages      [numLangs]*template.Template // the public pages, a set per language
	log        *slog.Logger

	base      string              // the configured public URL (scheme and host) or ""; links handed to other sites are base + path
	homePages [numLangs]pageCache // the status page, a cache per language
	bars      barCache            // the 90-day bars of the home page

	pub  *publicAPI   // the Statuspage documents, feeds, badges and the pages below the home page
	adm  *admin       // the admin pages and API
	push *pushAPI     // the push subscription API; nil when push is not enabled
	days dayCache     // the past days' pages
	ev   *evidenceAPI // the transparency log; nil without Options.Evidence

	method [numLangs]keyedRender // the methodology page, a render per language and state of the witnesses

	// Past scale.summaryAbove services the home page summarises by region
	// (tests lower the limits); regions caches the region pages; hay is
	// each service's folded search text, in cfg.Components order; banners
	// is the banner of the last home page rendered, per language.
	scale   scaleLimits
	regions regionPages
	hay     []string
	banners [numLangs]atomic.Pointer[bannerView]
}

// pageCache holds a rendered page. Requests read it without locking; when
// the data changed, the one request that gets mu renders it again while
// the others are served the previous version, and a page is rendered at
// most once per minRender however often results arrive: with 1,000 checks
// at 30 s, 33 changes a second would otherwise mean 33 renders and
// compressions a second, in the middle of the rush. A page that costs
// more than a tenth of minRender to render (a config of a thousand
// components) is rendered less often still, so that rendering never takes
// more than a tenth of one core from the requests.
type pageCache struct {
	cur    atomic.Pointer[renderedPage]
	mu     sync.Mutex    // held by the request rendering
	minAge time.Duration // minRender; tests lower it (0: render on every change)
	cost   atomic.Int64  // nanoseconds the last render took
	// shared, when set, sums the last render costs of a set of pages (the
	// region pages): the set is kept renderShare times as long as
	// rendering all of it takes, so that the set, not each page, takes at
	// most a tenth of a core.
	shared *atomic.Int64
}

// minRender is the shortest time between two renders of one page.
const minRender = time.Second

// renderShare is the most of one core rendering a page may take: a page is
// kept at least renderShare times as long as its last render took.
const renderShare = 10

// get returns the cached page, rendering it first when it is missing, or
// stale and older than its minimum age and no other request is rendering it.
func (pc *pageCache) get(gen uint64, render func() (*renderedPage, error)) (*renderedPage, error) {
	p := pc.cur.Load()
	if p != nil && (p.gen == gen || time.Since(p.at) < pc.maxAge()) {
		return p, nil
	}
	if p != nil {
		if !pc.mu.TryLock() {
			return p, nil
		}
	} else {
		pc.mu.Lock()
	}
	defer pc.mu.Unlock()
	if q := pc.cur.Load(); q != nil && q != p {
		return q, nil // rendered while this request waited for mu
	}
	start := time.Now()
	q, err := render()
	if err != nil {
		return nil, err
	}
	cost := int64(time.Since(start))
	if old := pc.cost.Swap(cost); pc.shared != nil {
		pc.shared.Add(cost - old)
	}
	pc.cur.Store(q)
	return q, nil
}

// maxAge is how long a stale page is served before it is rendered again.
func (pc *pageCache) maxAge() time.Duration {
	if pc.minAge == 0 {
		return 0
	}
	cost := pc.cost.Load()
	if pc.shared != nil {
		cost = pc.shared.Load()
	}
	return max(pc.minAge, renderShare*time.Duration(cost))
}

// timelineReader is what ui reads of the timeline file itself, beyond the
// pipeline's in-memory snapshots. *incidents.Pipeline implements it.
//
// Range calls fn with each measurement of component that started in
// [from, to), in start order, and returns fn's first error; AppendRollups
// appends the daily rollups of component from day first through day last
// (days without rounds absent). Both read committed data only, are safe for
// concurrent use and cost one cursor range over the file: a handler that
// calls them caches what it renders (the home page's bars per change, a
// component page for a minute, a past day's page for good) or is the raw
// data API, bounded by its limit.
type timelineReader interface {
	Range(component string, from, to time.Time, fn func(timeline.Measurement) error) error
	AppendRollups(dst []timeline.DayRollup, component string, first, last timeline.Date) ([]timeline.DayRollup, error)
}

// Options are what New needs beside the configuration and the pipeline.
type Options struct {
	Site     Site                 // the file's site section
	Accounts *accounts.Store      // the admin accounts; required
	Registry *prometheus.Registry // the probe metrics are registered on it and served at /metrics; required
	// TrustProxy makes the server believe X-Forwarded-Proto (for HSTS and
	// the cookies' Secure flag) and X-Forwarded-For (for the login
	// limiter's address). Set it only behind a reverse proxy that sets both.
	TrustProxy bool
	// Push, when set, is the alert sender whose subscription API the
	// server answers (/api/v1/push/…); nil: no push routes.
	Push *push.Push
	Log  *slog.Logger     // nil discards
	Now  func() time.Time // the clock of pages and documents; nil: time.Now
	// Evidence is the transparency log served under /evidence/ (C2SP
	// tlog-tiles and JSON proofs); nil serves none.
	Evidence *evidence.Log
	// Witnessed, with Evidence, adds the witnesses' cosignatures to
	// /evidence/checkpoint, what they vouch for to /methode and by when a
	// measurement was recorded to the incident page; nil: no witnesses.
	Witnessed *evidence.Witnessed
}

// New builds the server over p, registers the probe metrics and every
// route. Templates are parsed here: a broken template fails startup, not a
// request.
func New(cfg *probes.Config, p *incidents.Pipeline, o Options) (*Server, error) {
	if o.Accounts == nil || o.Registry == nil {
		return nil, errors.New("ui: Options.Accounts and Options.Registry are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var base string
	if u := o.Site.PublicURL; u != nil {
		base = u.String()
	}
	sets, err := parseTemplates(base)
	if err != nil {
		return nil, err
	}
	if err := o.Registry.Register(newProbeCollector(cfg, p)); err != nil {
		return nil, fmt.Errorf("register probe metrics: %w", err)
	}
	s := &Server{cfg: cfg, pipe: p, tl: p, now: o.Now, trustProxy: o.TrustProxy, tmpl: sets[french], pages: sets, log: o.Log, base: base}
	for l := range numLangs {
		s.homePages[l].minAge = minRender
	}
	s.scale, s.regions.minAge, s.hay = defaultScale, minRender, searchTexts(cfg)
	s.pub = &publicAPI{s: s}
	s.adm = &admin{s: s, acc: o.Accounts, log: o.Log}
	if o.Push != nil {
		s.push = newPushAPI(s, o.Push)
	}
	if o.Evidence != nil {
		s.ev = &evidenceAPI{s: s, ev: o.Evidence, tl: o.Evidence.Timeline(), busy: make(chan struct{}, 1), wit: o.Witnessed}
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	s.routes(e, o.Registry)
	s.e = e
	return s, nil
}

// Handler returns the HTTP handler of every route.
func (s *Server) Handler() http.Handler { return s.e }

// healthz answers "ok", or 503 naming the cause while the timeline's
// commits fail (a full disk): the probes still run, but nothing they
// measure is recorded.
func (s *Server) healthz(c echo.Context) error {
	if err := s.pipe.StorageHealth(); err != nil {
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.String(http.StatusServiceUnavailable, "timeline: "+err.Error()+"\n")
	}
	return c.String(http.StatusOK, "ok\n")
}

func redirectTo(path string) echo.HandlerFunc {
	return func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, path) }
}

// render executes the public template name in l.
func (s *Server) render(l lang, name string, v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := s.pages[l].ExecuteTemplate(&buf, name, v); err != nil {
		return nil, fmt.Errorf("render %s in %s: %w", name, l, err)
	}
	return buf.Bytes(), nil
}

// servePage answers with a page rendered for this request (the day and
// incident pages, which are not cached, so have no ETag).
func servePage(c echo.Context, body []byte, cacheControl string) error {
	c.Response().Header().Set("Cache-Control", cacheControl)
	return writeOK(c, echo.MIMETextHTMLCharsetUTF8, body)
}

// home serves the status page in l, rendered once per change of the
// recorder's state and then served from memory with an ETag.
func (s *Server) home(l lang) echo.HandlerFunc {
	return func(c echo.Context) error { return s.homeStatus(c, l) }
}

func (s *Server) page(l lang) (*renderedPage, error) {
	// Everything the page shows (Generation), and the minute: maintenance
	// windows start and end with time alone.
	gen := s.Generation() + uint64(time.Now().Unix()/60)
	return s.homePages[l].get(gen, func() (*renderedPage, error) {
		latest, _ := s.pipe.Latest()
		var v statusView
		var err error
		if s.summarised() {
			v = lightView(s.cfg.Groups, latest)
			err = s.enrichSummary(l, &v)
		} else {
			v = buildStatusView(l, s.cfg, latest)
			err = s.enrich(l, &v)
		}
		if err != nil {
			return nil, err
		}
		v.Alerts = s.push != nil
		body, err := s.render(l, "status.html", v)
		if err != nil {
			return nil, err
		}
		s.banners[l].Store(&bannerView{Indicator: v.Indicator, Overall: v.Overall, Count: v.Count})
		p := newRendered(gen, body, l.etag(strconv.FormatUint(gen, 36)))
		return &p, nil
	})
}

// bannerView is the overall state as the home page last showed it, which
// a search above summaryAbove repeats rather than counting 10,000 states.
type bannerView struct {
	Indicator, Overall, Count string
}

// enrich adds to the page what the engine and the rollups know: the
// confirmed states, the overall banner, the open incidents and the 90-day
// bars.
func (s *Server) enrich(l lang, v *statusView) error { return s.enrichFiltered(l, v, "") }

// enrichFiltered is enrich, keeping only the services that match q ("":
// all of them); the banner speaks of every service.
func (s *Server) enrichFiltered(l lang, v *statusView, q string) error {
	now := s.now()
	names := s.names()
	items := s.pub.incidentItems(l, names)
	s.applyStates(l, v, now, declaredStatus(items))
	v.setBanner(l)
	if q != "" {
		v.filterRows(q)
	}
	if err := s.addBars(l, v, now); err != nil {
		return err
	}
	s.addNotices(l, v, names, items)
	return nil
}

// enrichSummary makes of v, a lightView of every service, the summarised
// home page: the banner, a line per region, the open incidents.
func (s *Server) enrichSummary(l lang, v *statusView) error {
	names := s.names()
	items := s.pub.incidentItems(l, names)
	s.applyStates(l, v, s.now(), declaredStatus(items))
	v.setBanner(l)
	v.Links = true
	v.summarise(l)
	s.addNotices(l, v, names, items)
	return nil
}

// addNotices adds what the home page says beside the services: the
// suspensions of the last day, the maintenance windows and the open
// incidents.
func (s *Server) addNotices(l lang, v *statusView, names map[string]string, items []incidentItem) {
	v.Links = true
	for gi := range v.Groups {
		v.Groups[gi].Links = true
	}
	for _, sp := range s.pipe.Suspensions(s.now().Add(-24 * time.Hour)) {
		v.Suspended = append(v.Suspended, suspendedView{Day: l.jour(sp.From), Text: l.tf("home.suspended", l.hm(sp.From), l.hm(sp.Until))})
	}
	v.Maints = s.maintLinks(l, names)
	for _, it := range items {
		if it.Open {
			v.Incidents = append(v.Incidents, it.link(l))
		}
	}
}

// maintLinks lists the maintenance windows in progress, then those
// upcoming; completed ones are left out.
func (s *Server) maintLinks(l lang, names map[string]string) []maintLink {
	var out []maintLink
	for _, m := range s.pub.maintenanceDocs(names, s.now()) {
		if m.Status == "completed" {
			continue
		}
		var comps []string
		for _, c := range m.Components {
			comps = append(comps, cmpName(c.ID, names))
		}
		ml := maintLink{Href: l.href("/maintenances/", m.ID), Title: m.Name, Status: m.Status, From: l.heure(*m.ScheduledFor), Until: l.heure(*m.ScheduledUntil), Components: strings.Join(comps, ", ")}
		if m.Status == "in_progress" {
			out = append([]maintLink{ml}, out...)
		} else {
			out = append(out, ml)
		}
	}
	return out
}

func (s *Server) names() map[string]string {
	names := make(map[string]string, len(s.cfg.Components))
	for _, c := range s.cfg.Components {
		names[c.ID] = c.Name
	}
	return names
}
