package ui

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
	"github.com/labstack/echo/v4"
)

// The home page is what a parent reads at 8:55 on a phone: the overall state
// as a banner, then the services, one compact row each, grouped as the
// configuration groups them, with an index of the groups and a search form
// (?q=) that filters server-side, without JavaScript. Prose, incidents and
// maintenance come after the services.

// maxQuery is the longest search the home page takes, in characters; a
// longer one is cut there (no ENT's name is that long).
const maxQuery = 64

// homeQuery is the ?q= of a request, made valid UTF-8, trimmed and cut to
// maxQuery characters; "" means the whole page.
func homeQuery(c echo.Context) string {
	q := strings.ToValidUTF8(c.QueryParam("q"), "")
	q = strings.Join(strings.Fields(q), " ")
	if utf8.RuneCountInString(q) > maxQuery {
		q = string([]rune(q)[:maxQuery])
	}
	return q
}

// filtered serves the home page filtered by q. It is rendered for this
// request from the current data and never enters the page cache, so a
// search cannot stand in for the whole page; it is not compressed either,
// since it holds only the services that match. Past scale.summaryAbove services
// it shows the first scale.searchRows matches and says how many there are.
func (s *Server) filtered(c echo.Context, l lang, q string) error {
	latest, _ := s.pipe.Latest()
	var v statusView
	if s.summarised() {
		var err error
		if v, err = s.search(l, q, latest); err != nil {
			return err
		}
	} else {
		v = buildStatusView(l, s.cfg, latest)
		v.Query = q
		if err := s.enrichFiltered(l, &v, q); err != nil {
			return err
		}
	}
	body, err := s.render(l, "status.html", v)
	if err != nil {
		return err
	}
	return servePage(c, body, "public, max-age=10")
}

// search is the page of the services matching q past scale.summaryAbove: their
// rows, at most scale.searchRows, with the banner of the cached home page
// (counting every service's state for each search would cost as much as
// the page). It reads the precomputed search texts: on 10,000 services,
// folding each name for every search was most of a search's cost.
func (s *Server) search(l lang, q string, latest map[string]timeline.Measurement) (statusView, error) {
	if _, err := s.page(l); err != nil { // the banner, as of the cached page
		return statusView{}, err
	}
	words := strings.Fields(fold(q))
	var groups []*probes.Group
	matches, shown, i := 0, 0, 0
	for _, g := range s.cfg.Groups {
		var mg *probes.Group
		for _, c := range g.Components {
			if containsAll(s.hay[i], words) {
				matches++
				if shown < s.scale.searchRows {
					if mg == nil {
						mg = &probes.Group{ID: g.ID, Name: g.Name}
						groups = append(groups, mg)
					}
					mg.Components = append(mg.Components, c)
					shown++
				}
			}
			i++
		}
	}
	v := buildGroupsView(l, groups, latest)
	v.Query, v.Matches = q, matches
	if matches > shown {
		v.More = l.tf("home.results.more", shown)
	}
	if b := s.banners[l].Load(); b != nil {
		v.Indicator, v.Overall, v.Count = b.Indicator, b.Overall, b.Count
	}
	now, names := s.now(), s.names()
	items := s.pub.incidentItems(l, names)
	s.applyStates(l, &v, now, declaredStatus(items))
	if err := s.addBars(l, &v, now); err != nil {
		return statusView{}, err
	}
	s.addNotices(l, &v, names, items)
	return v, nil
}

// searchTexts are the folded texts a search looks into, one per component
// of cfg, in cfg.Components order.
func searchTexts(cfg *probes.Config) []string {
	out := make([]string, 0, len(cfg.Components))
	for _, g := range cfg.Groups {
		for _, c := range g.Components {
			out = append(out, searchText(c.Name, c.Operator, c.ID, g.Name))
		}
	}
	return out
}

// searchText is what a search looks into for a service: its name,
// operator, ID and group name, folded.
func searchText(name, operator, id, group string) string {
	return fold(name + " " + operator + " " + id + " " + group)
}

// containsAll reports whether hay contains every word.
func containsAll(hay string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// fold is s as a search compares it: lower case, without the accents of
// French and without the apostrophes' variants, so that "monlycee" finds
// "monlycée.net" and "l'educ" finds "L'Educ de Normandie".
func fold(s string) string { return folder.Replace(strings.ToLower(s)) }

var folder = strings.NewReplacer(
	"à", "a", "â", "a", "ä", "a", "á", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "í", "i", "ô", "o", "ö", "o", "ó", "o", "ù", "u", "û", "u", "ü", "u", "ú", "u",
	"ÿ", "y", "œ", "oe", "æ", "ae", "’", "'", "‘", "'", "-", " ", "—", " ", "–", " ",
)

// matches reports whether every word of the folded query q is in the row's
// name, operator, ID or group name.
func (r *rowView) matches(group string, q []string) bool {
	return containsAll(searchText(r.Name, r.Operator, r.ID, group), q)
}

// filterRows keeps the rows matching q and the groups that still have one;
// it returns how many rows are left.
func (v *statusView) filterRows(q string) int {
	words := strings.Fields(fold(q))
	n := 0
	groups := v.Groups[:0]
	for _, g := range v.Groups {
		rows := g.Rows[:0]
		for _, r := range g.Rows {
			if r.matches(g.Name, words) {
				rows = append(rows, r)
			}
		}
		if len(rows) > 0 {
			g.Rows = rows
			groups = append(groups, g)
			n += len(rows)
		}
	}
	v.Groups, v.Matches = groups, n
	return n
}

// setBanner sets the overall state from the rows' (confirmed or declared)
// states: its indicator (Statuspage's), its sentence and how many services
// are not working normally, in l. Until every service has had its first
// round and while none fails, the sentence says measuring has begun.
func (v *statusView) setBanner(l lang) {
	worst, total, bad, unmeasured := probes.Operational, 0, 0, 0
	for _, g := range v.Groups {
		for _, r := range g.Rows {
			total++
			if !r.Measured {
				unmeasured++
			}
			var st probes.Status
			if st.UnmarshalText([]byte(r.Status)) != nil || !st.Valid() {
				continue // not measured yet
			}
			if sev(st) > sev(worst) {
				worst = st
			}
			if st != probes.Operational {
				bad++
			}
		}
	}
	ov := overall(worst)
	v.Indicator, v.Overall = ov.Indicator, l.t("api.status."+ov.Indicator)
	if unmeasured > 0 && worst == probes.Operational {
		v.Overall = l.tf("home.starting", l.count(total-unmeasured), l.count(total))
	}
	switch {
	case bad == 1:
		v.Count = l.tf("home.count.one", l.count(total))
	case bad > 1:
		v.Count = l.tf("home.count.many", l.count(bad), l.count(total))
	}
}

// reason is why a failing step failed, in plain words for parents ("page
// d'attente : trop de connexions", "certificat expiré"): the codes of
// outcomes and details stay on the component and day pages, the API and
// the methodology, where they are explained. It is "" for a step that
// delivered its page.
func (l lang) reason(outcome probes.Outcome, detail string, code int) string {
	if !outcome.Failed() {
		if outcome == probes.Slow {
			return l.t("reason.slow")
		}
		return ""
	}
	name := outcome.String()
	if s, ok := langSpecs[l].msgs["reason."+name+"."+detail]; ok {
		return s
	}
	if outcome == probes.HTTPError && code > 0 {
		return l.tf("reason.http_error.code", code)
	}
	if s, ok := langSpecs[l].msgs["reason."+name]; ok {
		return s
	}
	return l.t("outcome." + name)
}

// shortTime writes tm for a row of the home page: the time alone on the
// day of now ("9 h 02"), else the day and time without the year ("5
// décembre à 9 h 02"), else in full; the parts hold together with
// no-break spaces, so a narrow column never splits "9 h 02".
func (l lang) shortTime(tm, now time.Time) string {
	if tm.IsZero() {
		return ""
	}
	p, n := tm.In(paris), now.In(paris)
	switch {
	case p.Year() == n.Year() && p.YearDay() == n.YearDay():
		return l.tf("fmt.hm", p.Hour(), p.Minute())
	case p.Year() == n.Year():
		return l.tf("fmt.dayhm", p.Day(), l.month(p.Month()), p.Hour(), p.Minute())
	}
	return l.heure(tm)
}

// homeStatus answers the home page: the cached whole page, or a page
// filtered by ?q=.
func (s *Server) homeStatus(c echo.Context, l lang) error {
	if q := homeQuery(c); q != "" {
		return s.filtered(c, l, q)
	}
	if c.QueryParams().Has("q") { // an empty search: the whole page, at its own URL
		return c.Redirect(http.StatusSeeOther, l.href("/"))
	}
	p, err := s.page(l)
	if err != nil {
		return err
	}
	return serveRendered(c, *p, echo.MIMETextHTMLCharsetUTF8, "public, max-age=10")
}

// span writes how long something lasted, to the minute past a minute:
// "2 h 05 min", "45 min", "30 s".
func (l lang) span(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return l.tf("fmt.dur.hm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return l.tf("fmt.dur.m", int(d.Minutes()))
	}
	return l.tf("fmt.dur.s", int(d.Seconds()))
}
