package ui

import (
	"strconv"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
	"github.com/prometheus/client_golang/prometheus"
)

// probeCollector exposes the latest result of every step under the
// blackbox exporter's metric names, labelled by component and step (1-based),
// so that dashboards built for the exporter work unchanged.
type probeCollector struct {
	cfg  *probes.Config
	pipe *incidents.Pipeline

	success, duration, phase, code, certExpiry, redirects, records, commitFailures *prometheus.Desc
}

// blackboxPhases are the phase label values of the blackbox exporter's
// probe_http_duration_seconds, in probes.PhaseNames order (dns, connect,
// tls, ttfb, transfer): dashboards built for the exporter select on these.
// Constat's own names stay those of the CSV, the API and the pages.
var blackboxPhases = [len(probes.PhaseNames)]string{"resolve", "connect", "tls", "processing", "transfer"}

func newProbeCollector(cfg *probes.Config, pipe *incidents.Pipeline) *probeCollector {
	l := []string{"component", "step"}
	return &probeCollector{
		cfg:        cfg,
		pipe:       pipe,
		success:    prometheus.NewDesc("probe_success", "Whether the step delivered a working page (1) or not (0).", l, nil),
		duration:   prometheus.NewDesc("probe_duration_seconds", "How long the step took, from DNS to the end of reading.", l, nil),
		phase:      prometheus.NewDesc("probe_http_duration_seconds", "Duration of the step by phase, summed over redirects.", append(l, "phase"), nil),
		code:       prometheus.NewDesc("probe_http_status_code", "HTTP status code of the final response (0 when none arrived).", l, nil),
		certExpiry: prometheus.NewDesc("probe_ssl_earliest_cert_expiry", "Earliest NotAfter of the presented certificate chain, as Unix seconds.", l, nil),
		redirects:  prometheus.NewDesc("probe_http_redirects", "Redirects followed by the step.", l, nil),
		records:    prometheus.NewDesc("constat_timeline_records", "Records in the timeline (measurements and interned strings).", nil, nil),
		commitFailures: prometheus.NewDesc("constat_timeline_commit_failures_total",
			"Timeline commits that failed (a full disk, an I/O error): what they held was not recorded.", nil, nil),
	}
}

func (p *probeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{p.success, p.duration, p.phase, p.code, p.certExpiry, p.redirects, p.records, p.commitFailures} {
		ch <- d
	}
}

func (p *probeCollector) Collect(ch chan<- prometheus.Metric) {
	latest, _ := p.pipe.Latest()
	for _, c := range p.cfg.Components {
		m, ok := latest[c.ID]
		if !ok {
			continue
		}
		for i, st := range m.Steps {
			lv := []string{c.ID, strconv.Itoa(i + 1)}
			ok := 0.0
			if !st.Outcome.Failed() {
				ok = 1
			}
			ch <- prometheus.MustNewConstMetric(p.success, prometheus.GaugeValue, ok, lv...)
			ch <- prometheus.MustNewConstMetric(p.duration, prometheus.GaugeValue, st.Duration.Seconds(), lv...)
			for k, d := range st.Phases.Each() {
				ch <- prometheus.MustNewConstMetric(p.phase, prometheus.GaugeValue, d.Seconds(), append(lv, blackboxPhases[k])...)
			}
			ch <- prometheus.MustNewConstMetric(p.code, prometheus.GaugeValue, float64(st.StatusCode), lv...)
			ch <- prometheus.MustNewConstMetric(p.redirects, prometheus.GaugeValue, float64(st.Redirects), lv...)
			if !st.CertExpiry.IsZero() {
				ch <- prometheus.MustNewConstMetric(p.certExpiry, prometheus.GaugeValue, float64(st.CertExpiry.Unix()), lv...)
			}
		}
	}
	ch <- prometheus.MustNewConstMetric(p.records, prometheus.GaugeValue, float64(p.pipe.Records()))
	ch <- prometheus.MustNewConstMetric(p.commitFailures, prometheus.CounterValue, float64(p.pipe.CommitFailures()))
}
