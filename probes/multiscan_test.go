package probes

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// scanned returns the literals of s that scan finds in page.
func scanned(s *literalSet, lits []string, page string) []string {
	bits := make([]uint64, s.words)
	s.scan([]byte(page), bits)
	var got []string
	for i, l := range lits {
		if bits[i/64]&(1<<(i%64)) != 0 {
			got = append(got, l)
		}
	}
	return got
}

func TestLiteralSetScan(t *testing.T) {
	lits := []string{"HE", "SHE", "HIS", "HERS", "A B", " DE MAINTENANCE ", "ÉLÈVE"}
	bs := make([][]byte, len(lits))
	for i, l := range lits {
		bs[i] = spacedFold([]byte(l))
	}
	s := newLiteralSet(bs)
	tests := []struct {
		page string
		want []string
	}{
		{"", nil},
		{"ushers", []string{"HE", "SHE", "HERS"}},
		{"this", []string{"HIS"}},
		{"a \t&nbsp;\n&#160;  b", []string{"A B"}}, // a run of white space and entities is one space
		{"a&nbsp b", nil},                          // not an entity without its ';'
		{"opération  de\nmaintenance en cours", []string{" DE MAINTENANCE "}},
		{"les \u00e9l\u00e8ves", []string{"ÉLÈVE"}}, // folded
		{"LES E\u0301LE\u0300VES", nil},             // decomposed: no simple folding makes it É
		{"\xffhe\xc3", []string{"HE"}},              // invalid UTF-8 is kept
	}
	for _, tt := range tests {
		if got := scanned(s, lits, tt.page); !slices.Equal(got, tt.want) {
			t.Errorf("scan(%q) = %q, want %q", tt.page, got, tt.want)
		}
	}
}

// builtinLiteralsAgree checks that the one-pass scan finds exactly the
// built-in literals that a search of the page's spacedFold finds.
func builtinLiteralsAgree(t *testing.T, page string) {
	t.Helper()
	found := make([]uint64, builtinLiterals.words)
	builtinLiterals.scan([]byte(page), found)
	spaced := spacedFold([]byte(page))
	for _, p := range builtinSignatures {
		for _, l := range p.need {
			i := l.set - 1
			if i < 0 {
				t.Fatalf("%s: literal %q is not in builtinLiterals", p.Name, l.s)
			}
			if got, want := found[i/64]&(1<<(i%64)) != 0, l.in(spaced); got != want {
				t.Errorf("%s: scan(%q) finds %q = %v, spacedFold search says %v", p.Name, page, l.s, got, want)
			}
		}
	}
}

func TestBuiltinLiteralsAgree(t *testing.T) {
	for _, s := range prefilterSeeds {
		builtinLiteralsAgree(t, s)
	}
	for _, c := range corpus {
		builtinLiteralsAgree(t, c.page)
	}
}

func FuzzBuiltinLiterals(f *testing.F) {
	for _, s := range prefilterSeeds {
		f.Add(s)
	}
	f.Fuzz(builtinLiteralsAgree)
}

// scanOne is scan as one stream, without the split.
func scanOne(s *literalSet, page []byte) []uint64 {
	found := make([]uint64, s.words)
	s.run(0, page, 0, len(page), &scanOut{found: found})
	return found
}

// The split at a '<' finds what one stream finds, literals across the
// split included.
func TestScanSplitAgrees(t *testing.T) {
	lits := []string{"A<B", "<TITLE> SERVICE", "É <", "X Y", "NBSP", "ATTENTE", "E A", "<<"}
	bs := make([][]byte, len(lits))
	for i, l := range lits {
		bs[i] = spacedFold([]byte(l))
	}
	s := newLiteralSet(bs)
	pad := strings.Repeat("z", 2000)
	pages := []string{
		pad + "a<b" + pad, // the split falls on the '<' of "A<B"
		pad + "<title>\n&nbsp; service" + pad,
		pad + "é &nbsp;\t<" + pad + "<",
		pad[:1500] + "x" + strings.Repeat(" ", 600) + "y" + pad,
	}
	rng := rand.New(rand.NewPCG(14, 2026))
	pieces := []string{"a", "b", "<", "<title>", " service", "\n\t ", "&nbsp;", "&#160;", "&amp;", "é", "É", "attente", "x", " ", "y", "\xc3", "nbsp", "e a", "z"}
	for range 300 {
		var sb strings.Builder
		for n := 2<<10 + rng.IntN(4<<10); sb.Len() < n; {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		pages = append(pages, sb.String())
	}
	for _, p := range pages {
		got := make([]uint64, s.words)
		s.scanWhole([]byte(p), &scanOut{found: got})
		if want := scanOne(s, []byte(p)); !slices.Equal(got, want) {
			t.Errorf("scan(%.40q…, %d bytes) = %b, one stream finds %b", p, len(p), got, want)
		}
	}
}
