package incidents

import (
	"bytes"
	"html/template"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/renderer/html"
)

// markdown renders admin Markdown; both parts are safe for concurrent use
// once built, and building the policy compiles regexps: it is done once.
var markdown = sync.OnceValue(func() *markdownRenderer {
	// CommonMark without extensions. goldmark without html.WithUnsafe
	// replaces raw HTML with a comment and drops javascript:, vbscript:,
	// file: and most data: link targets; hard wraps keep the line breaks
	// an admin typed in a text area.
	md := goldmark.New(goldmark.WithRendererOptions(html.WithHardWraps()))
	// UGCPolicy allows http, https, mailto and relative URLs only (no data:
	// images) and adds rel="nofollow" to links; links to other sites also
	// open in a new tab, with rel="nofollow noopener".
	p := bluemonday.UGCPolicy()
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return &markdownRenderer{md: md, policy: p}
})

type markdownRenderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// RenderMarkdown renders the Markdown src of an update's or a maintenance's
// body as HTML safe to put in a page: goldmark's CommonMark without raw HTML,
// then bluemonday's user-generated-content policy, which removes scripts,
// event handler attributes, styles and URLs other than http, https, mailto
// and relative ones. It is safe for concurrent use. Titles, quotes and
// speakers are plain text: let html/template escape them, never pass them
// here.
func RenderMarkdown(src string) template.HTML {
	r := markdown()
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		// Writing to a bytes.Buffer does not fail; should it, show the
		// source as text rather than nothing.
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	return template.HTML(r.policy.SanitizeBytes(buf.Bytes()))
}
