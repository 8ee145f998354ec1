package probes

// The real-page corpus: short fixtures, written for these tests, that quote
// the distinctive sentences and markup of pages real portals and their
// front servers serve. Each names its source: the repository file or the
// public report where the text was read. want is the signature that must
// match it; "" means a working page on which no signature may match.
//
// Kinds: "ent" (the ENT and CAS products' own pages), "front" (stock error
// pages of front servers, proxies and application servers), "app"
// (maintenance pages of web applications and frameworks), "queue" (waiting
// rooms), "healthy" (working login, profile-choice and home pages).
type corpusPage struct {
	kind, name, want, page string
}

var corpus = []corpusPage{
	// edificeio/entcore auth/src/main/resources/view-src/tooload.html, the
	// 2020–21 version, as quoted by linternaute.com and lemondeinformatique.fr
	// on 6 April 2021 (ENT Île-de-France).
	{"ent", "ode tooload 2021 (fr div)", "ode_quota",
		`<div id="fr"><h2>À situation exceptionnelle, mesures exceptionnelles...</h2>
<p style="text-align: justify;">Pour permettre à chacun d’accéder à son réseau éducatif dans de bonnes conditions, nous avons limité le temps des sessions et instauré une logique de quota. Quand le nombre d’utilisateurs maximum est atteint, il vous faut patienter pour y accéder à votre tour.</p>`},
	// The same page's English div (the page carries fr, es and en, and shows one).
	{"ent", "ode tooload 2021 (en div only)", "ode_quota",
		`<div id="en"><p>To allow everyone to access their educational network in good conditions, we have limited the time of the sessions and implemented a quota system. When the maximum number of users is reached, you will have to wait for your turn to access it.</p></div>`},
	// The same page cut after its first sentence (a body read to max_body).
	{"ent", "ode tooload 2021 first sentence", "ode_quota_logic",
		`<p>Pour permettre à chacun d&#39;accéder à son réseau éducatif dans de bonnes conditions, nous avons limité le temps des sessions et instauré une logique de quota.`},
	// The same page's heading alone (a page trimmed to its title block).
	{"ent", "ode tooload 2021 heading", "ode_exceptional",
		"<h2>\n          &Agrave; situation exceptionnelle, mesures exceptionnelles...\n        </h2>"},
	// edificeio/entcore tooload.html, the other stored version.
	{"ent", "ode tooload short", "ode_overload",
		"<html><head><title>Authentification</title></head>\n\t<body>\n        <p>Trop de charge réessayez plus tard.</p>\n\t</body></html>"},
	// Kosmos, Mon Bureau Numérique, 6 April 2021 (press screenshots).
	{"ent", "kosmos restricted", "kosmos_restricted",
		`<div class="msg">En raison d'un très grand nombre de connexions, l'accès à l'ENT est temporairement restreint.</div>`},
	// ENT Occitanie, 6 April 2021 (france3-regions.francetvinfo.fr).
	{"ent", "occitanie", "access_unavailable",
		`<h2>Accès momentanément indisponible</h2>`},
	// The CNED's "Ma classe à la maison" white page, 6 April 2021.
	{"ent", "cned white page", "service_unavailable",
		`<body style="background:#fff"><p>Le service est momentanément indisponible.</p></body>`},
	// A portal titled with its own name (EduConnect, Skolengo, …).
	{"ent", "portal title unavailable", "unavailable_heading",
		`<head><title>ÉduConnect est temporairement indisponible</title></head>`},
	// Apereo CAS errors page, as in the Yale CAS customisation tutorial.
	{"ent", "apereo cas unavailable", "cas_unavailable",
		`<div id="msg" class="errors"><h2>CAS is Unavailable</h2><p>There was an error trying to complete your request.</p></div>`},

	// nginx, src/http/ngx_http_special_response.c.
	{"front", "nginx 503", "proxy_error_page",
		"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>"},
	{"front", "nginx 504", "proxy_error_page",
		"<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>"},
	// HAProxy's built-in 503 errorfile.
	{"front", "haproxy 503", "proxy_error_page",
		"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>"},
	// apache/httpd docs/error/HTTP_SERVICE_UNAVAILABLE.html.var, English.
	{"front", "apache 503 en", "proxy_error_page",
		"<title>Service unavailable!</title>\n<h1>Service unavailable!</h1>\n<p>\n    The server is temporarily unable to service your\n    request due to maintenance downtime or capacity\n    problems. Please try again later.\n</p>"},
	// apache/httpd docs/error/HTTP_BAD_GATEWAY.html.var, English.
	{"front", "apache 502 en", "proxy_error_page",
		"<h1>Bad Gateway!</h1><p>\n    The proxy server received an invalid\n    response from an upstream server.\n</p>"},
	// apache/httpd docs/error/HTTP_SERVICE_UNAVAILABLE.html.var, French, with
	// its entities as served.
	{"front", "apache 503 fr", "apache_error_fr",
		"<title>Service inaccessible!</title>\n<h1>Service inaccessible!</h1>\n<p>\n    En raison de travaux de maintenance ou de probl&egrave;mes\n    de capacit&eacute; le serveur n'est pas en mesure de r&eacute;pondre\n    &agrave; votre requ&ecirc;te pour l'instant.</p>"},
	// apache/httpd docs/error/HTTP_BAD_GATEWAY.html.var, French.
	{"front", "apache 502 fr", "apache_error_fr",
		"<h1>Gateway incorrecte!</h1>\n<p>\n    Le serveur proxy a re&ccedil;u une r&eacute;ponse\n    incorrecte de la part d'un serveur sup&eacute;rieur.\n</p>"},
	// Varnish builtin.vcl, vcl_backend_error.
	{"front", "varnish 503", "varnish_error",
		"<title>503 Backend fetch failed</title>\n  </head>\n  <body>\n    <h1>Error 503 Backend fetch failed</h1>\n    <p>Backend fetch failed</p>\n    <h3>Guru Meditation:</h3>\n    <p>XID: 10389692</p>\n    <hr>\n    <p>Varnish cache server</p>"},
	// Apache Tomcat ErrorReportValve (as a Jira behind Tomcat serves it).
	{"front", "tomcat 503", "tomcat_error",
		`<html lang="en"><head><title>HTTP Status 503 – Service Unavailable</title></head><body><h1>HTTP Status 503 – Service Unavailable</h1><hr class="line" /><p><b>Type</b> Status Report</p>`},
	// Microsoft IIS / HTTP.sys 503.
	{"front", "iis 503", "iis_error",
		`<HTML><HEAD><TITLE>Service Unavailable</TITLE></HEAD><BODY><h2>Service Unavailable</h2><hr><p>HTTP Error 503. The service is unavailable.</p></BODY></HTML>`},
	// IIS with ARR in front of an application.
	{"front", "iis 502.3", "iis_error",
		`<h3>HTTP Error 502.3 - Bad Gateway</h3><h4>The specified CGI application encountered an error and the server terminated the process.</h4>`},
	// Traefik: plain-text bodies.
	{"front", "traefik 503", "traefik_error", "Service Unavailable"},
	{"front", "traefik 404", "traefik_error", "404 page not found\n"},
	// Cloudflare 5xx error page markup.
	{"front", "cloudflare 522", "cloudflare_error",
		`<div id="cf-error-details" class="cf-error-details-wrapper"><div class="cf-wrapper cf-header cf-error-overview"><h1><span class="cf-error-type" data-translate="error">Error</span><span class="cf-error-code">522</span></h1><h2 class="cf-subheadline">Connection timed out</h2>`},
	// F5 BIG-IP ASM rejection page.
	{"front", "f5 rejected", "f5_rejected",
		"<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. Please consult with your administrator.<br><br>Your support ID is: 4045204596866416688<br><br><a href='javascript:history.back();'>[Go Back]</a></body></html>"},

	// WordPress wp_maintenance().
	{"app", "wordpress en", "wordpress_maintenance",
		`<title>Maintenance</title></head><body><h1>Briefly unavailable for scheduled maintenance. Check back in a minute.</h1>`},
	// WordPress fr_FR.
	{"app", "wordpress fr", "wordpress_maintenance",
		`<h1>Brièvement indisponible pour cause de maintenance planifiée. Veuillez revenir dans une minute.</h1>`},
	// Drupal system.maintenance message (core tests assert this text).
	{"app", "drupal", "drupal_maintenance",
		`<div class="content">Mon ENT is currently under maintenance. We should be back shortly. Thank you for your patience.</div>`},
	// Moodle climaintenance.html / sitemaintenance string.
	{"app", "moodle", "moodle_maintenance",
		`<div class="box"><p>This site is undergoing maintenance and is currently not available</p></div>`},
	// Laravel resources/views/errors/503.blade.php (minimal layout).
	{"app", "laravel 503", "laravel_down",
		`<!DOCTYPE html><html lang="en"><head><title>Service Unavailable</title></head><body><div class="flex-center"><div class="code">503</div><div class="message">Service Unavailable</div></div></body></html>`},
	// Laravel 5.x, before 5.5.
	{"app", "laravel be right back", "laravel_down",
		`<div class="content"><div class="title">Be right back.</div></div>`},
	// Ruby on Rails public/500.html.
	{"app", "rails 500", "rails_error",
		`<title>We're sorry, but something went wrong (500)</title><div class="dialog"><h1>We're sorry, but something went wrong.</h1></div>`},
	// French maintenance pages.
	{"app", "site en maintenance", "maintenance",
		`<title>Site en maintenance</title><p>Nous revenons très vite.</p>`},
	{"app", "ent est en maintenance", "maintenance",
		`<p>L'ENT est en cours de maintenance, merci de revenir plus tard.</p>`},

	// Queue-it's queue page, by its element ids.
	{"queue", "queue-it ids", "waiting_room",
		`<span id="MainPart_lbQueueNumber">1234</span><span id="MainPart_lbUsersInLineAheadOfYou">5 312</span>`},
	{"queue", "file d'attente fr", "waiting_room",
		`<p>Vous êtes maintenant dans la file d'attente. Merci de patienter.</p>`},
	// Cloudflare Waiting Room default template.
	{"queue", "cloudflare waiting room", "waiting_room_en",
		"<title>Waiting Room powered by Cloudflare</title></head><body><h1>You are now in line.</h1><p>Thank you for your patience.</p>"},
	{"queue", "queue-it en", "waiting_room_en",
		`<h2>You are now in line</h2><p>Your estimated wait time is: 12 minutes</p>`},

	// Working pages. edificeio/entcore auth i18n fr.json and login-form:
	// the login form, with a maintenance notice in the news.
	{"healthy", "ode login with notices", "",
		`<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Connexion</title>
<script src="//static.queue-it.net/script/queueclient.min.js"></script>
<script>var errors = {502: "502 Bad Gateway", 503: "503 Service Unavailable", 504: "504 Gateway Timeout"};</script></head><body>
<div class="news"><h3>ENT en maintenance samedi 10 avril de 8 h à 12 h</h3><p>Une opération de maintenance aura lieu samedi : le service sera indisponible.
Lors de la dernière maintenance, le service était momentanément indisponible une heure.</p></div>
<form method="post" action="/auth/login"><label>Identifiant</label><input name="email"><label>Mot de passe</label><input type="password" name="password">
<label><input type="checkbox"> Se souvenir de moi</label><button type="submit">Connexion</button></form>
<a href="/auth/forgot">Identifiant ou mot de passe oublié</a></body></html>`},
	// entcore wayf: the profile choice.
	{"healthy", "ode profile choice", "",
		`<h1>Bienvenue sur votre ENT !</h1><p>Sélectionnez votre profil :</p><a href="/auth/saml/authn/eleve">Élève</a><a href="/auth/saml/authn/parent">Parent</a><a href="/auth/saml/authn/personnel">Personnel</a>`},
	// entcore fed.form: the redirect page between IdP and ENT.
	{"healthy", "ode federation redirect", "",
		`<p>Veuillez patienter, vous allez être redirigé vers l'application demandée.</p><p>Si vous n'êtes pas automatiquement redirigé, vous pouvez cliquer sur le bouton ci-dessous.</p><button>Se connecter</button>`},
	// Apereo CAS login page.
	{"healthy", "cas login", "",
		`<title>CAS – Central Authentication Service</title><form method="post" id="fm1"><h2>Enter Username &amp; Password</h2><input id="username" name="username"><input type="password" id="password" name="password"><input type="hidden" name="execution" value="e1s1"><button name="submit" accesskey="l">LOGIN</button></form><p>For security reasons, please log out and exit your web browser when you are done accessing services that require authentication!</p>`},
	// Shibboleth IdP login as EduConnect runs it.
	{"healthy", "educonnect idp", "",
		`<title>ÉduConnect</title><h1>ÉduConnect</h1><p>Un compte unique pour suivre et accompagner la scolarité de mon enfant</p><h2>Je sélectionne mon profil</h2><button>Élève</button><button>Représentant légal</button><a href="/idp/profile/SAML2/Redirect/SSO?execution=e1s1&_eventId_proceed">FranceConnect</a><p>Service en maintenance le 12 mars : connexion rétablie depuis.</p>`},
	// Kosmos / Skolengo home.
	{"healthy", "kosmos home", "",
		`<h1>Bienvenue sur l'ENT Mon Bureau Numérique</h1><p>Accès élèves, parents et personnels. En cas de difficulté de connexion, contactez l'assistance.</p><p>Le service de maintenance informatique du collège est joignable au 03 00 00 00 00.</p>`},
	// PRONOTE espace élèves.
	{"healthy", "pronote login", "",
		`<title>PRONOTE - Espace Élèves</title><noscript>Le JavaScript est désactivé : PRONOTE ne peut pas fonctionner.</noscript><p>Vous êtes en attente de connexion.</p><p>Les informations de maintenance sont publiées dans l'espace documentaire.</p>`},
	// A news item quoting the 2021 outage on a working portal.
	{"healthy", "news quoting the outage", "",
		`<article><h2>Retour sur avril 2021</h2><p>Ce jour-là, les usagers lisaient « le serveur » saturé ; le portail est aujourd'hui dimensionné pour 200 000 connexions et le site est en ligne.</p><p>The site was under heavy load that day.</p></article>`},
}
