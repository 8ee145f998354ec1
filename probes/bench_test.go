package probes

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// BenchmarkCheckRun measures the CPU of one round of a one-step check against
// a loopback server (the server's own work included): the cost behind
// "1,000 checks at 30 s use < 2 % of one core".
func BenchmarkCheckRun(b *testing.B) {
	page := "<!DOCTYPE html><html lang=\"fr\"><body><h1>ENT</h1>" + strings.Repeat("<p>Actualités de l'établissement.</p>", 100) + "</body></html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, page) }))
	b.Cleanup(srv.Close)
	t := &testing.T{}
	ch, err := NewCheck(component(t, srv.URL+"/"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := ch.Run(b.Context()); r.Status != Operational {
			b.Fatalf("Run() = %v %+v", r.Status, r.Steps)
		}
	}
}

// signatureBefore compiles a signature as signature did before the
// real-page corpus (commit 25b5db6): literals read from the compiled
// expression, so that every space cuts them.
func signatureBefore(name, expr string) *Pattern {
	full := `(?i)` + signatureNotation.Replace(expr)
	return &Pattern{Name: name, Re: regexp.MustCompile(full), need: requiredLiterals(full)}
}

// signaturesBefore are the eight built-in signatures as they were before the
// real-page corpus, kept to compare the prefilter's cost side by side in
// one run.
var signaturesBefore = []*Pattern{
	signatureBefore("ode_quota", `quand le nombre d'utilisateurs maximum est atteint`),
	signatureBefore("ode_quota_logic", `logique de quota`),
	signatureBefore("kosmos_restricted", `en raison d'un très grand nombre de connexions`),
	signatureBefore("service_unavailable", `le service est (?:momentanément )?indisponible|`+
		`<(?:title|h1)[^>]*>~*service (?:momentanément )?indisponible~*<`),
	signatureBefore("access_unavailable", `accès momentanément indisponible`),
	signatureBefore("waiting_room", `file d'attente|salle d'attente virtuelle|`+
		`MainPart_(?:lbQueueNumber|lbUsersInLineAheadOfYou|lbWhichIsIn|lbExpectedServiceTime|divProgressbar)`),
	signatureBefore("maintenance", `(?:site|service|ent|plateforme|portail|application) (?:est )?(?:actuellement )?en (?:cours de )?maintenance|`+
		`opérations? de maintenance (?:est |sont )?en cours|`+
		`(?:is|are) (?:currently )?(?:down )?under maintenance|<(?:title|h1)[^>]*>[^<]*under maintenance`),
	signatureBefore("proxy_error_page", `<(?:title|h1)>~*(?:502 bad gateway|502 proxy error|503 service (?:temporarily )?unavailable|504 gateway time-?out)~*<|`+
		`the server is temporarily unable to service your request`),
}

// BenchmarkSignatures measures what the built-in signatures cost on a
// working ENT home page of 64 KiB (the share of a check round spent
// judging the page), before and after the real-page corpus.
func BenchmarkSignatures(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<!DOCTYPE html><html lang="fr"><head><title>Mon ENT - Accueil</title></head><body><h1>Bienvenue</h1>`)
	for sb.Len() < 64<<10 {
		sb.WriteString(`<div class="news"><h3>Actualités de l'établissement</h3><p>Les élèves de seconde présenteront leurs travaux en salle polyvalente ; le réseau éducatif reste accessible pendant les vacances. Pensez à vous déconnecter.</p></div>`)
	}
	sb.WriteString(`</body></html>`)
	page := []byte(sb.String())
	for _, set := range []struct {
		name string
		ps   []*Pattern
	}{{"before", signaturesBefore}, {"after", BuiltinSignatures()}} {
		b.Run(set.name, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				pt := &pageText{raw: page}
				for _, p := range set.ps {
					if p.match(pt) {
						b.Fatalf("%s matches the healthy page", p.Name)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// BenchmarkSignaturesCorpus measures the built-in signatures on working
// pages of the real-page corpus, repeated to 48 KiB (ENT home pages are
// 20–100 KB): "quiet" has the pages that name no failure, "notices" all
// of them, whose news and scripts name maintenance, unavailability and
// waiting, so that literals are found and the regexps run.
func BenchmarkSignaturesCorpus(b *testing.B) {
	spaced := func(page string) []byte { return spacedFold([]byte(page)) }
	quiet := func(c corpusPage) bool {
		for _, p := range builtinSignatures {
			for _, l := range p.need {
				if l.in(spaced(c.page)) {
					return false
				}
			}
		}
		return true
	}
	for _, set := range []struct {
		name string
		keep func(corpusPage) bool
	}{{"quiet", quiet}, {"notices", func(corpusPage) bool { return true }}} {
		var sb strings.Builder
		for sb.Len() < 48<<10 {
			for _, c := range corpus {
				if c.kind == "healthy" && set.keep(c) {
					sb.WriteString(c.page)
				}
			}
		}
		page := []byte(sb.String())
		ps := BuiltinSignatures()
		b.Run(set.name, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				pt := &pageText{raw: page}
				for _, p := range ps {
					if p.match(pt) {
						b.Fatalf("%s matches the working page", p.Name)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}
