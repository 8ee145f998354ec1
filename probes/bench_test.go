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
		b.Run(set.name, func(b *testing.B) { benchWorkingPage(b, page) })
	}
}

// benchWorkingPage measures the built-in signatures on page, which none
// may match, as judge runs them.
func benchWorkingPage(b *testing.B, page []byte) {
	ps := BuiltinSignatures()
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
}

// newsPage returns a working ENT home page of about 50 KB whose news of
// the day say "maintenance", "indisponible" and "liste d'attente", as a
// collège's often do, without any signature's failure wording: every
// signature with such a literal then runs its regexp.
func newsPage() []byte {
	var sb strings.Builder
	sb.WriteString(`<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Collège Jean Moulin - Accueil</title>` +
		`<link rel="stylesheet" href="/assets/theme.css"></head><body><header class="bandeau"><a href="/" class="logo">Mon ENT</a>` +
		`<nav><ul><li><a href="/messagerie">Messagerie</a></li><li><a href="/cahier-de-textes">Cahier de textes</a></li>` +
		`<li><a href="/notes">Notes et compétences</a></li><li><a href="/vie-scolaire">Vie scolaire</a></li>` +
		`<li><a href="/espace-documentaire">Espace documentaire</a></li></ul></nav></header><main><h1>Bienvenue sur l'ENT du collège</h1>`)
	// Today's news, each once, as a home page shows them.
	news := []string{
		`<h3>Maintenance de la messagerie</h3><p>Une maintenance de la messagerie est prévue samedi de 7 h à 9 h : ` +
			`pendant ce créneau, l'envoi de messages sera indisponible. Merci de votre compréhension.</p>`,
		`<h3>Voyage en Espagne</h3><p>Il reste quelques places pour le voyage des 4<sup>e</sup> : les familles ` +
			`intéressées peuvent s'inscrire sur la liste d'attente auprès de la vie scolaire avant vendredi.</p>`,
		`<h3>Cantine</h3><p>Le menu de la semaine est en ligne. Le paiement en ligne sera indisponible lundi matin ` +
			`pendant la mise à jour du logiciel de restauration.</p>`,
	}
	// Older news, the agenda and the classes' blogs fill the rest.
	older := []string{
		`<h3>Conseil d'administration</h3><p>Le compte rendu du conseil d'administration du 14 novembre est ` +
			`disponible dans l'espace documentaire, rubrique « Vie de l'établissement ».</p>`,
		`<h3>Association sportive</h3><p>Les entraînements de handball reprennent mercredi à 13 h 30 au gymnase. ` +
			`Pensez à apporter votre certificat médical et une tenue adaptée.</p>`,
		`<h3>Orientation</h3><p>Les élèves de 3<sup>e</sup> rencontreront la conseillère d'orientation jeudi. ` +
			`Les rendez-vous individuels se prennent au CDI.</p>`,
		`<h3>Blog de la 5<sup>e</sup> B</h3><p>Retrouvez les photos de la sortie au musée des Confluences ` +
			`et les comptes rendus rédigés par les élèves en cours de français.</p>`,
		`<h3>Réunion parents-professeurs</h3><p>Les rencontres du premier trimestre auront lieu le mardi 8 ` +
			`de 16 h 30 à 19 h. Les créneaux se réservent depuis l'onglet « Rendez-vous ».</p>`,
	}
	for i, n := range news {
		fmt.Fprintf(&sb, `<article class="actualite une" id="actu-%d"><span class="date">%d décembre 2026</span>%s</article>`, i, 6-i, n)
	}
	for i := 0; sb.Len() < 48<<10; i++ {
		fmt.Fprintf(&sb, `<article class="actualite" id="actu-%d"><span class="date">%d novembre 2026</span>%s`+
			`<a class="lire-la-suite" href="/actualites/%d">Lire la suite</a></article>`, i+len(news), 1+i%28, older[i%len(older)], i)
	}
	sb.WriteString(`</main><footer><p>Collège Jean Moulin – 12 rue des Écoles – Académie de Lyon</p>` +
		`<p><a href="/mentions-legales">Mentions légales</a> · <a href="/accessibilite">Accessibilité : partiellement conforme</a></p></footer></body></html>`)
	return []byte(sb.String())
}

// BenchmarkSignaturesNews measures the built-in signatures on newsPage,
// where the prefilter finds literals and the regexps run.
func BenchmarkSignaturesNews(b *testing.B) { benchWorkingPage(b, newsPage()) }
