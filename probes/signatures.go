package probes

import (
	"regexp"
	"strings"
)

// builtinSignatures are the pages French ENTs and their proxies served with a
// 200 status when they were in fact saturated or down, as seen on 6 April
// 2021 and since. Each must match the failure page and never an ordinary
// home or login page: a working portal flagged as failing is worse than a
// missed signature. The expressions use a small notation (see signature).
var builtinSignatures = []*Pattern{
	// Open Digital Education (ENT Île-de-France, 6 April 2021): "Quand le
	// nombre d'utilisateurs maximum est atteint, …".
	signature("ode_quota", `quand le nombre d'utilisateurs maximum est atteint`),
	signature("ode_quota_logic", `logique de quota`),
	// Kosmos (Mon Bureau Numérique, 6 April 2021): "En raison d'un très grand
	// nombre de connexions, l'accès à l'ENT est temporairement restreint".
	signature("kosmos_restricted", `en raison d'un très grand nombre de connexions`),
	// The CNED's white page, and pages titled "Service indisponible".
	signature("service_unavailable", `le service est (?:momentanément )?indisponible|`+
		`<(?:title|h1)[^>]*>~*service (?:momentanément )?indisponible~*<`),
	// Occitanie, 2021.
	signature("access_unavailable", `accès momentanément indisponible`),
	// Waiting rooms. Queue-it's page has these element ids; its script
	// (queueclient.min.js) is also on healthy pages, so it is no marker.
	signature("waiting_room", `file d'attente|salle d'attente virtuelle|`+
		`MainPart_(?:lbQueueNumber|lbUsersInLineAheadOfYou|lbWhichIsIn|lbExpectedServiceTime|divProgressbar)`),
	// Maintenance pages, not announcements of a future maintenance
	// ("une opération de maintenance aura lieu samedi").
	signature("maintenance", `(?:site|service|ent|plateforme|portail|application) (?:est )?(?:actuellement )?en (?:cours de )?maintenance|`+
		`opérations? de maintenance (?:est |sont )?en cours|`+
		`(?:is|are) (?:currently )?(?:down )?under maintenance|<(?:title|h1)[^>]*>[^<]*under maintenance`),
	// Stock nginx, Apache and HAProxy error pages that misconfigured proxies
	// serve with a 200 status. Anchored to <title> or <h1>, so that a
	// script naming these errors does not match.
	signature("proxy_error_page", `<(?:title|h1)>~*(?:502 bad gateway|502 proxy error|503 service (?:temporarily )?unavailable|504 gateway time-?out)~*<|`+
		`the server is temporarily unable to service your request`),
}

// BuiltinSignatures returns the built-in soft-failure signatures, in a fresh
// slice of fresh Patterns that share their compiled expressions. They are
// case-insensitive and tolerate HTML entities for accents and apostrophes,
// and any run of white space between words.
func BuiltinSignatures() []*Pattern {
	ps := make([]*Pattern, len(builtinSignatures))
	for i, p := range builtinSignatures {
		ps[i] = &Pattern{Name: p.Name, Re: p.Re, need: p.need}
	}
	return ps
}

// signatureNotation maps the characters of a signature's expression to what
// they match in a page: a space any run of white space (or &nbsp;), ~ any
// white space, an apostrophe any apostrophe or its entities, an accented
// letter itself, its entities or its decomposed form.
var signatureNotation = strings.NewReplacer(
	" ", `(?:\s|&nbsp;|&#160;)+`,
	"~", `\s`,
	"'", `(?:'|’|‘|&#39;|&#039;|&#x27;|&apos;|&rsquo;|&#8217;)`,
	"é", `(?:é|e\x{301}|&eacute;|&#233;|&#xe9;)`,
	"è", `(?:è|e\x{300}|&egrave;|&#232;|&#xe8;)`,
	"à", `(?:à|a\x{300}|&agrave;|&#224;|&#xe0;)`,
)

// signature compiles a built-in signature, case-insensitively, after
// rewriting its expression through signatureNotation.
func signature(name, expr string) *Pattern {
	full := `(?i)` + signatureNotation.Replace(expr)
	return &Pattern{Name: name, Re: regexp.MustCompile(full), need: requiredLiterals(full)}
}
