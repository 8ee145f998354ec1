package witness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

// BenchmarkConsistency measures what a witness pays per poll of a log of
// 100,000 records that grew by 120 since its last poll: the consistency
// proof computed from tiles read over HTTP on 127.0.0.1, every tile
// checked against the new root.
func BenchmarkConsistency(b *testing.B) {
	l := newTestLog(b)
	for l.n < 100_000 {
		l.grow(b, 10_000)
	}
	old := checkpointOf(b, l)
	l.grow(b, 120)
	new := checkpointOf(b, l)
	w := openWitness(b, l, b.TempDir())
	reads := 0
	for b.Loop() {
		r := &tileReader{ctx: b.Context(), f: w.f}
		if err := w.consistentWith(r, old, new); err != nil {
			b.Fatal(err)
		}
		reads += r.reads
	}
	b.ReportMetric(float64(reads)/float64(b.N), "tiles/op")
}

func checkpointOf(tb testing.TB, l *testLog) evidence.Checkpoint {
	tb.Helper()
	msg, _ := l.ev.Checkpoint()
	v, err := note.NewVerifier(l.ev.VerifierKey())
	if err != nil {
		tb.Fatal(err)
	}
	_, cp, err := openLogCheckpoint(msg, v)
	if err != nil {
		tb.Fatal(err)
	}
	return cp
}

// BenchmarkLoadHistory measures Open's check of a history of 100,000
// entries (about 70 days of a minute's polls of a log that always grows):
// checksums, numbering, order and each note's checkpoint text.
func BenchmarkLoadHistory(b *testing.B) {
	const entries = 100_000
	dir := b.TempDir()
	sig := "— statut.test/constat " + strings.Repeat("A", 96) + "\n— temoin.test/w1 " + strings.Repeat("B", 96) + "\n"
	buf := []byte(historyMagic)
	at := time.Date(2021, 4, 6, 7, 3, 0, 0, time.UTC)
	for i := range entries {
		msg := fmt.Sprintf("statut.test/constat\n%d\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n%s", 1000+i*20, sig)
		hdr := header(i+1, uint64(1000+i*20), at.Add(time.Duration(i)*time.Minute), len(msg))
		buf = fmt.Appendf(buf, "%s %08x\n%s", hdr, entryCRC(hdr, []byte(msg)), msg)
	}
	if err := os.WriteFile(filepath.Join(dir, HistoryFile), buf, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h, torn, err := loadHistory(dir, at)
		if err != nil || torn != "" || len(h.entries) != entries {
			b.Fatalf("loadHistory() = %d entries, %q, %v", len(h.entries), torn, err)
		}
	}
	b.ReportMetric(float64(len(buf))/entries, "bytes/entry")
}
