package ui

import (
	"fmt"
	"time"
	_ "time/tzdata" // Europe/Paris must resolve on a machine without zoneinfo
)

// fr is the French catalogue: every string a visitor reads, keyed by ID.
// Templates reach it through the "t" function; a test checks every key used.
var fr = map[string]string{
	"site.title":                           "Constat — état des ENT et du CNED",
	"site.tagline":                         "Mesures indépendantes de la disponibilité des espaces numériques de travail, du CNED et d'EduConnect.",
	"home.heading":                         "État des services",
	"home.updated":                         "Dernière mesure",
	"home.never":                           "pas encore mesuré",
	"home.incidents":                       "Incidents en cours",
	"home.since":                           "depuis",
	"home.pending":                         "la dernière mesure dit autre chose : en attente de confirmation",
	"home.uptime":                          "Disponibilité sur 90 jours :",
	"bar.label":                            "%d derniers jours : %d sans panne mesurée, %d avec panne, %d sans mesure",
	"bar.unknown":                          "pas de mesure",
	"bar.operational":                      "aucune panne mesurée",
	"bar.degraded_performance":             "ralentissements",
	"bar.partial_outage":                   "panne partielle",
	"bar.major_outage":                     "panne",
	"bar.under_maintenance":                "maintenance",
	"col.component":                        "Service",
	"col.status":                           "État",
	"col.outcome":                          "Résultat",
	"col.checked":                          "Mesuré",
	"col.phases":                           "Durées (DNS, connexion, TLS, attente, transfert)",
	"col.code":                             "Code HTTP",
	"skip":                                 "Aller au contenu",
	"footer.method":                        "Chaque service est mesuré à intervalle régulier depuis un serveur de Constat ; une page d'attente ou de saturation servie avec le code 200 compte comme une panne.",
	"footer.method_link":                   "Comment Constat mesure",
	"status.unknown":                       "Pas encore mesuré",
	"status.operational":                   "Fonctionne",
	"status.degraded_performance":          "Ralenti",
	"status.partial_outage":                "Partiellement indisponible",
	"status.major_outage":                  "Indisponible",
	"status.under_maintenance":             "En maintenance",
	"outcome.ok":                           "Réponse correcte",
	"outcome.slow":                         "Réponse lente",
	"outcome.dns_error":                    "Nom de domaine introuvable",
	"outcome.connect_refused":              "Connexion refusée",
	"outcome.connect_timeout":              "Connexion sans réponse",
	"outcome.connection_reset":             "Connexion coupée",
	"outcome.tls_error":                    "Erreur de certificat ou de chiffrement",
	"outcome.timeout":                      "Délai dépassé",
	"outcome.http_error":                   "Erreur du serveur",
	"outcome.redirect_loop":                "Boucle de redirections",
	"outcome.soft_failure":                 "Page de saturation ou d'attente",
	"outcome.content_missing":              "Page incomplète",
	"outcome.unknown":                      "Inconnu",
	"api.status.none":                      "Tous les services mesurés fonctionnent",
	"api.status.minor":                     "Un service au moins est ralenti",
	"api.status.major":                     "Un service au moins est partiellement indisponible",
	"api.status.critical":                  "Un service au moins est indisponible",
	"api.status.maintenance":               "Maintenance en cours",
	"api.incident.auto":                    "Panne mesurée : %s",
	"api.evidence":                         "mesure n°",
	"feed.title":                           "incidents mesurés",
	"inc.measured_start":                   "Début mesuré :",
	"inc.measured_end":                     "fin mesurée :",
	"inc.open":                             "en cours",
	"inc.components":                       "Services touchés :",
	"inc.declared":                         "Incident déclaré par l'équipe de Constat.",
	"inc.axis":                             "Chronologie : mesures, mises à jour et déclarations",
	"inc.kind.measure":                     "▲ Mesuré",
	"inc.kind.update":                      "✎ Mise à jour",
	"inc.kind.statement":                   "❝ Déclaration officielle",
	"inc.said_at":                          "déclaré le",
	"inc.source":                           "Source",
	"day.summary":                          "%d mesures ce jour-là, dont %d en échec.",
	"method.outcome.ok":                    "la page attendue est arrivée, dans le délai.",
	"method.outcome.slow":                  "la page attendue est arrivée, mais plus lentement que le seuil de lenteur (3 secondes par défaut).",
	"method.outcome.dns_error":             "le nom du serveur n'a pas pu être traduit en adresse (nom inexistant, serveur DNS en panne ou sans réponse).",
	"method.outcome.connect_refused":       "le serveur a refusé la connexion : aucun service n'écoutait, ou le réseau l'a rejetée.",
	"method.outcome.connect_timeout":       "le serveur n'a pas accepté la connexion à temps, ce qui arrive quand il est submergé de demandes.",
	"method.outcome.connection_reset":      "la connexion a été coupée avant une réponse complète.",
	"method.outcome.tls_error":             "le chiffrement n'a pas pu être établi : certificat expiré, émis par une autorité inconnue, pour un autre nom, ou négociation échouée.",
	"method.outcome.timeout":               "le délai (10 secondes par défaut) a expiré ; le détail dit à quelle phase la mesure s'est arrêtée.",
	"method.outcome.http_error":            "le serveur a répondu par un code d'erreur (par exemple 502 ou 503), indiqué en détail.",
	"method.outcome.redirect_loop":         "le serveur renvoyait d'adresse en adresse sans jamais servir de page.",
	"method.outcome.soft_failure":          "le serveur a répondu, souvent avec le code 200, mais par une page d'attente, de saturation ou de maintenance au lieu du service (voir ci-dessous).",
	"method.outcome.content_missing":       "la page ne contenait pas ce qu'une page qui fonctionne contient (par exemple le formulaire de connexion).",
	"method.signature.ode_quota":           "« Quand le nombre d'utilisateurs maximum est atteint… », la page de quota d'Open Digital Education vue sur l'ENT d'Île-de-France le 6 avril 2021.",
	"method.signature.ode_quota_logic":     "« … logique de quota », la même page.",
	"method.signature.kosmos_restricted":   "« En raison d'un très grand nombre de connexions, l'accès à l'ENT est temporairement restreint », la page de Kosmos vue sur Mon Bureau Numérique le 6 avril 2021.",
	"method.signature.service_unavailable": "« Le service est indisponible », une page blanche ou titrée « Service indisponible ».",
	"method.signature.access_unavailable":  "« Accès momentanément indisponible », vu en Occitanie en 2021.",
	"method.signature.waiting_room":        "une file ou salle d'attente virtuelle.",
	"method.signature.maintenance":         "une page annonçant que le site ou le service est en maintenance maintenant (pas une annonce de maintenance future).",
	"method.signature.proxy_error_page":    "les pages d'erreur standard de serveurs intermédiaires (502, 503, 504) servies avec le code 200.",
	"day.csv":                              "Toutes les mesures du jour (CSV)",
	"day.failing":                          "Mesures en échec, à la seconde (heure de Paris)",
	"day.col.time":                         "Heure",
	"day.col.evidence":                     "Mesure",
	"day.step":                             "Étape",
	"day.none":                             "Aucune mesure en échec ce jour-là.",
	"day.prev":                             "Jour précédent",
	"day.next":                             "Jour suivant",
	"day.method":                           "Chaque ligne est une mesure enregistrée dans le journal de Constat, citable par son numéro ; les durées sont celles des phases DNS, connexion, TLS, attente de la réponse et transfert.",
	"admin.title":                          "Constat — administration",
	"admin.nav":                            "Administration",
	"admin.nav.dashboard":                  "Tableau de bord",
	"admin.nav.update":                     "Publier une mise à jour",
	"admin.nav.statement":                  "Consigner une déclaration",
	"admin.nav.maintenance":                "Programmer une maintenance",
	"admin.logout":                         "Se déconnecter",
	"admin.login.heading":                  "Connexion",
	"admin.login.account":                  "Compte",
	"admin.login.password":                 "Mot de passe",
	"admin.login.submit":                   "Se connecter",
	"admin.login.failed":                   "Compte ou mot de passe incorrect.",
	"admin.login.limited":                  "Trop de tentatives échouées : réessayez dans quelques minutes.",
	"admin.dash.heading":                   "Tableau de bord",
	"admin.dash.open":                      "Incidents ouverts",
	"admin.dash.none":                      "Aucun",
	"admin.col.incident":                   "Incident",
	"admin.col.components":                 "Services touchés",
	"admin.col.since":                      "Depuis",
	"admin.dash.post_update":               "Publier une mise à jour",
	"admin.dash.manual":                    "Incidents déclarés à la main",
	"admin.dash.maintenances":              "Maintenances",
	"admin.dash.statements":                "Dernières déclarations officielles",
	"admin.dash.audit":                     "Journal des actions",
	"admin.col.latest":                     "Dernière mise à jour",
	"admin.col.published":                  "Publiée",
	"admin.col.when":                       "Quand",
	"admin.col.actor":                      "Compte",
	"admin.col.action":                     "Action",
	"admin.col.target":                     "Enregistrement",
	"admin.invalid":                        "Saisie refusée, champ",
	"admin.incident.unknown":               "aucun incident ne porte ce numéro",
	"admin.form.incident_help":             "Numéro d'un incident existant ; laisser vide pour déclarer un nouvel incident.",
	"admin.form.statement_incident_help":   "Numéro de l'incident concerné, s'il y en a un.",
	"admin.form.about_help":                "Moment dont parle la déclaration ; vide : la date de la déclaration.",
	"admin.form.markdown":                  "Markdown accepté (liens, listes, emphase) ; pas de HTML.",
	"admin.form.paris_time":                "Heures de Paris.",
	"admin.form.not_affected":              "Non concerné",
	"admin.form.publish":                   "Publier",
	"admin.form.record":                    "Consigner",
	"admin.form.schedule":                  "Programmer",
	"field.incident":                       "Incident",
	"field.status":                         "État",
	"field.impact":                         "Gravité",
	"field.title":                          "Titre",
	"field.body":                           "Texte",
	"field.components":                     "Services concernés",
	"field.component":                      "Service",
	"field.speaker":                        "Auteur de la déclaration (et sa fonction)",
	"field.quote":                          "Citation",
	"field.source_url":                     "Source (adresse web)",
	"field.said_at":                        "Date de la déclaration",
	"field.about":                          "Moment concerné",
	"field.start":                          "Début",
	"field.end":                            "Fin",
	"field.actor":                          "Compte",
	"field.revises":                        "Correction",
	"field.":                               "requête",
	"update.investigating":                 "Recherche en cours",
	"update.identified":                    "Cause identifiée",
	"update.monitoring":                    "Corrigé, sous surveillance",
	"update.resolved":                      "Résolu",
	"update.scheduled":                     "Programmée",
	"update.in_progress":                   "En cours",
	"update.completed":                     "Terminée",
	"impact.none":                          "Aucune",
	"impact.minor":                         "Mineure",
	"impact.major":                         "Majeure",
	"impact.critical":                      "Critique",
	"admin.dash.correct":                   "Corriger",
	"admin.dash.revised":                   "révisé",
	"admin.dash.times":                     "fois",
	"admin.revise.update":                  "Corriger une mise à jour",
	"admin.revise.statement":               "Corriger une déclaration",
	"admin.revise.maintenance":             "Corriger une maintenance",
	"admin.revise.help":                    "La correction est publiée comme une nouvelle révision ; la version précédente reste consultable.",
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
