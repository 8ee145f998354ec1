package probes

import (
	"bytes"
	"slices"
	"unicode/utf8"
)

// literalSet finds, in one pass over a page, which of a fixed set of
// literals the page's spacedFold contains, without making that copy: an
// Aho–Corasick automaton, made a DFA over byte classes, that folds case
// and white space as it reads. The built-in signatures have 51 literals;
// searching each by its rarest byte in a spacedFold copy scanned the page
// once per literal and stopped at every 'N' of a French page for
// "ATTENTE": judging took 11 % of serve's CPU at 1,000 checks (18 % with
// kept connections). One pass costs the same whatever the literals.
type literalSet struct {
	// raw maps a byte of the page to its class (the class of its folding;
	// white space to the space's class), or to classEscape for '&' and
	// bytes of multi-byte runes, which the scan folds first.
	raw [256]uint16
	// folded maps a folded byte to its class: 0 for bytes in no literal.
	folded  [256]uint16
	classes int
	// next[st+class] is the state after st, states being numbered by
	// their offset in next (state i at i*classes). Final states, where
	// a literal ends, come last: from firstFinal on.
	next       []int32
	firstFinal int32
	out        map[int32][]uint64 // a final state's literals, fail links included
	words      int
	spaceSelf  []bool  // by state number: the state's string ends in a space
	depth      []int32 // by state number: the length of the state's string
	// anchors, when every literal has one, lets scan feed the automaton
	// only the parts of a page where a literal may be.
	anchors *anchorFilter
}

// classEscape marks the raw bytes that scan folds before feeding them.
const classEscape = 0xffff

// newLiteralSet builds the automaton of lits, which are spacedFold'ed and
// non-empty; literal i of the result is lits[i].
func newLiteralSet(lits [][]byte) *literalSet {
	s := &literalSet{words: (len(lits) + 63) / 64, out: make(map[int32][]uint64)}
	for _, l := range lits {
		for _, c := range l {
			if s.folded[c] == 0 {
				s.classes++
				s.folded[c] = uint16(s.classes)
			}
		}
	}
	s.classes++ // class 0
	for c := range s.raw {
		switch asciiClass[c] {
		case classPlain:
			s.raw[c] = s.folded[asciiFold[c]]
		case classSpace:
			s.raw[c] = s.folded[' ']
		default:
			s.raw[c] = classEscape
		}
	}
	newNode := func() trieNode {
		to := make([]int32, s.classes)
		for i := range to {
			to[i] = -1
		}
		return trieNode{to: to}
	}
	nodes := []trieNode{newNode()}
	outs := [][]int{nil}
	for i, l := range lits {
		st := int32(0)
		for _, c := range l {
			k := s.folded[c]
			if nodes[st].to[k] < 0 {
				nodes = append(nodes, newNode())
				outs = append(outs, nil)
				nodes[st].to[k] = int32(len(nodes) - 1)
				nodes[len(nodes)-1].space = c == ' '
				nodes[len(nodes)-1].depth = nodes[st].depth + 1
			}
			st = nodes[st].to[k]
		}
		outs[st] = append(outs[st], i)
	}
	// Breadth first: each state's fail link, outputs and missing
	// transitions come from states nearer the root, already complete.
	next := make([]int32, len(nodes)*s.classes)
	out := make([][]uint64, len(nodes))
	queue := []int32{0}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		n := &nodes[st]
		out[st] = make([]uint64, s.words)
		for _, i := range outs[st] {
			out[st][i/64] |= 1 << (i % 64)
		}
		if st != 0 {
			for w := range s.words {
				out[st][w] |= out[n.fail][w]
			}
		}
		for k := range s.classes {
			to := n.to[k]
			switch {
			case to >= 0:
				if st != 0 {
					nodes[to].fail = next[int(n.fail)*s.classes+k]
				}
				queue = append(queue, to)
			case st == 0:
				to = 0
			default:
				to = next[int(n.fail)*s.classes+k]
			}
			next[int(st)*s.classes+k] = to
		}
	}
	s.renumber(next, out, nodes)
	s.anchors = newAnchorFilter(lits)
	return s
}

// trieNode is a state of the trie newLiteralSet builds.
type trieNode struct {
	to    []int32 // by class; -1 where absent
	fail  int32
	space bool  // reached by a space
	depth int32 // the length of its string
}

// renumber fills s.next from next, numbering the final states last and
// every state by its offset.
func (s *literalSet) renumber(next []int32, out [][]uint64, nodes []trieNode) {
	n := len(out)
	final := func(st int) bool { return slices.ContainsFunc(out[st], func(w uint64) bool { return w != 0 }) }
	order := make([]int, 0, n) // new number → old
	for _, last := range []bool{false, true} {
		for st := range n {
			if final(st) == last {
				order = append(order, st)
			}
		}
	}
	num := make([]int32, n) // old → new offset
	for i, st := range order {
		num[st] = int32(i * s.classes)
		if final(st) && s.firstFinal == 0 {
			s.firstFinal = num[st]
		}
	}
	if s.firstFinal == 0 { // no final state
		s.firstFinal = int32(n * s.classes)
	}
	s.next = make([]int32, n*s.classes)
	s.spaceSelf = make([]bool, n)
	s.depth = make([]int32, n)
	for i, st := range order {
		for k := range s.classes {
			s.next[i*s.classes+k] = num[next[st*s.classes+k]]
		}
		if final(st) {
			s.out[num[st]] = out[st]
		}
		s.spaceSelf[i], s.depth[i] = nodes[st].space, nodes[st].depth
	}
	// A run of white space is one space in a spacedFold: after a space,
	// more spaces leave the state as it is.
	sp := int(s.folded[' '])
	for i := range n {
		if s.spaceSelf[i] && sp != 0 {
			s.next[i*s.classes+sp] = int32(i * s.classes)
		}
	}
}

// find appends to dst s.words words with bit i set for each literal i in
// the spacedFold of h, and to *hits (unless hits is nil) every occurrence.
func (s *literalSet) find(dst []uint64, h []byte, hits *[]litHit) []uint64 {
	n := len(dst)
	dst = append(dst, make([]uint64, s.words)...)
	s.scanTo(h, &scanOut{found: dst[n:], hits: hits})
	return dst
}

// scan sets in found (of s.words words) bit i for each literal i in the
// spacedFold of h, without making it.
//
// A page of a few KiB or more is read as two streams at once, its halves
// split at a '<' (where the spacedFold of the second half is the suffix of
// the whole one's): each byte's transition waits for the previous one's,
// and two independent chains keep the processor busy in each other's
// waits. The first stream then reads past the split until no literal that
// began before it can still end (finish).
func (s *literalSet) scan(h []byte, found []uint64) { s.scanTo(h, &scanOut{found: found}) }

// scanTo is scan, filling out: out.found as scan fills found, and
// *out.hits, unless out.hits is nil, with every occurrence of a literal.
func (s *literalSet) scanTo(h []byte, out *scanOut) {
	if s.anchors != nil && !s.anchors.readsWhole(h) {
		s.scanAnchored(h, out)
		return
	}
	s.scanWhole(h, out)
}

// scanOut is what a scan finds in a page: found has bit i set for each
// literal i found; hits, when not nil, receives every occurrence.
type scanOut struct {
	found []uint64
	hits  *[]litHit
}

// A litHit is where the scan reached a final state st, where some
// literals end (has): at is the index of the page's byte, or the first of
// the rune or entity, whose folding ends them. Any stretch of the page
// whose spacedFold holds such an occurrence holds h[at]. The loader caps
// max_body at 64 MiB; Pattern.match reads a page of 2³¹ bytes or more
// whole.
type litHit struct{ st, at int32 }

// scanWhole is scan without anchors, feeding every byte of h.
func (s *literalSet) scanWhole(h []byte, out *scanOut) {
	mid := -1
	if len(h) >= minSplit {
		if k := bytes.IndexByte(h[len(h)/2:], '<'); k >= 0 {
			mid = len(h)/2 + k
		}
	}
	if mid < 0 {
		s.run(0, h, 0, len(h), out)
		return
	}
	raw, next, final := &s.raw, s.next, s.firstFinal
	a, b := int32(0), int32(0)
	i, j := 0, mid
	for i < mid && j < len(h) {
		ka, kb := raw[h[i]], raw[h[j]]
		if ka == classEscape {
			a, i, _ = s.escape(a, h, i, out)
			continue
		}
		if kb == classEscape {
			b, j, _ = s.escape(b, h, j, out)
			continue
		}
		a, b = next[a+int32(ka)], next[b+int32(kb)]
		if a >= final {
			s.mark(a, i, out)
		}
		if b >= final {
			s.mark(b, j, out)
		}
		i, j = i+1, j+1
	}
	a, _ = s.run(a, h, i, mid, out)
	s.finish(a, h, mid, out)
	s.run(b, h, j, len(h), out)
}

// minSplit is the shortest page scan reads as two streams.
const minSplit = 2 << 10

// run feeds h[i:end] from state st, and the rest of a rune or entity that
// begins before end, and returns the state and the index reached.
func (s *literalSet) run(st int32, h []byte, i, end int, out *scanOut) (int32, int) {
	raw, next, final := &s.raw, s.next, s.firstFinal
	for i < end {
		k := raw[h[i]]
		if k == classEscape {
			st, i, _ = s.escape(st, h, i, out)
			continue
		}
		st = next[st+int32(k)]
		if st >= final {
			s.mark(st, i, out)
		}
		i++
	}
	return st, i
}

// finish feeds h[mid:] from state st, reached at mid, while the literal
// being matched may have begun before mid: while the state's depth (the
// folded length of the longest literal prefix it stands for) exceeds the
// folded bytes fed since mid.
func (s *literalSet) finish(st int32, h []byte, mid int, out *scanOut) {
	fed := 0
	for i := mid; i < len(h) && int(s.depth[st/int32(s.classes)]) > fed; {
		k := s.raw[h[i]]
		if k == classEscape {
			var n int
			st, i, n = s.escape(st, h, i, out)
			fed += n
			continue
		}
		if k != s.folded[' '] || !s.spaceSelf[st/int32(s.classes)] {
			fed++ // not a space folded into the one before
		}
		st = s.next[st+int32(k)]
		if st >= s.firstFinal {
			s.mark(st, i, out)
		}
		i++
	}
}

// escape feeds the folding of the rune or entity at h[i] and returns the
// state, the index of what follows and the count of folded bytes fed.
func (s *literalSet) escape(st int32, h []byte, i int, out *scanOut) (int32, int, int) {
	var buf [utf8.UTFMax]byte
	if h[i] == '&' {
		if !hasFoldPrefix(h[i:], "&nbsp;") && !hasFoldPrefix(h[i:], "&#160;") {
			return s.feed(st, '&', i, out), i + 1, 1
		}
		// &nbsp; is a space: a run of spaces is one.
		j := i + len("&nbsp;")
		if s.spaceSelf[st/int32(s.classes)] {
			return st, j, 0
		}
		return s.feed(st, ' ', i, out), j, 1
	}
	if c := h[i]; c >= 0xc2 && c < 0xe0 && i+1 < len(h) && h[i+1]&0xc0 == 0x80 {
		// A two-byte rune (é, è, à, ç…): its folding from a table.
		f := &latinFolded[int(c&0x1f)<<6|int(h[i+1]&0x3f)]
		for _, c := range f.b[:f.n] {
			st = s.feed(st, c, i, out)
		}
		return st, i + 2, int(f.n)
	}
	r, n := utf8.DecodeRune(h[i:])
	if r == utf8.RuneError && n == 1 { // kept as it is, as appendFolded does
		return s.feed(st, h[i], i, out), i + 1, 1
	}
	f := utf8.AppendRune(buf[:0], foldMin(r))
	for _, c := range f {
		st = s.feed(st, c, i, out)
	}
	return st, i + n, len(f)
}

// feed feeds c, a byte of the folding of the rune or entity at h[at].
func (s *literalSet) feed(st int32, c byte, at int, out *scanOut) int32 {
	st = s.next[st+int32(s.folded[c])]
	if st >= s.firstFinal {
		s.mark(st, at, out)
	}
	return st
}

// mark records the literals that end in final state st, reached on the
// byte (or the rune or entity) at h[at]. It stays small enough to inline
// into feed, which escape calls for every byte of a folded rune.
func (s *literalSet) mark(st int32, at int, out *scanOut) {
	for w, ws := range s.out[st] {
		out.found[w] |= ws
	}
	if out.hits != nil {
		*out.hits = append(*out.hits, litHit{st, int32(at)})
	}
}

// has reports whether literal i ends where h was found.
func (s *literalSet) has(h litHit, i int) bool { return s.out[h.st][i/64]&(1<<(i%64)) != 0 }

// latinFolded holds the UTF-8 of foldMin(r) for every rune r of two bytes
// in UTF-8 (U+0080 to U+07FF), indexed by r.
var latinFolded = func() (t [0x800]struct {
	b [utf8.UTFMax]byte
	n uint8
}) {
	for r := rune(0x80); r < 0x800; r++ {
		t[r].n = uint8(len(utf8.AppendRune(t[r].b[:0], foldMin(r))))
	}
	return t
}()
