package ui

import (
	"net/http"
	"strings"
	"testing"
)

// Seen: /history, /incidents and an unknown component answered a bare
// English "Not Found" in plain text. A public page's address gets a page in
// its language with the right status and a way back; documents and APIs
// keep their plain answers.
func TestNotFoundPages(t *testing.T) {
	s, _ := newTestServer(t)
	for _, tt := range []struct {
		path string
		code int
		lang string
		want string
	}{
		{"/history", 404, "fr", fr["error.404"]},
		{"/incidents", 404, "fr", fr["error.404"]},
		{"/incidents/999", 404, "fr", fr["error.404"]},
		{"/components/nope", 404, "fr", fr["error.404"]},
		{"/history/nope/2021-04-06", 404, "fr", fr["error.404"]},
		{"/history/monlycee/2021-13-45", 400, "fr", fr["error.400"]},
		{"/en/history", 404, "en", en["error.404"]},
		{"/en/components/nope", 404, "en", en["error.404"]},
		{"/en/incidents/999", 404, "en", en["error.404"]},
	} {
		w := serveReq(s, http.MethodGet, tt.path, nil)
		body := w.Body.String()
		if w.Code != tt.code || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("GET %s = %d %s, want %d and a page", tt.path, w.Code, w.Header().Get("Content-Type"), tt.code)
			continue
		}
		home := "/"
		if tt.lang == "en" {
			home = "/en/"
		}
		for _, want := range []string{`<html lang="` + tt.lang + `">`, "<h1>" + strings.ReplaceAll(tt.want, "'", "&#39;") + "</h1>", `href="` + home + `"`, `action="` + home + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %q", tt.path, want)
			}
		}
		if h := serveReq(s, http.MethodHead, tt.path, nil); h.Code != tt.code || h.Body.Len() != 0 {
			t.Errorf("HEAD %s = %d with %d bytes, want %d and no body", tt.path, h.Code, h.Body.Len(), tt.code)
		}
	}
	for _, path := range []string{"/api/v2/nope.json", "/components/nope/history.atom", "/badge/nope.svg", "/history/nope/2021-04-06.csv"} {
		if w := serveReq(s, http.MethodGet, path, nil); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "<html") {
			t.Errorf("GET %s = %d, want a plain 404 without a page", path, w.Code)
		}
	}
}
