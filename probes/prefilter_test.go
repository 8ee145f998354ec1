package probes

import (
	"testing"
)

// prefilterPatterns are the built-in signatures plus config-style patterns.
func prefilterPatterns(t testing.TB) []*Pattern {
	ps := BuiltinSignatures()
	for _, expr := range []string{`name="password"`, `(?i)cas__login-form`, `(?i)se\s+connecter|connexion`, `ab+c`, `(?i)(é|è)lève`, `x*`, `(?i)kelvin`} {
		p, err := NewPattern(expr)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

var prefilterSeeds = []string{
	"", "<p>Bienvenue</p>",
	"Quand le nombre d&rsquo;utilisateurs maximum est atteint, il vous faut patienter",
	"QUAND LE NOMBRE D'UTILIſATEURS MAXIMUM EST ATTEINT", // long s folds to s under (?i)
	"En raison d'un tr&egrave;s grand nombre de connexions",
	"<title> 503 Service Temporarily Unavailable </title>",
	"\u212Aelvin", // Kelvin sign folds to k
	"<form class=\"CAS__LOGIN-FORM\"><input name=\"password\">",
	"\xff\xfe invalid utf-8 indisponible \xc3",
	"Le service est momentan\u0065\u0301ment indisponible",
	"<h2>You&nbsp;are \n now&#160;in line</h2>", // spaces, entities and runs of white space
	"Trop de charge,   r&eacute;essayez plus tard",
	"<h1>CAS&NBSP;&nbsp;IS\tUNAVAILABLE",
	"Service Unavailable\r\n",
}

// The prefilter only skips work: with or without it, every pattern gives
// the same answer on every page.
func TestPrefilterAgreesWithRegexp(t *testing.T) {
	ps := prefilterPatterns(t)
	for _, s := range prefilterSeeds {
		for _, p := range ps {
			if got, want := p.match(&pageText{raw: []byte(s)}), p.Re.Match([]byte(s)); got != want {
				t.Errorf("%s.match(%q) = %v, regexp says %v", p.Name, s, got, want)
			}
		}
	}
}

func FuzzPrefilter(f *testing.F) {
	for _, s := range prefilterSeeds {
		f.Add(s)
	}
	ps := prefilterPatterns(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range ps {
			if got, want := p.match(&pageText{raw: []byte(s)}), p.Re.Match([]byte(s)); got != want {
				t.Errorf("%s.match(%q) = %v, regexp says %v", p.Name, s, got, want)
			}
		}
	})
}

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`name="password"`, []string{`name="password"`}},
		{`(?i)maintenance`, []string{"MAINTENANCE"}},
		{`foo|barbaz`, nil}, // "foo" is too short to be worth it
		{`x*`, nil},
		{`(?i)file (?:d'attente|virtuelle)`, []string{"D'ATTENTE", "VIRTUELLE"}},
	}
	for _, tt := range tests {
		got := requiredLiterals(tt.expr)
		var gs []string
		for _, l := range got {
			gs = append(gs, string(l.s))
		}
		if len(gs) != len(tt.want) {
			t.Errorf("requiredLiterals(%q) = %q, want %q", tt.expr, gs, tt.want)
			continue
		}
		for i := range gs {
			if gs[i] != tt.want[i] {
				t.Errorf("requiredLiterals(%q) = %q, want %q", tt.expr, gs, tt.want)
			}
		}
	}
}
