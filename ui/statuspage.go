package ui

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"sync"

	"github.com/labstack/echo/v4"
)

// publicAPI serves the Atlassian Statuspage v2-compatible JSON API under
// /api/v2 (the same paths, field names and enums, so existing clients and
// widgets work), the feeds, the badges and the component, incident and
// maintenance pages. Every document is rendered once per change (and at
// most once a minute, for maintenance windows that start and end with
// time) and served from memory with an ETag.
type publicAPI struct {
	s *Server

	components componentPages

	mu          sync.Mutex
	allMeasured bool // every component has a first result: measured() is final
	key         [4]uint64
	snap        *spSnapshot
	cache       map[string]renderedPage
}

// handler serves the JSON document build makes of the current snapshot.
func (p *publicAPI) handler(path string, build func(*spSnapshot) any) echo.HandlerFunc {
	return func(c echo.Context) error {
		doc, err := p.document(path, build)
		if err != nil {
			return err
		}
		return p.serveDoc(c, doc, echo.MIMEApplicationJSON)
	}
}

// serveDoc answers with a rendered document, cacheable by a CDN for a few
// seconds and readable by widgets on other sites.
func (p *publicAPI) serveDoc(c echo.Context, doc renderedPage, contentType string) error {
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return serveRendered(c, doc, contentType, "public, max-age=10")
}

// document returns the document named key, built from the current
// snapshot and cached until the snapshot changes. build's value is
// encoded as Atom for an atomFeed, as SVG for a badge, as JSON otherwise.
func (p *publicAPI) document(key string, build func(*spSnapshot) any) (renderedPage, error) {
	now := p.s.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	gen := [4]uint64{p.s.pipe.History().Generation(), p.s.pipe.Admin().Generation(), uint64(now.Unix() / 60), p.measured()}
	if p.snap == nil || gen != p.key {
		p.snap, p.key, p.cache = p.snapshot(now), gen, map[string]renderedPage{}
	}
	if doc, ok := p.cache[key]; ok {
		return doc, nil
	}
	body, err := encodeDoc(build(p.snap))
	if err != nil {
		return renderedPage{}, fmt.Errorf("encode %s: %w", key, err)
	}
	doc := newRendered(0, body, fmt.Sprintf(`"%x-%x-%x-%x"`, gen[0], gen[1], gen[2], gen[3]))
	p.cache[key] = doc
	return doc, nil
}

func encodeDoc(v any) ([]byte, error) {
	var buf bytes.Buffer
	switch v := v.(type) {
	case atomFeed:
		buf.WriteString(xml.Header)
		err := xml.NewEncoder(&buf).Encode(v)
		return buf.Bytes(), err
	case badgeSVG:
		return v.render(), nil
	}
	err := json.NewEncoder(&buf).Encode(v)
	return buf.Bytes(), err
}

// measured counts the components with a first result until all have one
// (the documents say measuring has begun until then). Callers hold p.mu.
func (p *publicAPI) measured() uint64 {
	if p.allMeasured {
		return uint64(len(p.s.cfg.Components))
	}
	latest, _ := p.s.pipe.Latest()
	n := 0
	for _, c := range p.s.cfg.Components {
		if _, ok := latest[c.ID]; ok {
			n++
		}
	}
	p.allMeasured = n == len(p.s.cfg.Components)
	return uint64(n)
}
