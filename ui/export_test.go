package ui

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Export writes every page in French and in English (under en/), and each
// day's CSV beside its day page, byte for byte what the server sends.
func TestExportWritesBothLanguagesAndDayCSV(t *testing.T) {
	s, _ := publicPages(t)
	dir := t.TempDir()
	n, err := s.Export(dir, 2)
	if err != nil {
		t.Fatalf("Export = %d, %v", n, err)
	}
	today := time.Now().In(paris).Format("2006-01-02")
	id := s.pub.cfg.Service.History().Incidents()[0].ID
	files := map[string]string{ // file: the path that serves it
		"index.html":                                   "/",
		"en/index.html":                                "/en/",
		"en/methode/index.html":                        "/en/methode",
		"en/components/monlycee/index.html":            "/en/components/monlycee",
		"en/history/monlycee/" + today + "/index.html": "/en/history/monlycee/" + today,
		fmt.Sprintf("en/incidents/%d/index.html", id):  fmt.Sprintf("/en/incidents/%d", id),
		"history/monlycee/" + today + "/index.html":    "/history/monlycee/" + today,
		"history/monlycee/" + today + ".csv":           "/history/monlycee/" + today + ".csv",
		"history/pcn/" + today + ".csv":                "/history/pcn/" + today + ".csv",
		"api/v2/summary.json":                          "/api/v2/summary.json",
	}
	for f, path := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			t.Errorf("export lacks %s: %v", f, err)
			continue
		}
		if want := serveReq(s, http.MethodGet, path, nil).Body.String(); string(got) != want {
			t.Errorf("exported %s differs from GET %s", f, path)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "en", "index.html")); !strings.Contains(string(b), `<html lang="en">`) {
		t.Errorf("en/index.html is not the English home page")
	}
	// Per language 9 pages: the home, the method, 2 components, 2 × 2 days
	// and 1 incident; in French only the 2 × 2 days' CSV, the stylesheet,
	// the Atom feed, 8 JSON documents, and a feed and a badge per component.
	if want := 2*9 + 2*2 + 1 + 1 + 8 + 2*2; n != want {
		t.Errorf("Export wrote %d files, want %d", n, want)
	}
}
