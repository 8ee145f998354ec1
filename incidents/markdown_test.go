package incidents

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// xssPayloads are classic attacks on Markdown and HTML fields.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
	`<img src=x onerror=alert(1)>`,
	`<IMG SRC="javascript:alert('XSS');">`,
	`[x](javascript:alert(1))`,
	`[x](JaVaScRiPt:alert(1))`,
	`[x](javascript&#58;alert(1))`,
	`[x](&#106;avascript:alert(1))`,
	`[x](jav&#x09;ascript:alert(1))`,
	"[x](java\nscript:alert(1))",
	`[x]: javascript:alert(1)` + "\n\n[x]",
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="&#106;avascript:alert(1)">x</a>`,
	`"><svg onload=alert(1)>`,
	`'><svg/onload=alert(1)>`,
	`<iframe src="https://evil.example/"></iframe>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`![x](javascript:alert(1))`,
	`![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`,
	`<details open ontoggle=alert(1)>`,
	`&lt;script&gt;alert(1)&lt;/script&gt;`,
	"`<script>`\n\n    <script>alert(1)</script>",
	`<https://example.org/" onmouseover="alert(1)>`,
	`[a](https://example.org/" onclick="alert(1))`,
}

// assertInert fails when out, the HTML made from payload p, holds
// something a browser would run: an element outside the few that Markdown
// makes, an event handler or style attribute, or a URL whose scheme is not
// http, https or mailto. Text that only reads like code is fine.
func assertInert(t *testing.T, p, out string) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Errorf("payload %q gives %q, which contains <script", p, out)
	}
	nodes, err := html.ParseFragment(strings.NewReader(out), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatalf("html.ParseFragment(%q) = %v", out, err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if !inertElements[n.Data] {
				t.Errorf("payload %q gives %q, with a <%s> element", p, out, n.Data)
			}
			for _, a := range n.Attr {
				switch k := strings.ToLower(a.Key); {
				case strings.HasPrefix(k, "on") || k == "style" || k == "srcdoc" || k == "formaction":
					t.Errorf("payload %q gives %q, with a %s attribute", p, out, a.Key)
				case k == "href" || k == "src" || k == "cite":
					if u, err := url.Parse(a.Val); err != nil || !(u.Scheme == "" || u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "mailto") {
						t.Errorf("payload %q gives %q, with %s=%q", p, out, a.Key, a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
}

// inertElements are those the pages and Markdown may produce.
var inertElements = map[string]bool{"p": true, "br": true, "a": true, "strong": true, "em": true, "code": true,
	"pre": true, "ul": true, "ol": true, "li": true, "blockquote": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "hr": true, "img": true, "div": true, "cite": true}

// TestRenderMarkdownXSS feeds the payloads to RenderMarkdown: its output
// holds no script, no onerror= and no javascript: at all, even as text.
func TestRenderMarkdownXSS(t *testing.T) {
	for _, p := range xssPayloads {
		out := string(RenderMarkdown(p))
		assertInert(t, p, out)
		for _, bad := range []string{"<script", "onerror=", "javascript:"} {
			if strings.Contains(strings.ToLower(out), bad) {
				t.Errorf("RenderMarkdown(%q) = %q, which contains %q", p, out, bad)
			}
		}
	}
}

func TestRenderMarkdown(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"emphasis and hard wrap", "Nous **enquêtons**.\nMerci", "<p>Nous <strong>enquêtons</strong>.<br>\nMerci</p>\n"},
		{"list", "- un\n- deux", "<ul>\n<li>un</li>\n<li>deux</li>\n</ul>\n"},
		{"external link", "[annonce](https://www.education.gouv.fr/)",
			`<p><a href="https://www.education.gouv.fr/" rel="nofollow noopener" target="_blank">annonce</a></p>` + "\n"},
		{"relative link", "[état](/composants/monlycee-net)", `<p><a href="/composants/monlycee-net" rel="nofollow">état</a></p>` + "\n"},
		{"raw HTML dropped", "a <b>b</b>", "<p>a b</p>\n"},
		{"code keeps its text", "`<b>`", "<p><code>&lt;b&gt;</code></p>\n"},
		{"data image dropped", "![i](data:image/png;base64,AAAA)", "<p><img alt=\"i\"></p>\n"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(RenderMarkdown(tt.src)); got != tt.want {
				t.Errorf("RenderMarkdown(%q) = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}

func BenchmarkRenderMarkdown(b *testing.B) {
	src := strings.Repeat("Le portail **monlycée.net** ne répond plus. [Détails](https://example.org/).\n\n- un\n- deux\n\n", 20)
	for b.Loop() {
		RenderMarkdown(src)
	}
}
