package probes

import (
	"regexp"
	"strings"
)

// A Signature is a built-in soft-failure signature: a page that a portal, or
// the servers in front of it, serve with a 200 status when the portal is in
// fact saturated, down or in maintenance. Its Name is persisted (it is the
// Detail of a soft_failure step): never rename one, add new ones.
type Signature struct {
	Name   string // stable identifier, shown on the methodology page
	Lang   string // languages of the wording it matches: "fr", "en", "fr, en", or "-" for markup
	Source string // the product and page it recognises, and where its text was read
	Expr   string // the expression, in the notation of signatureNotation
}

// signatures are the built-in signatures. Each must match its failure page
// and never an ordinary home or login page: a working portal flagged as
// failing is worse than a missed signature. So each is anchored to what only
// the failure page says (a whole sentence, a <title> or heading, the stock
// page's markup), never a lone word such as "maintenance" that a news item on
// a working portal can carry. Each alternative must contain a literal of four
// characters or more that healthy pages rarely contain, so that the
// prefilter (requiredLiterals) skips the regexp on almost every page. The
// corpus in corpus_test.go names the page each fixture quotes.
var signatures = []Signature{
	// ENT software.
	{"ode_quota", "fr, en", "Open Digital Education (entcore auth/…/view-src/tooload.html, 2020–2021; ENT Île-de-France, 6 April 2021)",
		`quand le nombre d'utilisateurs maximum est atteint|when the maximum number of users is reached, you will have to wait`},
	{"ode_quota_logic", "fr", "Open Digital Education, the same page",
		`logique de quota`},
	{"ode_overload", "fr", "Open Digital Education (entcore auth/…/view-src/tooload.html, the other wording of the quota page)",
		`trop de charge,? réessayez plus tard`},
	{"ode_exceptional", "fr, en", "Open Digital Education, the heading of the 2020–2021 quota page",
		`<h2[^>]*>~*(?:à situation exceptionnelle, mesures exceptionnelles|in exceptional circumstances, exceptional measures)`},
	{"kosmos_restricted", "fr", "Kosmos (Mon Bureau Numérique, 6 April 2021)",
		`en raison d'un très grand nombre de connexions`},
	{"service_unavailable", "fr", "the CNED's white page (6 April 2021), and pages titled « Service indisponible »",
		`le service est (?:momentanément )?indisponible|` +
			`<(?:title|h1)[^>]*>~*service (?:momentanément )?indisponible~*<`},
	{"access_unavailable", "fr", "ENT Occitanie (6 April 2021)",
		`accès momentanément indisponible`},
	{"unavailable_heading", "fr", "any portal whose <title> or first headings say it is momentarily, temporarily or currently unavailable",
		`<(?:title|h1|h2)[^>]*>[^<]*(?:momentanément|temporairement|actuellement) indisponible`},
	{"cas_unavailable", "en", "Apereo CAS (errors page, screen.unavailable.heading: “CAS is Unavailable”)",
		`<h[1-3][^>]*>~*cas is unavailable`},

	// Waiting rooms. Queue-it's page has these element ids; its script
	// (queueclient.min.js) is also on healthy pages, so it is no marker.
	{"waiting_room", "fr, -", "Queue-it (element ids of its queue page) and French queue pages",
		`file d'attente|salle d'attente virtuelle|` +
			`MainPart_(?:lbQueueNumber|lbUsersInLineAheadOfYou|lbWhichIsIn|lbExpectedServiceTime|divProgressbar)`},
	{"waiting_room_en", "en", "Queue-it and Cloudflare Waiting Room (« Waiting Room powered by Cloudflare », “You are now in line.”)",
		`you are now in line|waiting room powered by cloudflare|your estimated wait time is`},

	// Stock error pages of front servers, served with 200 by a
	// misconfigured portal. Anchored to <title>, <h1> or their markup, so
	// that a script naming these errors does not match.
	{"proxy_error_page", "en", "nginx (ngx_http_special_response.c), HAProxy (errorfiles) and Apache httpd (docs/error, English)",
		`<(?:title|h1)>~*(?:502 bad gateway|502 proxy error|503 service (?:temporarily )?unavailable|504 gateway time-?out)~*<|` +
			`the server is temporarily unable to service your request|the proxy server received an invalid response from an upstream server`},
	{"apache_error_fr", "fr", "Apache httpd (docs/error/HTTP_SERVICE_UNAVAILABLE.html.var and HTTP_BAD_GATEWAY.html.var, French)",
		`en raison de travaux de maintenance ou de problèmes de capacité|` +
			`le serveur proxy a reçu une réponse incorrecte|<title>~*(?:service inaccessible|gateway incorrecte) ?!`},
	{"varnish_error", "en", "Varnish (builtin.vcl, vcl_backend_error and vcl_synth)",
		`<h3>~*guru meditation:~*</h3>|backend fetch failed~*</(?:title|h1)>`},
	{"tomcat_error", "en", "Apache Tomcat (ErrorReportValve: “HTTP Status 503 – Service Unavailable”)",
		`<(?:title|h1)>~*http status 50[0234] (?:–|-|&ndash;|&#8211;)`},
	{"iis_error", "en", "Microsoft IIS (HTTP.sys and IIS error pages: “HTTP Error 503. The service is unavailable.”)",
		`http error 50[0234](?:\.\d+)?(?:\.~the service is unavailable|~-~)`},
	{"traefik_error", "en", "Traefik (a whole body of “Service Unavailable”, “Bad Gateway”, “Gateway Timeout” or “404 page not found”)",
		`\A~*(?:service unavailable|bad gateway|gateway timeout|404 page not found)~*\z`},
	{"cloudflare_error", "-", "Cloudflare (5xx error pages: <span class=\"cf-error-code\">522</span>)",
		`class="cf-error-code">~*5\d\d~*<`},
	{"f5_rejected", "en", "F5 BIG-IP ASM (“Request Rejected”: “The requested URL was rejected. Please consult with your administrator.”)",
		`the requested url was rejected\. please consult with your administrator`},

	// Maintenance pages of applications, not announcements of a future
	// maintenance ("une opération de maintenance aura lieu samedi").
	{"wordpress_maintenance", "fr, en", "WordPress (wp-includes/load.php, wp_maintenance(), and its fr_FR translation)",
		`briefly unavailable for scheduled maintenance|brièvement indisponible pour cause de maintenance`},
	{"drupal_maintenance", "en", "Drupal (system.maintenance message: “@site is currently under maintenance. We should be back shortly. Thank you for your patience.”)",
		`we should be back shortly\. thank you for your patience`},
	{"moodle_maintenance", "en", "Moodle (lang string sitemaintenance, moodledata/climaintenance.html)",
		`this site is undergoing maintenance and is currently (?:not available|unavailable)`},
	{"laravel_down", "en", "Laravel (resources/views/errors/503.blade.php: “Service Unavailable”; “Be right back.” before 5.5)",
		`<title>~*service unavailable~*</title>|<div class="title">~*be right back\.~*</div>`},
	{"rails_error", "en", "Ruby on Rails (public/500.html: “We're sorry, but something went wrong.”), and maintenance pages headed “The system is down for maintenance”",
		`we're sorry, but something went wrong|<h1>~*the system is (?:currently )?down for maintenance`},
	// The generic maintenance wordings come last, so that a page that an
	// application signature names is reported under that name.
	{"maintenance", "fr, en", "maintenance pages of web applications (« Site en maintenance », “This site is currently under maintenance”, Drupal's “… is currently under maintenance”)",
		`(?:site|service|ent|plateforme|portail|application) est (?:actuellement )?en (?:cours de )?maintenance|` +
			`<(?:title|h1)[^>]*>~*(?:site |service |plateforme |portail )?en maintenance~*<|` +
			`opérations? de maintenance (?:est |sont )?en cours|` +
			`(?:is|are) (?:currently )?(?:down )?under maintenance|<(?:title|h1)[^>]*>[^<]*under maintenance`},
}

// builtinSignatures are signatures compiled once; builtinLiterals finds
// all their literals in one pass, each literal's set naming its bit.
var builtinSignatures, builtinLiterals = compileSignatures()

func compileSignatures() ([]*Pattern, *literalSet) {
	ps := make([]*Pattern, len(signatures))
	var lits [][]byte
	bit := make(map[string]int) // a literal two signatures share is one bit
	for i, s := range signatures {
		ps[i] = signature(s.Name, s.Expr)
		for j := range ps[i].need {
			l := &ps[i].need[j]
			if !l.spaced {
				continue
			}
			if _, ok := bit[string(l.s)]; !ok {
				bit[string(l.s)] = len(lits)
				lits = append(lits, l.s)
			}
			l.set = 1 + bit[string(l.s)]
		}
	}
	return ps, newLiteralSet(lits)
}

// BuiltinSignatures returns the built-in soft-failure signatures, in a fresh
// slice of fresh Patterns that share their compiled expressions. They are
// case-insensitive and tolerate HTML entities for accents and apostrophes,
// and any run of white space between words.
func BuiltinSignatures() []*Pattern {
	ps := make([]*Pattern, len(builtinSignatures))
	for i, p := range builtinSignatures {
		ps[i] = &Pattern{Name: p.Name, Re: p.Re, need: p.need, parts: p.parts}
	}
	return ps
}

// Signatures returns the built-in signatures with their language and
// source, in the order BuiltinSignatures compiles them, as a fresh slice.
func Signatures() []Signature {
	return append([]Signature(nil), signatures...)
}

// letterNotation maps the characters of a signature's expression that
// stand for several spellings: ~ any white space, an apostrophe any
// apostrophe or its entities, an accented letter itself, its entities or
// its decomposed form.
var letterNotation = []string{
	"~", `\s`,
	"'", `(?:'|’|‘|&#39;|&#039;|&#x27;|&apos;|&rsquo;|&#8217;)`,
	"é", `(?:é|e\x{301}|&eacute;|&#233;|&#xe9;)`,
	"è", `(?:è|e\x{300}|&egrave;|&#232;|&#xe8;)`,
	"à", `(?:à|a\x{300}|&agrave;|&#224;|&#xe0;)`,
	"ç", `(?:ç|c\x{327}|&ccedil;|&#231;|&#xe7;)`,
}

// signatureNotation is letterNotation, and a space for any run of white
// space or &nbsp;. A space or ~ never appears inside a bracketed class of
// a signature.
var signatureNotation = strings.NewReplacer(append([]string{" ", `(?:\s|&nbsp;|&#160;)+`}, letterNotation...)...)

// literalNotation is letterNotation alone: spaces stay spaces, and the
// expression it makes is only read for its literals (spacedLiterals).
var literalNotation = strings.NewReplacer(letterNotation...)

// signature compiles a built-in signature, case-insensitively, after
// rewriting its expression through signatureNotation. Each alternative
// at the top of expr is also compiled alone, to run around its own
// literals (matchWindows), unless one has no literal or an empty-width
// assertion: then the whole expression runs over the whole page.
func signature(name, expr string) *Pattern {
	p := &Pattern{Name: name, Re: regexp.MustCompile(`(?i)` + signatureNotation.Replace(expr))}
	windowed := true
	for _, alt := range topAlternatives(expr) {
		full := `(?i)` + signatureNotation.Replace(alt)
		need := spacedLiterals(`(?i)` + literalNotation.Replace(alt))
		if need == nil {
			return &Pattern{Name: name, Re: p.Re}
		}
		windowed = windowed && windowable(full)
		p.parts = append(p.parts, part{re: regexp.MustCompile(full), from: len(p.need), to: len(p.need) + len(need)})
		p.need = append(p.need, need...)
	}
	if !windowed {
		p.parts = nil
	}
	return p
}

// topAlternatives splits expr at each '|' outside parentheses and
// brackets.
func topAlternatives(expr string) []string {
	var alts []string
	depth, class, from := 0, false, 0
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case c == '\\':
			i++
		case class:
			class = c != ']'
		case c == '[': // a signature's class never begins with ']'
			class = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			alts = append(alts, expr[from:i])
			from = i + 1
		}
	}
	return append(alts, expr[from:])
}
