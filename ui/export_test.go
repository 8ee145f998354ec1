package ui

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
)

// Export writes every page in French and in English (under en/), and each
// day's CSV beside its day page, byte for byte what the server sends.
func TestExportWritesBothLanguagesAndDayCSV(t *testing.T) {
	s, _ := publicPages(t)
	m, err := s.pipe.Admin().ScheduleMaintenance(t.Context(), "camille", incidents.MaintenanceInput{Title: "Migration", Components: []string{"pcn"},
		Start: time.Now().Add(time.Hour), End: time.Now().Add(2 * time.Hour), Status: incidents.StatusScheduled})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n, err := s.Export(dir, 2)
	if err != nil {
		t.Fatalf("Export = %d, %v", n, err)
	}
	today := time.Now().In(paris).Format("2006-01-02")
	id := s.pipe.History().Incidents()[0].ID
	files := map[string]string{ // file: the path that serves it
		"index.html":                                       "/",
		"en/index.html":                                    "/en/",
		"en/methode/index.html":                            "/en/methode",
		"en/components/monlycee/index.html":                "/en/components/monlycee",
		"en/history/monlycee/" + today + "/index.html":     "/en/history/monlycee/" + today,
		fmt.Sprintf("en/incidents/%d/index.html", id):      fmt.Sprintf("/en/incidents/%d", id),
		"history/monlycee/" + today + "/index.html":        "/history/monlycee/" + today,
		"history/monlycee/" + today + ".csv":               "/history/monlycee/" + today + ".csv",
		"history/pcn/" + today + ".csv":                    "/history/pcn/" + today + ".csv",
		"api/v2/summary.json":                              "/api/v2/summary.json",
		"en/history.atom":                                  "/en/history.atom",
		fmt.Sprintf("maintenances/%d/index.html", m.ID):    fmt.Sprintf("/maintenances/%d", m.ID),
		fmt.Sprintf("en/maintenances/%d/index.html", m.ID): fmt.Sprintf("/en/maintenances/%d", m.ID),
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
	// Per language 10 pages: the home, the method, 2 components, 2 × 2 days,
	// 1 incident and 1 maintenance, and 3 feeds (the site's, one per component);
	// in French only the 2 × 2 days' CSV, the stylesheet, 8 JSON documents and
	// a badge per component; the "preuve" bundles of the 2 × 2 days and of
	// the incident, which sign a checkpoint of the tree: its partial tile,
	// entry bundle, key and checkpoint.
	if want := 2*(10+3) + 2*2 + 1 + 8 + 2 + 5 + 4; n != want {
		t.Errorf("Export wrote %d files, want %d", n, want)
	}
}
