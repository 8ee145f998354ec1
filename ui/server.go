// Package ui serves what people read: the status page, the JSON APIs and
// /metrics. Pages render from in-memory snapshots kept by package incidents;
// no request ever opens the timeline file directly.
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
	"sync"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

//go:embed templates/*.html
var templateFS embed.FS

// Server is the HTTP face of Constat. Build it with New; it is safe for
// concurrent use.
type Server struct {
	e    *echo.Echo
	cfg  *probes.Config
	rec  *incidents.Recorder
	tmpl *template.Template
	log  *slog.Logger

	mu    sync.Mutex
	cache renderedPage // the status page for the recorder's generation cache.gen
}

// New builds the server and registers the probe metrics on reg. Templates are
// parsed here: a broken template fails startup, not a request.
func New(cfg *probes.Config, rec *incidents.Recorder, reg *prometheus.Registry, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{"t": t, "heure": heure}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	if err := reg.Register(newProbeCollector(cfg, rec)); err != nil {
		return nil, fmt.Errorf("register probe metrics: %w", err)
	}
	s := &Server{cfg: cfg, rec: rec, tmpl: tmpl, log: log}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.GET("/", s.home)
	e.HEAD("/", s.home)
	e.GET("/healthz", healthz)
	e.HEAD("/healthz", healthz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	s.routeMeasurements(e) // GET and HEAD /api/v1/components/:id/measurements{,.csv}
	s.e = e
	return s, nil
}

// Handler returns the HTTP handler of every route.
func (s *Server) Handler() http.Handler { return s.e }

func healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// home serves the status page, rendered once per change of the recorder's
// state and then served from memory with an ETag.
func (s *Server) home(c echo.Context) error {
	p, err := s.page()
	if err != nil {
		return err
	}
	return serveRendered(c, p, echo.MIMETextHTMLCharsetUTF8, "public, max-age=10")
}

func (s *Server) page() (renderedPage, error) {
	latest, gen := s.rec.Latest()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache.ok && s.cache.gen == gen {
		return s.cache, nil
	}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "status.html", buildStatusView(s.cfg, latest)); err != nil {
		return renderedPage{}, fmt.Errorf("render status page: %w", err)
	}
	s.cache = newRendered(gen, buf.Bytes(), `"`+strconv.FormatUint(gen, 36)+`"`)
	return s.cache, nil
}

// handleError is the one place errors become statuses; public responses
// never carry the error's text.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
	}
	if code >= 500 {
		s.log.Error("request failed", "path", c.Path(), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	_ = c.String(code, http.StatusText(code)+"\n")
}
