// Package incidents turns what the probes measured into what the public
// sees. Results are appended to the timeline (package timeline) first; only
// a committed result reaches the state that pages, the API and metrics read,
// so nothing is ever shown that could be lost by a crash.
package incidents
