package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/constat-ent/constat/probes"
)

// The methodology page states the figures in force, not the defaults of
// the code: the interval, time limit and slowness threshold most services
// have, then each service whose own differ.

// measureValues are the figures most components and steps share.
type measureValues struct {
	Interval, Timeout, Slow time.Duration
}

// exceptionView is a component whose figures differ from the common ones,
// in words: "monlycée.net : mesuré toutes les 60 secondes, délai 20 secondes (étape 2)".
type exceptionView struct{ Name, Values string }

// commonValues returns the most frequent interval, step timeout and
// slowness threshold of cfg (the shortest among equally frequent ones).
func commonValues(cfg *probes.Config) measureValues {
	var iv, to, sl []time.Duration
	for _, c := range cfg.Components {
		iv = append(iv, c.Interval)
		for _, st := range c.Steps {
			to, sl = append(to, st.Timeout), append(sl, st.DegradedAfter)
		}
	}
	return measureValues{mode(iv), mode(to), mode(sl)}
}

func mode(ds []time.Duration) time.Duration {
	counts := map[time.Duration]int{}
	for _, d := range ds {
		counts[d]++
	}
	var best time.Duration
	for d, n := range counts {
		if n > counts[best] || n == counts[best] && d < best {
			best = d
		}
	}
	return best
}

// exceptions lists, in l, the components whose interval or steps' timeout
// or slowness threshold differ from common.
func exceptions(l lang, cfg *probes.Config, common measureValues) []exceptionView {
	var out []exceptionView
	for _, c := range cfg.Components {
		var parts []string
		if c.Interval != common.Interval {
			parts = append(parts, l.tf("method.value.interval", l.duration(c.Interval.Seconds())))
		}
		parts = append(parts, stepValues(l, c.Steps, "method.value.timeout", common.Timeout, func(s *probes.Step) time.Duration { return s.Timeout })...)
		parts = append(parts, stepValues(l, c.Steps, "method.value.slow", common.Slow, func(s *probes.Step) time.Duration { return s.DegradedAfter })...)
		if len(parts) > 0 {
			out = append(out, exceptionView{Name: c.Name, Values: strings.Join(parts, ", ")})
		}
	}
	slices.SortStableFunc(out, func(a, b exceptionView) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// stepValues says the steps' value of one figure where it differs from
// common: once for the component when every step has it, else per step.
func stepValues(l lang, steps []*probes.Step, key string, common time.Duration, of func(*probes.Step) time.Duration) []string {
	var differ []int
	for i, st := range steps {
		if of(st) != common {
			differ = append(differ, i)
		}
	}
	if len(differ) == 0 {
		return nil
	}
	same := len(differ) == len(steps)
	for _, i := range differ {
		same = same && of(steps[i]) == of(steps[differ[0]])
	}
	if same {
		return []string{l.tf(key, l.duration(of(steps[0]).Seconds()))}
	}
	var out []string
	for _, i := range differ {
		out = append(out, fmt.Sprintf("%s (%s)", l.tf(key, l.duration(of(steps[i]).Seconds())), l.tf("method.value.step", i+1)))
	}
	return out
}
