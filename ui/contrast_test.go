package ui

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// WCAG 2.1 AA (RGAA 3.2): text needs a contrast ratio of 4.5:1 with its
// background. Every text colour the style sheets set, on the background its
// rule sets or else the pages' white, must reach it; a colour tweak that
// makes a state unreadable fails here, not in an audit.
func TestTextColoursContrast(t *testing.T) {
	for name, css := range map[string]string{"style.css": string(styleCSS), "admin": adminCSS} {
		rules := cssRule.FindAllStringSubmatch(css, -1)
		if len(rules) < 10 {
			t.Fatalf("%s: %d rules parsed, the parser no longer reads the sheet", name, len(rules))
		}
		checked := 0
		for _, r := range rules {
			selector, body := strings.TrimSpace(r[1]), r[2]
			fg := cssColour(t, body, "color")
			if fg == "" {
				continue
			}
			bg := cssColour(t, body, "background")
			if bg == "" {
				bg = "#fff"
			}
			if ratio := contrast(t, fg, bg); ratio < 4.5 {
				t.Errorf("%s: %s{color:%s} on %s: contrast %.2f:1, WCAG AA wants 4.5:1", name, selector, fg, bg, ratio)
			}
			checked++
		}
		if checked < 5 {
			t.Errorf("%s: %d text colours checked, want the states' and the links' at least", name, checked)
		}
	}
}

func TestContrastFormula(t *testing.T) {
	// Reference values from the WCAG definition: black on white is 21:1,
	// a colour on itself 1:1, #767676 on white the lightest AA grey (4.54).
	for _, tt := range []struct {
		fg, bg string
		want   float64
	}{{"#000", "#fff", 21}, {"#0b4f9c", "#0b4f9c", 1}, {"#767676", "#ffffff", 4.54}} {
		if got := contrast(t, tt.fg, tt.bg); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.3f, want %.2f", tt.fg, tt.bg, got, tt.want)
		}
	}
}

// cssRule is a selector and its declarations, innermost braces only (the
// rules inside an @media block are found on their own).
var cssRule = regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`)

// cssColour returns the hex colour of property prop in a rule body, "" when
// it is not set; a colour written any other way fails the test, so none
// escapes the check.
func cssColour(t *testing.T, body, prop string) string {
	t.Helper()
	m := regexp.MustCompile(`(?:^|;)` + prop + `:([^;!]+)`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	if !hexColour.MatchString(m[1]) {
		t.Errorf("%s:%s: not a #hex colour, the contrast check cannot read it", prop, m[1])
		return ""
	}
	return m[1]
}

var hexColour = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// contrast is the WCAG 2.1 contrast ratio of two #hex colours.
func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is the relative luminance of a #rgb or #rrggbb colour.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	h := hex[1:]
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		t.Fatalf("colour %q: %v", hex, err)
	}
	lin := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(v>>16&0xff) + 0.7152*lin(v>>8&0xff) + 0.0722*lin(v&0xff)
}
