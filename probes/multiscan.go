package probes

import (
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
	spaceSelf  []bool // by state number: the state's string ends in a space
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
	// The trie: to[state][class], -1 where absent.
	type node struct {
		to    []int32
		fail  int32
		space bool // reached by a space
	}
	newNode := func() node {
		to := make([]int32, s.classes)
		for i := range to {
			to[i] = -1
		}
		return node{to: to}
	}
	nodes := []node{newNode()}
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
	s.renumber(next, out, func(st int) bool { return nodes[st].space })
	return s
}

// renumber fills s.next from next, numbering the final states last and
// every state by its offset.
func (s *literalSet) renumber(next []int32, out [][]uint64, space func(int) bool) {
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
	for i, st := range order {
		for k := range s.classes {
			s.next[i*s.classes+k] = num[next[st*s.classes+k]]
		}
		if final(st) {
			s.out[num[st]] = out[st]
		}
		s.spaceSelf[i] = space(st)
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

// scan sets in found (of s.words words) bit i for each literal i in the
// spacedFold of h, without making it.
func (s *literalSet) scan(h []byte, found []uint64) {
	st := int32(0)
	for i := 0; i < len(h); {
		k := s.raw[h[i]]
		if k == classEscape {
			st, i = s.escape(st, h, i, found)
			continue
		}
		st = s.next[st+int32(k)]
		if st >= s.firstFinal {
			s.mark(st, found)
		}
		i++
	}
}

// escape feeds the folding of the rune or entity at h[i] and returns the
// state and the index of what follows.
func (s *literalSet) escape(st int32, h []byte, i int, found []uint64) (int32, int) {
	var buf [utf8.UTFMax]byte
	if h[i] == '&' {
		if !hasFoldPrefix(h[i:], "&nbsp;") && !hasFoldPrefix(h[i:], "&#160;") {
			return s.feed(st, '&', found), i + 1
		}
		// &nbsp; is a space: a run of spaces is one.
		j := i + len("&nbsp;")
		if s.spaceSelf[st/int32(s.classes)] {
			return st, j
		}
		return s.feed(st, ' ', found), j
	}
	r, n := utf8.DecodeRune(h[i:])
	if r == utf8.RuneError && n == 1 { // kept as it is, as appendFolded does
		return s.feed(st, h[i], found), i + 1
	}
	for _, c := range utf8.AppendRune(buf[:0], foldMin(r)) {
		st = s.feed(st, c, found)
	}
	return st, i + n
}

func (s *literalSet) feed(st int32, c byte, found []uint64) int32 {
	st = s.next[st+int32(s.folded[c])]
	if st >= s.firstFinal {
		s.mark(st, found)
	}
	return st
}

func (s *literalSet) mark(st int32, found []uint64) {
	for w, bits := range s.out[st] {
		found[w] |= bits
	}
}
