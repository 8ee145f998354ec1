package probes

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// windowPad is working text, with markup, that holds no literal of a
// signature: a page padded with it is much longer than the windows.
var windowPad = strings.Repeat(`<div class="news"><h3>Actualités de l'établissement</h3><p>Les élèves de seconde présenteront leurs travaux en salle polyvalente ; `+
	"le réseau éducatif reste accessible pendant les vacances.\n  Pensez à vous déconnecter.</p></div>\n", 8)

// windowsAgree checks that every built-in signature, through its windows,
// gives the whole-page regexp's verdict on page, and returns how many
// matched.
func windowsAgree(t *testing.T, page string) int {
	t.Helper()
	raw := []byte(page)
	pt := &pageText{raw: raw}
	n := 0
	for _, p := range BuiltinSignatures() {
		got, want := p.match(pt), p.Re.Match(raw)
		if got != want {
			t.Errorf("%s.match(%.80q…, %d bytes) = %v, the whole-page regexp says %v", p.Name, page, len(page), got, want)
		}
		if want {
			n++
		}
	}
	return n
}

// Every page of the corpus and of the signatures' tests, alone and
// padded with working text on both sides, gets the verdicts of the
// whole-page regexps.
func TestWindowsAgreeCorpus(t *testing.T) {
	var pages []string
	for _, c := range corpus {
		pages = append(pages, c.page)
	}
	for _, f := range failurePages {
		pages = append(pages, f.pages...)
	}
	for _, h := range healthyPages {
		pages = append(pages, h)
	}
	pages = append(pages, prefilterSeeds...)
	matched := 0
	for _, p := range pages {
		matched += windowsAgree(t, p)
		matched += windowsAgree(t, windowPad+p+windowPad)
		matched += windowsAgree(t, p+windowPad+p)
	}
	if matched < len(corpus) {
		t.Errorf("%d verdicts were matches on %d pages; the corpus alone has %d failure pages", matched, len(pages), len(corpus))
	}
}

// Generated pages, several KB long, that mix the signatures' phrases and
// the working words that hold their literals, cut by markup every few
// words (so that no run exceeds windowBound), get the verdicts of the
// whole-page regexps.
func TestWindowsAgreeGenerated(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 55))
	words := []string{"maintenance", "indisponible", "attente", "liste d'attente", "file d'attente", "service", "est", "en", "site", "le",
		"momentanément", "temporairement", "actuellement", "momentan&eacute;ment", "unavailable", "503", "bad gateway", "under",
		"opération de maintenance", "opérations de maintenance sont en cours", "le service est indisponible", "site en maintenance",
		"l'ENT est en cours de maintenance", "is currently under maintenance", "salle d'attente virtuelle", "MainPart_lbQueueNumber",
		"service momentanément indisponible", "cas is unavailable", "http status 503 –", "http error 503.", "class=\"cf-error-code\">",
		"élève", "ſite", "\u212Aelvin", "\xc3", "\xa9", "de", "cours", "prévue", "samedi", "sera", "la", "messagerie"}
	seps := []string{" ", " ", "\n    ", "&nbsp;", "&#160;", "\t", "", ", "}
	tags := []string{"<p>", "</p>", "<title>", "</title>", "<h1>", "</h1>", "<h2 class=\"titre\">", "</h2>", "<h3>", "<br>", "<", ">", "~"}
	matched := 0
	for range 150 {
		var sb strings.Builder
		n := 2<<10 + rng.IntN(3<<10)
		for sb.Len() < n {
			for range 1 + rng.IntN(6) {
				sb.WriteString(words[rng.IntN(len(words))])
				sb.WriteString(seps[rng.IntN(len(seps))])
			}
			sb.WriteString(tags[rng.IntN(len(tags)-2)]) // every tag holds '<' and '>'
			if rng.IntN(4) == 0 {
				sb.WriteString(tags[len(tags)-2+rng.IntN(2)])
			}
		}
		matched += windowsAgree(t, sb.String())
	}
	if matched < 150 {
		t.Errorf("%d verdicts were matches on 150 generated pages, want more to test the windows", matched)
	}
}

// A part whose literals reach only over runs of white space, however
// long, gets the verdict of its whole-page regexp: runs are free.
func TestWindowRunsFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 12))
	words := []string{"file", "d'attente", "le", "service", "est", "momentanément", "indisponible", "accès", "site", "en", "cours",
		"de", "maintenance", "opération", "opérations", "sont", "logique", "quota", "trop", "charge,", "réessayez", "plus", "tard", "x"}
	phrases := []string{"file d'attente", "le service est momentanément indisponible", "accès momentan&eacute;ment indisponible",
		"le site est en cours de maintenance", "opérations de maintenance sont en cours", "logique de quota", "trop de charge, réessayez plus tard"}
	runs := []string{" ", "\n", "&nbsp;", strings.Repeat(" \n\t&nbsp;&#160;", 150), strings.Repeat("\n", 3*windowBound)}
	checked, matched := 0, 0
	for range 60 {
		var sb strings.Builder
		for sb.Len() < 6<<10 {
			ws := []string{words[rng.IntN(len(words))]}
			if rng.IntN(3) == 0 {
				ws = strings.Fields(phrases[rng.IntN(len(phrases))])
			}
			for _, w := range ws {
				sb.WriteString(w)
				sb.WriteString(runs[rng.IntN(len(runs))])
			}
		}
		raw := []byte(windowPad + sb.String() + windowPad)
		page := &pageText{raw: raw}
		for _, p := range BuiltinSignatures() {
			for k, pt := range p.parts {
				lits := p.need[pt.from:pt.to]
				if slices.ContainsFunc(lits, func(l literal) bool { return l.before.open || l.after.open }) ||
					!slices.ContainsFunc(lits, func(l literal) bool { return page.contains(&l) }) {
					continue
				}
				checked++
				got, want := p.matchPart(page, k), pt.re.Match(raw)
				if got != want {
					t.Errorf("%s part %d on %.80q… = %v, its whole-page regexp says %v", p.Name, k, sb.String(), got, want)
				}
				if want {
					matched++
				}
			}
		}
	}
	t.Logf("checked %d parts whose literals were found, %d matching", checked, matched)
	if checked < 60 || matched < 10 {
		t.Errorf("checked %d parts whose literals were found, %d matching, want more", checked, matched)
	}
}

// A match whose unbounded runs other than white space span windowBound
// bytes in all is found through the windows; one that spreads them much
// further may not be (the documented bound), though the whole-page
// regexp finds it. Runs of white space alone have no bound.
func TestWindowBound(t *testing.T) {
	tests := []struct {
		name, sig, page string
		want            bool
	}{
		{"title text at the bound", "unavailable_heading",
			"<h2>" + strings.Repeat("x", windowBound-1) + " temporairement indisponible</h2>", true},
		{"title text past the bound", "unavailable_heading",
			"<h2>" + strings.Repeat("x", windowBound+300) + " temporairement indisponible</h2>", false},
		{"attributes at the bound", "unavailable_heading",
			`<h1 class="` + strings.Repeat("y", windowBound-3) + `">ENT actuellement indisponible</h1>`, true},
		{"white space at the bound", "maintenance",
			"<h1>" + strings.Repeat("\n", windowBound-2) + "Site en maintenance</h1>", true},
		{"white space past the bound", "maintenance",
			"<h1>" + strings.Repeat("\n", windowBound+300) + "Site en maintenance</h1>", false},
		// Runs of white space and entities alone are free: they do not
		// count in the spacedFold that measures the windows.
		{"entities between words, far past the bound", "service_unavailable",
			"Le service est" + strings.Repeat("&nbsp;", 3*windowBound) + " indisponible", true},
		{"white space between words, far past the bound", "waiting_room",
			"file" + strings.Repeat(" \n\t", 3*windowBound) + "d'attente", true},
		{"white space and entities in a title, past the bound", "service_unavailable",
			"<title>" + strings.Repeat("\n", windowBound+300) + "service indisponible</title>", false},
	}
	sigs := map[string]*Pattern{}
	for _, p := range BuiltinSignatures() {
		sigs[p.Name] = p
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sigs[tt.sig]
			page := []byte(windowPad + tt.page + windowPad)
			if !p.Re.Match(page) {
				t.Fatalf("%s.Re.Match(%.40q…) = false, want a page the whole regexp matches", tt.sig, tt.page)
			}
			if got := p.match(&pageText{raw: page}); got != tt.want {
				t.Errorf("%s.match(%.40q…, %d bytes) = %v, want %v", tt.sig, tt.page, len(tt.page), got, tt.want)
			}
		})
	}
}

func TestLiteralExtents(t *testing.T) {
	tests := []struct {
		expr          string
		spaced        bool
		lit           string
		before, after extent
	}{
		{`ab(?:cd|e)fghij`, false, "fghij", extent{n: 9}, extent{n: 1}},
		{`fghij(?:cd|e)ab`, false, "fghij", extent{n: 5}, extent{n: 5}},
		{`(?i)x[^<]*kelvin`, false, "KELVIN", extent{n: 9, open: true}, extent{n: 1}}, // k is also the Kelvin sign, 3 bytes
		{`(?i)a bcde\s*<`, true, "A BCDE", extent{n: 5, runs: true}, extent{n: 2, runs: true}},
		{`(?i)a\s+bcde[^<]*<`, false, "BCDE", extent{n: 5, runs: true}, extent{n: 2, open: true}},
		{`(?:abcd)+z`, false, "abcd", extent{n: 4, open: true}, extent{n: 2, open: true}},
	}
	for _, tt := range tests {
		got := literalsOf(tt.expr, tt.spaced)
		if len(got) != 1 || string(got[0].s) != tt.lit || got[0].before != tt.before || got[0].after != tt.after {
			t.Errorf("literalsOf(%q, %v) = %+v, want %q before %+v after %+v", tt.expr, tt.spaced, got, tt.lit, tt.before, tt.after)
		}
	}
}

// FuzzWindows checks, on a fuzzed stretch between working text, that a
// signature's windows never match where its whole regexp does not, and
// find every match no longer than windowBound.
func FuzzWindows(f *testing.F) {
	for _, s := range prefilterSeeds {
		f.Add(s)
	}
	for _, c := range corpus {
		f.Add(c.page)
	}
	ps := BuiltinSignatures()
	f.Fuzz(func(t *testing.T, s string) {
		page := []byte(windowPad + s + windowPad)
		pt := &pageText{raw: page}
		for _, p := range ps {
			got, loc := p.match(pt), p.Re.FindIndex(page)
			if got && loc == nil || !got && loc != nil && loc[1]-loc[0] <= windowBound {
				t.Errorf("%s.match(%q between working text) = %v, whole-page regexp finds %v", p.Name, s, got, loc)
			}
		}
	})
}

func TestTopAlternatives(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`abc`, []string{"abc"}},
		{`a|b(?:c|d)|[|]e\|f`, []string{"a", "b(?:c|d)", `[|]e\|f`}},
		{`<(?:title|h1)>~*x|y`, []string{"<(?:title|h1)>~*x", "y"}},
	}
	for _, tt := range tests {
		if got := topAlternatives(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("topAlternatives(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

// Every built-in signature runs through windows but those with an
// empty-width assertion, and its parts are its alternatives.
func TestSignaturesWindowed(t *testing.T) {
	for i, p := range BuiltinSignatures() {
		alts := topAlternatives(signatures[i].Expr)
		switch {
		case p.Name == "traefik_error":
			if p.parts != nil {
				t.Errorf("%s has parts, but \\A and \\z cannot hold in a window", p.Name)
			}
		case len(p.parts) != len(alts):
			t.Errorf("%s has %d parts, want one per alternative: %q", p.Name, len(p.parts), alts)
		}
	}
}
