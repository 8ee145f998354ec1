package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
)

// A bundle's records are those of a period (a day, an incident's first
// maxBundleSpan); once the period is over and bundleSettle has passed, a
// bundle exported then never changes: a later export keeps it. Until then
// Export writes it again when the file is older than bundleRefresh, so
// that a static copy's "preuve" lags its page by at most that much,
// without rebuilding every component's bundle of the day (tens of
// milliseconds each) at every change.
const (
	// bundleSettle is how long after a period ends a record may still join
	// it: a round started before midnight commits after it.
	bundleSettle = time.Hour
	// bundleRefresh is how long Export keeps the bundle of a period not
	// over yet.
	bundleRefresh = 5 * time.Minute
)

// exportBundles writes, when the server has an evidence log, the bundles
// the exported day and incident pages link as their "preuve", each in the
// file at its link's path (evidence/bundles/day/{id}/{day},
// evidence/bundles/incident/{id}), so that every such link of a static
// copy resolves. See bundleSettle for which ones it writes again.
func (s *Server) exportBundles(dir string, days int) (files int, err error) {
	now := s.now()
	today := timeline.DateOf(now)
	write := func(link string, end time.Time) error {
		name := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(link, "/")))
		fi, err := os.Stat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("export %s: %w", link, err)
		case !fi.ModTime().Before(end.Add(bundleSettle)):
			return nil // written once its period was over: final
		case now.Before(end.Add(bundleSettle)) && now.Sub(fi.ModTime()) < bundleRefresh:
			return nil
		}
		if err := s.exportTo(name, link); err != nil {
			return err
		}
		files++
		return nil
	}
	for _, c := range s.cfg.Components {
		for d := range days {
			day := today.AddDays(-d)
			if err := write(dayBundlePath(c.ID, day), day.AddDays(1).Start()); err != nil {
				return files, err
			}
		}
	}
	for _, inc := range s.pipe.History().Incidents() {
		end := inc.Start.Add(maxBundleSpan)
		if !inc.Open() && inc.End.Before(end) {
			end = inc.End
		}
		if err := write(incidentBundlePath(inc.ID), end); err != nil {
			return files, err
		}
	}
	return files, nil
}

// dayBundlePath is the path of the "preuve" of component id's day d.
func dayBundlePath(id string, d timeline.Date) string {
	return fmt.Sprintf("/evidence/bundles/day/%s/%s", id, d)
}

// incidentBundlePath is the path of the "preuve" of measured incident id.
func incidentBundlePath(id uint64) string {
	return fmt.Sprintf("/evidence/bundles/incident/%d", id)
}
