package ui

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/constat-ent/constat/probes"
	"github.com/labstack/echo/v4"
)

type methodologyView struct {
	Interval, MaxBody string
	Confirm           int
	Outcomes          []string
	Signatures        []string
	Columns           string
}

// methodology serves /methode: how, where from and how often Constat
// measures and what each outcome means, with the figures of the running
// configuration: what a journalist needs to cite it. It is rendered once,
// at the first request.
func (s *Server) methodology(c echo.Context) error {
	s.methodOnce.Do(func() {
		v := methodologyView{Interval: "30 secondes", MaxBody: "1 Mio", Confirm: 2,
			Columns: strings.ReplaceAll(measurementColumns, ",", ", ")}
		if len(s.cfg.Components) > 0 { // the first component carries the defaults unless it overrides them
			c := s.cfg.Components[0]
			v.Interval, v.MaxBody, v.Confirm = frDuration(c.Interval.Seconds()), frBytes(c.MaxBody), c.Confirm
		}
		for o := probes.Outcome(1); o.Valid(); o++ {
			v.Outcomes = append(v.Outcomes, o.String())
		}
		for _, p := range probes.BuiltinSignatures() {
			v.Signatures = append(v.Signatures, p.Name)
		}
		var buf bytes.Buffer
		if err := s.tmpl.ExecuteTemplate(&buf, "methodology.html", v); err != nil {
			s.methodErr = fmt.Errorf("render methodology: %w", err)
			return
		}
		p := newRendered(1, buf.Bytes(), `"method-1"`)
		s.methodPage = &p
	})
	if s.methodErr != nil {
		return s.methodErr
	}
	return serveRendered(c, *s.methodPage, echo.MIMETextHTMLCharsetUTF8, "public, max-age=3600")
}

func frDuration(sec float64) string {
	if sec >= 60 && int(sec)%60 == 0 {
		return fmt.Sprintf("%d minutes", int(sec)/60)
	}
	return fmt.Sprintf("%g secondes", sec)
}

func frBytes(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d Mio", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d Kio", n>>10)
	}
	return fmt.Sprintf("%d octets", n)
}
