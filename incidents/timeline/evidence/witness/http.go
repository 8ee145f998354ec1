package witness

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/constat-ent/constat/incidents/timeline/evidence"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the witness's own, on a registry of its own.
type metrics struct {
	reg      *prometheus.Registry
	alarm    prometheus.Gauge
	size     prometheus.Gauge
	cosigned prometheus.Gauge
	polls    *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		alarm: prometheus.NewGauge(prometheus.GaugeOpts{Name: "constat_witness_alarm",
			Help: "1 once the log contradicted a checkpoint it signed (a conflict is kept in the state directory), else 0."}),
		size: prometheus.NewGauge(prometheus.GaugeOpts{Name: "constat_witness_checkpoint_size",
			Help: "Tree size of the latest checkpoint the witness cosigned."}),
		cosigned: prometheus.NewGauge(prometheus.GaugeOpts{Name: "constat_witness_last_cosigned_timestamp_seconds",
			Help: "When the witness last cosigned a new checkpoint, Unix seconds."}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "constat_witness_polls_total",
			Help: "Polls of the log by result: ok, error (nothing proven), alarm."}, []string{"result"}),
	}
	for _, r := range []string{"ok", "error", "alarm"} {
		m.polls.WithLabelValues(r)
	}
	m.reg.MustRegister(m.alarm, m.size, m.cosigned, m.polls)
	return m
}

// Handler serves the witness's documents:
//
//	/checkpoint  the latest cosigned checkpoint, a signed note (404 before the first)
//	/checkpoints?after=SIZE  the cosigned checkpoints of size above SIZE (default 0)
//	             in size order, 100 at most, as JSON: {"checkpoints": [{"size",
//	             "note", "time"}], "next"}: the shape of the log's
//	             /evidence/checkpoints, plus the cosignature's time (RFC 3339);
//	             next, absent on the last page, is the after of the next one
//	/healthz     "ok", or 503 with the alarm once the log contradicted itself
//	/metrics     constat_witness_* (Prometheus)
//
// After an alarm /checkpoint still serves the last good checkpoint.
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /checkpoint", func(rw http.ResponseWriter, r *http.Request) {
		msg, _ := w.Cosigned()
		if msg == nil {
			http.Error(rw, "no checkpoint cosigned yet", http.StatusNotFound)
			return
		}
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Header().Set("Cache-Control", "no-cache")
		rw.Write(msg)
	})
	mux.HandleFunc("GET /checkpoints", w.serveHistory)
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Cache-Control", "no-store")
		if _, alarm := w.Cosigned(); alarm != "" {
			http.Error(rw, "alarm: "+strings.ReplaceAll(alarm, "\n", ": "), http.StatusServiceUnavailable)
			return
		}
		rw.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(w.m.reg, promhttp.HandlerOpts{}))
	return mux
}

func (w *Witness) serveHistory(rw http.ResponseWriter, r *http.Request) {
	after := uint64(0)
	if s := r.URL.Query().Get("after"); s != "" {
		v, ok := evidence.ParseIndex(s)
		if !ok {
			http.Error(rw, "after: a tree size, decimal digits", http.StatusBadRequest)
			return
		}
		after = v
	}
	es, more, err := w.History(after, evidence.MaxCheckpointsPage)
	if err != nil {
		w.log.Error("serve /checkpoints", "err", err)
		http.Error(rw, "history not read", http.StatusInternalServerError)
		return
	}
	doc := evidence.CheckpointsPage{Checkpoints: make([]evidence.CheckpointEntry, len(es))}
	for i, e := range es {
		doc.Checkpoints[i] = evidence.CheckpointEntry{Size: e.Size, Note: string(e.Note), Time: e.Time.Format(time.RFC3339)}
	}
	if more {
		doc.Next = &es[len(es)-1].Size
	}
	body, err := json.Marshal(doc)
	if err != nil {
		http.Error(rw, "history not written", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-cache")
	rw.Write(body)
}
