package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/labstack/echo/v4"
)

// Cookie names. The session cookie holds the session ID from
// accounts.Store; the login cookie holds the CSRF token of the login
// form, which is filled before any session exists (double submit).
const (
	sessionCookie = "constat_session"
	loginCookie   = "constat_login"
	csrfField     = "csrf"
	maxFormBytes  = 64 << 10 // the largest admin form or API body
	ctxSession    = "admin.session"
)

// adminHeaders sets the headers every admin page and API answer carries,
// errors included: nothing is cached, framed, or loaded from elsewhere.
func adminHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; form-action 'self'; frame-ancestors 'none'")
		return next(c)
	}
}

// clientAddr is the address the login limiter counts: the peer, or the
// client named by a trusted proxy's X-Forwarded-For.
func (a *admin) clientAddr(c echo.Context) string {
	if a.s.trustProxy {
		return echo.ExtractIPFromXFFHeader()(c.Request())
	}
	return echo.ExtractIPDirect()(c.Request())
}

func (a *admin) setCookie(c echo.Context, name, value string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: name, Value: value, Path: "/admin", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: a.s.secure(c.Request())})
}

// parseForm reads a form body of at most maxFormBytes; a larger one is 413.
func parseForm(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	return nil
}

// requireSession lets a request through only with a live session, which it
// stores in the context; otherwise it redirects to the login page. A POST
// must also carry the session's CSRF token (403 if it does not).
func (a *admin) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(sessionCookie)
		if err != nil {
			return c.Redirect(http.StatusSeeOther, "/admin/login")
		}
		sess, err := a.acc.Session(ck.Value)
		switch {
		case errors.Is(err, accounts.ErrSessionExpired), errors.Is(err, accounts.ErrBadCredentials):
			a.setCookie(c, sessionCookie, "", -1)
			return c.Redirect(http.StatusSeeOther, "/admin/login")
		case err != nil:
			return err
		}
		if c.Request().Method == http.MethodPost {
			if err := parseForm(c); err != nil {
				return err
			}
			if !sess.ValidCSRF(c.Request().PostForm.Get(csrfField)) {
				return echo.NewHTTPError(http.StatusForbidden)
			}
		}
		c.Set(ctxSession, sess)
		return next(c)
	}
}

func session(c echo.Context) accounts.Session {
	s, _ := c.Get(ctxSession).(accounts.Session)
	return s
}

type loginView struct {
	adminPage
	Name, Error string
}

// loginForm shows the login form, with a fresh CSRF token in a cookie.
func (a *admin) loginForm(c echo.Context) error {
	return a.renderLogin(c, http.StatusOK, "", "")
}

func (a *admin) renderLogin(c echo.Context, code int, name, msgKey string) error {
	tok := randomToken()
	a.setCookie(c, loginCookie, tok, 3600)
	v := loginView{adminPage: adminPage{CSRF: tok}, Name: name}
	if msgKey != "" {
		v.Error = t(msgKey)
	}
	return a.render(c, code, "admin_login.html", v)
}

// login checks the login form's CSRF token, then applies the login rules
// (accounts.Store.Login: limiter, password, session).
func (a *admin) login(c echo.Context) error {
	if err := parseForm(c); err != nil {
		return err
	}
	f := c.Request().PostForm
	ck, err := c.Cookie(loginCookie)
	if err != nil || !equalToken(ck.Value, f.Get(csrfField)) {
		return echo.NewHTTPError(http.StatusForbidden)
	}
	name := strings.TrimSpace(f.Get("account"))
	sess, err := a.acc.Login(a.clientAddr(c), name, f.Get("password"))
	if le, ok := errors.AsType[*accounts.LimitError](err); ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(le.RetryAfter.Seconds()))))
		return a.renderLogin(c, http.StatusTooManyRequests, name, "admin.login.limited")
	}
	if errors.Is(err, accounts.ErrBadCredentials) {
		return a.renderLogin(c, http.StatusOK, name, "admin.login.failed")
	}
	if err != nil {
		return err
	}
	a.setCookie(c, sessionCookie, sess.ID, 0) // a browser-session cookie: Accounts enforces expiry
	a.setCookie(c, loginCookie, "", -1)
	a.audit(c, name, "account.login")
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// logout ends the session (requireSession checked its CSRF token).
func (a *admin) logout(c echo.Context) error {
	sess := session(c)
	if err := a.acc.EndSession(sess.ID); err != nil {
		return err
	}
	a.setCookie(c, sessionCookie, "", -1)
	a.audit(c, sess.Account, "account.logout")
	return c.Redirect(http.StatusSeeOther, "/admin/login")
}

// equalToken compares two tokens in constant time; empty never matches.
func equalToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}
