package ui

import (
	"cmp"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// A person who follows a wrong or outdated link to a public page (an
// unknown service, a mistyped day, /history or /incidents without the rest)
// gets a page in the language of the address, with the right status and a
// way back, rather than a bare "Not Found". Documents (JSON, CSV, feeds,
// badges), the APIs and the admin pages keep their plain answers.

// errorView is the not-found (or bad address) page.
type errorView struct {
	Code int    // 404 or 400
	Path string // the French path asked for, for the language switch
}

// errorPage answers code with the error page in the language of the
// request's path, when the path is a public page's; ok is false otherwise,
// and nothing was written.
func (s *Server) errorPage(c echo.Context, code int) (ok bool) {
	p := c.Request().URL.Path
	if code != http.StatusNotFound && code != http.StatusBadRequest || !pagePath(p) {
		return false
	}
	l, fp := french, p
	for o := french + 1; o < numLangs; o++ {
		if rest, found := strings.CutPrefix(p, o.href()); found && (rest == "" || rest[0] == '/') {
			l, fp = o, cmp.Or(rest, "/")
		}
	}
	body, err := s.render(l, "notfound.html", errorView{Code: code, Path: fp})
	if err != nil {
		s.log.Error("error page not rendered", "err", err)
		return false
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "public, max-age=60")
	c.Response().WriteHeader(code)
	if c.Request().Method != http.MethodHead {
		_, _ = c.Response().Write(body)
	}
	return true
}

// pagePath reports whether p is where a public page would be: not under
// the APIs, the admin pages or /metrics, and not a file with an extension
// (a day's .csv, a feed's .atom, a badge's .svg, style.css).
func pagePath(p string) bool {
	for _, prefix := range []string{"/api/", "/admin", "/metrics", "/healthz"} {
		if strings.HasPrefix(p, prefix) {
			return false
		}
	}
	return path.Ext(p) == ""
}
