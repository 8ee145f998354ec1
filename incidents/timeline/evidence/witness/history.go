package witness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

// HistoryFile, in the state directory, keeps every checkpoint the witness
// cosigned, oldest first, appended and fsynced before the checkpoint is
// served. It is text: the line "constat witness history v1", then per
// entry a header line and the cosigned checkpoint as served:
//
//	<seq> <size> <time> <bytes> <crc>
//	<the checkpoint note, as the log signed it, and the witness's cosignature line>
//
// seq counts entries from 1; size is the tree size, growing strictly from
// one entry to the next; time is the cosignature's (RFC 3339, UTC); bytes
// is the note's length; crc is the CRC-32C (Castagnoli), 8 hex digits, of
// the header up to bytes, a newline, and the note.
const HistoryFile = "history"

const (
	historyMagic   = "constat witness history v1\n"
	maxHistoryNote = maxNote + 1024 // the log's note and one cosignature line
	maxHeader      = 128
)

// ErrHistoryDamaged is returned (wrapped, naming the entry and its byte
// offset) by Open when HistoryFile is not what the witness wrote: a
// changed byte, a malformed header, sizes out of order, a last entry
// whose signatures do not verify. Open never truncates such a file.
var ErrHistoryDamaged = errors.New("witness history damaged")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Entry is one checkpoint the witness cosigned.
type Entry struct {
	Seq  int       // from 1
	Size uint64    // the tree size
	Time time.Time // the cosignature's time, UTC, to the second
	Note []byte    // the log's signed note with the witness's cosignature
}

// histEntry indexes one entry of HistoryFile: where its note is.
type histEntry struct {
	size uint64
	time int64 // Unix seconds
	off  int64 // of the note
	n    int   // the note's length
}

// history is HistoryFile's index; the notes stay on disk.
type history struct {
	path    string
	entries []histEntry
	end     int64 // the file's length
}

func header(seq int, size uint64, at time.Time, n int) string {
	return fmt.Sprintf("%d %d %s %d", seq, size, at.UTC().Format(time.RFC3339), n)
}

func entryCRC(hdr string, msg []byte) uint32 {
	c := crc32.Update(0, castagnoli, []byte(hdr+"\n"))
	return crc32.Update(c, castagnoli, msg)
}

// loadHistory reads the index of dir's HistoryFile, creating it empty
// when absent. Every entry's checksum, numbering and order are checked;
// an entry cut short at the end of the file (a write interrupted by a
// crash, never served since the witness serves only after the fsync) is
// moved to <HistoryFile>.torn-<unix time> and cut off, and reported in
// torn. Any other damage is an error wrapping ErrHistoryDamaged.
func loadHistory(dir string, now time.Time) (h *history, torn string, err error) {
	h = &history{path: filepath.Join(dir, HistoryFile)}
	f, err := os.Open(h.path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := writeFile(dir, HistoryFile, []byte(historyMagic)); err != nil {
			return nil, "", fmt.Errorf("witness history: %w", err)
		}
		h.end = int64(len(historyMagic))
		return h, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("witness history: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	damaged := func(seq int, off int64, format string, args ...any) error {
		return fmt.Errorf("%w: %s: entry %d at byte %d: %s", ErrHistoryDamaged, h.path, seq, off, fmt.Sprintf(format, args...))
	}
	magic := make([]byte, len(historyMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != historyMagic {
		return nil, "", fmt.Errorf("%w: %s: does not start with %q", ErrHistoryDamaged, h.path, strings.TrimSpace(historyMagic))
	}
	off := int64(len(historyMagic))
	msg := make([]byte, 0, 1024)
	for seq := 1; ; seq++ {
		line, err := r.ReadSlice('\n')
		switch {
		case err == io.EOF && len(line) == 0:
			h.end = off
			return h, "", nil
		case err == io.EOF && len(line) <= maxHeader:
			t, err := h.cut(dir, seq, off, now)
			return h, t, err
		case err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull):
			return nil, "", fmt.Errorf("witness history %s: %w", h.path, err)
		case err != nil || len(line) > maxHeader:
			return nil, "", damaged(seq, off, "header over %d bytes", maxHeader)
		}
		hdr := string(line[:len(line)-1])
		e, n, sum, ok := parseHeader(hdr, seq)
		if !ok {
			return nil, "", damaged(seq, off, "header %.80q is not %q", hdr, "seq size time bytes crc")
		}
		if len(h.entries) > 0 && e.size <= h.entries[len(h.entries)-1].size {
			return nil, "", damaged(seq, off, "size %d after size %d", e.size, h.entries[len(h.entries)-1].size)
		}
		msg = msg[:n]
		if _, err := io.ReadFull(r, msg); errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			t, err := h.cut(dir, seq, off, now)
			return h, t, err
		} else if err != nil {
			return nil, "", fmt.Errorf("witness history %s: %w", h.path, err)
		}
		if entryCRC(hdr[:strings.LastIndexByte(hdr, ' ')], msg) != sum {
			return nil, "", damaged(seq, off, "checksum mismatch")
		}
		cp, err := evidence.ParseCheckpoint(noteText(msg))
		if err != nil || cp.Size != e.size {
			return nil, "", damaged(seq, off, "the note is not a checkpoint of size %d", e.size)
		}
		e.off, e.n = off+int64(len(line)), n
		h.entries = append(h.entries, e)
		off = e.off + int64(n)
	}
}

// parseHeader parses "seq size time bytes crc" for entry seq.
func parseHeader(hdr string, seq int) (e histEntry, n int, sum uint32, ok bool) {
	f := strings.Split(hdr, " ")
	if len(f) != 5 || f[0] != strconv.Itoa(seq) || len(f[4]) != 8 {
		return e, 0, 0, false
	}
	size, err1 := strconv.ParseUint(f[1], 10, 63)
	at, err2 := time.Parse(time.RFC3339, f[2])
	n, err3 := strconv.Atoi(f[3])
	c, err4 := strconv.ParseUint(f[4], 16, 32)
	if errors.Join(err1, err2, err3, err4) != nil || n <= 0 || n > maxHistoryNote || header(seq, size, at, n) != strings.Join(f[:4], " ") {
		return e, 0, 0, false
	}
	return histEntry{size: size, time: at.Unix()}, n, uint32(c), true
}

// noteText is a signed note's text: up to the blank line before the
// signatures (the whole message when there is none).
func noteText(msg []byte) string {
	if i := bytes.Index(msg, []byte("\n\n")); i >= 0 {
		return string(msg[:i+1])
	}
	return string(msg)
}

// cut moves the incomplete entry seq, from off to the end of the file
// (less than a header and a note), to a file of its own and truncates the
// history at off.
func (h *history) cut(dir string, seq int, off int64, now time.Time) (string, error) {
	f, err := os.OpenFile(h.path, os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("witness history: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("witness history: %w", err)
	}
	tail := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(tail, off); err != nil {
		return "", fmt.Errorf("witness history: %w", err)
	}
	name := fmt.Sprintf("%s.torn-%d", HistoryFile, now.Unix())
	if err := writeFile(dir, name, tail); err != nil {
		return "", fmt.Errorf("witness history: keep incomplete entry %d: %w", seq, err)
	}
	if err := errors.Join(f.Truncate(off), f.Sync()); err != nil {
		return "", fmt.Errorf("witness history: cut incomplete entry %d: %w", seq, err)
	}
	h.end = off
	return fmt.Sprintf("entry %d at byte %d, %d bytes, incomplete (a write cut short): moved to %s", seq, off, len(tail), name), nil
}

// appendEntry writes e as entry len(h.entries)+1 and fsyncs it. On
// failure the file is cut back to its length before, so it never keeps
// half an entry the witness goes on after. The caller serialises appends
// and adds the returned index entry to h.entries.
func (h *history) appendEntry(size uint64, at time.Time, msg []byte) (histEntry, error) {
	hdr := header(len(h.entries)+1, size, at, len(msg))
	line := fmt.Sprintf("%s %08x\n", hdr, entryCRC(hdr, msg))
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return histEntry{}, fmt.Errorf("witness history: %w", err)
	}
	_, err = f.Write(append([]byte(line), msg...))
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		err = errors.Join(err, f.Truncate(h.end), f.Sync())
		f.Close()
		return histEntry{}, fmt.Errorf("witness history: append entry %d: %w", len(h.entries)+1, err)
	}
	if err := f.Close(); err != nil {
		return histEntry{}, fmt.Errorf("witness history: append entry %d: %w", len(h.entries)+1, err)
	}
	e := histEntry{size: size, time: at.Unix(), off: h.end + int64(len(line)), n: len(msg)}
	return e, nil
}

// read returns the entries of es (index i is entry first+i), notes read
// from the file.
func (h *history) read(first int, es []histEntry) ([]Entry, error) {
	if len(es) == 0 {
		return nil, nil
	}
	f, err := os.Open(h.path)
	if err != nil {
		return nil, fmt.Errorf("witness history: %w", err)
	}
	defer f.Close()
	out := make([]Entry, len(es))
	for i, e := range es {
		msg := make([]byte, e.n)
		if _, err := f.ReadAt(msg, e.off); err != nil {
			return nil, fmt.Errorf("witness history: entry %d: %w", first+i, err)
		}
		out[i] = Entry{Seq: first + i, Size: e.size, Time: time.Unix(e.time, 0).UTC(), Note: msg}
	}
	return out, nil
}

// History returns up to limit cosigned checkpoints of size above after,
// oldest first, and whether more follow.
func (w *Witness) History(after uint64, limit int) ([]Entry, bool, error) {
	w.mu.RLock()
	es := w.hist.entries
	w.mu.RUnlock()
	i := sort.Search(len(es), func(i int) bool { return es[i].size > after })
	j := min(len(es), i+max(limit, 0))
	out, err := w.hist.read(i+1, es[i:j])
	return out, j < len(es), err
}

// cosignedAt returns the time of the witness's cosignature among n's
// verified signatures.
func (w *Witness) cosignedAt(n *note.Note) (time.Time, error) {
	for _, s := range n.Sigs {
		if s.Name == w.cv.Name() && s.Hash == w.cv.KeyHash() {
			return evidence.CosignatureTime(s.Base64)
		}
	}
	return time.Time{}, fmt.Errorf("no cosignature by %s", w.cv.Name())
}

// openCosigned verifies msg, a checkpoint the witness cosigned: the log's
// signature and the witness's.
func (w *Witness) openCosigned(msg []byte) (evidence.Checkpoint, time.Time, error) {
	n, err := note.Open(msg, note.VerifierList(w.logV, w.cv))
	if err != nil {
		return evidence.Checkpoint{}, time.Time{}, err
	}
	at, err := w.cosignedAt(n)
	if err != nil {
		return evidence.Checkpoint{}, time.Time{}, err
	}
	cp, err := evidence.ParseCheckpoint(n.Text)
	if err == nil && cp.Origin != w.origin {
		err = fmt.Errorf("origin %q, want %q: %w", cp.Origin, w.origin, evidence.ErrMalformed)
	}
	return cp, at, err
}
