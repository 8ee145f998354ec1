package push

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the push metrics. Labels are bounded: the channel (webpush,
// webhook), the result, and the push service as the allowed entry it
// matched ("fcm.googleapis.com", "*.notify.windows.com"), never an
// endpoint.
type metrics struct {
	deliveries *prometheus.CounterVec // channel, result
	enqueued   *prometheus.CounterVec // channel or "suppressed"
	throttled  *prometheus.CounterVec // service
	backoff    *prometheus.GaugeVec   // service
}

// Results of a delivery, the values of constat_push_deliveries_total's
// result label.
var results = []string{"sent", "retried", "failed", "expired", "gone"}

func newMetrics(p *Push, reg prometheus.Registerer) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "constat_push_deliveries_total",
			Help: "Push and webhook delivery attempts by result: sent (2xx), retried (429, 5xx, network), failed (refused, dropped), expired (older than its TTL, dropped), gone (404/410, subscription deleted)."},
			[]string{"channel", "result"}),
		enqueued: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "constat_push_enqueued_total",
			Help: "Deliveries put in the outbox, by channel; suppressed counts outage starts held back by the flapping limit."},
			[]string{"channel"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "constat_push_throttled_total",
			Help: "429 Too Many Requests answers, by push service."}, []string{"service"}),
		backoff: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "constat_push_backoff_seconds",
			Help: "How long a push service's lane is waiting before it sends again (0 when it is not)."}, []string{"service"}),
	}
	for _, ch := range []string{"webpush", "webhook"} {
		for _, r := range results {
			m.deliveries.WithLabelValues(ch, r)
		}
		m.enqueued.WithLabelValues(ch)
	}
	m.enqueued.WithLabelValues("suppressed")
	if reg == nil {
		return m
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "constat_push_outbox_depth",
		Help: "Deliveries waiting in the outbox."}, func() float64 {
		n, _ := p.store.Pending() // a counter: no walk of the outbox per scrape
		return float64(n)
	})
	oldest := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "constat_push_outbox_oldest_seconds",
		Help: "Age of the oldest pending delivery's message (0 when the outbox is empty)."}, func() float64 {
		_, t, _ := p.store.Depth()
		if t.IsZero() {
			return 0
		}
		return p.now().Sub(t).Seconds()
	})
	subs := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "constat_push_subscriptions",
		Help: "Stored push subscriptions."}, func() float64 {
		n, _ := p.Count()
		return float64(n)
	})
	reg.MustRegister(m.deliveries, m.enqueued, m.throttled, m.backoff, depth, oldest, subs)
	return m
}
