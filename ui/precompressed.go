package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/labstack/echo/v4"
)

// renderedPage is a page or document rendered once per change and kept
// with its gzip and brotli encodings, so that a rush of requests costs a
// map lookup and a write, never a render or a compression.
type renderedPage struct {
	gen    uint64
	at     time.Time // when it was rendered
	body   []byte
	gz, br []byte
	etag   string // of the identity encoding, quoted; the others add -gz, -br
	// lazyBr, when set (br is then nil), makes the brotli encoding on the
	// first request for it: the large Statuspage documents, which most
	// machines ask for in gzip.
	lazyBr *lazyBrotli
}

// newRendered compresses body once: the cost is paid once per render, the
// savings on every request. Brotli at level 7 is within a few percent of
// level 11 on these pages for a fraction of its time.
func newRendered(gen uint64, body []byte, etag string) renderedPage {
	p := renderedPage{gen: gen, at: time.Now(), body: body, etag: etag}
	if len(body) > largeBody {
		p.gz, p.br = compress(body, fastGzipWriters), compress(body, fastBrotliWriters)
	} else {
		p.gz, p.br = compress(body, gzipWriters), compress(body, brotliWriters)
	}
	return p
}

// largeBody is the size past which a document is compressed at fast
// levels: the Statuspage documents of 10,000 components are 3.2 MB, which
// gzip -9 and brotli 7 took ~200 ms to compress, against ~25 ms at gzip 6
// and brotli 2 for 1 % more gzip bytes and 8 % more brotli bytes.
const largeBody = 256 << 10

// A resettable compressor: gzip's and brotli's writers both are.
type compressor interface {
	io.WriteCloser
	Reset(io.Writer)
}

// The compressors are pooled: a new brotli writer at level 7 and a gzip
// writer at level 9 allocate 9.6 MB of tables between them, for a 20 KB
// page; during a rush, a render a second per page made that garbage the
// collector's main work, and its pauses the requests' slowest latencies.
var (
	gzipWriters = &sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.BestCompression) // the level is valid
		return w
	}}
	brotliWriters = &sync.Pool{New: func() any { return brotli.NewWriterLevel(nil, 7) }}
	// For bodies over largeBody.
	fastGzipWriters = &sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression) // the level is valid
		return w
	}}
	fastBrotliWriters = &sync.Pool{New: func() any { return brotli.NewWriterLevel(nil, 2) }}
)

func compress(body []byte, pool *sync.Pool) []byte {
	w := pool.Get().(compressor)
	defer pool.Put(w)
	var out bytes.Buffer
	out.Grow(len(body)/4 + 64)
	w.Reset(&out)
	w.Write(body) // writes to a bytes.Buffer do not fail
	w.Close()
	w.Reset(nil) // the pool must not keep the page alive
	return out.Bytes()
}

// serveRendered answers with p in the encoding the client prefers, with
// its ETag (304 on a match) and no body for HEAD.
func serveRendered(c echo.Context, p renderedPage, contentType, cacheControl string) error {
	body, enc, etag := p.body, "", p.etag
	accept := c.Request().Header.Get("Accept-Encoding")
	choice := pickEncoding(accept)
	if choice == "br" && p.lazyBr != nil {
		// A later br;q=0 overrides the client's br: is gzip its next choice?
		gzipToo := pickEncoding(accept+", br;q=0") == "gzip"
		if p.br = p.lazyBr.get(p.body, !gzipToo); p.br == nil {
			choice = "gzip" // another request is compressing it
		}
	}
	switch choice {
	case "br":
		body, enc, etag = p.br, "br", strings.TrimSuffix(p.etag, `"`)+`-br"`
	case "gzip":
		body, enc, etag = p.gz, "gzip", strings.TrimSuffix(p.etag, `"`)+`-gz"`
	}
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", cacheControl)
	h.Add("Vary", "Accept-Encoding")
	if inm := c.Request().Header.Get("If-None-Match"); inm != "" && (inm == etag || inm == p.etag || inm == "*") {
		return c.NoContent(http.StatusNotModified)
	}
	if enc != "" {
		h.Set("Content-Encoding", enc)
	}
	return writeOK(c, contentType, body)
}

// writeOK answers 200 with body, or with its headers only for HEAD; the
// caller has set the other headers.
func writeOK(c echo.Context, contentType string, body []byte) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, contentType)
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	c.Response().WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	_, err := c.Response().Write(body)
	return err
}

// pickEncoding chooses br, then gzip, then identity ("") from an
// Accept-Encoding header, honouring q=0 refusals.
func pickEncoding(header string) string {
	if header == "" {
		return ""
	}
	ok := map[string]bool{}
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, found := strings.CutPrefix(strings.TrimSpace(params), "q="); found {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		ok[strings.ToLower(strings.TrimSpace(name))] = q > 0
	}
	for _, enc := range []string{"br", "gzip"} {
		if allowed, named := ok[enc]; named && allowed || !named && ok["*"] {
			return enc
		}
	}
	return ""
}
