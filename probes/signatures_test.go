package probes

import (
	"strings"
	"testing"
)

// failurePages are the texts of failure pages each signature must match.
var failurePages = []struct {
	signature string
	pages     []string
}{
	{"ode_quota", []string{
		`<p>Quand le nombre d'utilisateurs maximum est atteint, une logique de quota se met en place.</p>`,
		`<p>Quand le nombre d&#39;utilisateurs maximum est atteint</p>`,
		`<p>Quand le nombre d&#039;utilisateurs maximum est atteint</p>`,
		`<p>QUAND LE NOMBRE D’UTILISATEURS MAXIMUM EST ATTEINT</p>`,
		"<p>Quand le nombre d&rsquo;utilisateurs\n    maximum est&nbsp;atteint</p>",
	}},
	{"ode_quota_logic", []string{
		`une logique de quota se met en place pour garantir la qualité de service`,
		"une logique de\n\tquota",
	}},
	{"kosmos_restricted", []string{
		`<div class="msg">En raison d'un très grand nombre de connexions, l'accès à l'ENT est temporairement restreint.</div>`,
		`En raison d&#039;un tr&egrave;s grand nombre de connexions`,
		`en raison d&rsquo;un tr&#232;s grand nombre de connexions`,
		"En raison d’un tre\u0300s grand\r\nnombre de connexions",
	}},
	{"service_unavailable", []string{
		`<body style="background:#fff"><p>Le service est momentanément indisponible.</p></body>`,
		`<p>Le service est indisponible</p>`,
		`<p>Le service est momentan&eacute;ment indisponible</p>`,
		`<title>Service indisponible</title>`,
		`<h1 class="error">Service momentanément indisponible</h1>`,
	}},
	{"access_unavailable", []string{
		`<h2>Accès momentanément indisponible</h2>`,
		`<h2>Acc&egrave;s momentan&eacute;ment indisponible</h2>`,
		`<h2>ACCÈS MOMENTANÉMENT INDISPONIBLE</h2>`,
	}},
	{"waiting_room", []string{
		`<p>Vous êtes dans la file d'attente. Merci de patienter.</p>`,
		`<p>Vous êtes dans la file d&#39;attente.</p>`,
		`<h1>Bienvenue dans la salle d'attente virtuelle</h1>`,
		`<span id="MainPart_lbQueueNumber">1234</span>`,
		`<span id="MainPart_lbUsersInLineAheadOfYou">5 312</span>`,
	}},
	{"maintenance", []string{
		`<p>Le site est actuellement en maintenance.</p>`,
		`<title>Site en maintenance</title>`,
		`<p>L'ENT est en cours de maintenance, merci de revenir plus tard.</p>`,
		`<p>La plateforme est en maintenance</p>`,
		`<p>Une opération de maintenance est en cours.</p>`,
		`<p>Des op&eacute;rations de maintenance sont en cours</p>`,
		`<p>This site is currently under maintenance.</p>`,
		`<title>Under Maintenance</title>`,
	}},
	{"proxy_error_page", []string{
		"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>",
		"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>",
		"<html>\r\n<head><title>504 Gateway Time-out</title></head>",
		`<title>504 Gateway Timeout</title>`,
		"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>",
		"<title>503 Service Unavailable</title>\n</head><body>\n<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\nproblems. Please try again later.</p>",
		`<title>502 Proxy Error</title>`,
	}},
}

// TestBuiltinSignaturesMatch checks each signature against the text of the
// failure page it is for, and variants of its spelling.
func TestBuiltinSignaturesMatch(t *testing.T) {
	sigs := map[string]*Pattern{}
	for _, p := range BuiltinSignatures() {
		sigs[p.Name] = p
	}
	for _, tt := range failurePages {
		p := sigs[tt.signature]
		if p == nil {
			t.Errorf("BuiltinSignatures() has no %s", tt.signature)
			continue
		}
		for _, page := range tt.pages {
			t.Run(tt.signature, func(t *testing.T) {
				if !p.Re.MatchString(page) {
					t.Errorf("%s.MatchString(%q) = false, want true", tt.signature, page)
				}
			})
		}
	}
}

// Healthy pages, as ENTs serve them on an ordinary day: no signature may
// match them. They mention errors, maintenance and Queue-it the way working
// portals do.
var healthyPages = map[string]string{
	"ode login": `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>monlycée.net - Connexion</title>
<script src="//static.queue-it.net/script/queueclient.min.js"></script>
<script src="//static.queue-it.net/script/queueconfigloader.min.js" data-queueit-c="ode"></script>
<script>var errors = {502: "502 Bad Gateway", 503: "503 Service Unavailable", 504: "504 Gateway Timeout"};</script>
</head><body>
<div class="banner">Une opération de maintenance aura lieu samedi 10 avril de 8 h à 12 h : le service sera indisponible.</div>
<form method="post" action="/auth/login"><label for="email">Identifiant</label><input id="email" name="email">
<label for="password">Mot de passe</label><input type="password" name="password">
<button type="submit">Se connecter</button></form>
<a href="/auth/forgot">Identifiant ou mot de passe oublié ?</a>
<p>Quand vous avez terminé, pensez à vous déconnecter. Le nombre d'utilisateurs connectés s'affiche en bas de page.</p>
</body></html>`,
	"kosmos home": `<!DOCTYPE html><html lang="fr"><head><title>Mon Bureau Numérique</title></head><body>
<nav><a href="/sg.do?PROC=PAGE_ACCUEIL">Accueil</a> <a href="/kdecole/activation-compte">Activer mon compte</a></nav>
<h1>Bienvenue sur l'ENT Mon Bureau Numérique</h1>
<p>Accès élèves, parents et personnels. En cas de difficulté de connexion, contactez l'assistance.</p>
<p>Le service de maintenance informatique du collège est joignable au 03 00 00 00 00.</p>
<a class="btn" href="https://educonnect.education.gouv.fr/">Se connecter avec ÉduConnect</a>
</body></html>`,
	"pronote login": `<!DOCTYPE html><html><head><title>PRONOTE - Espace Élèves</title></head><body>
<div id="id_body"><noscript>Le JavaScript est désactivé : PRONOTE ne peut pas fonctionner.</noscript>
<p>Vous êtes en attente de connexion.</p><p>Les informations de maintenance sont publiées dans l'espace documentaire.</p>
<p>Erreur ? Vérifiez votre identifiant. Le site est accessible 24 h/24.</p></div></body></html>`,
}

func TestBuiltinSignaturesHealthy(t *testing.T) {
	for name, page := range healthyPages {
		t.Run(name, func(t *testing.T) {
			for _, p := range BuiltinSignatures() {
				if m := p.Re.FindString(page); m != "" {
					t.Errorf("%s.FindString(%s) = %q, want no match", p.Name, name, m)
				}
			}
		})
	}
}

func TestBuiltinSignaturesFresh(t *testing.T) {
	a, b := BuiltinSignatures(), BuiltinSignatures()
	seen := map[string]bool{}
	for i, p := range a {
		if p == b[i] || p.Name != b[i].Name || p.Re == nil || seen[p.Name] {
			t.Errorf("BuiltinSignatures()[%d] = %v, want a fresh, compiled, uniquely named pattern", i, p)
		}
		seen[p.Name] = true
	}
	a[0] = nil
	if BuiltinSignatures()[0] == nil {
		t.Errorf("BuiltinSignatures() shares its slice with an earlier call")
	}
}

// firstMatch is the signature judge reports for page: the first that matches.
func firstMatch(page string) string {
	pt := &pageText{raw: []byte(page)}
	for _, p := range BuiltinSignatures() {
		if p.match(pt) {
			return p.Name
		}
	}
	return ""
}

// TestSignatureCorpus classifies every page of the real-page corpus: each
// failure page under its own signature, each working page under none.
func TestSignatureCorpus(t *testing.T) {
	byKind := map[string]int{}
	for _, c := range corpus {
		byKind[c.kind]++
		t.Run(c.kind+"/"+c.name, func(t *testing.T) {
			if got := firstMatch(c.page); got != c.want {
				t.Errorf("first signature matching %s = %q, want %q", c.name, got, c.want)
			}
		})
	}
	t.Logf("corpus: %d pages, by kind %v", len(corpus), byKind)
}

// Every built-in signature has a name, a language and a source for the
// methodology page, and at least one real page of the corpus it is the
// first to match.
func TestSignaturesDocumented(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range corpus {
		covered[c.want] = true
	}
	seen := map[string]bool{}
	for _, s := range Signatures() {
		switch {
		case s.Name == "" || s.Lang == "" || s.Source == "" || s.Expr == "":
			t.Errorf("signature %+v lacks a name, language, source or expression", s)
		case seen[s.Name]:
			t.Errorf("signature %s is defined twice", s.Name)
		case !covered[s.Name]:
			t.Errorf("signature %s has no page in the corpus", s.Name)
		}
		seen[s.Name] = true
	}
}

// Each signature's every alternative carries a literal the prefilter can
// look for, so that a healthy page costs a substring search per literal
// and no regexp run.
func TestSignaturesPrefiltered(t *testing.T) {
	for _, p := range BuiltinSignatures() {
		if p.need == nil {
			t.Errorf("%s: no required literals, the regexp would run on every page", p.Name)
		}
		for _, l := range p.need {
			if strings.Contains("<TITLE></TITLE><H1></H1><H2>", string(l.s)) {
				t.Errorf("%s: required literal %q is on every page", p.Name, l.s)
			}
		}
	}
}
