package witness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

// getHistory fetches srv's /checkpoints?after= (query as given) and
// checks each checkpoint as a journalist would: the log's signature and
// the witness's cosignature, whose time is the entry's.
func getHistory(t *testing.T, srv *httptest.Server, l *testLog, w *Witness, query string) evidence.CheckpointsPage {
	t.Helper()
	resp, err := http.Get(srv.URL + "/checkpoints" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /checkpoints%s = %d %q, %q", query, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var doc evidence.CheckpointsPage
	if err := json.Unmarshal(body, &doc); err != nil || doc.Checkpoints == nil {
		t.Fatalf("GET /checkpoints%s: %v, %q", query, err, body)
	}
	lv, _ := note.NewVerifier(l.ev.VerifierKey())
	cv, err := evidence.NewCosignatureVerifier(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Checkpoints {
		n, err := note.Open([]byte(c.Note), note.VerifierList(lv, cv))
		if err != nil || len(n.Sigs) != 2 {
			t.Fatalf("note.Open(checkpoint of size %d) = %v", c.Size, err)
		}
		cp, err := evidence.ParseCheckpoint(n.Text)
		at, err2 := evidence.CosignatureTime(n.Sigs[1].Base64)
		if err != nil || err2 != nil || cp.Size != c.Size || at.Format(time.RFC3339) != c.Time {
			t.Errorf("checkpoint of size %d at %s: note of size %d (%v), cosigned at %s (%v)", c.Size, c.Time, cp.Size, err, at, err2)
		}
	}
	return doc
}

func sizes(doc evidence.CheckpointsPage) []uint64 {
	out := []uint64{}
	for _, c := range doc.Checkpoints {
		out = append(out, c.Size)
	}
	return out
}

// TestWitnessHistory polls a growing log: every checkpoint cosigned is
// served at /checkpoints, verifiable with the log's key and the
// witness's, and a restart keeps them all.
func TestWitnessHistory(t *testing.T) {
	l := newTestLog(t)
	state := t.TempDir()
	w := openWitness(t, l, state)
	var s []uint64 // the log's sizes
	for _, n := range []int{300, 1, 700, 0} {
		l.grow(t, n)
		if _, err := w.Poll(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			s = append(s, checkpointOf(t, l).Size)
		}
	}
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	all := getHistory(t, srv, l, w, "")
	for _, tt := range []struct {
		query string
		want  []uint64
	}{{"", s}, {"?after=0", s}, {fmt.Sprintf("?after=%d", s[0]), s[1:]},
		{fmt.Sprintf("?after=%d", s[2]-1), s[2:]}, {fmt.Sprintf("?after=%d", s[2]), []uint64{}}} {
		if doc := getHistory(t, srv, l, w, tt.query); fmt.Sprint(sizes(doc)) != fmt.Sprint(tt.want) || doc.Next != nil {
			t.Errorf("/checkpoints%s = sizes %v, next %v; want %v", tt.query, sizes(doc), doc.Next, tt.want)
		}
	}
	for _, q := range []string{"x", "01", "-1", "9223372036854775808"} {
		if resp, err := http.Get(srv.URL + "/checkpoints?after=" + q); err != nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /checkpoints?after=%s = %v, %v; want 400", q, resp.Status, err)
		}
	}

	w2 := openWitness(t, l, state)
	l.grow(t, 5)
	if cosigned, err := w2.Poll(t.Context()); !cosigned || err != nil {
		t.Fatalf("Poll() after a restart = %v, %v", cosigned, err)
	}
	srv2 := httptest.NewServer(w2.Handler())
	defer srv2.Close()
	after := getHistory(t, srv2, l, w2, "")
	s = append(s, checkpointOf(t, l).Size)
	if fmt.Sprint(sizes(after)) != fmt.Sprint(s) || fmt.Sprint(after.Checkpoints[:3]) != fmt.Sprint(all.Checkpoints) {
		t.Errorf("after a restart: sizes %v; want the 3 kept, then %v", sizes(after), s)
	}
	if last, _ := w2.Cosigned(); string(last) != after.Checkpoints[3].Note {
		t.Errorf("/checkpoint %q is not the last entry %q", last, after.Checkpoints[3].Note)
	}
}

// TestWitnessHistoryPages pages through 101 checkpoints, 100 at a time.
func TestWitnessHistoryPages(t *testing.T) {
	l := newTestLog(t)
	w := openWitness(t, l, t.TempDir())
	var s []uint64
	for range evidence.MaxCheckpointsPage + 1 {
		l.grow(t, 1)
		if _, err := w.Poll(t.Context()); err != nil {
			t.Fatal(err)
		}
		s = append(s, checkpointOf(t, l).Size)
	}
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	p1 := getHistory(t, srv, l, w, "")
	if fmt.Sprint(sizes(p1)) != fmt.Sprint(s[:evidence.MaxCheckpointsPage]) || p1.Next == nil || *p1.Next != s[evidence.MaxCheckpointsPage-1] {
		t.Fatalf("first page: sizes %v, next %v; want %v, next %d", sizes(p1), p1.Next, s[:evidence.MaxCheckpointsPage], s[evidence.MaxCheckpointsPage-1])
	}
	p2 := getHistory(t, srv, l, w, fmt.Sprintf("?after=%d", *p1.Next))
	if fmt.Sprint(sizes(p2)) != fmt.Sprint(s[evidence.MaxCheckpointsPage:]) || p2.Next != nil {
		t.Errorf("second page: sizes %v, next %v; want %v, none", sizes(p2), p2.Next, s[evidence.MaxCheckpointsPage:])
	}
}

// threeEntries returns a state directory whose history holds three
// checkpoints, and the checkpoint file as it was after the second.
func threeEntries(t *testing.T, l *testLog) (state string, second []byte) {
	state = t.TempDir()
	w := openWitness(t, l, state)
	for i := range 3 {
		l.grow(t, 10)
		if _, err := w.Poll(t.Context()); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			second, _ = w.Cosigned()
		}
	}
	return state, second
}

// copyState copies a state directory's files into a new one.
func copyState(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, f := range []string{KeyFile, CheckpointFile, HistoryFile} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestWitnessHistoryDamaged changes the history file: a changed byte, a
// header, a removed entry are each named at start and the file is left as
// it is; an entry cut short at the end (a crash during the write) is set
// aside and the witness goes on from the one before.
func TestWitnessHistoryDamaged(t *testing.T) {
	l := newTestLog(t)
	state, second := threeEntries(t, l)
	hist, err := os.ReadFile(filepath.Join(state, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := loadHistory(state, time.Now())
	if err != nil || len(h.entries) != 3 {
		t.Fatalf("loadHistory() = %v, %v", h, err)
	}
	start := func(i int) int { // of entry i+1's header
		if i == 0 {
			return len(historyMagic)
		}
		return int(h.entries[i-1].off) + h.entries[i-1].n
	}
	edit := func(f func([]byte) []byte) []byte { return f(append([]byte(nil), hist...)) }
	for _, tt := range []struct {
		name, want string
		data       []byte
	}{
		{"note byte", "entry 2 at byte", edit(func(b []byte) []byte { b[h.entries[1].off+3] ^= 1; return b })},
		{"signature byte", "entry 3 at byte", edit(func(b []byte) []byte { b[len(b)-5] ^= 1; return b })},
		{"header size", "entry 3 at byte", edit(func(b []byte) []byte { b[start(2)+3] ^= 1; return b })},
		{"header garbage", "entry 2 at byte", edit(func(b []byte) []byte { return append(b[:start(1)], "\x00\x00\x00\n"...) })},
		{"entry removed", "entry 2 at byte", edit(func(b []byte) []byte { return append(b[:start(1)], b[start(2):]...) })},
		{"unended garbage", "entry 3 at byte", edit(func(b []byte) []byte { return append(b[:start(2)], bytes.Repeat([]byte("x"), maxHeader+1)...) })},
		{"magic", "does not start with", edit(func(b []byte) []byte { b[0] = 'C'; return b })},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyState(t, state)
			path := filepath.Join(dir, HistoryFile)
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(Config{LogURL: l.srv.URL + "/evidence", LogKey: l.ev.VerifierKey(), StateDir: dir})
			if !errors.Is(err, ErrHistoryDamaged) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open() = %v; want ErrHistoryDamaged naming %q", err, tt.want)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, tt.data) {
				t.Errorf("the damaged history was changed")
			}
		})
	}

	// A crash during the third append: CheckpointFile is still the second.
	for _, cut := range []int{start(2) + 5, int(h.entries[2].off) + 7, len(hist) - 1} {
		t.Run(fmt.Sprintf("cut at %d", cut), func(t *testing.T) {
			dir := copyState(t, state)
			os.WriteFile(filepath.Join(dir, HistoryFile), hist[:cut], 0o600)
			os.WriteFile(filepath.Join(dir, CheckpointFile), second, 0o600)
			w := openWitness(t, l, dir)
			if got, _ := w.Cosigned(); !bytes.Equal(got, second) {
				t.Fatalf("Cosigned() = %q, want the second checkpoint", got)
			}
			torn, _ := filepath.Glob(filepath.Join(dir, HistoryFile+".torn-*"))
			if len(torn) != 1 {
				t.Fatalf("torn files %v, want one", torn)
			}
			if data, _ := os.ReadFile(torn[0]); !bytes.Equal(data, hist[start(2):cut]) {
				t.Errorf("%s = %q, want the cut entry", torn[0], data)
			}
			if cosigned, err := w.Poll(t.Context()); !cosigned || err != nil {
				t.Fatalf("Poll() = %v, %v; want the third cosigned again", cosigned, err)
			}
			if es, _, err := openWitness(t, l, dir).History(0, 10); err != nil || len(es) != 3 || es[2].Seq != 3 || es[2].Size != h.entries[2].size {
				t.Errorf("History() after the cut = %d entries, %v; want 3, the last of size %d", len(es), err, h.entries[2].size)
			}
		})
	}

	t.Run("crash before the checkpoint file", func(t *testing.T) {
		dir := copyState(t, state)
		os.WriteFile(filepath.Join(dir, CheckpointFile), second, 0o600)
		w := openWitness(t, l, dir)
		got, _ := w.Cosigned()
		if stored, _ := os.ReadFile(filepath.Join(dir, CheckpointFile)); !bytes.Equal(got, hist[h.entries[2].off:]) || !bytes.Equal(stored, got) {
			t.Errorf("Cosigned() = %q, %s = %q; want the third checkpoint", got, CheckpointFile, stored)
		}
	})
	t.Run("checkpoint file not in the history", func(t *testing.T) {
		dir := copyState(t, state)
		os.WriteFile(filepath.Join(dir, HistoryFile), hist[:start(2)], 0o600)
		if _, err := Open(Config{LogURL: l.srv.URL + "/evidence", LogKey: l.ev.VerifierKey(), StateDir: dir}); err == nil ||
			!strings.Contains(err.Error(), "is not in history") {
			t.Errorf("Open() = %v, want the checkpoint file not in the history", err)
		}
	})
}

// TestWitnessHistoryStarts opens a state directory from before the
// history: its checkpoint becomes entry 1, at its cosignature's time.
func TestWitnessHistoryStarts(t *testing.T) {
	l := newTestLog(t)
	l.grow(t, 10)
	state := t.TempDir()
	w := openWitness(t, l, state)
	if _, err := w.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	want, _, _ := w.History(0, 10)
	if err := os.Remove(filepath.Join(state, HistoryFile)); err != nil {
		t.Fatal(err)
	}
	es, more, err := openWitness(t, l, state).History(0, 10)
	if err != nil || more || len(es) != 1 || fmt.Sprint(es) != fmt.Sprint(want) {
		t.Errorf("History() = %v, %v, %v; want %v", es, more, err, want)
	}
}
