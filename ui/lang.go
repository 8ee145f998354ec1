package ui

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris must resolve on a machine without zoneinfo

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// lang is the language of a public page. The French pages are at the
// site's root; each other language mirrors them under its prefix with the
// same paths after it (/en/methode), so that switching language is adding
// or removing a prefix. A page's language comes from its URL only, never
// from Accept-Language: one URL, one body, which a CDN can cache.
//
// Admin pages, the JSON APIs, the CSV, the Atom feeds and the badges are
// French only; they use the package-level t and heure, which are French.
// Values index arrays (langSpecs, the template sets, the caches): append only.
type lang uint8

const (
	french lang = iota
	english
	numLangs // how many languages, for arrays indexed by lang
)

type langSpec struct {
	code   string // BCP 47: <html lang>, hreflang
	name   string // the language's name in itself, for the switch
	prefix string // of its pages' paths: "" or "/en"
	msgs   map[string]string
}

var langSpecs = [numLangs]langSpec{
	french:  {code: "fr", name: "Français", prefix: "", msgs: fr},
	english: {code: "en", name: "English", prefix: "/en", msgs: en},
}

// String returns l's BCP 47 code, "fr" or "en".
func (l lang) String() string { return langSpecs[l].code }

// t returns the text of id in l. A missing key is a bug caught by tests;
// at run time it shows the key rather than failing the page.
func (l lang) t(id string) string {
	if s, ok := langSpecs[l].msgs[id]; ok {
		return s
	}
	return id
}

// tf formats args with the text of id in l as the format.
func (l lang) tf(id string, args ...any) string { return fmt.Sprintf(l.t(id), args...) }

// markup formats args with the text of id in l as HTML. Catalogue texts are
// ours and may hold markup (<code>, <strong>); string args are escaped.
func (l lang) markup(id string, args ...any) template.HTML {
	if len(args) == 0 {
		return template.HTML(l.t(id)) // not a format: a "%" in it stays
	}
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = template.HTMLEscapeString(s)
		}
	}
	return template.HTML(fmt.Sprintf(l.t(id), args...))
}

// href is the path of a public page in l: the parts joined, under l's
// prefix. Parts are strings and numbers, written as fmt.Sprint writes them.
func (l lang) href(parts ...any) string {
	var b strings.Builder
	b.WriteString(langSpecs[l].prefix)
	for _, p := range parts {
		fmt.Fprint(&b, p)
	}
	return b.String()
}

// version is one language's version of a page, for the alternate links
// and the language switch.
type version struct {
	Code, Name, Href string
	Current          bool // the page being rendered
}

// versions lists the page at path (its French path) in every language,
// the current one included, as hreflang annotations should.
func (l lang) versions(path string) []version {
	vs := make([]version, 0, numLangs)
	for o := range numLangs {
		vs = append(vs, version{Code: o.String(), Name: langSpecs[o].name, Href: o.href(path), Current: o == l})
	}
	return vs
}

// funcs are the template functions of l's template set ("markup", since
// html/template reserves "html" for its escaper); "abs" makes a path
// absolute with base, the configured public URL ("" keeps it relative).
func (l lang) funcs(base string) template.FuncMap {
	return template.FuncMap{"t": l.t, "tf": l.tf, "markup": l.markup, "heure": l.heure, "href": l.href, "count": l.count,
		"lang": l.String, "versions": l.versions, "abs": func(path string) string { return base + path }, "pageTop": pageTop, "sourceURL": func() string { return sourceURL },
		"feedLink": func(path, name string) feedView {
			return feedView{Path: path, Title: name + " — " + l.t("feed.title")}
		}}
}

// sourceURL is where Constat's source is published, linked from every page.
const sourceURL = "https://github.com/constat-ent/constat"

// topView is what the "top" partial opens a page with.
type topView struct{ Path, Title, Class, Heading, Feed string }

// pageTop gathers the "top" partial's arguments: the page's French path
// (for the language switch), its <title>, its body class and its <h1>;
// and, for a page that has its own Atom feed, the feed's French path.
func pageTop(path, title, class, heading string, feed ...string) topView {
	v := topView{Path: path, Title: title, Class: class, Heading: heading}
	if len(feed) > 0 {
		v.Feed = feed[0]
	}
	return v
}

// feedView is an Atom feed a page links to: its French path and title.
type feedView struct{ Path, Title string }

// parseTemplates parses the templates once per language: the French set,
// which the admin pages use too, then a clone of it per other language
// whose functions speak that language. A broken template fails here, at
// startup, whichever language it would have been rendered in.
func parseTemplates(publicURL string) ([numLangs]*template.Template, error) {
	var sets [numLangs]*template.Template
	base, err := template.New("").Funcs(french.funcs(publicURL)).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return sets, fmt.Errorf("parse templates: %w", err)
	}
	sets[french] = base
	for l := french + 1; l < numLangs; l++ {
		c, err := base.Clone() // before any execution, when Clone cannot fail
		if err != nil {
			return sets, fmt.Errorf("clone templates for %s: %w", l, err)
		}
		sets[l] = c.Funcs(l.funcs(publicURL))
	}
	return sets, nil
}

// etag is an ETag of a page in l: the same render key never gives the
// two languages one ETag, so a cache cannot serve one for the other.
func (l lang) etag(key string) string { return `"` + l.String() + "-" + key + `"` }

// heure formats tm as l's readers write a time, in Paris time:
// "6 avril 2021 à 9 h 02", "6 April 2021 at 09:02 Paris time".
func (l lang) heure(tm time.Time) string {
	if tm.IsZero() {
		return ""
	}
	p := tm.In(paris)
	return l.tf("fmt.time", p.Day(), l.month(p.Month()), p.Year(), p.Hour(), p.Minute())
}

// jour formats the day of tm, in Paris: "6 avril 2021", "6 April 2021".
func (l lang) jour(tm time.Time) string {
	p := tm.In(paris)
	return l.tf("fmt.date", p.Day(), l.month(p.Month()), p.Year())
}

// clock formats the time of day of tm to the second, in Paris:
// "9 h 02 min 13 s", "09:02:13".
func (l lang) clock(tm time.Time) string {
	p := tm.In(paris)
	return l.tf("fmt.clock", p.Hour(), p.Minute(), p.Second())
}

// hm formats the hour and minute of tm, in Paris: "9 h 02", "09:02".
func (l lang) hm(tm time.Time) string {
	p := tm.In(paris)
	return l.tf("fmt.hm", p.Hour(), p.Minute())
}

func (l lang) month(m time.Month) string { return l.t("month." + strconv.Itoa(int(m))) }

// decimal writes the decimal point of a formatted number as l does:
// "80,0" in French, "80.0" in English.
func (l lang) decimal(s string) string { return strings.Replace(s, ".", l.t("fmt.decimal"), 1) }

// count is a count (of services, measures, records) that prints under %d
// with its language's thousands separator from five digits on: "10 000"
// with a narrow no-break space in French, "10,000" in English, and "2880"
// in both, as French typography leaves four-digit numbers whole. Numbers
// that name something (a record's n°, a year, a step) are never counts:
// they stay whole, to be typed or searched as they are.
type count struct {
	n   int
	sep string
}

func (l lang) count(n int) count { return count{n: n, sep: l.t("fmt.thousands")} }

func (c count) Format(f fmt.State, verb rune) {
	s := strconv.Itoa(c.n)
	if verb != 'd' {
		fmt.Fprintf(f, fmt.FormatString(f, verb), c.n)
		return
	}
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	if len(s) >= 5 {
		var b strings.Builder
		for i, d := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteString(c.sep)
			}
			b.WriteRune(d)
		}
		s = b.String()
	}
	f.Write([]byte(sign + s))
}

// percent writes p with two decimals ("99,80 %", "99.80%"); a share just
// under 100 is never rounded up to 100: an outage is never rounded away.
func (l lang) percent(p float64) string {
	s := fmt.Sprintf("%.2f", p)
	if p < 100 && s == "100.00" {
		s = "99.99"
	}
	return l.tf("fmt.percent", l.decimal(s))
}

// ms writes d in milliseconds to a tenth: "80,0 ms", "80.0 ms".
func (l lang) ms(d time.Duration) string {
	return l.decimal(fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000))
}

// phases writes each phase's duration: "dns 2,0 ms · connect 5,0 ms · …".
func (l lang) phases(p probes.Phases) string {
	var b strings.Builder
	for i, d := range p.Each() {
		if i > 0 {
			b.WriteString(" · ")
		}
		fmt.Fprintf(&b, "%s %s", probes.PhaseNames[i], l.ms(d))
	}
	return b.String()
}

// duration writes an interval in words: "30 secondes", "5 minutes".
func (l lang) duration(sec float64) string {
	switch {
	case sec == 60:
		return l.t("fmt.minute")
	case sec >= 60 && int(sec)%60 == 0:
		return l.tf("fmt.minutes", int(sec)/60)
	case sec == 1:
		return l.t("fmt.second")
	}
	return l.tf("fmt.seconds", l.decimal(strconv.FormatFloat(sec, 'g', -1, 64)))
}

// size writes a byte count in its largest whole binary unit: "1 Mio", "1 MiB".
func (l lang) size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return l.tf("fmt.mib", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return l.tf("fmt.kib", n>>10)
	}
	return l.tf("fmt.bytes", n)
}

// paris is where every page's times are: the pupils', parents' and
// ministers' clock, whatever the page's language.
var paris = timeline.Paris

// t returns the French text of id: for the French-only admin pages, APIs,
// feeds and badges. Public pages use their lang's t.
func t(id string) string { return french.t(id) }

// heure formats tm in French, Paris time: "6 avril 2021 à 9 h 02". Public
// pages use their lang's heure.
func heure(tm time.Time) string { return french.heure(tm) }
