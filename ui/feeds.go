package ui

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// Atom (RFC 4287) documents of the incidents.
type (
	atomFeed struct {
		XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
		Lang    string      `xml:"xml:lang,attr"`
		ID      string      `xml:"id"`
		Title   string      `xml:"title"`
		Updated string      `xml:"updated"`
		Link    []atomLink  `xml:"link"`
		Author  atomAuthor  `xml:"author"`
		Entries []atomEntry `xml:"entry"`
	}
	atomLink struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr,omitempty"`
		Type string `xml:"type,attr,omitempty"`
	}
	atomAuthor struct {
		Name string `xml:"name"`
	}
	atomEntry struct {
		ID        string      `xml:"id"`
		Title     string      `xml:"title"`
		Updated   string      `xml:"updated"`
		Published string      `xml:"published"`
		Link      atomLink    `xml:"link"`
		Content   atomContent `xml:"content"`
	}
	atomContent struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	}
)

// componentFeed serves /components/{id}/history.atom in l: the feed of
// one component's incidents.
func (p *publicAPI) componentFeed(l lang) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Param("id")
		if p.s.cfg.Component(id) == nil {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		return p.feed(l, id)(c)
	}
}

// siteFeed serves /history.atom in l: the feed of every incident.
func (p *publicAPI) siteFeed(l lang) echo.HandlerFunc { return p.feed(l, "") }

// feed serves the Atom feed, in l, of the incidents of component (all if "").
func (p *publicAPI) feed(l lang, component string) echo.HandlerFunc {
	return func(c echo.Context) error {
		doc, err := p.document("atom:"+l.String()+":"+component, func(v *spSnapshot) any { return v.atom(l, component) })
		if err != nil {
			return err
		}
		return p.serveDoc(c, doc, "application/atom+xml; charset=utf-8")
	}
}

// atom is the feed in l: its titles, the automatic incidents' names and
// the measured updates are in l; what admins wrote stays as written. The
// feeds in each language are distinct feeds (their IDs differ).
func (v *spSnapshot) atom(l lang, component string) atomFeed {
	f := atomFeed{Lang: l.String(), ID: "tag:constat,2021:incidents", Title: "Constat — " + l.t("feed.title"),
		Updated: v.page.UpdatedAt.Format(time.RFC3339), Author: atomAuthor{Name: "Constat"},
		Link: []atomLink{{Href: v.base + l.href("/history.atom"), Rel: "self", Type: "application/atom+xml"}, {Href: v.base + l.href("/"), Rel: "alternate", Type: "text/html"}}}
	if l != french {
		f.ID += ":" + l.String()
	}
	if component != "" {
		f.ID += ":" + component
		f.Link[0].Href = v.base + l.href("/components/", component, "/history.atom")
		f.Link[1].Href = v.base + l.href("/components/", component)
	}
	for _, inc := range v.incidents {
		if component != "" && !slices.ContainsFunc(inc.Components, func(c spComponent) bool { return c.ID == component }) {
			continue
		}
		var body strings.Builder
		for _, u := range inc.IncidentUpdates {
			text := cmp.Or(u.bodies[l], u.Body)
			fmt.Fprintf(&body, "<p><strong>%s</strong> — %s%s%s</p>", html.EscapeString(u.Status), html.EscapeString(l.heure(u.DisplayAt)), html.EscapeString(l.t("colon")), html.EscapeString(text))
		}
		entryID := "tag:constat,2021:incident/" + inc.ID
		if l != french {
			entryID += ":" + l.String()
		}
		link := inc.Shortlink
		if l != french {
			link = v.base + l.href("/incidents/", inc.ID)
		}
		f.Entries = append(f.Entries, atomEntry{ID: entryID, Title: cmp.Or(inc.names[l], inc.Name),
			Updated: inc.UpdatedAt.Format(time.RFC3339), Published: inc.StartedAt.Format(time.RFC3339),
			Link: atomLink{Href: link, Rel: "alternate", Type: "text/html"}, Content: atomContent{Type: "html", Body: body.String()}})
	}
	return f
}

// badge serves /badge/{id}.svg: the component's state in words, with an
// icon, so that the colour is never the only signal.
func (p *publicAPI) badge(c echo.Context) error {
	id, ok := strings.CutSuffix(c.Param("file"), ".svg")
	comp := p.s.cfg.Component(id)
	if !ok || comp == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	doc, err := p.document("badge:"+id, func(v *spSnapshot) any { return badgeSVG{name: comp.Name, status: v.statusOf(id)} })
	if err != nil {
		return err
	}
	return p.serveDoc(c, doc, "image/svg+xml")
}

func (v *spSnapshot) statusOf(id string) string {
	for _, c := range v.components {
		if c.ID == id {
			return c.Status
		}
	}
	return "operational"
}

var badgeStyle = map[string]struct{ icon, colour string }{
	"operational":          {"✓", "#1e6b2f"},
	"degraded_performance": {"◐", "#7a5200"},
	"partial_outage":       {"▲", "#9c4000"},
	"major_outage":         {"✕", "#b00020"},
	"under_maintenance":    {"⚙", "#0b4f9c"},
}

// badgeSVG draws a shields-style badge: name on grey, state on colour.
type badgeSVG struct{ name, status string }

func (b badgeSVG) render() []byte {
	st := badgeStyle[b.status]
	right := st.icon + " " + t("status."+b.status)
	lw, rw := 7*utf8.RuneCountInString(b.name)+12, 7*utf8.RuneCountInString(right)+12
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s : %s">`, lw+rw, xmlEscape(b.name), xmlEscape(right))
	fmt.Fprintf(&buf, `<title>%s : %s</title>`, xmlEscape(b.name), xmlEscape(right))
	fmt.Fprintf(&buf, `<rect width="%d" height="20" fill="#444"/><rect x="%d" width="%d" height="20" fill="%s"/>`, lw, lw, rw, st.colour)
	fmt.Fprintf(&buf, `<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"><text x="6" y="14">%s</text><text x="%d" y="14">%s</text></g></svg>`,
		xmlEscape(b.name), lw+6, xmlEscape(right))
	return buf.Bytes()
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
