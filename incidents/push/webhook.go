package push

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/constat-ent/constat/probes"
	"github.com/prometheus/common/config"
)

// SignatureHeader carries a webhook's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>",
// as Stripe signs. A receiver recomputes it over the raw body and refuses
// a t too far from its clock, so that a captured request cannot be replayed.
const SignatureHeader = "Constat-Signature"

const hookLanePrefix = "hook:"

// webhook is a configured webhook: its lane, its secret and its client.
type webhook struct {
	url        string
	id         targetID
	lane       string
	secret     []byte
	components map[string]bool // nil: every component
	tls        config.TLSConfig
}

func newWebhook(w Webhook) (*webhook, error) {
	h := sha256.Sum256([]byte("webhook\x00" + w.URL.String()))
	hw := &webhook{url: w.URL.String(), secret: []byte(w.Secret), tls: w.TLSConfig}
	copy(hw.id[:], h[:])
	hw.lane = hookLanePrefix + hex.EncodeToString(hw.id[:8])
	if len(w.Components) > 0 {
		hw.components = map[string]bool{}
		for _, c := range w.Components {
			hw.components[c] = true
		}
	}
	if _, err := config.NewTLSConfig(&hw.tls); err != nil {
		return nil, err
	}
	return hw, nil
}

func (w *webhook) wants(comp string) bool { return w.components == nil || w.components[comp] }

// newClient is the webhook's client: its own TLS configuration and
// connections, no redirects (a 3xx is a failure), 30 s for the answer. The
// URL comes from the administrator's configuration, not from the public:
// it is not held to the push services' address rules.
func (w *webhook) newClient() *http.Client {
	tc, _ := config.NewTLSConfig(&w.tls) // checked in newWebhook
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSClientConfig:     tc,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: sendTimeout, CheckRedirect: noRedirect}
}

// Sign returns the SignatureHeader value of body at t with secret.
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

func (w *webhook) post(ctx context.Context, c *http.Client, body []byte, now time.Time) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Constat-Webhook/1")
	req.Header.Set(SignatureHeader, Sign(w.secret, body, now))
	return c.Do(req)
}

// The webhook bodies, shaped like Atlassian Statuspage's webhooks: meta,
// page, then component and component_update, or incident with its
// incident_updates and components. Times are RFC 3339 UTC; lists are
// never null.
type (
	hookMeta struct {
		Event       string    `json:"event"` // component_update or incident_update
		Seq         uint64    `json:"seq"`   // the timeline record it comes from
		GeneratedAt time.Time `json:"generated_at"`
	}
	hookPage struct {
		ID                string `json:"id"`
		URL               string `json:"url"`
		StatusIndicator   string `json:"status_indicator"`
		StatusDescription string `json:"status_description"`
	}
	hookComponent struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		Status    string    `json:"status"`
		CreatedAt time.Time `json:"created_at"`
	}
	hookComponentUpdate struct {
		ID          string    `json:"id"`
		ComponentID string    `json:"component_id"`
		OldStatus   string    `json:"old_status"`
		NewStatus   string    `json:"new_status"`
		CreatedAt   time.Time `json:"created_at"`
		IncidentID  string    `json:"incident_id,omitempty"`
	}
	hookUpdate struct {
		ID         string    `json:"id"`
		IncidentID string    `json:"incident_id"`
		Status     string    `json:"status"`
		Body       string    `json:"body"`
		CreatedAt  time.Time `json:"created_at"`
		DisplayAt  time.Time `json:"display_at"`
		UpdatedAt  time.Time `json:"updated_at"`
	}
	hookIncident struct {
		ID              string          `json:"id"`
		Name            string          `json:"name"`
		Status          string          `json:"status"`
		Impact          string          `json:"impact"`
		Shortlink       string          `json:"shortlink"`
		CreatedAt       time.Time       `json:"created_at"`
		UpdatedAt       time.Time       `json:"updated_at"`
		IncidentUpdates []hookUpdate    `json:"incident_updates"`
		Components      []hookComponent `json:"components"`
	}
	hookBody struct {
		Meta            hookMeta             `json:"meta"`
		Page            hookPage             `json:"page"`
		Component       *hookComponent       `json:"component,omitempty"`
		ComponentUpdate *hookComponentUpdate `json:"component_update,omitempty"`
		Incident        *hookIncident        `json:"incident,omitempty"`
	}
)

// webhookBody is n as a Statuspage-shaped webhook, in French.
func (p *Push) webhookBody(n Notice) ([]byte, error) {
	ind := p.indicator()
	b := hookBody{
		Meta: hookMeta{Seq: n.Seq, GeneratedAt: p.now().UTC().Truncate(time.Second)},
		Page: hookPage{ID: "constat", URL: p.publicURL + "/", StatusIndicator: ind, StatusDescription: p.words.Indicator("fr", ind)},
	}
	at := n.At.UTC().Truncate(time.Second)
	incID := strconv.FormatUint(n.Incident, 10)
	if n.Kind != AdminUpdate {
		if n.Incident == 0 {
			incID = "" // a maintenance's change, outside any incident
		}
		b.Meta.Event = "component_update"
		b.Component = &hookComponent{ID: n.Component, Name: n.ComponentName, Status: n.State.String(), CreatedAt: at}
		b.ComponentUpdate = &hookComponentUpdate{ID: strconv.FormatUint(n.Seq, 10), ComponentID: n.Component,
			OldStatus: n.From.String(), NewStatus: n.State.String(), CreatedAt: at, IncidentID: incID}
		return json.Marshal(b)
	}
	b.Meta.Event = "incident_update"
	inc := &hookIncident{ID: incID, Name: n.Title, Status: n.UpdateStatus.String(), Impact: n.Impact.String(),
		Shortlink: p.publicURL + "/incidents/" + incID, CreatedAt: at, UpdatedAt: at,
		IncidentUpdates: []hookUpdate{{ID: strconv.FormatUint(n.Seq, 10), IncidentID: incID, Status: n.UpdateStatus.String(),
			Body: n.Body, CreatedAt: at, DisplayAt: at, UpdatedAt: at}},
		Components: []hookComponent{},
	}
	for _, c := range n.Components {
		inc.Components = append(inc.Components, hookComponent{ID: c.Component, Name: p.names[c.Component], Status: c.Status.String(), CreatedAt: at})
	}
	b.Incident = inc
	return json.Marshal(b)
}

// indicator is Statuspage's overall indicator from the worst state of the
// open incidents, as the History has them when the event is enqueued.
func (p *Push) indicator() string {
	worst := probes.Operational
	if p.history != nil {
		for _, s := range p.history.Incidents() {
			if s.Open() && severity(s.Worst) > severity(worst) {
				worst = s.Worst
			}
		}
	}
	return [...]string{"none", "none", "minor", "major", "critical", "maintenance"}[min(int(worst), 5)]
}

func severity(s probes.Status) int {
	return slices.Index([]probes.Status{probes.StatusUnknown, probes.Operational, probes.UnderMaintenance,
		probes.DegradedPerformance, probes.PartialOutage, probes.MajorOutage}, s)
}
