package probes

import (
	"bytes"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// A literal is a string that every match of a pattern contains; fold says
// whether it is compared case-insensitively (Unicode simple folding, as
// regexp's (?i) does).
type literal struct {
	s    []byte // folded through foldBytes when fold is set
	fold bool
}

// minHintLen is the shortest literal worth a prefilter: shorter ones would
// be found in nearly every page.
const minHintLen = 4

// requiredLiterals returns literals one of which every match of re contains,
// or nil when no useful set exists. Matching a page against 8 case-insensitive
// signatures with the regexp engine alone cost ~3 ms of CPU per page; a
// substring search for the literals first makes a healthy page nearly free.
func requiredLiterals(expr string) []literal {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	alts := need(re.Simplify())
	for _, a := range alts {
		if len(a.s) < minHintLen {
			return nil
		}
	}
	return alts
}

// need returns a set of literals one of which every match of re contains
// (nil: unknown).
func need(re *syntax.Regexp) []literal {
	switch re.Op {
	case syntax.OpLiteral:
		fold := re.Flags&syntax.FoldCase != 0
		s := []byte(string(re.Rune))
		if fold {
			s = foldBytes(s)
		}
		return []literal{{s: s, fold: fold}}
	case syntax.OpCapture, syntax.OpPlus:
		return need(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return need(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []literal
		for _, sub := range re.Sub {
			if alts := need(sub); alts != nil && shortest(alts) > shortest(best) {
				best = alts
			}
		}
		return best
	case syntax.OpAlternate:
		var all []literal
		for _, sub := range re.Sub {
			alts := need(sub)
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
		if c := b[i]; c < utf8.RuneSelf {
			out = append(out, asciiFold[c])
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			out = append(out, b[i])
		} else {
			out = utf8.AppendRune(out, foldMin(r))
		}
		i += n
	}
	return out
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

// pageText is a body with its folded copy, made once per page when a
// pattern needs it.
type pageText struct {
	raw, folded []byte
}

func (p *pageText) contains(l literal) bool {
	if !l.fold {
		return bytes.Contains(p.raw, l.s)
	}
	if p.folded == nil {
		p.folded = foldBytes(p.raw)
	}
	return bytes.Contains(p.folded, l.s)
}

// Match reports whether p matches the page, skipping the regexp when none
// of p's required literals is in the page.
func (p *Pattern) match(page *pageText) bool {
	if p.need != nil {
		found := false
		for _, l := range p.need {
			if page.contains(l) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return p.Re.Match(page.raw)
}
