package ui

import (
	"fmt"
	"time"
	_ "time/tzdata" // Europe/Paris must resolve on a machine without zoneinfo
)

// fr is the French catalogue: every string a visitor reads, keyed by ID.
// Templates reach it through the "t" function; a test checks every key used.
var fr = map[string]string{
	"site.title":                  "Constat — état des ENT et du CNED",
	"site.tagline":                "Mesures indépendantes de la disponibilité des espaces numériques de travail, du CNED et d'EduConnect.",
	"home.heading":                "État des services",
	"home.updated":                "Dernière mesure",
	"home.never":                  "pas encore mesuré",
	"col.component":               "Service",
	"col.status":                  "État",
	"col.outcome":                 "Résultat",
	"col.checked":                 "Mesuré",
	"col.phases":                  "Durées (DNS, connexion, TLS, attente, transfert)",
	"col.code":                    "Code HTTP",
	"skip":                        "Aller au contenu",
	"footer.method":               "Chaque service est mesuré à intervalle régulier depuis un serveur de Constat ; une page d'attente ou de saturation servie avec le code 200 compte comme une panne.",
	"status.unknown":              "Pas encore mesuré",
	"status.operational":          "Fonctionne",
	"status.degraded_performance": "Ralenti",
	"status.partial_outage":       "Partiellement indisponible",
	"status.major_outage":         "Indisponible",
	"status.under_maintenance":    "En maintenance",
	"outcome.ok":                  "Réponse correcte",
	"outcome.slow":                "Réponse lente",
	"outcome.dns_error":           "Nom de domaine introuvable",
	"outcome.connect_refused":     "Connexion refusée",
	"outcome.connect_timeout":     "Connexion sans réponse",
	"outcome.connection_reset":    "Connexion coupée",
	"outcome.tls_error":           "Erreur de certificat ou de chiffrement",
	"outcome.timeout":             "Délai dépassé",
	"outcome.http_error":          "Erreur du serveur",
	"outcome.redirect_loop":       "Boucle de redirections",
	"outcome.soft_failure":        "Page de saturation ou d'attente",
	"outcome.content_missing":     "Page incomplète",
	"outcome.unknown":             "Inconnu",
}

// t returns the French text of id. A missing key is a bug caught by tests;
// at run time it shows the key rather than failing the page.
func t(id string) string {
	if s, ok := fr[id]; ok {
		return s
	}
	return id
}

var paris = mustLoadLocation("Europe/Paris")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("load %s: %v (time/tzdata is embedded, so this is a broken build)", name, err))
	}
	return loc
}

var months = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// heure formats t as French readers write it, in Paris time:
// "6 avril 2021 à 9 h 02".
func heure(tm time.Time) string {
	if tm.IsZero() {
		return ""
	}
	p := tm.In(paris)
	return fmt.Sprintf("%d %s %d à %d h %02d", p.Day(), months[p.Month()-1], p.Year(), p.Hour(), p.Minute())
}
