package sim

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
)

// The texts the failing portals showed, as press reports quote them. They are
// written into the pages verbatim, in UTF-8 (apostrophes and accents are not
// turned into HTML entities), so a probe's signature can match them as is.
const (
	// QuotaText is Open Digital Education's quota page, attributed to the
	// ENT Île-de-France on 6 April 2021 (linternaute.com screenshot) and
	// probably ODE's generic throttling page.
	QuotaText = "À situation exceptionnelle, mesures exceptionnelles… logique de quota. " +
		"Quand le nombre d'utilisateurs maximum est atteint, il vous faut patienter… " +
		"Revenez et essayez à nouveau d'ici quelques minutes. Merci de votre compréhension"
	// RestrictedText is the Kosmos restriction page quoted for Mon Bureau
	// Numérique (Grand Est) on 6 April 2021; other Kosmos ENTs (Rouen
	// academy's Arsene76) plausibly showed it too.
	RestrictedText = "En raison d'un très grand nombre de connexions, " +
		"l'accès à l'ENT est temporairement restreint."
	// UnavailableText is the CNED's white page as the project brief recalls
	// it; no press report quoting it was found.
	UnavailableText = "Le service est indisponible"
	// MaintenanceText is a generic maintenance notice.
	MaintenanceText = "Le site est actuellement en maintenance. Merci de revenir plus tard."
)

// Paths the Healthy portal serves.
const (
	homePath  = "/"
	loginPath = "/auth/login"
	loopA     = "/loop/a"
	loopB     = "/loop/b"
)

// SessionCookie is the name of the cookie the home page sets (entcore's).
const SessionCookie = "oneSessionId"

// pages holds every page but nginx's; it is parsed once and never modified.
var pages = template.Must(template.New("").Parse(`
{{- define "head" -}}
<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{{.Name}}</title>
</head>
{{end}}
{{- define "home" -}}
{{template "head" .}}<body>
<header><h1>{{.Name}}</h1></header>
<main>
<p>Bienvenue sur votre espace numérique de travail.</p>
<p><a href="/auth/login">Se connecter</a></p>
</main>
</body>
</html>
{{end}}
{{- define "login" -}}
{{template "head" .}}<body>
<main>
<h1>Connexion</h1>
<form action="/auth/login" method="post">
<label for="email">Identifiant</label>
<input type="text" id="email" name="email" autocomplete="username">
<label for="password">Mot de passe</label>
<input type="password" id="password" name="password" autocomplete="current-password">
<button type="submit">Se connecter</button>
</form>
</main>
</body>
</html>
{{end}}
{{- define "notice" -}}
{{template "head" .}}<body>
<div class="notice"><p>{{.Text}}</p></div>
</body>
</html>
{{end}}
{{- define "white" -}}
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Name}}</title></head><body>{{.Text}}</body></html>
{{end}}
{{- define "endless" -}}
{{template "head" .}}<body>
<header><h1>{{.Name}}</h1></header>
<main>
{{end}}`))

// pageData is what a page template renders. Text is one of the constants
// above, trusted so that html/template keeps it verbatim.
type pageData struct {
	Name string
	Text template.HTML
}

// nginx502 is nginx's stock error page, MSIE padding included.
const nginx502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
	"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n" +
	"</body>\r\n</html>\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n"

// render executes the named template and writes it with status code.
func render(w http.ResponseWriter, code int, name string, d pageData) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, d); err != nil {
		panic("sim: render " + name + ": " + err.Error()) // static templates: a bug
	}
	writeHTML(w, code, buf.Bytes())
}

func writeHTML(w http.ResponseWriter, code int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(body) // the client going away is not the portal's error
}
