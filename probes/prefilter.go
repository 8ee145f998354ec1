package probes

import (
	"bytes"
	"math"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A literal is a string that every match of a pattern contains; fold says
// whether it is compared case-insensitively (Unicode simple folding, as
// regexp's (?i) does); spaced, whether it is compared with the page's
// spacedFold, where every run of white space and &nbsp; is one space.
type literal struct {
	s      []byte // folded through foldBytes (spacedFold when spaced) when fold is set
	fold   bool
	spaced bool
	rare   int // index in s of its least common byte, where the search starts
	// set is 1 + the literal's index in builtinLiterals, which finds all
	// the built-in signatures' literals in one pass; 0 when it is not there.
	set int
	// before and after are the most bytes of the page that a match holding
	// an occurrence of the literal spans before the occurrence's last rune
	// (or entity) and from it on (see extent and windowBound).
	before, after extent
}

// commonBytes lists the bytes of a folded French page from the most common
// on; a byte not listed is rarer than any listed. A literal is searched by
// its rarest byte: searching " DE MAINTENANCE" by its leading space would
// stop at every word of a 64 KiB page.
const commonBytes = " EASTINROLUCDMP<>/=\"\xc3-.HGBFV'Q,:;0123456789"

// withRare sets l.rare and returns l.
func (l literal) withRare() literal {
	best := -1
	for i, c := range l.s {
		rank := strings.IndexByte(commonBytes, c)
		if rank < 0 {
			rank = len(commonBytes)
		}
		if rank > best {
			best, l.rare = rank, i
		}
	}
	return l
}

// in reports whether h contains l.s: it looks for l.s[l.rare] with
// IndexByte, then compares around it.
func (l *literal) in(h []byte) bool {
	c, k := l.s[l.rare], l.rare
	for i := k; i < len(h); {
		j := bytes.IndexByte(h[i:], c)
		if j < 0 {
			return false
		}
		if p := i + j - k; p+len(l.s) <= len(h) && bytes.Equal(h[p:p+len(l.s)], l.s) {
			return true
		}
		i += j + 1
	}
	return false
}

// minHintLen is the shortest literal worth a prefilter: shorter ones would
// be found in nearly every page.
const minHintLen = 4

// requiredLiterals returns literals one of which every match of re contains,
// or nil when no useful set exists. Matching a page against 8 case-insensitive
// signatures with the regexp engine alone cost ~3 ms of CPU per page; a
// substring search for the literals first makes a healthy page nearly free.
func requiredLiterals(expr string) []literal { return literalsOf(expr, false) }

// literalsOf is requiredLiterals; when spaced is set, a space in expr
// stands for a run of white space in the literals' extents.
func literalsOf(expr string, spaced bool) []literal {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	alts := need(re.Simplify(), spaced)
	for i, a := range alts {
		if len(a.s) < minHintLen {
			return nil
		}
		alts[i] = a.withRare()
	}
	return alts
}

// spacedLiterals is requiredLiterals for an expression whose spaces stand
// for any run of white space or &nbsp; (the signatures' notation): expr has
// those spaces as plain spaces, so its literals span several words ("YOU
// ARE NOW IN LINE" rather than "LINE", which every CSS line-height holds),
// and they are looked up in the page's spacedFold. A literal with '&' or
// ';' could be cut by the entity rewriting: then there is no prefilter.
func spacedLiterals(expr string) []literal {
	alts := literalsOf(expr, true)
	for i := range alts {
		if !alts[i].fold || bytes.ContainsAny(alts[i].s, "&;") {
			return nil
		}
		alts[i].s, alts[i].spaced = spacedFold(alts[i].s), true
		alts[i] = alts[i].withRare()
	}
	return alts
}

// need returns a set of literals one of which every match of re contains
// (nil: unknown), each with the extent of a match around it, a space
// counting as a run of white space when spaced is set.
func need(re *syntax.Regexp, spaced bool) []literal {
	switch re.Op {
	case syntax.OpLiteral:
		fold := re.Flags&syntax.FoldCase != 0
		s := []byte(string(re.Rune))
		if fold {
			s = foldBytes(s)
		}
		last := runeExtent(re.Rune[len(re.Rune)-1], fold, spaced)
		return []literal{{s: s, fold: fold, before: extentOf(re, spaced), after: last}}
	case syntax.OpCapture:
		return need(re.Sub[0], spaced)
	case syntax.OpPlus:
		more := extentOf(re, spaced) // the other repetitions
		return around(need(re.Sub[0], spaced), more, more)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			more := extentOf(re, spaced) // the other repetitions, bounded or not
			return around(need(re.Sub[0], spaced), more, more)
		}
	case syntax.OpConcat:
		var best []literal
		k := 0
		for i, sub := range re.Sub {
			if alts := need(sub, spaced); alts != nil && shortest(alts) > shortest(best) {
				best, k = alts, i
			}
		}
		var before, after extent
		for _, sub := range re.Sub[:k] {
			before = before.plus(extentOf(sub, spaced))
		}
		for _, sub := range re.Sub[min(k+1, len(re.Sub)):] {
			after = after.plus(extentOf(sub, spaced))
		}
		return around(best, before, after)
	case syntax.OpAlternate:
		var all []literal
		for _, sub := range re.Sub {
			alts := need(sub, spaced)
			if alts == nil {
				return nil
			}
			all = append(all, alts...)
		}
		return all
	}
	return nil
}

func shortest(alts []literal) int {
	if len(alts) == 0 {
		return 0
	}
	n := len(alts[0].s)
	for _, a := range alts[1:] {
		n = min(n, len(a.s))
	}
	return n
}

// foldBytes maps every rune to the smallest rune of its simple case-folding
// orbit (k, K and the Kelvin sign all become K), so that two strings equal
// under (?i) are byte-equal after folding. Invalid UTF-8 bytes are kept.
// ASCII, most of a French page, goes through a table.
func foldBytes(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		i = appendFolded(&out, b, i)
	}
	return out
}

// appendFolded appends the folding of the rune at b[i] to *out and returns
// the index of the next rune.
func appendFolded(out *[]byte, b []byte, i int) int {
	if c := b[i]; c < utf8.RuneSelf {
		*out = append(*out, asciiFold[c])
		return i + 1
	}
	r, n := utf8.DecodeRune(b[i:])
	if r == utf8.RuneError && n == 1 {
		*out = append(*out, b[i])
	} else {
		*out = utf8.AppendRune(*out, foldMin(r))
	}
	return i + n
}

var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		t[c] = byte(c)
		if 'a' <= c && c <= 'z' {
			t[c] = byte(c) - ('a' - 'A')
		}
	}
	return t
}()

// latinFold caches foldMin for the Latin letters of French pages (é, è, ç…):
// the unicode tables' binary searches were most of the folding's cost.
var latinFold = func() (t [0x250]rune) {
	for r := range t {
		t[r] = foldMinSlow(rune(r))
	}
	return t
}()

func foldMin(r rune) rune {
	if r >= 0 && int(r) < len(latinFold) {
		return latinFold[r]
	}
	return foldMinSlow(r)
}

func foldMinSlow(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// spacedFold is foldBytes, and every run of ASCII white space (regexp's
// \s), &nbsp; and &#160; becomes one space. A string that contains a
// literal without '&' or ';' has a spacedFold that contains the literal's.
func spacedFold(b []byte) []byte { return appendSpacedFold(make([]byte, 0, len(b)), b) }

// appendSpacedFold appends the spacedFold of b to out. ASCII letters and
// signs, most of a page, take one table lookup each.
func appendSpacedFold(out, b []byte) []byte {
	out = slices.Grow(out, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		n := 1
		switch asciiClass[c] {
		case classPlain:
			out = append(out, asciiFold[c])
			i++
			continue
		case classSpace:
		case classAmp:
			if !hasFoldPrefix(b[i:], "&nbsp;") && !hasFoldPrefix(b[i:], "&#160;") {
				out = append(out, c)
				i++
				continue
			}
			n = len("&nbsp;")
		default:
			i = appendFolded(&out, b, i)
			continue
		}
		if len(out) == 0 || out[len(out)-1] != ' ' {
			out = append(out, ' ')
		}
		i += n
	}
	return out
}

// The classes of bytes for appendSpacedFold.
const (
	classPlain = iota // ASCII other than white space and '&'
	classSpace        // ASCII white space, regexp's \s
	classAmp          // '&', perhaps &nbsp;
	classHigh         // a byte of a multi-byte rune, or invalid
)

var asciiClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = classHigh
		case c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r':
			t[c] = classSpace
		case c == '&':
			t[c] = classAmp
		}
	}
	return t
}()

func hasFoldPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}

// pageText is a body with its folded copies, made once per page when a
// pattern needs them, and which of builtinLiterals it contains.
type pageText struct {
	raw, folded, spaced []byte
	found               []uint64  // bits of builtinLiterals; nil until scanned
	found2              [2]uint64 // found's storage, for up to 128 literals
	hits                []litHit  // where builtinLiterals are, once scanned
}

func (p *pageText) contains(l *literal) bool {
	switch {
	case !l.fold:
		return l.in(p.raw)
	case l.set > 0:
		if p.found == nil {
			p.found = builtinLiterals.find(p.found2[:0], p.raw, &p.hits)
		}
		i := l.set - 1
		return p.found[i/64]&(1<<(i%64)) != 0
	case l.spaced:
		if p.spaced == nil {
			p.spaced = spacedFold(p.raw)
		}
		return l.in(p.spaced)
	}
	if p.folded == nil {
		p.folded = foldBytes(p.raw)
	}
	return l.in(p.folded)
}

// Match reports whether p matches the page, skipping the regexp when none
// of p's required literals is in the page.
func (p *Pattern) match(page *pageText) bool {
	if p.need != nil {
		found := false
		for i := range p.need {
			if page.contains(&p.need[i]) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
		if p.parts != nil && len(page.raw) <= math.MaxInt32 { // litHit's int32
			return p.matchWindows(page)
		}
	}
	return p.Re.Match(page.raw)
}
