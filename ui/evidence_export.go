package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

// exportEvidence writes the log's tiles and entry bundles for the size of
// the latest checkpoint, then the key and that checkpoint, under
// dir/evidence/, so that a static host serves the log as the server does.
// Full tiles never change: one already written is left as it is. The
// checkpoint comes last, so that a reader never finds one whose tiles are
// missing; it is the one read before the tiles, never a newer one signed
// meanwhile, whose tiles would not be written.
func (s *Server) exportEvidence(dir string) (files int, err error) {
	note, size := s.ev.witnessedCheckpoint()
	for _, t := range tlog.NewTiles(timeline.TileHeight, 0, int64(size)) {
		paths := []string{evidence.TilePath(t.L, uint64(t.N), t.W)}
		if t.L == 0 {
			paths = append(paths, evidence.TilePath(evidence.EntriesLevel, uint64(t.N), t.W))
		}
		for _, p := range paths {
			name := filepath.Join(dir, "evidence", filepath.FromSlash(p))
			if t.W == timeline.TileWidth {
				if _, err := os.Stat(name); err == nil {
					continue
				} else if !errors.Is(err, fs.ErrNotExist) {
					return files, err
				}
			}
			if err := s.exportTo(name, "/evidence/"+p); err != nil {
				return files, err
			}
			files++
		}
	}
	if err := s.exportTo(filepath.Join(dir, "evidence", "key"), "/evidence/key"); err != nil {
		return files, err
	}
	if err := writeAtomic(filepath.Join(dir, "evidence", "checkpoint"), note); err != nil {
		return files, fmt.Errorf("export /evidence/checkpoint: %w", err)
	}
	return files + 2, nil
}
