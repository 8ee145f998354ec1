package ui

import (
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"
)

// witnessView is one witness on the methodology page: its key name, where
// its cosignature is read, and what it vouches for, in words.
type witnessView struct{ Name, URL, Text string }

// witnessViews says, for each configured witness, which size it vouches
// for and when, and whether it answered last time.
func (s *Server) witnessViews(l lang) []witnessView {
	if s.ev == nil || s.ev.wit == nil {
		return nil
	}
	var out []witnessView
	for _, v := range s.ev.wit.Vouches() {
		var text string
		switch {
		case v.Size == 0:
			text = l.t("method.witness.none_yet")
		case v.At.IsZero():
			text = l.tf("method.witness.vouches_untimed", l.count(int(v.Size)))
		default:
			text = l.tf("method.witness.vouches", l.count(int(v.Size)), l.heure(v.At))
		}
		if v.Error != "" {
			text += " " + l.tf("method.witness.down", l.heure(v.Since))
		}
		out = append(out, witnessView{Name: v.Name, URL: v.URL, Text: text})
	}
	return out
}

// witnessKey sums up what the methodology page shows of the witnesses:
// the page is rendered again when it changes. "" without witnesses.
func (s *Server) witnessKey() string {
	if s.ev == nil || s.ev.wit == nil {
		return ""
	}
	var b strings.Builder
	for _, v := range s.ev.wit.Vouches() {
		fmt.Fprintf(&b, "%d/%d/%t/%d;", v.Size, v.At.Unix(), v.Error != "", v.Since.Unix())
	}
	h := fnv.New64a()
	h.Write([]byte(b.String()))
	return fmt.Sprintf("%x", h.Sum64())
}

// keyedRender is a page rendered again only when its key changes.
type keyedRender struct {
	mu   sync.Mutex
	key  string
	page *renderedPage
}

// get returns the page for key, rendering it with render when the key
// changed since the last render (or at the first call).
func (k *keyedRender) get(key string, render func() (renderedPage, error)) (renderedPage, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.page != nil && k.key == key {
		return *k.page, nil
	}
	p, err := render()
	if err != nil {
		return renderedPage{}, err
	}
	k.page, k.key = &p, key
	return p, nil
}

// recordedBy says by when an independent witness had seen record index,
// measured at measured: "enregistrée au plus tard à 9 h 03 (témoin …)".
// "" when no witness with a timed cosignature has cosigned a checkpoint
// holding it.
func (s *Server) recordedBy(l lang, index uint64, measured time.Time) string {
	if s.ev == nil || s.ev.wit == nil {
		return ""
	}
	at, name, ok := s.ev.wit.RecordedBy(index)
	if !ok {
		return ""
	}
	if at.In(paris).Format(time.DateOnly) == measured.In(paris).Format(time.DateOnly) {
		return l.tf("inc.recorded_by", l.hm(at), name)
	}
	return l.tf("inc.recorded_by_day", l.heure(at), name)
}

// witnessedCheckpoint is the checkpoint /evidence/checkpoint serves: the
// log's latest, with the cosignatures of the witnesses that cosigned it.
func (h *evidenceAPI) witnessedCheckpoint() ([]byte, uint64) {
	if h.wit != nil {
		return h.wit.Checkpoint()
	}
	return h.ev.Checkpoint()
}
