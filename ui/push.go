package ui

import (
	"errors"
	"io"
	"net/http"
	"net/netip"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/probes"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/labstack/echo/v4"
)

// maxPushBody bounds a subscription request: PushSubscription.toJSON() is
// under 1 KiB, with the choices well under 4.
const maxPushBody = 4 << 10

// subscribePerMinute is how many subscription requests one address may make
// in a minute.
const subscribePerMinute = 10

// pushAPI answers GET /api/v1/push/key, POST and DELETE
// /api/v1/push/subscriptions and the form's choices (see routes).
type pushAPI struct {
	s     *Server
	p     *push.Push
	limit *addrLimiter
	docs  choiceDocs // the form's choices (push_choices.go)
}

func newPushAPI(s *Server, p *push.Push) *pushAPI {
	return &pushAPI{s: s, p: p, limit: newAddrLimiter(subscribePerMinute, time.Minute, 100_000)}
}

func (h *pushAPI) key(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.JSON(http.StatusOK, map[string]string{"public_key": h.p.PublicKey()})
}

// decode reads a JSON body of at most maxPushBody into v, after the
// address's rate limit.
func (h *pushAPI) decode(c echo.Context, v any) error {
	r := c.Request()
	addr := echo.ExtractIPDirect()(r)
	if h.s.trustProxy {
		addr = echo.ExtractIPFromXFFHeader()(r)
	}
	if !h.limit.allow(addr, time.Now()) {
		c.Response().Header().Set("Retry-After", "60")
		return refuse(http.StatusTooManyRequests, "", "too many subscription requests from this address; try again in a minute")
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, maxPushBody))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return refuse(http.StatusRequestEntityTooLarge, "", "body larger than %d bytes", maxPushBody)
	}
	if err != nil {
		return refuse(http.StatusBadRequest, "", "body could not be read")
	}
	// jsonv2 as the admin API (jsonRefusal names the field of a wrong
	// type, and data after the object is refused), but unknown members
	// are ignored: a browser may add one to PushSubscription.toJSON().
	if err := jsonv2.Unmarshal(body, v); err != nil {
		return jsonRefusal(err)
	}
	return nil
}

func (h *pushAPI) subscribe(c echo.Context) error {
	var req push.SubscribeRequest
	if err := h.decode(c, &req); err != nil {
		return err
	}
	got, err := h.p.Subscribe(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, got)
}

func (h *pushAPI) unsubscribe(c echo.Context) error {
	var req struct {
		Subscription push.Subscription `json:"subscription"`
	}
	if err := h.decode(c, &req); err != nil {
		return err
	}
	if err := h.p.Unsubscribe(c.Request().Context(), req.Subscription); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// addrLimiter allows n requests per window per address (IPv6 by /64),
// remembering at most maxKeys addresses (the oldest window is dropped).
type addrLimiter struct {
	n       int
	window  time.Duration
	maxKeys int
	mu      sync.Mutex
	start   time.Time
	counts  map[string]int
}

func newAddrLimiter(n int, window time.Duration, maxKeys int) *addrLimiter {
	return &addrLimiter{n: n, window: window, maxKeys: maxKeys, counts: map[string]int{}}
}

func (l *addrLimiter) allow(addr string, now time.Time) bool {
	key := addr
	if a, err := netip.ParseAddr(addr); err == nil && a.Unmap().Is6() {
		key = netip.PrefixFrom(a, 64).Masked().String()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.window || len(l.counts) >= l.maxKeys {
		clear(l.counts) // a fixed window: at most 2n in any window's length
		l.start = now
	}
	l.counts[key]++
	return l.counts[key] <= l.n
}

// PushWords are the notification texts of package push, from the
// catalogues.
type PushWords struct{}

var _ push.Words = PushWords{}

func langOf(code string) lang {
	for l := range numLangs {
		if l.String() == code {
			return l
		}
	}
	return french
}

// Notice writes "monlycée.net : panne mesurée" / "monlycée.net : page de
// saturation ou d'attente depuis 9 h 02", and for the end "rétabli à 9 h
// 47, 45 min de panne mesurée", or when the outage ends in maintenance
// "en maintenance depuis 9 h 30, après 28 min de panne mesurée".
func (PushWords) Notice(code string, n push.Notice) (title, body string) {
	l := langOf(code)
	switch n.Kind {
	case push.Start:
		cause := l.t("status." + n.State.String())
		if n.Cause != 0 {
			cause = l.t("outcome." + n.Cause.String())
		}
		return l.tf("push.start.title", n.ComponentName), l.tf("push.start.body", n.ComponentName, lowerFirst(cause), l.hourMinute(n.At))
	case push.End:
		// An outage ended by a maintenance window is not "back": the
		// parent reads that the service is under maintenance, since when.
		key := "push.end"
		if n.State == probes.UnderMaintenance {
			key = "push.maintenance"
		}
		title = l.tf(key+".title", n.ComponentName)
		if n.Since.IsZero() || n.At.Before(n.Since) {
			return title, l.tf(key+".body_nostart", l.hourMinute(n.At))
		}
		return title, l.tf(key+".body", l.hourMinute(n.At), l.outage(n.At.Sub(n.Since)))
	}
	return l.tf("push.update.title", n.ComponentName, n.Title), l.tf("push.update.body", l.t("push.status."+n.UpdateStatus.String()))
}

// Indicator is the Statuspage description of an overall indicator.
func (PushWords) Indicator(code, indicator string) string {
	return langOf(code).t("api.status." + indicator)
}

// hourMinute writes the time of day in Paris to the minute: "9 h 02", "09:02".
func (l lang) hourMinute(tm time.Time) string {
	p := tm.In(paris)
	return l.tf("push.time", p.Hour(), p.Minute())
}

// outage writes a measured outage's length: "45 min", "2 h 05".
func (l lang) outage(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 60 {
		return l.tf("push.duration.minutes", max(m, 1))
	}
	return l.tf("push.duration.hours", m/60, m%60)
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
