package ui

import (
	"strings"

	"github.com/constat-ent/constat/probes"
	"github.com/labstack/echo/v4"
)

type methodologyView struct {
	Interval, MaxBody string
	Timeout, Slow     string // the common step timeout and slowness threshold, in words
	Exceptions        []exceptionView
	Confirm           int
	FlapChanges       int
	FlapWindow        string
	FlapSettle        string
	Correlation       string
	Outcomes          []outcomeDoc
	Signatures        []probes.Signature
	Columns           string
	Key               string // the evidence log's verifier key; "" without one
	Witnesses         []witnessView
}

// outcomeDoc is an outcome's code and what it means, with the figures in force.
type outcomeDoc struct{ Code, Text string }

// methodology serves /methode in l: how, where from and how often Constat
// measures and what each outcome means, with the figures of the running
// configuration: what a journalist needs to cite it. It is rendered once
// per language, at the first request, and again when what the witnesses
// vouch for changed.
func (s *Server) methodology(l lang) echo.HandlerFunc {
	m := &s.method[l]
	return func(c echo.Context) error {
		key := s.witnessKey()
		p, err := m.get(key, func() (renderedPage, error) {
			body, err := s.render(l, "methodology.html", s.methodologyView(l))
			if err != nil {
				return renderedPage{}, err
			}
			return newRendered(1, body, l.etag("method-1"+key)), nil
		})
		if err != nil {
			return err
		}
		cache := "public, max-age=3600"
		if key != "" {
			cache = "public, max-age=60"
		}
		return serveRendered(c, p, echo.MIMETextHTMLCharsetUTF8, cache)
	}
}

func (s *Server) methodologyView(l lang) methodologyView {
	v := methodologyView{Interval: l.duration(30), MaxBody: l.size(1 << 20), Confirm: 2, Timeout: l.duration(10), Slow: l.duration(3),
		Columns: strings.ReplaceAll(measurementColumns, ",", ", ")}
	if len(s.cfg.Components) > 0 { // the first component carries the defaults unless it overrides them
		c := s.cfg.Components[0]
		v.MaxBody, v.Confirm = l.size(c.MaxBody), c.Confirm
		common := commonValues(s.cfg)
		v.Interval, v.Timeout, v.Slow = l.duration(common.Interval.Seconds()), l.duration(common.Timeout.Seconds()), l.duration(common.Slow.Seconds())
		v.Exceptions = exceptions(l, s.cfg, common)
	}
	th := s.pipe.Thresholds()
	v.FlapChanges, v.FlapWindow = th.FlapChanges, l.duration(th.FlapWindow.Seconds())
	v.FlapSettle, v.Correlation = l.duration(th.FlapSettle.Seconds()), l.duration(th.CorrelationWindow.Seconds())
	for o := probes.Outcome(1); o.Valid(); o++ {
		doc := outcomeDoc{Code: o.String(), Text: l.t("method.outcome." + o.String())}
		switch o {
		case probes.Slow:
			doc.Text = l.tf("method.outcome.slow", v.Slow)
		case probes.Timeout:
			doc.Text = l.tf("method.outcome.timeout", v.Timeout)
		}
		v.Outcomes = append(v.Outcomes, doc)
	}
	v.Signatures = probes.Signatures()
	if s.ev != nil {
		v.Key = s.ev.ev.VerifierKey()
		v.Witnesses = s.witnessViews(l)
	}
	return v
}
