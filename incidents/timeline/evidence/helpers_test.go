package evidence

import (
	"encoding/binary"
	"path/filepath"
	"strconv"

	"github.com/constat-ent/constat/incidents/timeline"
)

func seqKeyOf(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func openBench(dir string) (*timeline.Timeline, error) {
	return timeline.Open(filepath.Join(dir, "timeline.db"), timeline.Options{NoSync: true})
}
