package probes

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// wholeScan is scan reading every byte, without anchors.
func wholeScan(s *literalSet, page []byte) []uint64 {
	found := make([]uint64, s.words)
	s.scanWhole(page, &scanOut{found: found})
	return found
}

// A literal spread by long runs of white space and entities, cut by an
// entity or a rune at a window's edge, or spelt with a rune that folds
// into ASCII, is found with anchors as without.
func TestScanAnchoredAgrees(t *testing.T) {
	if builtinLiterals.anchors == nil {
		t.Fatal("builtinLiterals has no anchors")
	}
	lits := []string{"YOU ARE NOW IN LINE", "UTILISATEURS MAXIMUM EST ATTEINT", " SITUATION EXCEPTIONNELLE, MESURES", "HTTP ERROR 50", "ÉLÈVE PRÉSENT", "KELVIN SCALE"}
	bs := make([][]byte, len(lits))
	for i, l := range lits {
		bs[i] = spacedFold([]byte(l))
	}
	own := newLiteralSet(bs)
	if own.anchors == nil {
		t.Fatalf("newLiteralSet(%q) has no anchors", lits)
	}
	run := strings.Repeat(" \t&nbsp;\n&#160;\r\n", 40)
	pages := []string{
		"you" + run + "are" + run + "now" + run + "in" + run + "line",
		"&nbsp;You&NBSP;are now&#160;in\nline&nbsp;",
		"utiliſateurs maximum est atteint", // ſ folds to S: the page is read whole
		"\u212Aelvin scale",                // and the Kelvin sign to K
		"<h2>" + strings.Repeat("é", 300) + "À situation exceptionnelle, mesures</h2>",
		"http error 5" + run, "http error 50",
		"élève présent", "E\u0301LE\u0300VE PRÉSENT",
	}
	rng := rand.New(rand.NewPCG(14, 6))
	pieces := []string{"you", "are", "now", "in", "line", "http", "error", "50", " ", "\n\t ", "&nbsp;", "&#160;", "&nbsp", "&amp;",
		"é", "É", "\xc3", "\xa9", "ſ", "\u212A", "utilisateurs", "maximum", "est", "atteint", "situation", "exceptionnelle,", "mesures",
		"élève", "présent", "kelvin", "scale", "you are now in line", "<p>", "travaux", "accessible", "z"}
	for range 400 {
		var sb strings.Builder
		for n := rng.IntN(3 << 10); sb.Len() < n; {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		pages = append(pages, sb.String())
	}
	for _, set := range []*literalSet{builtinLiterals, own} {
		for _, p := range pages {
			got := make([]uint64, set.words)
			set.scan([]byte(p), got)
			if want := wholeScan(set, []byte(p)); !slices.Equal(got, want) {
				t.Errorf("scan(%.60q…, %d bytes) = %b, reading every byte finds %b", p, len(p), got, want)
			}
		}
	}
	for _, p := range pages[:2] {
		if got := scanned(own, lits, p); !slices.Contains(got, "YOU ARE NOW IN LINE") {
			t.Errorf("scan(%.60q…) = %q, want YOU ARE NOW IN LINE", p, got)
		}
	}
}

func TestAnchorWindows(t *testing.T) {
	tests := []struct {
		lit        string
		longest    int
		hasAnchors bool
	}{
		{"YOU ARE NOW IN LINE", 5, true}, // " LINE" or " NOW "
		{"HTTP ERROR 50", 7, true},       // " ERROR "
		{"A B", 2, false},
		{"ÉLÈVE", 2, false}, // "VE": the rest is not ASCII
		{"<<", 2, false},
	}
	for _, tt := range tests {
		l := spacedFold([]byte(tt.lit))
		if got := longestWindow(l); got != tt.longest {
			t.Errorf("longestWindow(%q) = %d, want %d", l, got, tt.longest)
		}
		if got := newAnchorFilter([][]byte{l}) != nil; got != tt.hasAnchors {
			t.Errorf("newAnchorFilter(%q) != nil = %v, want %v", l, got, tt.hasAnchors)
		}
	}
}

// Each kind of window edge, on each alignment with the stride: a space
// that ends or begins a run of white space or entities next to the
// anchor, and a window that would begin inside an entity.
func TestScanAnchorEdges(t *testing.T) {
	tests := []struct {
		lit   string
		pages []string // each must contain lit, or its spacedFold must not
		found bool
	}{
		{"ZZ LINE", []string{"zz line", "zz\tline", "zz&nbsp;line", "zz \n&#160;line", "ZZ&NBSP;\r\nLINE"}, true},
		{"QQ NOW YY", []string{"qq now yy", "qq\nnow\tyy", "qq&nbsp;now&#160;yy", "qq now&nbsp;\nyy"}, true},
		{"NBSP;QRST", []string{"&nbsp;qrst", "&#160;qrst", "n&nbsp;qrst"}, false},
	}
	for _, tt := range tests {
		s := newLiteralSet([][]byte{spacedFold([]byte(tt.lit))})
		if s.anchors == nil {
			t.Fatalf("newLiteralSet(%q) has no anchors", tt.lit)
		}
		for _, p := range tt.pages {
			for pad := range 8 {
				page := strings.Repeat("x", pad) + p + strings.Repeat("y", pad)
				got := scanned(s, []string{tt.lit}, page) != nil
				if want := wholeScan(s, []byte(page))[0] != 0; got != want || got != tt.found {
					t.Errorf("scan(%q) finds %q = %v, reading every byte %v, want %v", page, tt.lit, got, want, tt.found)
				}
			}
		}
	}
}
