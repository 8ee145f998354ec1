package sim

import (
	"bytes"
	"context"
	"crypto/tls"
	"html/template"
	"net"
	"net/http"
	"time"
)

// serveHTTP answers one request according to the behaviour current when it
// arrives.
func (p *Portal) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !p.enter() {
		panic(http.ErrAbortHandler) // closed: drop the connection, log nothing
	}
	defer p.active.Done()
	p.requests.Add(1)
	if r.URL.Path == loginPath {
		c, err := r.Cookie(SessionCookie)
		p.sawCookie.Store(err == nil && c.Value == p.token)
	}
	switch b := p.Behaviour(); b {
	case Healthy:
		p.healthy(w, r)
	case QueuePage:
		render(w, http.StatusOK, "notice", p.page(QuotaText))
	case Restricted:
		render(w, http.StatusOK, "notice", p.page(RestrictedText))
	case WhitePage:
		render(w, http.StatusOK, "white", p.page(UnavailableText))
	case WhitePage503:
		render(w, http.StatusServiceUnavailable, "white", p.page(UnavailableText))
	case Maintenance:
		render(w, http.StatusOK, "notice", p.page(MaintenanceText))
	case LoginBroken:
		p.loginBroken(w, r)
	case Slow:
		p.hold(r.Context(), p.delay)
		p.healthy(w, r)
	case Hanging:
		p.hold(r.Context(), -1)
		panic(http.ErrAbortHandler) // never answer, even when released
	case Reset:
		reset(w)
	case EndlessBody:
		p.endless(w)
	case RedirectLoop:
		next := loopA
		if r.URL.Path == loopA {
			next = loopB
		}
		http.Redirect(w, r, next, http.StatusFound)
	case Flapping:
		p.flapping(w, r)
	default: // Refused, ConnectTimeout: a connection opened before the switch
		panic(http.ErrAbortHandler)
	}
}

func (p *Portal) page(text string) pageData {
	return pageData{Name: p.name, Text: template.HTML(text)}
}

// healthy serves the ODE-like home and login pages, and 404 elsewhere.
func (p *Portal) healthy(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case homePath:
		http.SetCookie(w, &http.Cookie{
			Name:     SessionCookie,
			Value:    p.token,
			Path:     "/",
			HttpOnly: true,
			Secure:   r.TLS != nil,
			SameSite: http.SameSiteLaxMode,
		})
		render(w, http.StatusOK, "home", p.page(""))
	case loginPath:
		render(w, http.StatusOK, "login", p.page(""))
	default:
		render(w, http.StatusNotFound, "notice", p.page("La page demandée est introuvable."))
	}
}

// loginBroken serves the healthy home page, and nginx's 502 on the login.
func (p *Portal) loginBroken(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != loginPath {
		p.healthy(w, r)
		return
	}
	w.Header().Set("Server", "nginx")
	writeHTML(w, http.StatusBadGateway, []byte(nginx502))
}

// flapping counts requests to "/": odd ones (the first) are Healthy, even
// ones WhitePage503. Other paths follow the last "/".
func (p *Portal) flapping(w http.ResponseWriter, r *http.Request) {
	n := p.flap.Load()
	if r.URL.Path == homePath {
		n = p.flap.Add(1)
	}
	if n > 0 && n%2 == 0 {
		render(w, http.StatusServiceUnavailable, "white", p.page(UnavailableText))
		return
	}
	p.healthy(w, r)
}

// hold waits d (forever if d < 0), or until the client goes away or the
// portal closes, in which case it aborts the handler without an answer.
func (p *Portal) hold(ctx context.Context, d time.Duration) {
	var elapsed <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		elapsed = t.C
	}
	select {
	case <-elapsed:
		return
	case <-ctx.Done():
	case <-p.done:
	}
	panic(http.ErrAbortHandler)
}

// reset takes the connection from net/http after the request was read and
// closes it with SO_LINGER 0, which sends a RST instead of a FIN.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

// filler is what EndlessBody repeats; it is never modified.
var filler = bytes.Repeat([]byte("<p>Chargement de votre espace en cours, veuillez patienter…</p>\n"), 1000)

// endless sends the start of the home page, then filler until the client
// stops reading (a write fails) or the portal closes.
func (p *Portal) endless(w http.ResponseWriter) {
	var start bytes.Buffer
	if err := pages.ExecuteTemplate(&start, "endless", p.page("")); err != nil {
		panic("sim: render endless: " + err.Error())
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(start.Bytes()); err != nil {
		return
	}
	for {
		select {
		case <-p.done:
			panic(http.ErrAbortHandler)
		default:
		}
		if _, err := w.Write(filler); err != nil {
			return
		}
	}
}
