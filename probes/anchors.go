package probes

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// anchorFilter lets literalSet.scan skip the bytes of a page that no
// literal can be near. Each literal has an anchor: a few of its bytes,
// ASCII and without a space, that any occurrence of the literal in a
// page's spacedFold takes from consecutive bytes of the page itself,
// differing at most in case (a run of white space or an entity cannot
// fall inside it, and a byte of a multi-byte rune cannot fold into it
// unless the page holds one of foldsToASCII, which scan then reads whole).
//
// scan reads the page 4 bytes at a time every stride bytes: every anchor
// has stride+3 bytes, so every occurrence of an anchor has one of its
// 4-grams at a position read. A 4-gram read is ORed with 0x20 in every
// byte (which folds ASCII letters and only merges other bytes: a false
// hit costs a lookup, never a miss), looked up in a 64 Kibit set by hash,
// then exactly in grams. On a real hit the automaton runs over the window
// where a literal holding that anchor could lie, reach bytes of the
// spacedFold around the 4-gram. On a working French page most of the
// bytes are never fed to the automaton.
type anchorFilter struct {
	stride int
	bits   [1 << 10]uint64 // by gramHash: a 4-gram of some anchor may hash here
	grams  []uint32        // the anchors' folded 4-grams, sorted
	reach  []gramReach     // by index in grams
}

// gramReach says how far, in bytes of the spacedFold, a literal whose
// anchor holds a 4-gram may extend before the 4-gram's first byte and
// from it on.
type gramReach struct{ back, fwd int }

// gramLen is the length of the grams the filter reads; maxStride bounds
// the stride, so that anchors stay short enough to choose well.
const (
	gramLen   = 4
	maxStride = 4
)

// reachMargin is added to each side of a window: walking a page counts
// at least the folded bytes that are there, except for an entity cut by
// the window's edge, which may count up to 5 too many.
const reachMargin = 6

// foldsToASCII holds the UTF-8 of the runes outside ASCII that fold to an
// ASCII letter (ſ to S, the Kelvin sign to K): a page holding one is read
// whole, since its spacedFold can hold an anchor that its bytes do not.
var foldsToASCII = func() (encs [][]byte) {
	for c := rune(0); c < utf8.RuneSelf; c++ {
		for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
			if f >= utf8.RuneSelf {
				encs = append(encs, utf8.AppendRune(nil, f))
			}
		}
	}
	return encs
}()

// newAnchorFilter returns the filter of lits (spacedFold'ed), or nil when
// some literal has no window long enough to hold an anchor: then every
// page is read whole.
func newAnchorFilter(lits [][]byte) *anchorFilter {
	stride := maxStride
	for _, l := range lits {
		stride = min(stride, longestWindow(l)-gramLen+1)
	}
	if stride < 1 || len(lits) == 0 {
		return nil
	}
	f := &anchorFilter{stride: stride}
	reach := make(map[uint32]gramReach)
	for _, l := range lits {
		k := anchorStart(l, gramLen+stride-1)
		for j := k; j < k+stride; j++ {
			for _, g := range gramVariants(l[j : j+gramLen]) {
				r := reach[g]
				reach[g] = gramReach{back: max(r.back, j), fwd: max(r.fwd, len(l)-j)}
			}
		}
	}
	for g := range reach {
		f.grams = append(f.grams, g)
	}
	slices.Sort(f.grams)
	f.reach = make([]gramReach, len(f.grams))
	for i, g := range f.grams {
		f.reach[i] = reach[g]
		h := gramHash(g)
		f.bits[h>>6] |= 1 << (h & 63)
	}
	return f
}

// anchorByte reports whether c can be inside an anchor: an ASCII byte
// that a page holds as it is, up to case, where its spacedFold has it.
func anchorByte(c byte) bool { return c > ' ' && c < utf8.RuneSelf }

// A window of a literal can be an anchor: anchor bytes, with perhaps a
// space first or last. A space there stands for the last byte of a run of
// white space and entities (white space or ';') or for its first (white
// space or '&'), next to a byte of the page that the literal has too;
// a space inside would stand for a run of any length.
func isWindow(w []byte) bool {
	for i, c := range w {
		if !anchorByte(c) && (c != ' ' || i > 0 && i < len(w)-1 || len(w) == 1) {
			return false
		}
	}
	return true
}

// longestWindow returns the length of l's longest window (isWindow).
func longestWindow(l []byte) int {
	best := 0
	for k := range l {
		for n := best + 1; k+n <= len(l) && isWindow(l[k:k+n]); n++ {
			best = n
		}
	}
	return best
}

// anchorStart returns where l's anchor of n bytes starts: the window
// whose bytes are, all together, least likely on a French page, each
// byte c taken as 1 in (its rank in commonBytes)+2, a space as common.
func anchorStart(l []byte, n int) int {
	best, bestScore := -1, 0.0
	for k := 0; k+n <= len(l); k++ {
		if !isWindow(l[k : k+n]) {
			continue
		}
		score := 0.0
		for _, c := range l[k : k+n] {
			r := strings.IndexByte(commonBytes, c)
			if r < 0 {
				r = len(commonBytes)
			}
			if c != ' ' { // an edge space stands for many bytes
				score += math.Log2(float64(r + 2))
			}
		}
		if best < 0 || score > bestScore {
			best, bestScore = k, score
		}
	}
	return best
}

// gramVariants returns the folded 4-grams that a page holding the 4 bytes
// of a window g can have: a space first or last stands for any byte
// that can begin or end a run of white space.
func gramVariants(g []byte) []uint32 {
	firsts, lasts := []byte{g[0]}, []byte{g[len(g)-1]}
	if g[0] == ' ' {
		firsts = []byte(" \t\n\f\r;")
	}
	if g[len(g)-1] == ' ' {
		lasts = []byte(" \t\n\f\r&")
	}
	var vs []uint32
	b := slices.Clone(g)
	for _, b[0] = range firsts {
		for _, b[len(b)-1] = range lasts {
			vs = append(vs, foldGram(b))
		}
	}
	return vs
}

// foldGram returns the 4 bytes at b, little-endian, each ORed with 0x20.
func foldGram(b []byte) uint32 { return binary.LittleEndian.Uint32(b) | 0x20202020 }

// gramHash maps a folded 4-gram to a bit of anchorFilter.bits.
func gramHash(g uint32) uint32 { return (g * 0x9e3779b1) >> 16 }

// readsWhole reports whether h must be read whole: it holds a rune that
// folds into ASCII.
func (f *anchorFilter) readsWhole(h []byte) bool {
	for _, e := range foldsToASCII {
		if bytes.Contains(h, e) {
			return true
		}
	}
	return false
}

// scanAnchored is scan for a set with anchors: it feeds the automaton
// only the windows around the anchors' 4-grams in h. One run of the
// automaton goes on from window to window while each new window starts
// inside what it has read (so the run holds every literal the window
// can hold whole); otherwise it starts again from the root at the new
// window's start, where the spacedFold of h[from:] is a suffix of the
// whole page's (foldedBefore).
func (s *literalSet) scanAnchored(h []byte, found []uint64) {
	f := s.anchors
	bits, stride := &f.bits, f.stride
	var st int32
	start, p := -1, 0 // the run has read h[start:p]
	for i := 0; i+gramLen <= len(h); i += stride {
		g := foldGram(h[i : i+gramLen])
		if hb := gramHash(g); bits[hb>>6]&(1<<(hb&63)) == 0 {
			continue
		}
		k, ok := slices.BinarySearch(f.grams, g)
		if !ok {
			continue
		}
		r := f.reach[k]
		from := foldedBefore(h, i, r.back+reachMargin)
		to := foldedAfter(h, i, r.fwd+reachMargin)
		if start < 0 || from < start || from > p {
			st, start, p = 0, from, from
		}
		if p < to {
			st, p = s.run(st, h, p, to, found)
		}
	}
}

// run feeds h[i:end] from state st, and the rest of a rune or entity that
// begins before end, and returns the state and the index reached.
func (s *literalSet) run(st int32, h []byte, i, end int, found []uint64) (int32, int) {
	raw, next, final := &s.raw, s.next, s.firstFinal
	for i < end {
		k := raw[h[i]]
		if k == classEscape {
			st, i, _ = s.escape(st, h, i, found)
			continue
		}
		st = next[st+int32(k)]
		if st >= final {
			s.mark(st, found)
		}
		i++
	}
	return st, i
}

// foldedBefore returns the greatest j <= i such that the spacedFold of
// h[j:i] has at least n bytes, or 0. It counts what surely folds to a
// byte: a byte other than white space, a rune's continuation bytes and
// an entity for a space. It stops on a byte it counted, an ASCII byte or
// a rune's first byte, so that the spacedFold of h[j:] is a suffix of
// that of h; the one exception, an entity holding h[i] whose first bytes
// it counts, is left behind when n > 5 (reachMargin).
func foldedBefore(h []byte, i, n int) int {
	for c := 0; i > 0 && c < n; {
		i--
		switch b := h[i]; {
		case b == ';' && i >= 5 && isSpaceEntity(h[i-5:]):
			i -= 5
		case b&0xc0 == 0x80 || asciiClass[b] == classSpace:
		default:
			c++
		}
	}
	return i
}

// foldedAfter returns the least j >= i such that the spacedFold of h[i:j]
// has at least n bytes, or len(h); it counts as foldedBefore does.
func foldedAfter(h []byte, i, n int) int {
	for c := 0; i < len(h) && c < n; {
		switch b := h[i]; {
		case b == '&' && isSpaceEntity(h[i:]):
			i += len("&nbsp;")
			continue
		case b&0xc0 == 0x80 || asciiClass[b] == classSpace:
		default:
			c++
		}
		i++
	}
	return i
}

func isSpaceEntity(b []byte) bool {
	return hasFoldPrefix(b, "&nbsp;") || hasFoldPrefix(b, "&#160;")
}
