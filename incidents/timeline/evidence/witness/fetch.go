package witness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

// Bounds on what the witness reads from the log.
const (
	maxNote      = 1 << 16          // a checkpoint note, signatures included
	tileHeight   = 8                // Constat's tiles (C2SP tlog-tiles)
	fetchTimeout = 20 * time.Second // one request
	pollTimeout  = 2 * time.Minute  // one poll, every request included
	maxTileReads = 64               // tiles one consistency proof may read: a few per level
)

// ErrFetch is returned (wrapped) when the log could not be read: a network
// error, a status other than 200, an answer too long or of the wrong
// size. It proves nothing against the log; the witness tries again.
var ErrFetch = errors.New("log not read")

// fetcher reads the log's documents under base, each request bounded in
// time and size.
type fetcher struct {
	base   string // the log's /evidence URL, without a trailing slash
	client *http.Client
}

// checkBase checks the -log URL: http or https, a host, no query.
func checkBase(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("log URL %q: want the log's evidence base, http(s)://host/evidence", s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// get returns the body of base/path, at most limit bytes.
func (f *fetcher) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.base+"/"+path, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w: %w", path, ErrFetch, err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w: %w", path, ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %w: status %d", path, ErrFetch, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w: %w", path, ErrFetch, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("GET %s: %w: answer over %d bytes", path, ErrFetch, limit)
	}
	return body, nil
}

// tileReader is a tlog.TileReader over the log's tiles. tlog checks each
// tile against the tree it reads for (tlog.TileHashReader) before using it.
type tileReader struct {
	ctx   context.Context
	f     *fetcher
	reads int // tiles read, bounded by maxTileReads
}

func (r *tileReader) Height() int { return tileHeight }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if r.reads++; r.reads > maxTileReads {
			return nil, fmt.Errorf("%w: more than %d tiles for one proof", ErrFetch, maxTileReads)
		}
		if t.H != tileHeight || t.W < 1 || t.W > 1<<tileHeight {
			return nil, fmt.Errorf("tile %v: %w", t, ErrFetch)
		}
		want := int64(t.W * tlog.HashSize)
		data, err := r.f.get(r.ctx, evidence.TilePath(t.L, uint64(t.N), t.W), want)
		if err != nil {
			return nil, err
		}
		if int64(len(data)) != want {
			return nil, fmt.Errorf("tile %s: %w: %d bytes, want %d", evidence.TilePath(t.L, uint64(t.N), t.W), ErrFetch, len(data), want)
		}
		out[i] = data
	}
	return out, nil
}

// SaveTiles keeps nothing: every proof reads its tiles afresh.
func (r *tileReader) SaveTiles([]tlog.Tile, [][]byte) {}
