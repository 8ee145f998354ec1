package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/incidents/accounts"
	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes/sim"
)

// The whole pipeline of the incident engine: a portal serving the CNED
// white page opens an automatic incident that an admin sees after logging
// in, a statement posted through the API lands in the timeline with its
// audit record, and the events survive the shutdown.
func TestServeIncidentsAndAdmin(t *testing.T) {
	healthy := sim.Start(t, sim.Healthy)
	white := sim.Start(t, sim.WhitePage)
	cfg := fastConfig(t, map[string]string{"lycees": healthy.URL(), "cned": white.URL()}, "lycees", "cned")
	dataDir := t.TempDir()
	acc, err := accounts.Open(filepath.Join(dataDir, "accounts.db"), accounts.Options{HashCost: accounts.HashCost{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.Add("camille", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	token, err := acc.NewToken("camille", []accounts.Scope{accounts.ScopeStatementsWrite}, "ci")
	if err != nil {
		t.Fatal(err)
	}
	acc.Close()

	base, stop := startServe(t, cfg, dataDir)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	login := fetch(t, client, http.MethodGet, base+"/admin/login", nil)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(login)
	if csrf == nil {
		t.Fatalf("login page has no CSRF field:\n%s", login)
	}
	fetch(t, client, http.MethodPost, base+"/admin/login", url.Values{"csrf": {csrf[1]}, "account": {"camille"}, "password": {"correct horse battery"}})

	// The incident opens after confirm (2) failing rounds at 1 s.
	var dash string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		dash = fetch(t, client, http.MethodGet, base+"/admin", nil)
		if strings.Contains(dash, "<td>cned</td>") {
			break
		}
	}
	if !strings.Contains(dash, "<td>cned</td>") {
		t.Fatalf("dashboard never showed the cned incident:\n%s", dash)
	}

	body := `{"speaker":"Jean-Michel Blanquer, ministre","said_at":"2021-04-06T09:30:00+02:00","quote":"Attaques informatiques venues de l'étranger","source_url":"https://www.europe1.fr/"}`
	req, _ := http.NewRequest(http.MethodPost, base+"/api/admin/v1/statements", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST statement = %d %s, want 201", resp.StatusCode, b)
	}

	stop()
	tl, err := timeline.Open(filepath.Join(dataDir, "timeline.db"), timeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	var opened, statement, audited bool
	err = tl.AdminRecords(func(r timeline.Record) error {
		switch {
		case r.Event != nil && incidents.EventKind(r.Event.EventKind) == incidents.Opened && r.Event.Component == "cned":
			opened = true
		case r.Statement != nil && r.Statement.Author == "camille":
			statement = true
		case r.Audit != nil && r.Audit.Actor == "camille" && r.Audit.Action == "account.login":
			audited = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !opened || !statement || !audited {
		t.Errorf("timeline: incident_opened(cned)=%v statement=%v login audit=%v, want all", opened, statement, audited)
	}
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) string {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = c.PostForm(u, form)
	} else {
		resp, err = c.Get(u)
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s = %d:\n%s", method, u, resp.StatusCode, b)
	}
	return string(b)
}
