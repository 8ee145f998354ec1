package timeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"
)

// The bbolt file header, as bbolt v1 writes it: pages 0 and 1 are meta
// pages, each a 16-byte page header then the meta: magic, version, page
// size, flags (4 bytes each), root bucket (root page and sequence, 8 each),
// freelist page, high-water page count, txid (8 each), and a checksum (8):
// FNV-64a of the meta's bytes before it. Numbers are little-endian on the
// machines Constat runs on (bbolt writes them in host order).
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaSize   = 64
)

type boltMeta struct {
	pageSize   uint32
	pages      uint64 // high-water mark: the file holds at least this many pages
	txid       uint64
	valid      bool
	whyInvalid string
}

func readMeta(b []byte) boltMeta {
	if len(b) < boltPageHeader+boltMetaSize {
		return boltMeta{whyInvalid: "cut short"}
	}
	m := b[boltPageHeader : boltPageHeader+boltMetaSize]
	h := fnv.New64a()
	h.Write(m[:56])
	switch {
	case binary.LittleEndian.Uint32(m[0:]) != boltMagic:
		return boltMeta{whyInvalid: "not a bbolt meta page"}
	case binary.LittleEndian.Uint32(m[4:]) != boltVersion:
		return boltMeta{whyInvalid: fmt.Sprintf("bbolt version %d", binary.LittleEndian.Uint32(m[4:]))}
	case binary.LittleEndian.Uint64(m[56:]) != h.Sum64():
		return boltMeta{whyInvalid: "checksum mismatch"}
	}
	return boltMeta{pageSize: binary.LittleEndian.Uint32(m[8:]), pages: binary.LittleEndian.Uint64(m[40:]),
		txid: binary.LittleEndian.Uint64(m[48:]), valid: true}
}

// checkHeader refuses, before bbolt maps it, a file that bbolt would crash
// on or that would silently become a new, empty timeline: an empty file
// (a timeline was there: its records must not be renumbered from 0), a file
// shorter than its header says (bbolt maps past the end and the process
// dies of SIGBUS, which no recover catches), or one whose two meta pages
// are both damaged. A missing file is fine: Open creates it.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size == 0 {
		return fmt.Errorf("the file is empty (0 bytes), so the records it held are lost; "+
			"restore it from a backup, or move it away to start a new timeline whose numbers restart at 0: %w", ErrDamaged)
	}
	head := make([]byte, 64<<10)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	head = head[:n]
	m0 := readMeta(head)
	ps := int64(os.Getpagesize())
	if m0.valid {
		ps = int64(m0.pageSize)
	}
	var m1 boltMeta
	if ps > 0 && int64(len(head)) >= ps {
		m1 = readMeta(head[ps:])
	} else {
		m1.whyInvalid = "cut short"
	}
	m := m0
	if !m0.valid || m1.valid && m1.txid > m0.txid {
		m = m1
	}
	switch {
	case !m.valid:
		return fmt.Errorf("both headers of the file are damaged (%s; %s): %w", m0.whyInvalid, m1.whyInvalid, ErrDamaged)
	case m.pageSize < 512 || m.pageSize > 1<<20 || m.pageSize&(m.pageSize-1) != 0:
		return fmt.Errorf("the header gives a page size of %d bytes: %w", m.pageSize, ErrDamaged)
	case m.pages > uint64(size)/uint64(m.pageSize):
		return fmt.Errorf("the file is %d bytes long, its header says %d: it was cut short: %w",
			size, m.pages*uint64(m.pageSize), ErrDamaged)
	}
	return nil
}

// checkPages runs bbolt's consistency check over every page: a damaged
// page found now is a clear error instead of a panic later.
func checkPages(tx *bolt.Tx) error {
	var errs []error
	for err := range tx.Check() {
		if len(errs) < 3 {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrDamaged, errors.Join(errs...))
	}
	return nil
}
