package ui

import (
	"net/http"
	"strings"

	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes registers every route Constat answers, public and admin, with its
// middleware, top to bottom. Every answer, errors included, carries the
// security headers (securityHeaders); the admin pages and API add
// adminHeaders (nothing cached, a stricter policy). A public page or feed
// answers GET and HEAD at its path in French and under each language's
// prefix (page); a document (style sheet, JSON, badge, CSV) answers GET and
// HEAD in French only (doc). Call it once, before serving: echo's router is
// not safe to change while it serves.
func (s *Server) routes(e *echo.Echo, reg *prometheus.Registry) {
	p, a := s.pub, s.adm
	page := func(path string, h func(lang) echo.HandlerFunc) {
		for l := range numLangs {
			hl := h(l)
			e.GET(l.href(path), hl)
			e.HEAD(l.href(path), hl)
		}
	}
	doc := func(path string, h echo.HandlerFunc) {
		e.GET(path, h)
		e.HEAD(path, h)
	}
	e.Use(s.securityHeaders)

	// The status page and the pages below it.
	page("/", s.home)
	for l := french + 1; l < numLangs; l++ {
		doc(l.href(), redirectTo(l.href("/"))) // "/en" is how people type it
	}
	page("/methode", s.methodology)
	page("/region/:id", s.region)    // past summaryAbove services, the home page links to each region's page
	page("/region/:id/:n", s.region) // and a region of more than scale.regionRows services has more pages
	page("/components/:id", p.component)
	page("/incidents/:id", p.incident)
	page("/maintenances/:id", p.maintenance)
	page("/history/:component/:day", s.day) // and, in French only, the day's CSV: /history/:component/:day.csv
	doc("/style.css", publicStyle)
	doc("/push.js", pushScript)            // subscribes from the pages, when JavaScript runs
	doc("/sw.js", serviceWorker)           // shows the notifications
	doc("/manifest.webmanifest", manifest) // lets the site be added to a home screen (iOS Web Push)
	doc("/icon-192.png", icon192)
	doc("/icon-512.png", icon512)

	// The Statuspage v2 API, the feeds and the badges.
	doc("/api/v2/summary.json", p.handler("summary", summaryDoc))
	doc("/api/v2/status.json", p.handler("status", func(v *spSnapshot) any { return spStatusDoc{v.page, v.status} }))
	doc("/api/v2/components.json", p.handler("components", componentsDoc))
	doc("/api/v2/incidents.json", p.handler("incidents", func(v *spSnapshot) any { return spIncidentsDoc{v.page, v.incidents} }))
	doc("/api/v2/incidents/unresolved.json", p.handler("unresolved", func(v *spSnapshot) any { return spIncidentsDoc{v.page, v.unresolved()} }))
	doc("/api/v2/scheduled-maintenances.json", p.handler("maintenances", func(v *spSnapshot) any { return spMaintenancesDoc{v.page, v.maintenances} }))
	doc("/api/v2/scheduled-maintenances/upcoming.json", p.handler("upcoming", func(v *spSnapshot) any { return spMaintenancesDoc{v.page, v.maintenancesIn("scheduled")} }))
	doc("/api/v2/scheduled-maintenances/active.json", p.handler("active", func(v *spSnapshot) any { return spMaintenancesDoc{v.page, v.maintenancesIn("in_progress")} }))
	page("/history.atom", p.siteFeed) // feeds are in every language, as pages
	page("/components/:id/history.atom", p.componentFeed)
	doc("/badge/:file", p.badge) // /badge/{id}.svg

	// The raw measurements.
	doc("/api/v1/components/:id/measurements", s.measurements)
	doc("/api/v1/components/:id/measurements.csv", s.measurements)

	// Push alerts: the VAPID key and the subscriptions (when enabled).
	if s.push != nil {
		doc("/api/v1/push/key", s.push.key)
		e.POST("/api/v1/push/subscriptions", s.push.subscribe)
		e.DELETE("/api/v1/push/subscriptions", s.push.unsubscribe)
		doc("/api/v1/push/choices", s.push.choices) // the form's regions, and their services below summaryAbove
		doc("/api/v1/push/choices/:group", s.push.groupChoices)
		doc("/api/v1/push/choices/:group/:n", s.push.groupChoices)
	}
	// The evidence log: C2SP tlog-tiles (checkpoint, tiles, entry bundles),
	// the verifier key, and JSON records and proofs.
	if v := s.ev; v != nil {
		doc("/evidence/checkpoint", v.checkpoint)
		doc("/evidence/key", v.key)
		doc("/evidence/tile/*", v.tile) // tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>]
		doc("/evidence/record/:n", v.record)
		doc("/evidence/proof/inclusion", v.inclusion)
		doc("/evidence/proof/consistency", v.consistency)
		doc("/evidence/checkpoints", v.checkpoints)
		doc("/evidence/bundles/day/:component/:day", v.dayBundle) // the day page's "preuve"
		doc("/evidence/bundles/incident/:id", v.incidentBundle)   // the incident page's
	}

	// Operations.
	doc("/healthz", s.healthz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))

	// The admin pages: the login form, then a session (and, on POST, its
	// CSRF token) for the rest.
	e.GET("/admin/style.css", adminStyle)
	g := e.Group("/admin", adminHeaders)
	g.GET("/login", a.loginForm)
	g.POST("/login", a.login)
	sg := g.Group("", a.requireSession)
	sg.GET("", a.dashboard)
	sg.POST("/logout", a.logout)
	sg.GET("/updates/new", a.updateForm)
	sg.POST("/updates", a.postUpdate)
	sg.GET("/statements/new", a.statementForm)
	sg.POST("/statements", a.postStatement)
	sg.GET("/maintenances/new", a.maintenanceForm)
	sg.POST("/maintenances", a.postMaintenance)
	sg.GET("/accounts", a.accountsPage)
	sg.POST("/accounts", a.invite)
	sg.POST("/tokens", a.newToken)

	// The admin API: a bearer token with the route's scope.
	api := e.Group("/api/admin/v1", adminHeaders)
	api.POST("/incidents", a.apiCreateIncident, a.requireToken(accounts.ScopeIncidentsWrite))
	api.POST("/incidents/:id/updates", a.apiIncidentUpdate, a.requireToken(accounts.ScopeIncidentsWrite))
	api.POST("/statements", a.apiStatement, a.requireToken(accounts.ScopeStatementsWrite))
	api.POST("/maintenances", a.apiMaintenance, a.requireToken(accounts.ScopeMaintenanceWrite))
	api.POST("/updates/:seq/revisions", a.apiReviseUpdate, a.requireToken(accounts.ScopeIncidentsWrite))
	api.POST("/statements/:seq/revisions", a.apiReviseStatement, a.requireToken(accounts.ScopeStatementsWrite))
	api.POST("/maintenances/:seq/revisions", a.apiReviseMaintenance, a.requireToken(accounts.ScopeMaintenanceWrite))
}

// publicCSP is the policy of every public answer: the pages need only
// their own style sheet, their own scripts (the alerts' progressive script
// and service worker, and the manifest; no inline script or style, no image
// from elsewhere), talk only to their own server, post no form, and are
// never framed.
const publicCSP = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers every answer carries, errors included:
// no MIME sniffing, the content policy, no referrer sent to other sites, no
// framing, and, over HTTPS (directly or through a trusted proxy), HSTS.
// adminHeaders replaces the policy on the admin side.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", publicCSP)
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		if s.secure(c.Request()) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// secure reports whether the request reached us over TLS, directly or,
// when the proxy is trusted, through it.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || (s.trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}
