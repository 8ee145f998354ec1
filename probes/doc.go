// Package probes measures school portals: it loads the configuration
// (LoadConfig), runs each component's steps as HTTP(S) requests with
// per-phase timings and content assertions (Check), and runs the checks on
// their intervals (Scheduler).
//
// A failing ENT is never a Go error: it is a Result whose steps carry one
// Outcome each from the public taxonomy (ok, slow, dns_error, …,
// soft_failure, content_missing) with a Detail and the phases measured. A Go
// error from this package means Constat itself could not work (a bad
// configuration, an unreadable CA file).
//
// The built-in signatures (BuiltinSignatures) recognise the pages that ENTs
// served with 200 OK while saturated in 2020–21, so that a queue page counts
// as an outage and not as a working portal.
//
// # How a check speaks HTTP
//
// A check whose http_client_config needs no proxy and no authentication
// wrapper (the common case) speaks HTTP/1.1 in its own goroutine (direct):
// dial, TLS handshake, request written by http.Request.Write, answer read
// by http.ReadResponse, and, when the server chooses HTTP/2 in the
// handshake (enable_http2, on by default), golang.org/x/net/http2's client
// connection. Other checks use net/http's Transport as prometheus/common
// builds it. Both report the same phases, outcomes and details; direct
// saves the goroutines and hand-offs net/http's Transport spends on every
// new connection, which cost more CPU than the rest of a check's round.
//
// # Configuration sections
//
// One loader reads the file; each package owns its part. probes owns
// defaults and groups (Config); a top-level section another package owns
// (incidents:, site:, …) is a Section that package defines, since probes
// imports none of them. To add a section:
//
//  1. In the owning package, define the section's type and a method
//     returning a Section: Key, a pointer to a raw struct whose yaml tags
//     are the section's keys (values to parse as strings, pointers for
//     optional keys), and Compile, which validates the raw values and
//     fills the type, reporting each mistake with SectionLoader.Errorf
//     (and parsing with SectionLoader.Duration and URL) so that messages
//     read "file:line: section.key: …" like every other. incidents.Config
//     and ui.Site are examples.
//  2. In cmd/constat/config.go, add a field of that type to config and its
//     Section to sections: constat check, serve and demo then all read it.
//  3. Give each refusal a testdata/invalid-*.yaml in the owning package,
//     asserting the exact message.
//
// A section for probes itself (connectivity:, say) is a field of the raw
// file type (rawFile) with its compile step, as defaults is.
package probes
