package ui

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/constat-ent/constat/probes"
)

// summary.json and components.json, spliced around their shared list of
// components, are byte for byte what encoding/json writes of their
// structs, and each encoding decodes to them: gzip, whose member is made
// of deflate streams cut at sync flushes, by Go's reader (which also
// checks the CRC and length), and brotli, made on first request.
func TestStatuspageSplicedDocuments(t *testing.T) {
	s, _, _ := newIncidentSite(t)
	snap := func() *spSnapshot {
		s.pub.mu.Lock()
		defer s.pub.mu.Unlock()
		return s.pub.snap
	}
	for _, tt := range []struct {
		path   string
		encode func(*spSnapshot) any
	}{
		{"/api/v2/summary.json", func(v *spSnapshot) any { return v.summary() }},
		{"/api/v2/components.json", func(v *spSnapshot) any { return spComponentsDoc{v.page, v.components} }},
	} {
		t.Run(tt.path, func(t *testing.T) {
			plain := serveReq(s, http.MethodGet, tt.path, nil)
			var want bytes.Buffer
			if err := json.NewEncoder(&want).Encode(tt.encode(snap())); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(plain.Body.Bytes(), want.Bytes()) {
				t.Fatalf("GET %s =\n%s\nwant encoding/json's\n%s", tt.path, plain.Body, want.Bytes())
			}
			for enc, dec := range map[string]func(io.Reader) (io.Reader, error){
				"gzip": func(r io.Reader) (io.Reader, error) {
					zr, err := gzip.NewReader(r)
					if err == nil {
						zr.Multistream(false) // one member, not several glued together
					}
					return zr, err
				},
				"br": func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
			} {
				w := serveReq(s, http.MethodGet, tt.path, http.Header{"Accept-Encoding": {enc}})
				if w.Header().Get("Content-Encoding") != enc {
					t.Fatalf("GET %s (%s): Content-Encoding %q", tt.path, enc, w.Header().Get("Content-Encoding"))
				}
				r, err := dec(bytes.NewReader(w.Body.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				if err != nil || !bytes.Equal(got, want.Bytes()) {
					t.Errorf("GET %s (%s) decodes to %d bytes (%v), want the %d identity bytes", tt.path, enc, len(got), err, want.Len())
				}
			}
		})
	}
}

// gzipParts of parts deflated apart decodes to their concatenation, for
// parts empty, small and longer than deflate's 32 KB window.
func TestGzipParts(t *testing.T) {
	long := bytes.Repeat([]byte(`{"id":"vs-00042","name":"Vie scolaire du collège n° 42","status":"operational"},`), 2000)
	for _, parts := range [][][]byte{
		{[]byte(`{"page":`), long, []byte("}\n")},
		{nil, long, nil},
		{[]byte("a"), nil, []byte("b")},
	} {
		var body []byte
		var deflated [][]byte
		for i, p := range parts {
			body = append(body, p...)
			deflated = append(deflated, deflatePart(p, i == len(parts)-1))
		}
		zr, err := gzip.NewReader(bytes.NewReader(gzipParts(body, deflated...)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("gzipParts of %d bytes decodes to %d bytes (%v)", len(body), len(got), err)
		}
	}
}

// While one request builds the documents of a change, the others are
// answered the previous version at once instead of waiting for 10,000
// components; once built, the new version is served.
func TestStatuspageServesPreviousWhileBuilding(t *testing.T) {
	s, rec := newTestServer(t)
	before := serveReq(s, http.MethodGet, "/api/v2/summary.json", nil)
	for i := range 2 { // two rounds: the engine confirms, and the history changes
		if _, err := rec.Record(t.Context(), probes.Result{Component: "monlycee", Start: time.Date(2021, 4, 6, 7, i, 0, 0, time.UTC), Status: probes.MajorOutage,
			Steps: []probes.StepResult{{Outcome: probes.SoftFailure, Detail: "ode_quota", StatusCode: 200}}}); err != nil {
			t.Fatal(err)
		}
	}
	s.pub.building.Lock() // another request is building
	during := serveReq(s, http.MethodGet, "/api/v2/summary.json", nil)
	s.pub.building.Unlock()
	if during.Code != http.StatusOK || during.Header().Get("ETag") != before.Header().Get("ETag") {
		t.Errorf("GET summary.json while building = %d, ETag %q; want the previous %q", during.Code, during.Header().Get("ETag"), before.Header().Get("ETag"))
	}
	after := serveReq(s, http.MethodGet, "/api/v2/summary.json", nil)
	if after.Header().Get("ETag") == before.Header().Get("ETag") || !bytes.Contains(after.Body.Bytes(), []byte(`"major_outage"`)) {
		t.Errorf("GET summary.json after the build: ETag %q, want a new one showing the outage", after.Header().Get("ETag"))
	}
}

// While one request compresses a large document in brotli, another that
// also takes gzip is answered in gzip rather than wait.
func TestLazyBrotliFallsBackToGzip(t *testing.T) {
	s, _ := newTestServer(t)
	doc, err := s.pub.document("components", componentsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc.lazyBr.mu.Lock() // another request is compressing
	w := serveReq(s, http.MethodGet, "/api/v2/components.json", http.Header{"Accept-Encoding": {"gzip, br"}})
	doc.lazyBr.mu.Unlock()
	if got := w.Header().Get("Content-Encoding"); got != "gzip" {
		t.Errorf("GET components.json (gzip, br) while brotli is made: Content-Encoding %q, want gzip", got)
	}
	if got := serveReq(s, http.MethodGet, "/api/v2/components.json", http.Header{"Accept-Encoding": {"gzip, br"}}).Header().Get("Content-Encoding"); got != "br" {
		t.Errorf("GET components.json (gzip, br) afterwards: Content-Encoding %q, want br", got)
	}
}
