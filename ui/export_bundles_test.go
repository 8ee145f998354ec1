package ui

import (
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

var anchor = regexp.MustCompile(`<a href="([^"]*)">([^<]*)</a>`)

// preuveLinks returns, for each "preuve" link of the HTML pages exported
// into dir (an anchor whose text is day.evidence or inc.evidence in
// either language), its href, and the pages it was found on.
func preuveLinks(t *testing.T, dir string) map[string][]string {
	t.Helper()
	texts := map[string]bool{}
	for l := range numLangs {
		texts[l.t("day.evidence")], texts[l.t("inc.evidence")] = true, true
	}
	links := map[string][]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".html" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range anchor.FindAllStringSubmatch(string(b), -1) {
			if texts[html.UnescapeString(m[2])] {
				href := html.UnescapeString(m[1])
				links[href] = append(links[href], strings.TrimPrefix(path, dir))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return links
}

// resolve returns the file a static host serves for href in dir: the
// file at that path, or the index.html of the directory there.
func resolve(dir, href string) string {
	name := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(href, "/")))
	if fi, err := os.Stat(name); err == nil && fi.IsDir() {
		return filepath.Join(name, "index.html")
	}
	return name
}

// Seen: in a static copy (export-site, serve -publish-dir) the "preuve"
// links of the day and incident pages answered 404: Export wrote the
// tiles but not the bundles. Every such link of an exported site now
// resolves to a file that constat verify accepts with the exported key.
func TestExportBundlesResolve(t *testing.T) {
	s, id, _ := newIncidentSite(t)
	dir := t.TempDir()
	if _, err := s.Export(dir, 2); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dir, "evidence", "key"))
	if err != nil {
		t.Fatal(err)
	}
	links := preuveLinks(t, dir)
	// 2 components × 2 days and 1 incident, each page in 2 languages.
	if pages := 0; len(links) != 2*2+1 || func() int {
		for _, p := range links {
			pages += len(p)
		}
		return pages
	}() != 2*(2*2+1) {
		t.Errorf("preuve links of the export = %v, want 5 links on 10 pages", links)
	}
	records := map[string]int{}
	for href, pages := range links {
		data, err := os.ReadFile(resolve(dir, href))
		if err != nil {
			t.Errorf("preuve link %s (on %s) does not resolve: %v", href, pages[0], err)
			continue
		}
		b, err := evidence.ParseBundle(data)
		if err == nil {
			_, err = evidence.VerifyBundle(b, strings.TrimSpace(string(key)))
		}
		if err != nil {
			t.Errorf("constat verify of %s (linked on %s) = %v", href, pages[0], err)
			continue
		}
		records[href] = len(b.Records)
	}
	if n := records[dayBundlePath("monlycee", timeline.DateOf(s.now()))]; n != 4 {
		t.Errorf("the exported preuve of monlycee's day holds %d records, want 4", n)
	}
	if n := records[incidentBundlePath(id)]; n != 3 {
		t.Errorf("the exported preuve of incident %d holds %d records, want 3", id, n)
	}
}

// TestExportBundlesRefresh checks which bundles a later Export writes
// again: that of a period not over once it is bundleRefresh old, that of
// a period over when it was written before the period settled; never one
// written after.
func TestExportBundlesRefresh(t *testing.T) {
	s, _, _ := newIncidentSite(t)
	dir := t.TempDir()
	if _, err := s.Export(dir, 3); err != nil {
		t.Fatal(err)
	}
	now := s.now()
	d := timeline.DateOf(now)
	past := d.AddDays(-2) // over for at least 23 hours, whatever the hour
	for _, tt := range []struct {
		name    string
		day     timeline.Date
		mtime   time.Time
		rewrite bool
	}{
		{"today, fresh", d, now.Add(-time.Minute), false},
		{"today, stale", d, now.Add(-bundleRefresh - time.Minute), true},
		{"past day, written after it settled", past, past.AddDays(1).Start().Add(bundleSettle + time.Minute), false},
		{"past day, written before it settled", past, past.AddDays(1).Start().Add(bundleSettle - time.Minute), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := resolve(dir, dayBundlePath("monlycee", tt.day))
			mtime := tt.mtime.Truncate(time.Second)
			if err := os.Chtimes(name, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Export(dir, 3); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if got := !fi.ModTime().Equal(mtime); got != tt.rewrite {
				t.Errorf("Export over a bundle of %s written at %v: rewritten = %v, want %v", tt.day, mtime, got, tt.rewrite)
			}
		})
	}
}
