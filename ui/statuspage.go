package ui

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"sync"
	"time"

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

	mu          sync.Mutex // guards what follows; never held while building
	allMeasured bool       // every component has a first result: measured() is final
	key         [4]uint64
	snap        *spSnapshot
	cache       map[string]renderedPage // the documents of snap
	prev        map[string]renderedPage // those of the snapshot before, served while snap's are built

	// building is held by the one request building a snapshot or a
	// document; during a rush the others are answered the previous
	// version rather than queue behind 10,000 components.
	building sync.Mutex
	frags    fragCache // the components' JSON, kept between snapshots; guarded by building
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
// encoded as Atom for an atomFeed, as SVG for a badge, spliced around the
// shared list of components for docParts, as JSON otherwise. While
// another request builds, it returns the previous version of the
// document if there is one: only the first request after a change, and
// requests for a document never built, wait.
func (p *publicAPI) document(key string, build func(*spSnapshot) any) (renderedPage, error) {
	now := p.s.now()
	p.mu.Lock()
	gen := [4]uint64{p.s.pipe.History().Generation(), p.s.pipe.Admin().Generation(), uint64(now.Unix() / 60), p.measured()}
	doc, fresh := p.cache[key]
	fresh = fresh && p.snap != nil && gen == p.key
	if !fresh {
		if d, ok := p.cache[key]; ok {
			doc = d
		} else if d, ok := p.prev[key]; ok {
			doc = d
		}
	}
	p.mu.Unlock()
	if fresh {
		return doc, nil
	}
	if doc.body != nil {
		if !p.building.TryLock() {
			return doc, nil // stale by one change, while this one is built
		}
	} else {
		p.building.Lock()
	}
	defer p.building.Unlock()
	return p.build(key, gen, now, build)
}

// build makes the document key of generation gen, and the snapshot first
// if it is not of gen. Callers hold p.building.
func (p *publicAPI) build(key string, gen [4]uint64, now time.Time, build func(*spSnapshot) any) (renderedPage, error) {
	p.mu.Lock()
	snap, current := p.snap, p.snap != nil && p.key == gen
	if doc, ok := p.cache[key]; ok && current { // built while this request waited
		p.mu.Unlock()
		return doc, nil
	}
	p.mu.Unlock()
	if !current {
		snap = p.snapshot(now)
		p.mu.Lock()
		if len(p.cache) > 0 {
			p.prev = p.cache
		}
		p.snap, p.key, p.cache = snap, gen, map[string]renderedPage{}
		p.mu.Unlock()
	}
	etag := fmt.Sprintf(`"%x-%x-%x-%x"`, gen[0], gen[1], gen[2], gen[3])
	var doc renderedPage
	switch v := build(snap).(type) {
	case docParts:
		if v.err != nil {
			return renderedPage{}, fmt.Errorf("encode %s: %w", key, v.err)
		}
		doc = v.render(etag)
	default:
		body, err := encodeDoc(v)
		if err != nil {
			return renderedPage{}, fmt.Errorf("encode %s: %w", key, err)
		}
		doc = newRendered(0, body, etag)
	}
	p.mu.Lock()
	if p.key == gen {
		p.cache[key] = doc
	}
	p.mu.Unlock()
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
