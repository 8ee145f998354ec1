package probes

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"unicode"
	"unicode/utf8"
)

// A built-in signature whose literal the scan finds runs its regexp only
// over windows of the page around the literal's occurrences, and only
// the alternative (part) that the literal belongs to: a working page
// whose news say "maintenance", "indisponible" or "liste d'attente" cost
// one whole-page regexp per such signature, 60 to 150 ns a byte (11 ms
// for BenchmarkSignaturesNews's 50 KB page, against ~0.3 ms for the rest
// of a check).
//
// The windows are exact for every match in which the runs that unbounded
// repetitions other than white space match ([^<]* in a title, [^>]* in
// a tag) span, with the runs of white space around them, at most
// windowBound bytes: each literal knows, from its part's syntax tree, how
// far a match can reach on each side of the last rune of its occurrence
// (literal.before, .after), and the window of an occurrence is that
// reach around the scan's litHit. A match whose phrase is spread over
// more than windowBound bytes of markup may be missed; a real failure
// page's phrase fits in a few hundred bytes. Where a literal reaches only
// over runs of white space and &nbsp; between words (most signatures),
// the reach is counted in bytes of the spacedFold, which does not count
// those runs: the window is exact, with no bound.
//
// A match in a window is a match in the page: windows begin and end on
// whole runes, and a signature with an empty-width assertion (\A, \z, ^,
// $, \b), whose truth a window's edge could change, is matched whole
// (windowable).

// windowBound bounds the bytes that the unbounded repetitions of a match
// span together, for the match to be found through windows.
const windowBound = 2 << 10

// An extent is the most bytes of a page that part of a match can span:
// n bytes, and perhaps unbounded runs. Runs of white space and &nbsp;
// (runs: a space of a signature, \s*) are free: they are measured in
// bytes of the page's spacedFold, where a run is at most one space and
// is not counted (foldedBefore, foldedAfter), so they need no bound.
// Other unbounded runs (open: [^<]*, [^>]*) count as windowBound bytes,
// runs of white space among them.
type extent struct {
	n          int
	runs, open bool
}

func (e extent) plus(f extent) extent { return extent{e.n + f.n, e.runs || f.runs, e.open || f.open} }

func (e extent) or(f extent) extent { return extent{max(e.n, f.n), e.runs || f.runs, e.open || f.open} }

// start returns where a window begins in raw for a match that holds
// raw[at] and reaches e before it: the match cannot begin earlier, since
// it would then hold more than e.n bytes that foldedBefore counts.
func (e extent) start(raw []byte, at int) int {
	switch {
	case e.open:
		return runeStart(raw, at-e.n-windowBound)
	case e.runs:
		return runeStart(raw, foldedBefore(raw, at, e.n+1))
	}
	return runeStart(raw, at-e.n)
}

// end returns where a window ends in raw for a match that holds raw[at]
// and reaches e from it on.
func (e extent) end(raw []byte, at int) int {
	switch {
	case e.open:
		return runeEnd(raw, at+e.n+windowBound)
	case e.runs:
		return runeEnd(raw, foldedAfter(raw, at, e.n+1))
	}
	return runeEnd(raw, at+e.n)
}

// around returns lits with before extended by before and after by after.
func around(lits []literal, before, after extent) []literal {
	for i := range lits {
		lits[i].before = before.plus(lits[i].before)
		lits[i].after = lits[i].after.plus(after)
	}
	return lits
}

// runeExtent returns the most bytes that a rune of a literal matches:
// under fold, the longest rune of its case-folding orbit (k matches the
// Kelvin sign, 3 bytes). When spaced is set, a space is a run of white
// space and entities.
func runeExtent(r rune, fold, spaced bool) extent {
	if spaced && r == ' ' {
		return extent{runs: true}
	}
	n := runeLen(r)
	if fold {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			n = max(n, runeLen(f))
		}
	}
	return extent{n: n}
}

// runeLen is utf8.RuneLen, and 3 for a rune with no encoding, which the
// regexp can only meet as U+FFFD standing for one invalid byte.
func runeLen(r rune) int {
	if n := utf8.RuneLen(r); n > 0 {
		return n
	}
	return 3
}

// extentOf returns the most bytes a match of re spans (see runeExtent
// for spaced).
func extentOf(re *syntax.Regexp, spaced bool) extent {
	var e extent
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			e = e.plus(runeExtent(r, re.Flags&syntax.FoldCase != 0, spaced))
		}
	case syntax.OpCharClass:
		// Ranges are sorted: the last rune is the longest.
		if len(re.Rune) > 0 {
			e.n = runeLen(re.Rune[len(re.Rune)-1])
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		e.n = utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		e = extentOf(re.Sub[0], spaced)
	case syntax.OpStar, syntax.OpPlus:
		e.runs, e.open = isSpaceClass(re.Sub[0]), !isSpaceClass(re.Sub[0])
	case syntax.OpRepeat:
		if re.Max < 0 {
			e.runs, e.open = isSpaceClass(re.Sub[0]), !isSpaceClass(re.Sub[0])
			break
		}
		e = extentOf(re.Sub[0], spaced)
		e.n *= re.Max
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			e = e.plus(extentOf(sub, spaced))
		}
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			e = e.or(extentOf(sub, spaced))
		}
	}
	return e
}

// isSpaceClass reports whether re matches only white space (\s or part
// of it), which a spacedFold folds into its runs.
func isSpaceClass(re *syntax.Regexp) bool {
	if re.Op != syntax.OpCharClass {
		return false
	}
	for i := 0; i < len(re.Rune); i += 2 {
		for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
			if r >= utf8.RuneSelf || asciiClass[r] != classSpace {
				return false
			}
		}
	}
	return true
}

// windowable reports whether expr has no empty-width assertion, so that
// a match in a window of a page is a match in the page.
func windowable(expr string) bool {
	re, err := syntax.Parse(expr, syntax.Perl)
	return err == nil && !hasAssertion(re)
}

func hasAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	return slices.ContainsFunc(re.Sub, hasAssertion)
}

// A part is an alternative at the top of a built-in signature, compiled
// alone: a match of re holds one of the literals need[from:to] of its
// Pattern.
type part struct {
	re       *regexp.Regexp
	from, to int
}

// A window is the part raw[start:end] of a page.
type window struct{ start, end int }

// matchWindows reports whether one of p's parts matches in a window of
// the page around an occurrence of one of its literals. The page has
// been scanned: page.contains found one of p.need.
func (p *Pattern) matchWindows(page *pageText) bool {
	for i := range p.parts {
		if p.matchPart(page, i) {
			return true
		}
	}
	return false
}

// matchPart reports whether p.parts[k] matches in a window of the page
// around an occurrence of one of its literals (windows merged where they
// overlap or touch).
func (p *Pattern) matchPart(page *pageText, k int) bool {
	raw, pt := page.raw, &p.parts[k]
	var buf [16]window
	ws := buf[:0]
	for _, h := range page.hits {
		for i := pt.from; i < pt.to; i++ {
			if l := &p.need[i]; l.set > 0 && builtinLiterals.has(h, l.set-1) {
				at := int(h.at)
				ws = append(ws, window{l.before.start(raw, at), l.after.end(raw, at)})
			}
		}
	}
	slices.SortFunc(ws, func(a, b window) int { return a.start - b.start })
	for i := 0; i < len(ws); {
		w := ws[i]
		for i++; i < len(ws) && ws[i].start <= w.end; i++ {
			w.end = max(w.end, ws[i].end)
		}
		if pt.re.Match(raw[w.start:w.end]) {
			return true
		}
	}
	return false
}

// runeStart returns i clamped to raw, then moved back to a byte that is
// not a continuation byte: such a byte begins a rune however the page
// before it decodes, so the window decodes as the page does.
func runeStart(raw []byte, i int) int {
	i = max(0, min(i, len(raw)))
	for i > 0 && i < len(raw) && !utf8.RuneStart(raw[i]) {
		i--
	}
	return i
}

// runeEnd returns i clamped to raw, then moved on to a byte that is not
// a continuation byte, or the end: the window's last rune is whole.
func runeEnd(raw []byte, i int) int {
	i = max(0, min(i, len(raw)))
	for i < len(raw) && !utf8.RuneStart(raw[i]) {
		i++
	}
	return i
}
