package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestPickEncoding(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", ""},
		{"gzip, deflate, br", "br"},
		{"gzip", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"*", "br"},
		{"*, br;q=0", "gzip"},
		{"identity", ""},
		{"gzip;q=0", ""},
		{"GZIP", "gzip"},
	}
	for _, tt := range tests {
		if got := pickEncoding(tt.header); got != tt.want {
			t.Errorf("pickEncoding(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestHomePrecompressed(t *testing.T) {
	s, _ := newTestServer(t)
	plain := serveReq(s, http.MethodGet, "/", nil)
	if plain.Header().Get("Content-Encoding") != "" || plain.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("GET / without Accept-Encoding: Content-Encoding %q, Vary %q", plain.Header().Get("Content-Encoding"), plain.Header().Get("Vary"))
	}
	decoders := map[string]func(io.Reader) (io.Reader, error){
		"gzip": func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
		"br":   func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
	}
	for enc, dec := range decoders {
		w := serveReq(s, http.MethodGet, "/", http.Header{"Accept-Encoding": {enc}})
		if w.Header().Get("Content-Encoding") != enc || w.Header().Get("ETag") == plain.Header().Get("ETag") {
			t.Errorf("GET / (%s): Content-Encoding %q, ETag %q; want %s and its own ETag", enc, w.Header().Get("Content-Encoding"), w.Header().Get("ETag"), enc)
		}
		r, err := dec(w.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain.Body.Bytes()) {
			t.Errorf("GET / (%s) decodes to %d bytes (%v), want the %d identity bytes", enc, len(got), err, plain.Body.Len())
		}
		if w.Body.Len() >= plain.Body.Len() {
			t.Errorf("GET / (%s) = %d bytes, want fewer than %d", enc, w.Body.Len(), plain.Body.Len())
		}
		if w2 := serveReq(s, http.MethodGet, "/", http.Header{"Accept-Encoding": {enc}, "If-None-Match": {w.Header().Get("ETag")}}); w2.Code != http.StatusNotModified {
			t.Errorf("revalidating the %s representation = %d, want 304", enc, w2.Code)
		}
	}
}
