// Package incidents turns what the probes measured into what the public
// sees. Results are appended to the timeline (package timeline) first; only
// a committed result reaches the state that pages, the API and metrics read,
// so nothing is ever shown that could be lost by a crash.
//
// Pipeline is the one owner of the timeline's in-memory views: it records
// each result, runs the incident engine (Engine: confirmed states,
// automatic incidents with their measured start and end, correlation by
// operator, flapping, maintenance) and appends its events, and keeps the
// latest results, the incident history (History) and the admins' records
// (Admin: incident updates, maintenances, official statements, the audit
// trail). Built together from one timeline, they cannot drift apart: a
// maintenance an admin schedules reaches the engine at once.
//
// The package owns the incident vocabulary (EventKind, UpdateStatus,
// Impact); the timeline stores each as a byte. Its configuration section is
// Config ("incidents:" in the file). Admin credentials are not incidents:
// they are package accounts (incidents/accounts), which imports nothing of
// Constat's.
package incidents
