package evidence

import (
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestTilePath(t *testing.T) {
	good := []struct {
		path  string
		L     int
		n     uint64
		width int
	}{
		{"tile/0/000", 0, 0, 256},
		{"tile/0/x001/x234/067", 0, 1234067, 256},
		{"tile/1/067.p/1", 1, 67, 1},
		{"tile/63/999.p/255", 63, 999, 255},
		{"tile/entries/x001/000.p/12", EntriesLevel, 1000, 12},
		{"tile/entries/x072/x057/x594/x037/x927/935", EntriesLevel, 72057594037927935, 256},
	}
	for _, tt := range good {
		L, n, w, err := ParseTilePath(tt.path)
		if err != nil || L != tt.L || n != tt.n || w != tt.width {
			t.Errorf("ParseTilePath(%q) = %d, %d, %d, %v; want %d, %d, %d", tt.path, L, n, w, err, tt.L, tt.n, tt.width)
		}
		if got := TilePath(tt.L, tt.n, tt.width); got != tt.path {
			t.Errorf("TilePath(%d, %d, %d) = %q, want %q", tt.L, tt.n, tt.width, got, tt.path)
		}
		if tt.L >= 0 {
			// x/mod's tlog writes the same path with the height after "tile/".
			want := tlog.Tile{H: 8, L: tt.L, N: int64(tt.n), W: tt.width}.Path()
			if got := "tile/8/" + tt.path[len("tile/"):]; got != want {
				t.Errorf("path %q: tlog's is %q", got, want)
			}
		}
	}
	for _, p := range []string{"", "tile/", "tile/0", "tile/0/", "tile/00/000", "tile/64/000", "tile/-1/000", "tile/0/0",
		"tile/0/0000", "tile/0/x000/001", "tile/0/001/002", "tile/0/x1/002", "tile/0/abc", "tile/0/000.p/0", "tile/0/000.p/256",
		"tile/0/000.p/01", "tile/0/000.p/", "tile/0/000.p/1/2", "tile/entry/000", "tiles/0/000", "tile/0/+12",
		"tile/0/x072/x057/x594/x037/x927/936", "tile/0/x001/x002/x003/x004/x005/x006/007", "tile/0/000/", "tile/0/ 00"} {
		if _, _, _, err := ParseTilePath(p); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseTilePath(%q) = %v, want ErrMalformed", p, err)
		}
	}
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/x001/x234/067", "tile/entries/000.p/5", "tile/3/x000/001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		L, n, w, err := ParseTilePath(p)
		if err != nil {
			return
		}
		if got := TilePath(L, n, w); got != p {
			t.Errorf("TilePath(ParseTilePath(%q)) = %q", p, got)
		}
	})
}
