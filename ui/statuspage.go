package ui

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"sync"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/labstack/echo/v4"
)

// PublicConfig gives the public API what it reads: the engine's states and
// incident history (Service) and the admins' records (Admin).
type PublicConfig struct {
	Service *incidents.Service
	Admin   *incidents.Admin
	Now     func() time.Time // nil: time.Now
}

// EnablePublicAPI registers the Atlassian Statuspage v2-compatible JSON
// API under /api/v2: the same paths, field names and enums, so existing
// clients and widgets work. Every document is rendered once per change
// (and at most once a minute, for maintenance windows that start and end
// with time) and served from memory with an ETag.
func (s *Server) EnablePublicAPI(cfg PublicConfig) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &publicAPI{s: s, cfg: cfg}
	s.pub = p
	for path, build := range map[string]func(*spSnapshot) any{
		"/api/v2/summary.json":                         func(v *spSnapshot) any { return v.summary() },
		"/api/v2/status.json":                          func(v *spSnapshot) any { return spStatusDoc{v.page, v.status} },
		"/api/v2/components.json":                      func(v *spSnapshot) any { return spComponentsDoc{v.page, v.components} },
		"/api/v2/incidents.json":                       func(v *spSnapshot) any { return spIncidentsDoc{v.page, v.incidents} },
		"/api/v2/incidents/unresolved.json":            func(v *spSnapshot) any { return spIncidentsDoc{v.page, v.unresolved()} },
		"/api/v2/scheduled-maintenances.json":          func(v *spSnapshot) any { return spMaintenancesDoc{v.page, v.maintenances} },
		"/api/v2/scheduled-maintenances/upcoming.json": func(v *spSnapshot) any { return spMaintenancesDoc{v.page, v.maintenancesIn("scheduled")} },
		"/api/v2/scheduled-maintenances/active.json":   func(v *spSnapshot) any { return spMaintenancesDoc{v.page, v.maintenancesIn("in_progress")} },
	} {
		h := p.handler(path, build)
		s.e.GET(path, h)
		s.e.HEAD(path, h)
	}
	p.enableFeeds()
	routePage(s.e, "/components/:id", p.component)
	routePage(s.e, "/incidents/:id", p.incident)
	routePage(s.e, "/maintenances/:id", p.maintenance)
}

type publicAPI struct {
	s   *Server
	cfg PublicConfig

	components componentPages

	mu    sync.Mutex
	key   [3]uint64
	snap  *spSnapshot
	cache map[string]renderedPage
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
	now := p.cfg.Now()
	gen := [3]uint64{p.cfg.Service.History().Generation(), p.cfg.Admin.Generation(), uint64(now.Unix() / 60)}
	p.mu.Lock()
	defer p.mu.Unlock()
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
	doc := newRendered(0, body, fmt.Sprintf(`"%x-%x-%x"`, gen[0], gen[1], gen[2]))
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
