package ui

import (
	"net/http"
	"strings"
	"testing"

	"github.com/constat-ent/constat/probes"
)

func TestMethodologyPage(t *testing.T) {
	s, _ := newTestServer(t)
	w := serveReq(s, http.MethodGet, "/methode", nil)
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `lang="fr"`) {
		t.Fatalf("GET /methode = %d", w.Code)
	}
	for o := probes.Outcome(1); o.Valid(); o++ {
		if !strings.Contains(body, "<code>"+o.String()+"</code>") {
			t.Errorf("methodology lacks outcome %s", o)
		}
	}
	for _, p := range probes.BuiltinSignatures() {
		if !strings.Contains(body, "<code>"+p.Name+"</code>") {
			t.Errorf("methodology lacks signature %s", p.Name)
		}
	}
	for _, want := range []string{"30 secondes", "1 Mio", "2 mesures consécutives", "seq, component, start",
		"plus de 5 fois en 30 minutes", "<code>partial_outage</code>", "pendant 5 minutes", "moins de 5 minutes d'écart", "Un certificat expiré"} {
		if !strings.Contains(body, want) {
			t.Errorf("methodology lacks %q (the figures of the configuration)", want)
		}
	}
	if strings.Contains(body, "method.") {
		t.Errorf("methodology shows a catalogue key instead of its text")
	}
}

// Every outcome and built-in signature has its explanation, in every language.
func TestMethodologyCatalogue(t *testing.T) {
	for l := range numLangs {
		for o := probes.Outcome(1); o.Valid(); o++ {
			if _, ok := langSpecs[l].msgs["method.outcome."+o.String()]; !ok {
				t.Errorf("no %s methodology text for outcome %s", l, o)
			}
		}
		for _, p := range probes.BuiltinSignatures() {
			if _, ok := langSpecs[l].msgs["method.signature."+p.Name]; !ok {
				t.Errorf("no %s methodology text for signature %s", l, p.Name)
			}
		}
	}
}

// Seen: the page said "3 secondes par défaut" and "10 secondes par défaut"
// while the demo ran other values. It states the figures in force, and
// each service whose own differ.
func TestMethodologyStatesValuesInForce(t *testing.T) {
	st := newTestStackWith(t, t.TempDir(), stackOptions{yaml: `
defaults:
  interval: 10s
  timeout: 3s
  degraded_after: 1s
groups:
  - id: idf
    name: Île-de-France
    components:
      - id: monlycee
        name: monlycée.net
        interval: 1m
        steps:
          - url: https://ent.iledefrance.fr/
          - url: https://ent.iledefrance.fr/auth/login
            timeout: 8s
      - id: pcn
        name: Paris Classe Numérique
        steps:
          - url: https://ent.parisclassenumerique.fr/
      - id: educ
        name: L'Educ de Normandie
        degraded_after: 2s
        steps:
          - url: https://www.l-educdenormandie.fr/
`})
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/methode", []string{"intervalle entre deux mesures, 10 secondes ; chaque étape a 3 secondes pour aboutir", "au-delà de 1 seconde, une réponse correcte compte comme lente",
			"plus lentement que le seuil de lenteur (1 seconde)", "le délai (3 secondes) a expiré",
			"monlycée.net : intervalle 1 minute, délai 8 secondes (étape 2)", "L&#39;Educ de Normandie : lent au-delà de 2 secondes"}},
		{"/en/methode", []string{"interval between measurements, 10 seconds; each step has 3 seconds to complete", "slowness threshold (1 second)",
			"monlycée.net: interval 1 minute, time limit 8 seconds (step 2)"}},
	} {
		body := serveReq(st.s, http.MethodGet, tt.path, nil).Body.String()
		for _, want := range tt.want {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %q", tt.path, want)
			}
		}
		for _, lack := range []string{"par défaut)", "by default)", "Paris Classe Numérique :"} {
			if strings.Contains(body, lack) {
				t.Errorf("GET %s has %q", tt.path, lack)
			}
		}
	}
}
