package ui

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
	"github.com/labstack/echo/v4"
)

// Past a few hundred services (a deployment watching every school's
// vie-scolaire, 10,000 of them), a page with one row per service no longer
// fits a phone: 10 MB of HTML, 350 KB compressed, half a second to render.
// The home page then summarises: the banner, the search, the open
// incidents and, per region (a group of the configuration), one line
// ("Île-de-France : 412 services, 3 en panne", the failing ones named when
// few) linking to the region's page, /region/{id}, which has the home
// page's rows. A region of thousands has several pages (/region/{id}/2…),
// so that each page stays within a phone's budget too.

// scaleLimits are the sizes past which the pages summarise or split.
type scaleLimits struct {
	// summaryAbove is how many services the home page lists row by row;
	// above it, the home page summarises by region.
	summaryAbove int
	// regionRows is the most services one region page lists.
	regionRows int
	// searchRows is the most services a search shows above summaryAbove;
	// the page says how many matched in all and asks for more words.
	searchRows int
}

// defaultScale: the real configuration has 37 services and the demo 13,
// which keep the page with every row; 500 rows of a region page are about
// 20 KB compressed and 35 ms of CPU to render on this machine. Tests use
// smaller limits.
var defaultScale = scaleLimits{summaryAbove: 300, regionRows: 500, searchRows: 50}

// maxNamed is how many failing services a region's summary line names;
// past it, the line gives their number only.
const maxNamed = 5

// summarised reports whether the home page summarises by region.
func (s *Server) summarised() bool { return len(s.cfg.Components) > s.scale.summaryAbove }

// regionLine is a region as the summarised home page lists it.
type regionLine struct {
	Name, Href string
	Status     string // the worst state in the region, Statuspage's enum name
	Text       string // "412 services, 3 en panne", in the page's language
	Total      int    // how many services the region has
	Failing    []namedLink
}

// namedLink is a service named in a summary line, with its state.
type namedLink struct {
	Name, Href, Status string
}

// regionTally counts a region's services by the state its rows show.
type regionTally struct {
	total, down, degraded, maintenance, unmeasured int
	// pending counts the services still working by their confirmed state
	// whose latest round failed: the line must not say "tous fonctionnent"
	// over a failure measured and awaiting confirmation.
	pending int
	worst   probes.Status // of the measured services; StatusUnknown while none is
	failing []*rowView    // not operational, in config order
}

func (t *regionTally) add(r *rowView) {
	t.total++
	var st probes.Status
	if !r.Measured && r.Declared == "" || st.UnmarshalText([]byte(r.Status)) != nil || !st.Valid() {
		t.unmeasured++
		return
	}
	if t.worst == probes.StatusUnknown {
		t.worst = probes.Operational
	}
	switch st {
	case probes.Operational:
		var latest probes.Status
		if r.Pending != "" && latest.UnmarshalText([]byte(r.Pending)) == nil &&
			(latest == probes.MajorOutage || latest == probes.PartialOutage) {
			t.pending++
		}
		return
	case probes.MajorOutage, probes.PartialOutage:
		t.down++
	case probes.DegradedPerformance:
		t.degraded++
	case probes.UnderMaintenance:
		t.maintenance++
	}
	if sev(st) > sev(t.worst) {
		t.worst = st
	}
	t.failing = append(t.failing, r)
}

// text says t in words in l: "412 services, 3 en panne, 2 ralentis".
func (t *regionTally) text(l lang) string {
	parts := []string{l.tf("region.total", l.count(t.total))}
	if t.total == 1 {
		parts[0] = l.t("region.total.one")
	}
	for _, c := range []struct {
		n       int
		id, one string // one: the text for 1, where French agrees in number
	}{{t.down, "region.down", ""}, {t.degraded, "region.degraded", "region.degraded.one"}, {t.maintenance, "region.maintenance", ""},
		{t.pending, "region.pending", ""}, {t.unmeasured, "region.unmeasured", "region.unmeasured.one"}} {
		switch {
		case c.n == 1 && c.one != "":
			parts = append(parts, l.t(c.one))
		case c.n > 0:
			parts = append(parts, l.tf(c.id, l.count(c.n)))
		}
	}
	if len(parts) == 1 {
		parts = append(parts, l.t("region.ok"))
	}
	return strings.Join(parts, l.t("region.sep"))
}

// line is the region g's summary line in l.
func (t *regionTally) line(l lang, g *groupView, links bool) regionLine {
	rl := regionLine{Name: g.Name, Href: l.href("/region/", g.ID), Status: t.worst.String(), Text: t.text(l), Total: t.total}
	if len(t.failing) <= maxNamed {
		for _, r := range t.failing {
			nl := namedLink{Name: r.Name, Status: r.Status}
			if links {
				nl.Href = l.href("/components/", r.ID)
			}
			rl.Failing = append(rl.Failing, nl)
		}
	}
	return rl
}

// summarise replaces v's rows by one line per region; v's rows carry
// their states (applyStates) and the banner is set.
func (v *statusView) summarise(l lang) {
	for gi := range v.Groups {
		g := &v.Groups[gi]
		var t regionTally
		for ri := range g.Rows {
			t.add(&g.Rows[ri])
		}
		v.Regions = append(v.Regions, t.line(l, g, v.Links))
	}
	v.Groups = nil
}

// lightView is buildStatusView with only what the banner and the summary
// lines read of each row: its name, status and whether it was measured.
// Words and times are left out: on 10,000 rows they were most of the cost.
func lightView(groups []*probes.Group, latest map[string]timeline.Measurement) statusView {
	var v statusView
	v.Groups = make([]groupView, 0, len(groups))
	for _, g := range groups {
		gv := groupView{ID: g.ID, Name: g.Name, Rows: make([]rowView, len(g.Components))}
		for i, c := range g.Components {
			row := &gv.Rows[i]
			row.ID, row.Name, row.Status = c.ID, c.Name, probes.StatusUnknown.String()
			if m, ok := latest[c.ID]; ok {
				row.Measured, row.Status = true, m.Result.Status.String()
			}
		}
		v.Groups = append(v.Groups, gv)
	}
	return v
}

// regionPage is one page of a region: its summary line and its rows, in
// the home page's layout.
type regionView struct {
	Path   string // the French path, for the language switch
	Name   string
	Line   regionLine
	Group  groupView // this page's rows
	Links  bool
	Alerts bool
	Page   int // 1-based
	Pages  []pageLink
	First  int // the first row's number in the region, 1-based
	Last   int
}

// pageLink is a link to one page of a region.
type pageLink struct {
	N       int
	Href    string
	Current bool
}

// regionPages caches the region pages, one pageCache per language, region
// and page number, created on first request. Their render costs add up in
// cost: a page is kept renderShare times as long as rendering every region
// page once takes, so that all of them together take at most a tenth of a
// core however many are asked for.
type regionPages struct {
	mu     sync.Mutex
	pages  map[regionKey]*pageCache
	minAge time.Duration // minRender; tests lower it
	cost   atomic.Int64  // nanoseconds: the last render of each page, summed
}

type regionKey struct {
	l    lang
	id   string
	page int
}

// cache returns the pageCache of k.
func (rp *regionPages) cache(k regionKey) *pageCache {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.pages == nil {
		rp.pages = map[regionKey]*pageCache{}
	}
	pc := rp.pages[k]
	if pc == nil {
		pc = &pageCache{minAge: rp.minAge, shared: &rp.cost}
		rp.pages[k] = pc
	}
	pc.minAge = rp.minAge
	return pc
}

// clear drops every cached region page.
func (rp *regionPages) clear() {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	clear(rp.pages)
	rp.cost.Store(0)
}

// region serves /region/{id} and /region/{id}/{n}.
func (s *Server) region(l lang) echo.HandlerFunc {
	return func(c echo.Context) error {
		gi, page, err := s.parseRegion(c.Param("id"), c.Param("n"))
		if err != nil {
			return err
		}
		p, err := s.regionPage(l, gi, page)
		if err != nil {
			return err
		}
		return serveRendered(c, *p, echo.MIMETextHTMLCharsetUTF8, "public, max-age=10")
	}
}

// parseRegion finds the group id and checks the page number n ("" for the
// first); an unknown region or page is ErrNotFound's 404.
func (s *Server) parseRegion(id, n string) (group, page int, err error) {
	group = -1
	for i, g := range s.cfg.Groups {
		if g.ID == id {
			group = i
		}
	}
	page = 1
	if n != "" {
		p, perr := strconv.Atoi(n)
		if perr != nil || p < 2 || strconv.Itoa(p) != n { // page 1 is /region/{id}: one URL per page
			return 0, 0, echo.ErrNotFound
		}
		page = p
	}
	if group < 0 || page > s.regionPageCount(len(s.cfg.Groups[group].Components)) {
		return 0, 0, echo.ErrNotFound
	}
	return group, page, nil
}

// regionPageCount is how many pages a region of rows services has.
func (s *Server) regionPageCount(rows int) int {
	return max(1, (rows+s.scale.regionRows-1)/s.scale.regionRows)
}

// regionHref is the path of page n of region id in l.
func regionHref(l lang, id string, n int) string {
	if n == 1 {
		return l.href("/region/", id)
	}
	return l.href("/region/", id, "/", n)
}

// regionPage returns page n of group gi in l, rendered once per change.
func (s *Server) regionPage(l lang, gi, n int) (*renderedPage, error) {
	g := s.cfg.Groups[gi]
	gen := s.Generation() + uint64(time.Now().Unix()/60)
	return s.regions.cache(regionKey{l, g.ID, n}).get(gen, func() (*renderedPage, error) {
		v, err := s.regionView(l, gi, n)
		if err != nil {
			return nil, err
		}
		body, err := s.render(l, "region.html", v)
		if err != nil {
			return nil, err
		}
		p := newRendered(gen, body, l.etag(fmt.Sprintf("r%d-%d-%s", gi, n, strconv.FormatUint(gen, 36))))
		return &p, nil
	})
}

// regionView builds page n of group gi: the region's summary line counts
// every service of the region, the rows are the page's.
func (s *Server) regionView(l lang, gi, n int) (regionView, error) {
	g := s.cfg.Groups[gi]
	latest, _ := s.pipe.Latest()
	now := s.now()
	items := s.pub.incidentItems(l, s.names())
	declared := declaredStatus(items)

	all := lightView([]*probes.Group{g}, latest)
	all.Links = true
	s.applyStates(l, &all, now, declared)
	var t regionTally
	for ri := range all.Groups[0].Rows {
		t.add(&all.Groups[0].Rows[ri])
	}

	from, to := (n-1)*s.scale.regionRows, min(n*s.scale.regionRows, len(g.Components))
	v := buildGroupsView(l, []*probes.Group{{ID: g.ID, Name: g.Name, Components: g.Components[from:to]}}, latest)
	v.Links, v.Groups[0].Links = true, true
	s.applyStates(l, &v, now, declared)
	if err := s.addBars(l, &v, now); err != nil {
		return regionView{}, err
	}
	rv := regionView{Path: regionHref(french, g.ID, n), Name: g.Name, Line: t.line(l, &all.Groups[0], true), Group: v.Groups[0],
		Links: true, Alerts: s.push != nil, Page: n, First: from + 1, Last: to}
	if pages := s.regionPageCount(len(g.Components)); pages > 1 {
		for i := 1; i <= pages; i++ {
			rv.Pages = append(rv.Pages, pageLink{N: i, Href: regionHref(l, g.ID, i), Current: i == n})
		}
	}
	return rv, nil
}

// addBars draws each row's 90-day bar from the daily rollups.
func (s *Server) addBars(l lang, v *statusView, now time.Time) error {
	today := timeline.DateOf(now)
	var rollups []timeline.DayRollup
	for gi := range v.Groups {
		for ri := range v.Groups[gi].Rows {
			row := &v.Groups[gi].Rows[ri]
			var err error // one buffer for every component: the bar keeps nothing of it
			if rollups, err = s.tl.AppendRollups(rollups[:0], row.ID, today.AddDays(1-barDays), today); err != nil {
				return fmt.Errorf("rollups of %s: %w", row.ID, err)
			}
			row.Bars, row.Uptime = s.bars.historyBar(l, rollups, today)
		}
	}
	return nil
}

// regionPaths are the French paths of every region page when the home
// page links to them (past summaryAbove services), for Export; none below.
func (s *Server) regionPaths() []string {
	if !s.summarised() {
		return nil
	}
	var out []string
	for _, g := range s.cfg.Groups {
		for n := 1; n <= s.regionPageCount(len(g.Components)); n++ {
			out = append(out, regionHref(french, g.ID, n))
		}
	}
	return out
}
