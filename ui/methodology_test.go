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
