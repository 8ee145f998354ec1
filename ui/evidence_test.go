package ui

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
	"github.com/constat-ent/constat/probes"
)

// evidenceSite serves the evidence log of a timeline holding n results on
// a real HTTP server on 127.0.0.1.
func evidenceSite(t *testing.T, n int) (*httptest.Server, *testStack, *evidence.Log) {
	t.Helper()
	st := newTestStack(t, t.TempDir())
	appendRounds(t, st.tl, 0, n)
	if _, err := st.ev.Sign(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st.s.Handler())
	t.Cleanup(srv.Close)
	return srv, st, st.ev
}

func appendRounds(t *testing.T, tl *timeline.Timeline, from, n int) {
	t.Helper()
	rs := make([]probes.Result, n)
	for i := range rs {
		rs[i] = quotaRound(from+i, (from+i)%7 != 0)
	}
	if _, err := tl.AppendAll(t.Context(), rs); err != nil {
		t.Fatal(err)
	}
}

// fetch GETs url and returns its body, failing the test on any status but 200.
func fetch(t *testing.T, url string) []byte {
	t.Helper()
	code, body := getStatus(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d", url, code)
	}
	return []byte(body)
}

// tileFetcher is a tlog.TileReader over the C2SP tiles served at base: the
// verifying side knows tlog, note and the spec's paths, nothing of Constat.
type tileFetcher struct {
	t    *testing.T
	base string
}

func (f tileFetcher) Height() int { return 8 }

func (f tileFetcher) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		// tlog's paths carry the height after "tile/"; C2SP's do not.
		path := "tile/" + strings.TrimPrefix(tile.Path(), "tile/8/")
		out[i] = fetch(f.t, f.base+"/evidence/"+path)
	}
	return out, nil
}

func (f tileFetcher) SaveTiles([]tlog.Tile, [][]byte) {}

// openCheckpoint fetches and verifies the checkpoint, returning its tree.
func openCheckpoint(t *testing.T, base string, v note.Verifier) tlog.Tree {
	t.Helper()
	n, err := note.Open(fetch(t, base+"/evidence/checkpoint"), note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open(checkpoint) = %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[0] != "constat.test/constat" || lines[3] != "" {
		t.Fatalf("checkpoint text %q", n.Text)
	}
	var size int64
	if _, err := fmt.Sscanf(lines[1], "%d", &size); err != nil {
		t.Fatal(err)
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		t.Fatal(err)
	}
	return tlog.Tree{N: size, Hash: h}
}

// TestEvidenceIndependentVerifier checks the log as an outsider would,
// with golang.org/x/mod's tlog and note and HTTP only: the key, a signed
// checkpoint, a record from its entry bundle, its inclusion proof computed
// from the tiles, and after the log grew, a consistency proof.
func TestEvidenceIndependentVerifier(t *testing.T) {
	srv, st, ev := evidenceSite(t, 700)
	v, err := note.NewVerifier(strings.TrimSpace(string(fetch(t, srv.URL+"/evidence/key"))))
	if err != nil {
		t.Fatalf("note.NewVerifier(/evidence/key) = %v", err)
	}
	old := openCheckpoint(t, srv.URL, v)

	// Record 600, from its entry bundle (records 512 onwards).
	const index = 600
	bundle := fetch(t, srv.URL+fmt.Sprintf("/evidence/tile/entries/002.p/%d", old.N-512))
	var rec []byte
	for i := 512; i <= index; i++ {
		n := int(binary.BigEndian.Uint16(bundle))
		rec, bundle = bundle[2:2+n], bundle[2+n:]
	}
	thr := tlog.TileHashReader(old, tileFetcher{t, srv.URL})
	p, err := tlog.ProveRecord(old.N, index, thr)
	if err != nil {
		t.Fatalf("ProveRecord(%d, %d) over HTTP tiles = %v", old.N, index, err)
	}
	if err := tlog.CheckRecord(p, old.N, old.Hash, index, tlog.RecordHash(rec)); err != nil {
		t.Errorf("CheckRecord(record %d in %d) = %v", index, old.N, err)
	}

	appendRounds(t, st.tl, 700, 300)
	if _, err := ev.Sign(); err != nil {
		t.Fatal(err)
	}
	cur := openCheckpoint(t, srv.URL, v)
	if cur.N <= old.N {
		t.Fatalf("checkpoint size %d after appends, was %d", cur.N, old.N)
	}
	q, err := tlog.ProveTree(cur.N, old.N, tlog.TileHashReader(cur, tileFetcher{t, srv.URL}))
	if err != nil {
		t.Fatalf("ProveTree(%d, %d) over HTTP tiles = %v", cur.N, old.N, err)
	}
	if err := tlog.CheckTree(q, cur.N, cur.Hash, old.N, old.Hash); err != nil {
		t.Errorf("CheckTree(%d → %d) = %v", old.N, cur.N, err)
	}
	// The JSON proofs say the same.
	var doc struct {
		Root  []byte   `json:"root"`
		Proof [][]byte `json:"proof"`
	}
	if err := json.Unmarshal(fetch(t, srv.URL+fmt.Sprintf("/evidence/proof/consistency?old=%d&new=%d", old.N, cur.N)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Proof) != len(q) || !bytes.Equal(doc.Root, cur.Hash[:]) {
		t.Errorf("/evidence/proof/consistency = %d hashes, root %x; want %d, %x", len(doc.Proof), doc.Root, len(q), cur.Hash[:])
	}
	for i := range q {
		if !bytes.Equal(doc.Proof[i], q[i][:]) {
			t.Errorf("consistency proof hash %d differs", i)
		}
	}
}

// TestEvidenceEndpoints checks statuses, types and caching of each route.
func TestEvidenceEndpoints(t *testing.T) {
	_, st, _ := evidenceSite(t, 300)
	size := st.tl.Len()
	w := size - 256
	tests := []struct {
		path, ctype, cache string
		code               int
	}{
		{"/evidence/checkpoint", "text/plain; charset=UTF-8", cacheCheckpoint, 200},
		{"/evidence/key", "text/plain; charset=UTF-8", cacheImmutable, 200},
		{"/evidence/tile/0/000", "application/octet-stream", cacheImmutable, 200},
		{fmt.Sprintf("/evidence/tile/0/001.p/%d", w), "application/octet-stream", cachePartial, 200},
		{fmt.Sprintf("/evidence/tile/0/001.p/%d", w+1), "", "", 404},
		{"/evidence/tile/1/000.p/1", "application/octet-stream", cachePartial, 200},
		{"/evidence/tile/0/001", "", "", 404},
		{"/evidence/tile/entries/000", "application/octet-stream", cacheImmutable, 200},
		{fmt.Sprintf("/evidence/tile/entries/001.p/%d", w), "application/octet-stream", cachePartial, 200},
		{"/evidence/tile/0/01", "", "", 400},
		{"/evidence/tile/0/x000/001", "", "", 400},
		{"/evidence/tile/0/000.p/256", "", "", 400},
		{"/evidence/record/0", "application/json", cachePartial, 200},
		{fmt.Sprintf("/evidence/record/%d", size), "", "", 404},
		{"/evidence/record/01", "", "", 400},
		{"/evidence/record/-1", "", "", 400},
		{"/evidence/proof/inclusion?index=3&size=10", "application/json", cacheImmutable, 200},
		{fmt.Sprintf("/evidence/proof/inclusion?index=3&size=%d", size+1), "", "", 404},
		{"/evidence/proof/inclusion?index=10&size=10", "", "", 400},
		{"/evidence/proof/inclusion?index=1", "", "", 400},
		{"/evidence/proof/consistency?old=3&new=10", "application/json", cacheImmutable, 200},
		{"/evidence/proof/consistency?old=0&new=10", "", "", 400},
		{fmt.Sprintf("/evidence/proof/consistency?old=3&new=%d", size+1), "", "", 404},
		{"/evidence/proof/consistency?old=3&new=18446744073709551616", "", "", 400},
		{"/evidence/checkpoints", "application/json", cacheCheckpoint, 200},
		{"/evidence/checkpoints?after=x", "", "", 400},
	}
	for _, tt := range tests {
		r := serveReq(st.s, http.MethodGet, tt.path, nil)
		if r.Code != tt.code || (tt.code == 200 && (r.Header().Get("Content-Type") != tt.ctype || r.Header().Get("Cache-Control") != tt.cache)) {
			t.Errorf("GET %s = %d %q %q, want %d %q %q", tt.path, r.Code, r.Header().Get("Content-Type"),
				r.Header().Get("Cache-Control"), tt.code, tt.ctype, tt.cache)
		}
	}
	var rec recordDoc
	if err := json.Unmarshal(serveReq(st.s, http.MethodGet, "/evidence/record/3", nil).Body.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if h := tlog.RecordHash(rec.Canonical); rec.Kind != "measurement" || !bytes.Equal(rec.LeafHash, h[:]) {
		t.Errorf("/evidence/record/3 = kind %q, leaf %x; want a measurement hashing to %x", rec.Kind, rec.LeafHash, h[:])
	}
	var cps evidence.CheckpointsPage
	if err := json.Unmarshal(serveReq(st.s, http.MethodGet, "/evidence/checkpoints?after=0", nil).Body.Bytes(), &cps); err != nil {
		t.Fatal(err)
	}
	if len(cps.Checkpoints) != 1 || cps.Checkpoints[0].Size != size || cps.Next != nil {
		t.Errorf("/evidence/checkpoints = %+v, want the one of size %d", cps, size)
	}
}

// TestExportEvidence checks that Export writes the tiles, entry bundles,
// key and checkpoint as the server serves them, under evidence/.
func TestExportEvidence(t *testing.T) {
	s, _, _ := newIncidentSite(t)
	if _, err := s.ev.ev.Sign(); err != nil {
		t.Fatal(err)
	}
	_, size := s.ev.ev.Checkpoint()
	dir := t.TempDir()
	if _, err := s.Export(dir, 1); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"checkpoint", "key", fmt.Sprintf("tile/0/000.p/%d", size), fmt.Sprintf("tile/entries/000.p/%d", size)} {
		got, err := os.ReadFile(filepath.Join(dir, "evidence", filepath.FromSlash(p)))
		if err != nil {
			t.Errorf("export lacks evidence/%s: %v", p, err)
			continue
		}
		if want := serveReq(s, http.MethodGet, "/evidence/"+p, nil).Body.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("exported evidence/%s differs from GET /evidence/%s", p, p)
		}
	}
}

// TestEvidenceBundles downloads the "preuve" of the day page and of the
// incident page, checks them as constat verify does, and checks that the
// pages link them, each failing measurement's record, and that the
// methodology page shows the key.
func TestEvidenceBundles(t *testing.T) {
	s, id, today := newIncidentSite(t)
	key := s.ev.ev.VerifierKey()
	for _, tt := range []struct {
		page, bundle, file string
		records, linked    int // records in the bundle; one the page links
	}{
		{"/history/monlycee/" + today, "/evidence/bundles/day/monlycee/" + today, "preuve-monlycee-" + today + ".json", 4, 3},
		{fmt.Sprintf("/incidents/%d", id), fmt.Sprintf("/evidence/bundles/incident/%d", id), fmt.Sprintf("preuve-incident-%d.json", id), 3, 0},
	} {
		w := serveReq(s, http.MethodGet, tt.bundle, nil)
		if w.Code != http.StatusOK || w.Header().Get("Content-Disposition") != `attachment; filename="`+tt.file+`"` {
			t.Fatalf("GET %s = %d %v", tt.bundle, w.Code, w.Header())
		}
		b, err := evidence.ParseBundle(w.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := evidence.VerifyBundle(b, key); err != nil || len(b.Records) != tt.records {
			t.Errorf("VerifyBundle(GET %s) = %v with %d records, want %d", tt.bundle, err, len(b.Records), tt.records)
		}
		page := serveReq(s, http.MethodGet, tt.page, nil).Body.String()
		if !strings.Contains(page, `href="`+tt.bundle+`"`) || !strings.Contains(page, fmt.Sprintf(`href="/evidence/record/%d"`, b.Records[tt.linked].Index)) {
			t.Errorf("GET %s does not link its bundle and a failing measurement's record", tt.page)
		}
	}
	if m := serveReq(s, http.MethodGet, "/methode", nil).Body.String(); !strings.Contains(m, "<code>"+strings.ReplaceAll(key, "+", "&#43;")+"</code>") {
		t.Errorf("/methode lacks the verifier key %s", key)
	}
	for _, path := range []string{"/evidence/bundles/day/absent/" + today, "/evidence/bundles/day/monlycee/2021-02-30", "/evidence/bundles/incident/999999", "/evidence/bundles/incident/x"} {
		if w := serveReq(s, http.MethodGet, path, nil); w.Code != http.StatusNotFound && w.Code != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 404 or 400", path, w.Code)
		}
	}
}
