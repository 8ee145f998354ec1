package ui

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"sync"
	"sync/atomic"
)

// At 10,000 components, summary.json and components.json are 3.2 MB each,
// and both hold the same list of components. Encoding and compressing
// each document whole took 135–155 ms of CPU per change on this loaded
// machine, against a budget of 50 ms. The list is now encoded once per
// change and deflated once, and each document is its own small head and
// tail around it: a gzip member may be made of deflate streams cut at
// sync-flush points (as pigz makes them), its CRC-32 computed over the
// whole body. Brotli, which cannot be spliced so, is compressed on the
// first request that asks for it.

// sharedPart is a part of several documents: the JSON list of components,
// encoded once per snapshot and deflated once, on first use.
type sharedPart struct {
	body []byte

	once     sync.Once
	deflated []byte // body deflated on its own, ending with a sync flush
}

// deflate returns the part's deflated bytes, compressing them once.
func (sp *sharedPart) deflate() []byte {
	sp.once.Do(func() { sp.deflated = deflatePart(sp.body, false) })
	return sp.deflated
}

// docParts is a JSON document as head, shared list and tail; the body is
// their concatenation.
type docParts struct {
	head []byte
	list *sharedPart
	tail []byte
	err  error // encoding failed
}

// encodeParts encodes the fields of a document whose components are
// shared: before the list ({"page":…,"components":), the list, and after
// it (the other fields, "}" and the newline json.Encoder ends with).
// The bytes are those json.NewEncoder(w).Encode would write of the
// document's struct.
func encodeParts(page spPage, list *sharedPart, after ...field) docParts {
	var head, tail bytes.Buffer
	head.WriteString(`{"page":`)
	if err := appendJSON(&head, page); err != nil {
		return docParts{err: err}
	}
	head.WriteString(`,"components":`)
	for _, f := range after {
		tail.WriteString(`,"` + f.name + `":`)
		if err := appendJSON(&tail, f.value); err != nil {
			return docParts{err: err}
		}
	}
	tail.WriteString("}\n")
	return docParts{head: head.Bytes(), list: list, tail: tail.Bytes()}
}

// summaryDoc is /api/v2/summary.json: spSummaryDoc, its list shared.
func summaryDoc(v *spSnapshot) any {
	list, err := v.sharedList()
	if err != nil {
		return docParts{err: err}
	}
	d := v.summary()
	return encodeParts(d.Page, list, field{"incidents", d.Incidents}, field{"scheduled_maintenances", d.ScheduledMaintenances}, field{"status", d.Status})
}

// componentsDoc is /api/v2/components.json: spComponentsDoc, its list
// shared.
func componentsDoc(v *spSnapshot) any {
	list, err := v.sharedList()
	if err != nil {
		return docParts{err: err}
	}
	return encodeParts(v.page, list)
}

// field is a JSON object's member after the list of components.
type field struct {
	name  string
	value any
}

// appendJSON writes v as json.Marshal does (HTML-escaped, compact).
func appendJSON(buf *bytes.Buffer, v any) error {
	b, err := json.Marshal(v)
	buf.Write(b)
	return err
}

// sharedList returns the snapshot's components encoded, once for every
// document that holds them, from the fragments of the snapshot before
// when the snapshot has a fragment cache.
func (v *spSnapshot) sharedList() (*sharedPart, error) {
	v.listOnce.Do(func() {
		var b []byte
		if v.frags == nil {
			b, v.listErr = json.Marshal(v.components)
		} else {
			b, v.listErr = v.frags.list(v.components, v.page.UpdatedAt)
		}
		if v.listErr == nil {
			v.list = &sharedPart{body: b}
		}
	})
	return v.list, v.listErr
}

// render makes the document's body and gzip encoding; brotli is left to
// the first request that asks for it (renderedPage.brotli).
func (d docParts) render(etag string) renderedPage {
	body := make([]byte, 0, len(d.head)+len(d.list.body)+len(d.tail))
	body = append(append(append(body, d.head...), d.list.body...), d.tail...)
	p := renderedPage{body: body, etag: etag, lazyBr: &lazyBrotli{}}
	p.gz = gzipParts(body, deflatePart(d.head, false), d.list.deflate(), deflatePart(d.tail, true))
	return p
}

// gzipParts wraps deflated parts, each ending with a sync flush but the
// last, which ends the stream, in one gzip member (RFC 1952) of body,
// their concatenation.
func gzipParts(body []byte, parts ...[]byte) []byte {
	n := 10 + 8
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	// ID1 ID2, CM deflate, no flags, no mtime, XFL 0, OS unknown.
	out = append(out, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255)
	for _, p := range parts {
		out = append(out, p...)
	}
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(body))
	return binary.LittleEndian.AppendUint32(out, uint32(len(body)))
}

// deflaters are pooled: a flate writer allocates about 1 MB of tables.
// Level 3: on the list of 10,000 components (3.2 MB), 14 ms less CPU per
// change than level 6 for 10 % more bytes (132 KB against 120 KB gzip);
// level 1 saved 4 ms more for 20 % more bytes.
var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, 3) // the level is valid
	return w
}}

// deflatePart deflates b on its own: ending with a sync flush (another
// part may follow) or, when last, with the stream's final block.
func deflatePart(b []byte, last bool) []byte {
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	var out bytes.Buffer
	out.Grow(len(b)/8 + 64)
	w.Reset(&out)
	w.Write(b) // writes to a bytes.Buffer do not fail
	if last {
		w.Close()
	} else {
		w.Flush()
	}
	w.Reset(nil) // the pool must not keep the part alive
	return out.Bytes()
}

// lazyBrotli is a document's brotli encoding, made by the first request
// that asks for it.
type lazyBrotli struct {
	mu sync.Mutex // held while compressing
	br atomic.Pointer[[]byte]
}

// get returns body compressed with brotli, compressing it first if no
// request did yet. While another request compresses it, get waits if wait
// is set and returns nil otherwise (the caller then answers in gzip rather
// than queue behind 3 MB of brotli).
func (lb *lazyBrotli) get(body []byte, wait bool) []byte {
	if b := lb.br.Load(); b != nil {
		return *b
	}
	if !wait {
		if !lb.mu.TryLock() {
			return nil
		}
	} else {
		lb.mu.Lock()
	}
	defer lb.mu.Unlock()
	if b := lb.br.Load(); b != nil {
		return *b
	}
	pool := brotliWriters
	if len(body) > largeBody {
		pool = fastBrotliWriters
	}
	b := compress(body, pool)
	lb.br.Store(&b)
	return b
}
