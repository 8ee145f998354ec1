package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
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

// BenchmarkNewRendered compresses a 21 KB page both ways, as every render
// does; the pooled compressors keep it from allocating megabytes of tables.
func BenchmarkNewRendered(b *testing.B) {
	body := []byte(strings.Repeat("<tr><th>monlycée.net</th><td class=s-operational>Fonctionne</td></tr>\n", 300))
	b.ReportAllocs()
	for b.Loop() {
		newRendered(1, body, `"x"`)
	}
}

// A pooled compressor carries nothing from one page to the next: pages
// compressed in turn each decode to themselves.
func TestPooledCompressorsReset(t *testing.T) {
	pages := []string{strings.Repeat("Fonctionne ", 500), "Indisponible", strings.Repeat("Page de saturation ", 300)}
	for round := range 2 {
		for _, page := range pages {
			p := newRendered(1, []byte(page), `"x"`)
			zr, err := gzip.NewReader(bytes.NewReader(p.gz))
			if err != nil {
				t.Fatal(err)
			}
			gz, err := io.ReadAll(zr)
			if err != nil || string(gz) != page {
				t.Errorf("round %d: gzip decodes to %d bytes (%v), want the %d of its page", round, len(gz), err, len(page))
			}
			br, err := io.ReadAll(brotli.NewReader(bytes.NewReader(p.br)))
			if err != nil || string(br) != page {
				t.Errorf("round %d: brotli decodes to %d bytes (%v), want the %d of its page", round, len(br), err, len(page))
			}
		}
	}
}
