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
package probes
