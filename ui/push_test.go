package ui

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/push"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// newPushStack is a test server with the push API over a real push store,
// taking at most max subscriptions.
func newPushStack(t *testing.T, max int) *testStack {
	t.Helper()
	yaml := testConfig + "push:\n  subject: mailto:a@constat.test\n  allowed_services: [\"push.constat.test\", \"93.184.216.34\"]\n  max_subscriptions: " + itoa(max) + "\n"
	return newTestStackWith(t, t.TempDir(), stackOptions{yaml: yaml, push: true})
}

// newTestPush is the alert sender of a test stack (not running: the tests
// here check the API, package push the sending).
func newTestPush(tb testing.TB, dir string, cfg *probes.Config, set push.Config, tl *timeline.Timeline) *push.Push {
	tb.Helper()
	keys, err := push.CreateKeys(dir)
	if err != nil {
		tb.Fatal(err)
	}
	store, err := push.OpenStore(filepath.Join(dir, push.StoreFile), push.StoreOptions{Timeout: time.Second, NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	p, err := push.New(push.Options{Store: store, Timeline: tl, Config: cfg, Settings: set, Keys: keys, Words: PushWords{}})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func subscriptionJSON(t *testing.T, endpoint string) string {
	t.Helper()
	k, _ := ecdh.P256().GenerateKey(rand.Reader)
	auth := make([]byte, 16)
	rand.Read(auth)
	b, _ := json.Marshal(map[string]any{"endpoint": endpoint, "expirationTime": nil, "keys": map[string]string{
		"p256dh": base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), "auth": base64.RawURLEncoding.EncodeToString(auth)}})
	return string(b)
}

func do(t *testing.T, s *Server, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

// TestPushAPI checks the contract of the subscription API. The endpoint
// host is an IP literal the guard refuses before any lookup, or a literal
// that is public: no test here resolves or dials anything.
func TestPushAPI(t *testing.T) {
	st := newPushStack(t, 1)
	w := do(t, st.s, http.MethodGet, "/api/v1/push/key", "")
	var key struct {
		PublicKey string `json:"public_key"`
	}
	if json.Unmarshal(w.Body.Bytes(), &key); w.Code != 200 || len(key.PublicKey) != 87 {
		t.Errorf("GET /api/v1/push/key = %d %s, want 200 and an 87-character key", w.Code, w.Body)
	}
	first := st.cfg.Components[0].ID
	tests := []struct {
		name, body string
		code       int
		field      string
	}{
		{"http endpoint", `{"subscription":` + subscriptionJSON(t, "http://push.constat.test/x") + `,"components":["` + first + `"]}`, 400, "subscription.endpoint"},
		{"bad p256dh", `{"subscription":{"endpoint":"https://push.constat.test/x","keys":{"p256dh":"AAAA","auth":"AAAAAAAAAAAAAAAAAAAAAA"}},"components":["` + first + `"]}`, 400, "subscription.keys.p256dh"},
		{"no choice", `{"subscription":` + subscriptionJSON(t, "https://push.constat.test/x") + `}`, 400, "components"},
		{"unknown group", `{"subscription":` + subscriptionJSON(t, "https://push.constat.test/x") + `,"groups":["nowhere"]}`, 400, "groups[0]"},
		{"private address", `{"subscription":` + subscriptionJSON(t, "https://10.0.0.1/x") + `,"components":["` + first + `"]}`, 400, "subscription.endpoint"},
		{"too large", `{"subscription":` + subscriptionJSON(t, "https://push.constat.test/"+strings.Repeat("x", 5000)) + `}`, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, st.s, http.MethodPost, "/api/v1/push/subscriptions", tt.body)
			var e struct{ Error, Field string }
			json.Unmarshal(w.Body.Bytes(), &e)
			if w.Code != tt.code || e.Field != tt.field || e.Error == "" {
				t.Errorf("POST (%s) = %d %s, want %d naming %q", tt.name, w.Code, w.Body, tt.code, tt.field)
			}
		})
	}
}

// TestPushAPIFull: past max_subscriptions, 503 with a message; the same
// endpoint again replaces its choices; DELETE with its auth removes it.
// The endpoint is a public IP literal, allowed explicitly: nothing resolves
// and the subscription dials nothing.
func TestPushAPIFull(t *testing.T) {
	st := newPushStack(t, 1)
	sub := subscriptionJSON(t, "https://93.184.216.34/push/a")
	post := func(body string) *httptest.ResponseRecorder {
		return do(t, st.s, http.MethodPost, "/api/v1/push/subscriptions", body)
	}
	if w := post(`{"subscription":` + sub + `,"groups":["idf"]}`); w.Code != 201 || !strings.Contains(w.Body.String(), `"components":["monlycee","pcn"]`) {
		t.Fatalf("POST group idf = %d %s, want 201 with the group expanded", w.Code, w.Body)
	}
	if w := post(`{"subscription":` + sub + `,"components":["pcn"]}`); w.Code != 201 || !strings.Contains(w.Body.String(), `"components":["pcn"]`) {
		t.Errorf("POST the same endpoint again = %d %s, want 201 replacing the choices", w.Code, w.Body)
	}
	if w := post(`{"subscription":` + subscriptionJSON(t, "https://93.184.216.34/push/b") + `,"components":["pcn"]}`); w.Code != 503 || !strings.Contains(w.Body.String(), "maximum number of alert subscriptions") {
		t.Errorf("POST past max_subscriptions = %d %s, want 503 with a message", w.Code, w.Body)
	}
	if w := do(t, st.s, http.MethodDelete, "/api/v1/push/subscriptions", `{"subscription":`+subscriptionJSON(t, "https://93.184.216.34/push/a")+`}`); w.Code != 404 {
		t.Errorf("DELETE with another auth secret = %d, want 404", w.Code)
	}
	if w := do(t, st.s, http.MethodDelete, "/api/v1/push/subscriptions", `{"subscription":`+sub+`}`); w.Code != 204 {
		t.Errorf("DELETE = %d %s, want 204", w.Code, w.Body)
	}
}

// TestPushWords: the notification texts the issue gives as examples, and
// an outage that ends in maintenance, which is not "rétabli".
func TestPushWords(t *testing.T) {
	start := time.Date(2021, 4, 6, 7, 2, 0, 0, time.UTC) // 9 h 02 in Paris
	end := func(state probes.Status, since time.Time) push.Notice {
		return push.Notice{Kind: push.End, ComponentName: "monlycée.net", State: state, At: start.Add(28 * time.Minute), Since: since}
	}
	for _, tt := range []struct {
		name        string
		lang        string
		n           push.Notice
		title, body string
	}{
		{"start", "fr", push.Notice{Kind: push.Start, ComponentName: "monlycée.net", State: probes.MajorOutage, At: start, Cause: probes.SoftFailure},
			"monlycée.net : panne mesurée", "monlycée.net : page de saturation ou d'attente depuis 9 h 02"},
		{"end", "fr", push.Notice{Kind: push.End, ComponentName: "monlycée.net", State: probes.Operational, At: start.Add(45 * time.Minute), Since: start},
			"monlycée.net : rétabli", "rétabli à 9 h 47, 45 min de panne mesurée"},
		{"end", "en", push.Notice{Kind: push.End, ComponentName: "monlycée.net", State: probes.Operational, At: start.Add(45 * time.Minute), Since: start},
			"monlycée.net: back", "back at 09:47, 45 min of measured outage"},
		{"end in maintenance", "fr", end(probes.UnderMaintenance, start),
			"monlycée.net : en maintenance", "en maintenance depuis 9 h 30, après 28 min de panne mesurée"},
		{"end in maintenance", "en", end(probes.UnderMaintenance, start),
			"monlycée.net: under maintenance", "under maintenance since 09:30, after 28 min of measured outage"},
		{"end in maintenance, start unknown", "fr", end(probes.UnderMaintenance, time.Time{}),
			"monlycée.net : en maintenance", "en maintenance depuis 9 h 30"},
		{"end in maintenance, start unknown", "en", end(probes.UnderMaintenance, time.Time{}),
			"monlycée.net: under maintenance", "under maintenance since 09:30"},
	} {
		t.Run(tt.name+"/"+tt.lang, func(t *testing.T) {
			if title, body := (PushWords{}).Notice(tt.lang, tt.n); title != tt.title || body != tt.body {
				t.Errorf("Notice(%s, %s) = %q, %q\nwant %q, %q", tt.lang, tt.name, title, body, tt.title, tt.body)
			}
		})
	}
}

// TestPushAPIBodyShape: a body of the wrong shape is answered 400 naming the
// field at fault (a string for the components list, a number for the
// endpoint), and data after the JSON object is refused, not ignored. All
// were seen from curl against the demo: the answer named no field, and
// trailing data went on to the endpoint's lookup.
func TestPushAPIBodyShape(t *testing.T) {
	st := newPushStack(t, 10)
	sub := subscriptionJSON(t, "https://93.184.216.34/push/a")
	for _, tt := range []struct {
		name, method, body string
		field              string
	}{
		{"components a string", http.MethodPost, `{"subscription":` + sub + `,"components":"monlycee"}`, "components"},
		{"groups of numbers", http.MethodPost, `{"subscription":` + sub + `,"groups":[1]}`, "groups[0]"},
		{"endpoint a number", http.MethodPost, `{"subscription":{"endpoint":5,"keys":{"p256dh":"x","auth":"y"}},"components":["pcn"]}`, "subscription.endpoint"},
		{"keys a string", http.MethodPost, `{"subscription":{"endpoint":"https://93.184.216.34/push/a","keys":"x"},"components":["pcn"]}`, "subscription.keys"},
		{"subscription a number", http.MethodDelete, `{"subscription":5}`, "subscription"},
		{"an array", http.MethodPost, `[1]`, ""},
		{"no keys", http.MethodPost, `{"subscription":{"endpoint":"https://93.184.216.34/push/a"},"components":["pcn"]}`, "subscription.keys.p256dh"},
		{"no auth", http.MethodPost, `{"subscription":{"endpoint":"https://93.184.216.34/push/a","keys":{"p256dh":"x"}},"components":["pcn"]}`, "subscription.keys.auth"},
		{"trailing data", http.MethodPost, `{"subscription":` + sub + `,"components":["pcn"]} garbage`, ""},
		{"two objects", http.MethodPost, `{"subscription":` + sub + `,"components":["pcn"]}{}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, st.s, tt.method, "/api/v1/push/subscriptions", tt.body)
			var e struct{ Error, Field string }
			json.Unmarshal(w.Body.Bytes(), &e)
			if w.Code != 400 || e.Field != tt.field || e.Error == "" || e.Error == "body is not the expected JSON object" && tt.field != "" ||
				strings.HasPrefix(tt.name, "no ") && e.Error != "missing" {
				t.Errorf("%s (%s) = %d %s, want 400 naming %q", tt.method, tt.name, w.Code, w.Body, tt.field)
			}
		})
	}
	// What browsers send: expirationTime null or a number (from another
	// address: the cases above used this one's subscribePerMinute).
	for _, exp := range []string{"null", "1767225600000"} {
		body := strings.Replace(sub, `"expirationTime":null`, `"expirationTime":`+exp, 1)
		r := httptest.NewRequest(http.MethodPost, "/api/v1/push/subscriptions", strings.NewReader(`{"subscription":`+body+`,"components":["pcn"],"lang":"en"}`))
		r.RemoteAddr = "198.51.100.9:1000"
		w := httptest.NewRecorder()
		st.s.Handler().ServeHTTP(w, r)
		if w.Code != 201 {
			t.Errorf("POST with expirationTime %s = %d %s, want 201", exp, w.Code, w.Body)
		}
	}
}

// TestPushAPIRateLimit: one address may make subscribePerMinute
// subscription requests a minute (an IPv6 address counts for its /64); the
// next is answered 429 with Retry-After, and other addresses are not held.
func TestPushAPIRateLimit(t *testing.T) {
	st := newPushStack(t, 100)
	from := func(addr string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/push/subscriptions", strings.NewReader(`{"components":["pcn"]}`))
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		st.s.Handler().ServeHTTP(w, r)
		return w
	}
	for _, tt := range []struct{ name, first, next string }{
		{"IPv4", "198.51.100.7:1000", "198.51.100.7:1001"},
		{"IPv6 /64", "[2001:db8:1:2::1]:1000", "[2001:db8:1:2:ffff::9]:1001"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i := range subscribePerMinute {
				if w := from(tt.first); w.Code != http.StatusBadRequest {
					t.Fatalf("request %d = %d %s, want 400 (the body lacks a subscription)", i+1, w.Code, w.Body)
				}
			}
			w := from(tt.next)
			if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "too many") {
				t.Errorf("request %d = %d %q %s, want 429 with Retry-After and a message", subscribePerMinute+1, w.Code, w.Header().Get("Retry-After"), w.Body)
			}
		})
	}
	if w := from("203.0.113.5:1000"); w.Code != http.StatusBadRequest {
		t.Errorf("another address = %d %s, want 400: not held by the others' limit", w.Code, w.Body)
	}
}

// TestPushAPIReplaceNeedsAuth: posting an endpoint already subscribed
// replaces its choices only with the same auth secret. Seen in the audit:
// anyone who knew an endpoint could post it with their own keys, which
// replaced the secret that DELETE takes as proof of ownership (and the
// key the alerts are encrypted to), then unsubscribe its owner.
func TestPushAPIReplaceNeedsAuth(t *testing.T) {
	st := newPushStack(t, 10)
	const endpoint = "https://93.184.216.34/push/owner"
	owner := subscriptionJSON(t, endpoint)
	if w := do(t, st.s, http.MethodPost, "/api/v1/push/subscriptions", `{"subscription":`+owner+`,"components":["pcn"]}`); w.Code != 201 {
		t.Fatalf("POST = %d %s, want 201", w.Code, w.Body)
	}
	other := subscriptionJSON(t, endpoint) // same endpoint, other keys
	w := do(t, st.s, http.MethodPost, "/api/v1/push/subscriptions", `{"subscription":`+other+`,"components":["monlycee"]}`)
	if w.Code != 400 || !strings.Contains(w.Body.String(), `"field":"subscription.keys.auth"`) {
		t.Errorf("POST the endpoint with other keys = %d %s, want 400 naming subscription.keys.auth", w.Code, w.Body)
	}
	if w := do(t, st.s, http.MethodDelete, "/api/v1/push/subscriptions", `{"subscription":`+other+`}`); w.Code != 404 {
		t.Errorf("DELETE with the other keys = %d %s, want 404", w.Code, w.Body)
	}
	if w := do(t, st.s, http.MethodPost, "/api/v1/push/subscriptions", `{"subscription":`+owner+`,"components":["monlycee"]}`); w.Code != 201 || !strings.Contains(w.Body.String(), `"components":["monlycee"]`) {
		t.Errorf("POST again by its owner = %d %s, want 201 replacing the choices", w.Code, w.Body)
	}
	if w := do(t, st.s, http.MethodDelete, "/api/v1/push/subscriptions", `{"subscription":`+owner+`}`); w.Code != 204 {
		t.Errorf("DELETE by its owner = %d %s, want 204", w.Code, w.Body)
	}
}
