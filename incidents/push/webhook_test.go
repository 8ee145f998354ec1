package push_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
)

// hookReceiver is a newsroom's webhook endpoint on 127.0.0.1: it checks the
// Constat-Signature header as a receiver would (HMAC-SHA256 of
// "<t>.<raw body>", t within five minutes) and keeps the decoded bodies.
type hookReceiver struct {
	secret string
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
	errs   []string
	fail   int // answer the first fail requests with 302
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	h := &hookReceiver{secret: secret}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.fail > 0 {
			h.fail--
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		if err := h.verify(r.Header.Get("Constat-Signature"), raw); err != nil {
			h.errs = append(h.errs, err.Error())
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			h.errs = append(h.errs, err.Error())
		}
		h.bodies = append(h.bodies, body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) verify(header string, raw []byte) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return fmt.Errorf("signature header %q: bad or stale t", header)
	}
	mac := hmac.New(sha256.New, []byte(h.secret))
	mac.Write([]byte(ts + "."))
	mac.Write(raw)
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return fmt.Errorf("signature %q does not verify", sig)
	}
	return nil
}

// TestWebhook: the start and end of an outage, and an admin update, reach
// a webhook signed and shaped like Statuspage's; a 3xx is a failure,
// retried, not followed.
func TestWebhook(t *testing.T) {
	hook := newHookReceiver(t, "s3cret")
	hook.fail = 1
	e := newEnv(t, fmt.Sprintf("webhooks:\n  - url: %s/constat\n    secret: s3cret\n    components: [monlycee]\n", hook.srv.URL), nil)
	e.record("monlycee", false, 0, 1)
	e.record("pcn", false, 0, 1) // not a component the webhook wants
	inc := e.pipe.OpenIncidents()[0].ID
	if _, err := e.pipe.Admin().PostUpdate(context.Background(), "camille", incidents.UpdateInput{Incident: inc,
		Status: incidents.StatusIdentified, Impact: incidents.ImpactMajor, Title: "Saturation", Body: "Le fournisseur **confirme**."}); err != nil {
		t.Fatal(err)
	}
	e.p.Wake()
	e.record("monlycee", true, 45, 46)
	waitFor(t, "three webhooks after one 302", func() bool {
		hook.mu.Lock()
		defer hook.mu.Unlock()
		return len(hook.bodies) >= 3
	})
	hook.mu.Lock()
	defer hook.mu.Unlock()
	for _, err := range hook.errs {
		t.Error(err)
	}
	if len(hook.bodies) != 3 {
		t.Fatalf("%d webhooks, want 3 (start, update, end of monlycee only)", len(hook.bodies))
	}
	start, update, end := hook.bodies[0], hook.bodies[1], hook.bodies[2]
	for i, b := range hook.bodies {
		page, _ := b["page"].(map[string]any)
		if page["status_indicator"] == nil || page["status_description"] == nil || b["meta"] == nil {
			t.Errorf("webhook %d has no meta or page status: %v", i, b)
		}
	}
	cu, _ := start["component_update"].(map[string]any)
	comp, _ := start["component"].(map[string]any)
	if cu["old_status"] != "operational" || cu["new_status"] != "major_outage" || comp["id"] != "monlycee" || comp["name"] != "monlycée.net" {
		t.Errorf("start webhook = %v", start)
	}
	if cu, _ := end["component_update"].(map[string]any); cu["new_status"] != "operational" {
		t.Errorf("end webhook = %v", end)
	}
	incident, _ := update["incident"].(map[string]any)
	ups, _ := incident["incident_updates"].([]any)
	comps, _ := incident["components"].([]any)
	if incident["status"] != "identified" || len(ups) != 1 || comps == nil {
		t.Fatalf("update webhook = %v", update)
	}
	if u := ups[0].(map[string]any); u["body"] != "Le fournisseur **confirme**." || u["status"] != "identified" {
		t.Errorf("incident_updates[0] = %v", u)
	}
	if n := e.counter("constat_push_deliveries_total", "channel", "webhook", "result", "retried"); n != 1 {
		t.Errorf("webhook retried = %v, want 1 (the 302)", n)
	}
}

// TestFlappingLimit: a component that goes down, up and down again within
// the start interval sends one start and the end of the announced outage;
// the second start and its end are held back. An admin update is always sent.
func TestFlappingLimit(t *testing.T) {
	e := newEnv(t, "", nil)
	s := newSubscriber(t, "f")
	e.subscribe(s, "fr", []string{"pcn"}, nil)
	e.record("pcn", false, 0, 1)
	e.record("pcn", true, 3, 4)
	e.record("pcn", false, 6, 7) // a new outage 6 minutes after the first: held back
	e.record("pcn", true, 9, 10)
	e.record("pcn", false, 20, 21) // 20 minutes after the first announced start: sent
	waitFor(t, "messages and suppressions", func() bool {
		return e.counter("constat_push_enqueued_total", "channel", "suppressed") == 2 &&
			e.counter("constat_push_deliveries_total", "result", "sent") == 3
	})
	e.rcv.mu.Lock()
	defer e.rcv.mu.Unlock()
	var kinds []string
	for _, m := range e.rcv.got {
		kinds = append(kinds, fmt.Sprint(m.payload["state"], "@", m.payload["at"]))
	}
	want := []string{"major_outage@2021-04-06T07:02:00Z", "operational@2021-04-06T07:05:00Z", "major_outage@2021-04-06T07:22:00Z"}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Errorf("messages = %v, want %v", kinds, want)
	}
}

// TestWebhookMaintenance: a component going into a maintenance window and
// out of it, driven through the real engine, gives a webhook one signed
// component_update each way, maintenance_ended included; one still failing
// after the window gives one, with the incident it opens.
func TestWebhookMaintenance(t *testing.T) {
	// A maintenance is announced, not declared afterwards: the window is
	// in the admins' future, and so are the rounds.
	base := time.Now().UTC().Truncate(time.Minute).Add(time.Hour)
	for _, tc := range []struct {
		name    string
		afterOK bool
		want    []string // old>new incident_id (INC: the incident opened after the window)
	}{
		{"back after the window", true, []string{"operational>under_maintenance ", "under_maintenance>operational "}},
		{"down after the window", false, []string{"operational>under_maintenance ", "under_maintenance>major_outage INC"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hook := newHookReceiver(t, "s3cret")
			e := newEnv(t, fmt.Sprintf("webhooks:\n  - url: %s/constat\n    secret: s3cret\n    components: [pcn]\n", hook.srv.URL), nil)
			if _, err := e.pipe.Admin().ScheduleMaintenance(t.Context(), "camille", incidents.MaintenanceInput{Title: "Migration",
				Components: []string{"pcn"}, Start: base.Add(10 * time.Minute), End: base.Add(40 * time.Minute), Status: incidents.StatusScheduled}); err != nil {
				t.Fatal(err)
			}
			recordRoundsFrom(t, e.pipe, base, "pcn", true, 0, 1)
			recordRoundsFrom(t, e.pipe, base, "pcn", false, 12, 20, 30)
			recordRoundsFrom(t, e.pipe, base, "pcn", tc.afterOK, 41, 42, 43)
			appendEvents(t, e)
			delivered(t, e, hook)
			want := strings.Join(tc.want, ", ")
			if open := e.pipe.OpenIncidents(); len(open) > 0 {
				want = strings.ReplaceAll(want, "INC", fmt.Sprint(open[0].ID))
			}
			hook.mu.Lock()
			defer hook.mu.Unlock()
			var got []string
			for i, b := range hook.bodies {
				meta, _ := b["meta"].(map[string]any)
				page, _ := b["page"].(map[string]any)
				comp, _ := b["component"].(map[string]any)
				cu, _ := b["component_update"].(map[string]any)
				if meta["event"] != "component_update" || page["status_indicator"] == nil || comp["id"] != "pcn" ||
					comp["status"] != cu["new_status"] || cu["component_id"] != "pcn" || b["incident"] != nil {
					t.Errorf("webhook %d is not a Statuspage component_update of pcn: %v", i, b)
				}
				inc := ""
				if id, ok := cu["incident_id"]; ok {
					inc = fmt.Sprint(id)
				}
				got = append(got, fmt.Sprintf("%v>%v %s", cu["old_status"], cu["new_status"], inc))
			}
			if strings.Join(got, ", ") != want {
				t.Errorf("webhook component_updates = %s\nwant %s", strings.Join(got, ", "), want)
			}
		})
	}
}
