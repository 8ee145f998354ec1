package evidence

import (
	"github.com/prometheus/client_golang/prometheus"
)

// witnessedCollector exposes what Vouches says, read at each scrape, with
// the witness's key name as label (from the configuration: bounded).
type witnessedCollector struct {
	w                  *Witnessed
	size, at, vouching *prometheus.Desc
}

func newWitnessedCollector(w *Witnessed) *witnessedCollector {
	l := []string{"witness"}
	return &witnessedCollector{w: w,
		size: prometheus.NewDesc("constat_evidence_witness_size",
			"Largest tree size the witness cosigned (0 before any).", l, nil),
		at: prometheus.NewDesc("constat_evidence_witness_cosigned_timestamp_seconds",
			"Time its cosignature of that size states, Unix seconds (0 for a key without timestamps).", l, nil),
		vouching: prometheus.NewDesc("constat_evidence_witness_up",
			"1 if the witness's last answer was a valid cosignature of a checkpoint of this log, else 0.", l, nil),
	}
}

func (c *witnessedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.size
	ch <- c.at
	ch <- c.vouching
}

func (c *witnessedCollector) Collect(ch chan<- prometheus.Metric) {
	for _, v := range c.w.Vouches() {
		at, up := 0.0, 1.0
		if !v.At.IsZero() {
			at = float64(v.At.Unix())
		}
		if v.Error != "" {
			up = 0
		}
		ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(v.Size), v.Name)
		ch <- prometheus.MustNewConstMetric(c.at, prometheus.GaugeValue, at, v.Name)
		ch <- prometheus.MustNewConstMetric(c.vouching, prometheus.GaugeValue, up, v.Name)
	}
}
