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
// ASCII, with a space at most first or last, that any occurrence of the
// literal in a page's spacedFold takes from consecutive bytes of the page
// itself, differing at most in case: a run of white space or an entity
// cannot fall inside it, an edge space stands for the byte of the page
// that ends or begins such a run, and a byte of a multi-byte rune cannot
// fold into it unless the page holds one of foldsToASCII, which scan then
// reads whole.
//
// scan reads the page 4 bytes at a time every stride bytes: every anchor
// has stride+3 bytes, so every occurrence of an anchor has one of its
// 4-grams at a position read. A 4-gram read is ORed with 0x20 in every
// byte (which folds ASCII letters and only merges other bytes: a false
// hit costs a lookup, never a miss), looked up in a 64 Kibit set by
// hash, then exactly in grams; then the page must hold, around it, the
// whole run of anchor bytes of the literal that the 4-gram is in (such
// as "MEDITATION:" for "TION", which "authentication" holds). Only then
// does the automaton run, over the window where that literal could lie,
// counted in bytes of the spacedFold around the 4-gram. On a working
// page most of the bytes are never fed to the automaton.
type anchorFilter struct {
	stride int
	bits   [1 << 10]uint64 // by gramHash: a 4-gram of some anchor may hash here
	grams  []uint32        // the anchors' folded 4-grams, sorted
	checks [][]gramCheck   // by index in grams
}

// A gramCheck is one literal's anchor 4-gram: the run of anchor bytes
// of the literal that holds it, and how far, in bytes of the spacedFold,
// the literal extends before the 4-gram's first byte and from it on.
type gramCheck struct {
	run           string // ORed with 0x20 in every byte
	at            int    // where run starts, from the 4-gram's first byte
	back, fwd     int
	before, after bool // a space comes before run, after run in the literal
}

// runEnds are the bytes that can end a run of white space and entities,
// runStarts those that can begin one.
const (
	runEnds   = " \t\n\f\r;"
	runStarts = " \t\n\f\r&"
)

// holds reports whether h holds c's run at q, with the page's bytes
// around it that the literal's spaces around it need.
func (c *gramCheck) holds(h []byte, q int) bool {
	end := q + len(c.run)
	return q >= 0 && end <= len(h) && equalOred(h[q:end], c.run) &&
		(!c.before || q > 0 && strings.IndexByte(runEnds, h[q-1]) >= 0) &&
		(!c.after || end < len(h) && strings.IndexByte(runStarts, h[end]) >= 0)
}

// gramLen is the length of the grams the filter reads; maxStride bounds
// the stride, so that anchors stay short enough to choose well.
const (
	gramLen   = 4
	maxStride = 4
)

// reachMargin is added to each side of a window: walking a page counts
// at most the folded bytes that are there, except in an entity whose ';'
// is the 4-gram's first byte (for an edge space): foldedBefore counts its
// other 5 bytes.
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
	checks := make(map[uint32][]gramCheck)
	for _, l := range lits {
		k := anchorStart(l, gramLen+stride-1)
		for j := k; j < k+stride; j++ {
			c := gramCheck{back: j, fwd: len(l) - j}
			c.run, c.at = anchorRun(l, j)
			a, b := j+c.at, j+c.at+len(c.run)
			c.before, c.after = a > 0 && l[a-1] == ' ', b < len(l) && l[b] == ' '
			for _, g := range gramVariants(l[j : j+gramLen]) {
				if !slices.Contains(checks[g], c) {
					checks[g] = append(checks[g], c)
				}
			}
		}
	}
	for g := range checks {
		f.grams = append(f.grams, g)
	}
	slices.Sort(f.grams)
	f.checks = make([][]gramCheck, len(f.grams))
	for i, g := range f.grams {
		f.checks[i] = checks[g]
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

// anchorRun returns the run of anchor bytes of l that holds the first
// anchor byte from l[j] on, ORed with 0x20, and where it starts from j.
func anchorRun(l []byte, j int) (string, int) {
	a := j
	if !anchorByte(l[a]) {
		a++ // an edge space
	}
	b := a
	for a > 0 && anchorByte(l[a-1]) {
		a--
	}
	for b < len(l) && anchorByte(l[b]) {
		b++
	}
	run := make([]byte, b-a)
	for i, c := range l[a:b] {
		run[i] = c | 0x20
	}
	return string(run), a - j
}

// anchorStart returns where l's anchor of n bytes starts. What a hit
// costs is the automaton's window, run only when the page holds the
// whole run of anchor bytes around the anchor: so the anchor is in the
// run least likely on a French page, and within it, the window least
// likely (for fewer lookups). A byte c is taken as likely as 1 in (its
// rank in commonBytes)+2.
func anchorStart(l []byte, n int) int {
	best, bestScore := -1, 0.0
	for k := 0; k+n <= len(l); k++ {
		if !isWindow(l[k : k+n]) {
			continue
		}
		run, _ := anchorRun(l, k)
		score := rarity(run) + rarity(string(l[k:k+n]))/16
		if best < 0 || score > bestScore {
			best, bestScore = k, score
		}
	}
	return best
}

// rarity returns -log2 of how likely the anchor bytes of w are together,
// each taken as 1 in (its rank in commonBytes)+2.
func rarity(w string) float64 {
	sum := 0.0
	for i := range len(w) {
		if c := asciiFold[w[i]&0x7f]; anchorByte(c) {
			r := strings.IndexByte(commonBytes, c)
			if r < 0 {
				r = len(commonBytes)
			}
			sum += math.Log2(float64(r + 2))
		}
	}
	return sum
}

// gramVariants returns the folded 4-grams that a page holding the 4 bytes
// of a window g can have: a space first or last stands for any byte
// that can begin or end a run of white space.
func gramVariants(g []byte) []uint32 {
	firsts, lasts := []byte{g[0]}, []byte{g[len(g)-1]}
	if g[0] == ' ' {
		firsts = []byte(runEnds)
	}
	if g[len(g)-1] == ' ' {
		lasts = []byte(runStarts)
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
func (s *literalSet) scanAnchored(h []byte, out *scanOut) {
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
		for _, c := range f.checks[k] {
			if !c.holds(h, i+c.at) {
				continue
			}
			from := foldedBefore(h, i, c.back+reachMargin)
			to := foldedAfter(h, i, c.fwd+reachMargin)
			if start < 0 || from < start || from > p {
				st, start, p = 0, from, from
			}
			if p < to {
				st, p = s.run(st, h, p, to, out)
			}
		}
	}
}

// equalOred reports whether b, each byte ORed with 0x20, is run.
func equalOred(b []byte, run string) bool {
	for i := range b {
		if b[i]|0x20 != run[i] {
			return false
		}
	}
	return true
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
