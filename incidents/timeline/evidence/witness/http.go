package witness

import (
	"net/http"
	"strings"

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
