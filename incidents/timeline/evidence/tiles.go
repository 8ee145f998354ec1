package evidence

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/constat-ent/constat/incidents/timeline"
)

// EntriesLevel is the level TilePath and ParseTilePath give entry bundles
// (tile/entries/…), which hold records rather than hashes.
const EntriesLevel = -1

// maxTileIndex bounds N: level 0 tiles cover 2^64 leaves at most.
const maxTileIndex = 1<<56 - 1

// TilePath returns the C2SP tlog-tiles path of tile n at level L (or of
// entry bundle n when L is EntriesLevel) holding width hashes or records:
// "tile/0/x001/x234/067", "tile/entries/000.p/12". A width of TileWidth is a
// full tile, without the ".p/" suffix.
func TilePath(L int, n uint64, width int) string {
	var b strings.Builder
	b.WriteString("tile/")
	if L == EntriesLevel {
		b.WriteString("entries")
	} else {
		b.WriteString(strconv.Itoa(L))
	}
	s := fmt.Sprintf("%03d", n)
	for len(s)%3 != 0 {
		s = "0" + s
	}
	for i := 0; i < len(s); i += 3 {
		b.WriteByte('/')
		if i+3 < len(s) {
			b.WriteByte('x')
		}
		b.WriteString(s[i : i+3])
	}
	if width < timeline.TileWidth {
		fmt.Fprintf(&b, ".p/%d", width)
	}
	return b.String()
}

// ParseTilePath parses a path TilePath returns, accepting nothing else:
// a level 0 to 63 (or "entries", EntriesLevel) without leading zeros, an
// index in 3-digit elements, all but the last starting with "x" and the
// first not "x000", and an optional ".p/W" with W 1 to 255 without leading
// zeros. Anything else gets an error wrapping ErrMalformed.
func ParseTilePath(p string) (L int, n uint64, width int, err error) {
	bad := func(why string) (int, uint64, int, error) {
		return 0, 0, 0, fmt.Errorf("tile path %.80q: %s: %w", p, why, ErrMalformed)
	}
	rest, ok := strings.CutPrefix(p, "tile/")
	if !ok {
		return bad("not under tile/")
	}
	level, rest, ok := strings.Cut(rest, "/")
	switch {
	case !ok:
		return bad("no index")
	case level == "entries":
		L = EntriesLevel
	default:
		v, ok := decimal(level, 63)
		if !ok {
			return bad("level not 0 to 63")
		}
		L = int(v)
	}
	width = timeline.TileWidth
	if idx, w, partial := strings.Cut(rest, ".p/"); partial {
		v, ok := decimal(w, timeline.TileWidth-1)
		if !ok || v == 0 {
			return bad("width not 1 to 255")
		}
		rest, width = idx, int(v)
	}
	elems := strings.Split(rest, "/")
	if len(elems) > 6 {
		return bad("index too long")
	}
	for i, e := range elems {
		if i < len(elems)-1 {
			if e, ok = strings.CutPrefix(e, "x"); !ok || (i == 0 && e == "000") {
				return bad("index element without x, or a leading x000")
			}
		}
		if len(e) != 3 || strings.Trim(e, "0123456789") != "" {
			return bad("index element not 3 digits")
		}
		d, _ := strconv.Atoi(e)
		n = n*1000 + uint64(d)
	}
	if n > maxTileIndex {
		return bad("index too large")
	}
	return L, n, width, nil
}

// decimal parses s as a decimal at most maxV without leading zeros.
func decimal(s string, maxV uint64) (uint64, bool) {
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil && v <= maxV && strconv.FormatUint(v, 10) == s
}
