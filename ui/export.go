package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/constat-ent/constat/incidents/timeline"
)

// Export writes the public site into dir as static files, so that any
// static host or CDN can serve it when traffic outgrows one server: the
// pages (as …/index.html) in every language (English under en/), the
// Statuspage JSON, the feeds, the badges, the incident and maintenance
// pages (the API's shortlinks), and the day
// pages of the last days days with each day's CSV beside its page
// (history/{id}/{day}.csv), and the evidence log's tiles, key and
// checkpoint (evidence/…) and the "preuve" bundles those day and incident
// pages link (exportBundles) when the server has one. It renders each
// through the server's own handlers, so the files are byte for byte what
// the server sends.
func (s *Server) Export(dir string, days int) (files int, err error) {
	s.invalidate() // the files must show the data as of now, not the last cached render
	for _, p := range s.exportPaths(days) {
		if err := s.exportOne(dir, p); err != nil {
			return files, err
		}
		files++
	}
	if s.ev != nil {
		n, err := s.exportBundles(dir, days)
		if files += n; err != nil {
			return files, err
		}
		// The checkpoint after the bundles: they may have signed a newer one.
		n, err = s.exportEvidence(dir)
		return files + n, err
	}
	return files, nil
}

// exportPaths lists the paths Export writes: the French-only documents,
// then each page and feed in every language.
func (s *Server) exportPaths(days int) []string {
	paths := []string{"/style.css",
		"/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
		"/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
		"/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json"}
	pages := []string{"/", "/methode", "/history.atom"}
	today := timeline.DateOf(s.now())
	for _, c := range s.cfg.Components {
		pages = append(pages, "/components/"+c.ID, "/components/"+c.ID+"/history.atom")
		paths = append(paths, "/badge/"+c.ID+".svg")
		for d := 0; d < days; d++ {
			day := "/history/" + c.ID + "/" + today.AddDays(-d).String()
			pages = append(pages, day)
			paths = append(paths, day+".csv")
		}
	}
	pages = append(pages, s.regionPaths()...)
	for _, inc := range s.pipe.History().Incidents() {
		pages = append(pages, fmt.Sprintf("/incidents/%d", inc.ID))
	}
	for _, id := range s.pipe.Admin().ManualIncidents() {
		pages = append(pages, fmt.Sprintf("/incidents/%d", id))
	}
	for _, m := range s.pipe.Admin().Maintenances() {
		pages = append(pages, fmt.Sprintf("/maintenances/%d", m.ID))
	}
	for l := range numLangs {
		for _, p := range pages {
			paths = append(paths, l.href(p))
		}
	}
	return paths
}

// exportOne renders path and writes it where a static host serves it:
// a page without an extension becomes path/index.html.
func (s *Server) exportOne(dir, path string) error {
	name := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(path, "/")))
	if filepath.Ext(path) == "" || path == "/" {
		name = filepath.Join(name, "index.html")
	}
	return s.exportTo(name, path)
}

// exportTo renders path and writes it into the file name.
func (s *Server) exportTo(name, path string) error {
	req, err := http.NewRequest(http.MethodGet, "http://example.com"+path, nil)
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	req.RequestURI, req.RemoteAddr = path, "192.0.2.1:1234" // as a client's request would have them
	w := &bufferWriter{header: http.Header{}}
	s.Handler().ServeHTTP(w, req)
	if w.code != http.StatusOK {
		return fmt.Errorf("export %s: status %d", path, w.code)
	}
	if err := writeAtomic(name, w.body.Bytes()); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	return nil
}

// writeAtomic writes data to name through a temporary file renamed over
// it, so that readers never see half a file.
func writeAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// bufferWriter is the http.ResponseWriter Export renders into: the status
// and body in memory.
type bufferWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *bufferWriter) Header() http.Header { return w.header }

func (w *bufferWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *bufferWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// Generation changes whenever anything the public site shows changes: the
// latest results, the incident history or the admin records.
func (s *Server) Generation() uint64 { return s.pipe.Generation() }

// invalidate drops the cached renders that are refreshed on a timer (the
// home page's minRender, the component pages' minute), so that the next
// request renders from the current data. A past day's page stays: it
// cannot change.
func (s *Server) invalidate() {
	for l := range numLangs {
		s.homePages[l].cur.Store(nil)
	}
	s.pub.components.mu.Lock()
	clear(s.pub.components.pages)
	s.pub.components.mu.Unlock()
	s.regions.clear()
}
