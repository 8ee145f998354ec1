package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

// adminOnly reports whether key belongs to the French-only admin pages,
// the only keys of fr that en need not have.
func adminOnly(key string) bool {
	for _, p := range []string{"admin.", "field.", "update.", "impact."} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// goKeyRe finds the catalogue keys Go code names: t("x"), l.t("x"),
// l.tf("x", …), l.markup("x", …); a key ending in "." is a prefix.
var goKeyRe = regexp.MustCompile(`\b(?:t|tf|markup)\("([^"]+)"`)

// Every key the public Go code names has a text in every language.
func TestCatalogueCoversGoCode(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, "admin") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKeyRe.FindAllStringSubmatch(string(src), -1) {
			for l := range numLangs {
				if _, ok := langSpecs[l].msgs[m[1]]; !ok && !strings.HasSuffix(m[1], ".") {
					t.Errorf("%s uses key %q, missing from the %s catalogue", name, m[1], l)
				}
			}
		}
	}
}

// The keys Go code builds (a prefix and a value) exist in every language.
func TestCatalogueCoversBuiltKeys(t *testing.T) {
	var keys []string
	for s := probes.Status(0); s.Valid() || s == 0; s++ {
		keys = append(keys, "bar."+s.String())
	}
	for m := 1; m <= 12; m++ {
		keys = append(keys, fmt.Sprintf("month.%d", m))
	}
	for _, st := range []string{"scheduled", "in_progress"} {
		keys = append(keys, "maint."+st)
	}
	for _, k := range []string{"measure", "update", "statement"} {
		keys = append(keys, "inc.kind."+k)
	}
	for l := range numLangs {
		for _, k := range keys {
			if _, ok := langSpecs[l].msgs[k]; !ok {
				t.Errorf("no %s text for %q", l, k)
			}
		}
	}
}

var verbRe = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?([a-zA-Z%])`)

// verbs lists the formatting verbs of s, flags and widths left out:
// "%d %s à %02d" gives [d s d].
func verbs(s string) []string {
	var out []string
	for _, m := range verbRe.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1]+m[3])
	}
	return out
}

// en has a text for every public key of fr and no key fr lacks, and each
// text takes the same arguments in both.
func TestEnglishCatalogueMirrorsFrench(t *testing.T) {
	for k, f := range fr {
		e, ok := en[k]
		switch {
		case !ok && !adminOnly(k):
			t.Errorf("en lacks public key %q (fr: %q)", k, f)
		case ok && adminOnly(k):
			t.Errorf("en has admin key %q: the admin pages are French only", k)
		case ok && !slices.Equal(verbs(f), verbs(e)):
			t.Errorf("%q takes %v in fr, %v in en", k, verbs(f), verbs(e))
		}
	}
	for k := range en {
		if _, ok := fr[k]; !ok {
			t.Errorf("en has key %q, which fr lacks", k)
		}
	}
}

func TestLangFormats(t *testing.T) {
	tests := []struct {
		name      string
		fr, en    string
		formatted func(lang) string
	}{
		{"percent(100)", "100,00\u00a0%", "100.00%", func(l lang) string { return l.percent(100) }},
		{"percent(99.999)", "99,99\u00a0%", "99.99%", func(l lang) string { return l.percent(99.999) }}, // never rounded up to 100
		{"percent(0)", "0,00\u00a0%", "0.00%", func(l lang) string { return l.percent(0) }},
		{"ms(80.5ms)", "80,5 ms", "80.5 ms", func(l lang) string { return l.ms(80500 * time.Microsecond) }},
		{"jour", "6 avril 2021", "6 April 2021", func(l lang) string { return l.jour(time.Date(2021, 4, 5, 22, 30, 0, 0, time.UTC)) }},
		{"clock", "9\u00a0h\u00a002\u00a0min\u00a013\u00a0s", "09:02:13", func(l lang) string { return l.clock(time.Date(2021, 4, 6, 7, 2, 13, 0, time.UTC)) }},
		{"duration(30)", "30 secondes", "30 seconds", func(l lang) string { return l.duration(30) }},
		{"duration(300)", "5 minutes", "5 minutes", func(l lang) string { return l.duration(300) }},
		{"size(1 MiB)", "1 Mio", "1 MiB", func(l lang) string { return l.size(1 << 20) }},
		{"size(1000)", "1000 octets", "1000 bytes", func(l lang) string { return l.size(1000) }},
		{"href", "/incidents/7", "/en/incidents/7", func(l lang) string { return l.href("/incidents/", 7) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.formatted(french); got != tt.fr {
				t.Errorf("french.%s = %q, want %q", tt.name, got, tt.fr)
			}
			if got := tt.formatted(english); got != tt.en {
				t.Errorf("english.%s = %q, want %q", tt.name, got, tt.en)
			}
		})
	}
}

// publicPages serves newIncidentSite and returns the French path of each
// public page, with texts its English version must show.
func publicPages(t *testing.T) (*Server, []langPage) {
	t.Helper()
	s, id, today := newIncidentSite(t)
	return s, []langPage{
		{"/", []string{"Service status", "At least one service is down", "Measured outage: monlycée.net", "Measured availability: 25.00% of 4 rounds since",
			"waiting page: too many connections", "Last 90 days: 0 without a measured outage, 1 with an outage"}},
		{"/components/monlycee", []string{"Measured availability", `Last 24 hours</th><td>25.00%`, `Status: <strong class="s-major_outage">Down</strong>`, "Paris time"}},
		{"/history/monlycee/" + today, []string{"4 measurements that day, 3 of them failing.", "Overload or waiting page: 3",
			`href="/history/monlycee/` + today + `.csv"`, `Step 1: <span class="url">https://ent.iledefrance.fr/</span>`, "no. "}},
		{fmt.Sprintf("/incidents/%d", id), []string{"Measured start:", "Official statement", "monlycée.net: Working → Down", "Des attaques informatiques"}},
		{"/methode", []string{"How Constat measures", "every 30 seconds", "at most 1 MiB", "2 consecutive measurements",
			"“Quand le nombre d&#39;utilisateurs maximum est atteint…”"}},
	}
}

type langPage struct {
	path string   // in French
	want []string // in the English page
}

var hrefRe = regexp.MustCompile(`href="(/[^"]*)"`)

// Each public page has an English version under /en: English words,
// numbers and times, no French text or catalogue key, links that stay in
// English, and a switch back to French.
func TestEnglishPages(t *testing.T) {
	s, pages := publicPages(t)
	for _, p := range pages {
		enPath := english.href(p.path)
		t.Run(enPath, func(t *testing.T) {
			w := serveReq(s, http.MethodGet, enPath, nil)
			body := w.Body.String()
			if w.Code != http.StatusOK || !strings.Contains(body, `<html lang="en">`) {
				t.Fatalf("GET %s = %d, want 200 and lang en", enPath, w.Code)
			}
			for _, want := range p.want {
				if !strings.Contains(body, want) {
					t.Errorf("GET %s lacks %q", enPath, want)
				}
			}
			checkNoFrench(t, enPath, body)
			for _, m := range hrefRe.FindAllStringSubmatch(body, -1) {
				// Documents (a file extension, or the evidence log's) have one address in every language.
				if h := m[1]; !strings.HasPrefix(h, "/en/") && h != p.path && path.Ext(h) == "" && !strings.HasPrefix(h, "/evidence/") {
					t.Errorf("GET %s links %s, out of /en", enPath, h)
				}
			}
			for _, want := range []string{fmt.Sprintf(`<a href="%s" hreflang="fr" lang="fr">Français</a>`, p.path),
				fmt.Sprintf(`<link rel="alternate" hreflang="fr" href="%s">`, p.path)} {
				if !strings.Contains(body, want) {
					t.Errorf("GET %s lacks the way back to French %s", enPath, want)
				}
			}
			if w := serveReq(s, http.MethodHead, enPath, nil); w.Code != http.StatusOK || w.Body.Len() != 0 {
				t.Errorf("HEAD %s = %d with %d bytes, want 200 and no body", enPath, w.Code, w.Body.Len())
			}
			frBody := serveReq(s, http.MethodGet, p.path, nil).Body.String()
			if want := fmt.Sprintf(`<a href="%s" hreflang="en" lang="en">English</a>`, enPath); !strings.Contains(frBody, want) {
				t.Errorf("GET %s lacks the switch to English %s", p.path, want)
			}
		})
	}
}

// checkNoFrench fails when an English page shows a catalogue key, or a
// French text that differs from its English one (short words such as
// "Incidents" are the same in both, so only texts of 12 characters or more).
func checkNoFrench(t *testing.T, path, body string) {
	t.Helper()
	for k, f := range fr {
		if adminOnly(k) {
			continue
		}
		if strings.Contains(k, ".") && strings.Contains(body, k) {
			t.Errorf("GET %s shows the catalogue key %q", path, k)
		}
		if f != en[k] && len([]rune(f)) >= 12 && !strings.Contains(f, "%") &&
			(strings.Contains(body, f) || strings.Contains(body, template.HTMLEscapeString(f))) {
			t.Errorf("GET %s shows the French %s: %q", path, k, f)
		}
	}
}

// The languages never share an ETag, so neither a browser nor a CDN can
// answer 304 for one with the other cached.
func TestLanguagesHaveDistinctETags(t *testing.T) {
	s, _ := publicPages(t)
	for _, p := range []string{"/", "/methode", "/components/monlycee"} {
		frTag := serveReq(s, http.MethodGet, p, nil).Header().Get("ETag")
		w := serveReq(s, http.MethodGet, english.href(p), http.Header{"If-None-Match": {frTag}})
		if enTag := w.Header().Get("ETag"); frTag == "" || enTag == "" || frTag == enTag || w.Code != http.StatusOK {
			t.Errorf("GET %s = %d with ETag %q, GET %s ETag %q: want 200 and two distinct ETags", english.href(p), w.Code, enTag, p, frTag)
		}
	}
}

// "/en" is what people type; it leads to the English home page, whatever
// their Accept-Language, and "/" stays French whatever theirs.
func TestLanguageComesFromThePath(t *testing.T) {
	s, _ := newTestServer(t)
	if w := serveReq(s, http.MethodGet, "/en", nil); w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/en/" {
		t.Errorf("GET /en = %d to %q, want 301 to /en/", w.Code, w.Header().Get("Location"))
	}
	en := http.Header{"Accept-Language": {"en-GB,en;q=0.9"}}
	if w := serveReq(s, http.MethodGet, "/", en); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<html lang="fr">`) {
		t.Errorf("GET / with Accept-Language en = %d, want 200 in French", w.Code)
	}
}

// TestFrenchTimesHoldTogether: in French a time ("13 h 53", "9 h 01 min
// 00 s") and a percentage ("0,00 %") are joined by no-break spaces, so
// that a narrow column never puts "53" or "%" alone on the next line
// (seen in the demo: "depuis 13 h" then "53" at 360 px, "0,00" then "%
// des 12 mesures" at 1280 px).
func TestFrenchTimesHoldTogether(t *testing.T) {
	split := regexp.MustCompile(`%(?:02)?d (?:h|min|s)(?:\s|$)|\bh %02d|%s %%`)
	for k, v := range fr {
		if strings.HasPrefix(k, "fmt.") && split.MatchString(v) { // push.*: a notification, not a page
			t.Errorf("fr[%q] = %q: an ordinary space between a number and its unit", k, v)
		}
	}
	if got := french.hm(time.Date(2021, 4, 6, 11, 53, 0, 0, time.UTC)); got != "13\u00a0h\u00a053" {
		t.Errorf("hm = %q, want 13 h 53 with no-break spaces", got)
	}
}

// TestCountsGroupThousands: counts of five digits or more print with the
// language's thousands separator ("514 services sur 10 000", with a
// narrow no-break space, was "10000" at 10,000 services), four-digit ones
// whole; record numbers are not counts and stay whole.
func TestCountsGroupThousands(t *testing.T) {
	tests := []struct {
		l    lang
		n    int
		want string
	}{
		{french, 0, "0"}, {french, 2880, "2880"}, {french, 10000, "10\u202f000"},
		{french, 259200, "259\u202f200"}, {french, 1234567, "1\u202f234\u202f567"}, {french, -12000, "-12\u202f000"},
		{english, 9999, "9999"}, {english, 10000, "10,000"}, {english, 864000000, "864,000,000"},
	}
	for _, tt := range tests {
		if got := fmt.Sprintf("%d", tt.l.count(tt.n)); got != tt.want {
			t.Errorf("%v count(%d) = %q, want %q", tt.l, tt.n, got, tt.want)
		}
	}
	if got := french.tf("home.count.many", french.count(514), french.count(10000)); !strings.Contains(got, "514 services sur 10\u202f000 ") {
		t.Errorf("home.count.many = %q, want 514 services sur 10 000 (narrow no-break space)", got)
	}
	tally := regionTally{total: 12000, down: 12}
	if got := tally.text(english); !strings.HasPrefix(got, "12,000 services") {
		t.Errorf("region text = %q, want it to start with 12,000 services", got)
	}
	if got := french.tf("day.period.rounds", 2880, 123456, 126335); strings.Contains(got, "\u202f") {
		t.Errorf("day.period.rounds = %q: record numbers grouped, want them whole", got)
	}
}

// TestHomePageGroupsLargeCounts renders the home page of 10,000 services
// not yet measured: its count reads "0 services sur 10 000" (seen at
// 10,000 services: "sur 10000").
func TestHomePageGroupsLargeCounts(t *testing.T) {
	st := newTestStackWith(t, t.TempDir(), stackOptions{yaml: scaleConfig(10_000, 500)})
	body := serveReq(st.s, http.MethodGet, "/", nil).Body.String()
	if !strings.Contains(body, "0 services sur 10\u202f000 ont un premier résultat") {
		t.Errorf("home page of 10,000 services not yet measured does not say 0 services sur 10 000 (narrow no-break space)")
	}
	if !strings.Contains(body, "500 services") || strings.Contains(body, "500\u202fservices") {
		t.Errorf("home page: a region's 500 services not written as 500 services")
	}
	en := serveReq(st.s, http.MethodGet, "/en/", nil).Body.String()
	if !strings.Contains(en, "10,000") {
		t.Errorf("English home page of 10,000 services does not say 10,000")
	}
}
