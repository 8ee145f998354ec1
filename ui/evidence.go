package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/incidents/timeline/evidence"
)

// Caching of the evidence log's documents: full tiles never change; the
// checkpoint and partial tiles are replaced as the log grows (C2SP
// tlog-tiles asks for "a few seconds" on the checkpoint).
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheCheckpoint = "public, max-age=5"
	cachePartial    = "public, max-age=60"
)

// evidenceAPI serves the transparency log of ev under /evidence/ (see
// routes): the C2SP tlog-tiles, the verifier key and convenience JSON.
type evidenceAPI struct {
	s    *Server
	ev   *evidence.Log
	tl   *timeline.Timeline
	busy chan struct{}       // a bundle being built; capacity 1
	wit  *evidence.Witnessed // the witnesses' cosignatures; nil without witnesses
}

func (h *evidenceAPI) checkpoint(c echo.Context) error {
	msg, _ := h.witnessedCheckpoint()
	c.Response().Header().Set("Cache-Control", cacheCheckpoint)
	return writeOK(c, echo.MIMETextPlainCharsetUTF8, msg)
}

func (h *evidenceAPI) key(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", cacheImmutable)
	return writeOK(c, echo.MIMETextPlainCharsetUTF8, []byte(h.ev.VerifierKey()+"\n"))
}

// tile serves tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>].
func (h *evidenceAPI) tile(c echo.Context) error {
	L, n, w, err := evidence.ParseTilePath("tile/" + c.Param("*"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	var data []byte
	if L == evidence.EntriesLevel {
		data, err = h.tl.EntryBundle(n, w)
	} else {
		data, err = h.tl.Tile(L, n, w)
	}
	if err != nil {
		return evidenceErr(err)
	}
	cache := cacheImmutable
	if w < timeline.TileWidth {
		cache = cachePartial
	}
	c.Response().Header().Set("Cache-Control", cache)
	return writeOK(c, echo.MIMEOctetStream, data)
}

// recordDoc is /evidence/record/{n}: the record's canonical bytes (the
// leaf's), its leaf hash and its decoded form.
type recordDoc struct {
	Index     uint64 `json:"index"`
	Kind      string `json:"kind"`
	Canonical []byte `json:"canonical"` // base64
	LeafHash  []byte `json:"leaf_hash"` // base64, SHA-256(0x00 || canonical)
	Decoded   any    `json:"decoded"`
}

func (h *evidenceAPI) record(c echo.Context) error {
	n, ok := evidence.ParseIndex(c.Param("n"))
	if !ok {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	raw, err := h.tl.Raw(n)
	if err != nil {
		return evidenceErr(err)
	}
	leaf, err := h.tl.ReadHashes([]int64{tlog.StoredHashIndex(0, int64(n))})
	if err != nil {
		return evidenceErr(err)
	}
	if tlog.RecordHash(raw) != leaf[0] {
		// Never serve altered data as if it were the log's.
		return fmt.Errorf("record %d does not hash to its leaf: %w", n, evidence.ErrAltered)
	}
	rec, err := h.tl.Get(n)
	if err != nil {
		return evidenceErr(err)
	}
	doc := recordDoc{Index: n, Kind: rec.Kind.String(), Canonical: raw, LeafHash: leaf[0][:], Decoded: evidence.DecodedForm(rec)}
	return writeJSON(c, doc, cachePartial)
}

// proofDoc is /evidence/proof/inclusion and /evidence/proof/consistency:
// the hashes of an RFC 6962 proof, base64, as tlog.CheckRecord and
// tlog.CheckTree take them.
type proofDoc struct {
	Index    *uint64  `json:"index,omitempty"`
	Old      *uint64  `json:"old,omitempty"`
	Size     uint64   `json:"size"`
	LeafHash []byte   `json:"leaf_hash,omitempty"`
	OldRoot  []byte   `json:"old_root,omitempty"`
	Root     []byte   `json:"root"`
	Proof    [][]byte `json:"proof"`
}

func (h *evidenceAPI) inclusion(c echo.Context) error {
	index, ok1 := evidence.ParseIndex(c.QueryParam("index"))
	size, ok2 := evidence.ParseIndex(c.QueryParam("size"))
	if !ok1 || !ok2 || index >= size {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	if size > h.tl.Len() {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	p, err := tlog.ProveRecord(int64(size), int64(index), h.tl)
	if err != nil {
		return evidenceErr(err)
	}
	hs, err := h.tl.ReadHashes([]int64{tlog.StoredHashIndex(0, int64(index))})
	if err != nil {
		return evidenceErr(err)
	}
	root, err := h.tl.TreeHash(size)
	if err != nil {
		return evidenceErr(err)
	}
	return writeJSON(c, proofDoc{Index: &index, Size: size, LeafHash: hs[0][:], Root: root[:], Proof: hashList(p)}, cacheImmutable)
}

func (h *evidenceAPI) consistency(c echo.Context) error {
	old, ok1 := evidence.ParseIndex(c.QueryParam("old"))
	size, ok2 := evidence.ParseIndex(c.QueryParam("new"))
	if !ok1 || !ok2 || old == 0 || old > size {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	if size > h.tl.Len() {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	p, err := tlog.ProveTree(int64(size), int64(old), h.tl)
	if err != nil {
		return evidenceErr(err)
	}
	oldRoot, err := h.tl.TreeHash(old)
	if err != nil {
		return evidenceErr(err)
	}
	root, err := h.tl.TreeHash(size)
	if err != nil {
		return evidenceErr(err)
	}
	return writeJSON(c, proofDoc{Old: &old, Size: size, OldRoot: oldRoot[:], Root: root[:], Proof: hashList(p)}, cacheImmutable)
}

func (h *evidenceAPI) checkpoints(c echo.Context) error {
	after := uint64(0)
	if s := c.QueryParam("after"); s != "" {
		var ok bool
		if after, ok = evidence.ParseIndex(s); !ok {
			return echo.NewHTTPError(http.StatusBadRequest)
		}
	}
	heads, err := h.tl.Heads(after, evidence.MaxCheckpointsPage+1)
	if err != nil {
		return err
	}
	doc := evidence.CheckpointsPage{Checkpoints: []evidence.CheckpointEntry{}}
	for i, hd := range heads {
		if i == evidence.MaxCheckpointsPage {
			doc.Next = &heads[i-1].Size
			break
		}
		doc.Checkpoints = append(doc.Checkpoints, evidence.CheckpointEntry{Size: hd.Size, Note: string(hd.Note)})
	}
	return writeJSON(c, doc, cacheCheckpoint)
}

func hashList(p []tlog.Hash) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

// evidenceErr maps the timeline's errors: beyond the log is 404, a bad
// argument 400; the rest is Constat's own fault.
func evidenceErr(err error) error {
	switch {
	case errors.Is(err, timeline.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound).SetInternal(err)
	case errors.Is(err, timeline.ErrInvalid):
		return echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
	return err
}

func writeJSON(c echo.Context, v any, cache string) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", c.Path(), err)
	}
	c.Response().Header().Set("Cache-Control", cache)
	return writeOK(c, echo.MIMEApplicationJSON, append(body, '\n'))
}
