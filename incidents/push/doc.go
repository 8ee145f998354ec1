// Package push sends Constat's alerts to the people who asked for them:
// Web Push notifications to parents' phones (RFC 8030 delivery, RFC 8291
// aes128gcm encryption and RFC 8292 VAPID, through
// github.com/SherClockHolmes/webpush-go) and signed webhooks shaped like
// Atlassian Statuspage's.
//
// # Invariants
//
// Subscriptions are personal data: they live in their own bbolt file
// (StoreFile, beside the accounts), never in the public timeline, and an
// unsubscription or a push service's 404/410 deletes them.
//
// The outbox follows the timeline like a replication consumer. Its cursor
// (the next timeline seq to read) lives in the push store; each store
// transaction reads the records after it, enqueues one delivery per
// matching subscription or webhook and moves the cursor, together. A crash
// between an event's commit in the timeline and its enqueueing loses
// nothing (the cursor is still before it) and a restart enqueues nothing
// twice. A new store starts at the end of the timeline, and a subscription
// remembers the timeline length when it was made: nobody is told about
// the past. Record kinds and engine event kinds the outbox does not know
// are skipped.
//
// A delivery is removed only after its push service or webhook answered
// 2xx (or it was dropped: expired, refused, gone). One goroutine per lane
// commits the results while sends go on, and a send holds one of
// Options.Workers slots until its result is committed: a crash sends again
// at most that many deliveries, those in flight or answered but not yet
// committed.
//
// # Sending
//
// Deliveries go out by lane: one lane per push service host, one per
// webhook, each with its own keep-alive connections and its own backoff
// (exponential with jitter on 429, 5xx and network errors, Retry-After
// honoured), so that one throttled service never stalls another. At most
// Options.Workers deliveries of a lane are in flight; a subscriber gets its
// messages one after the other, in timeline order. A delivery older than
// its TTL (1 h for an outage start, 24 h otherwise) is dropped and counted.
//
// What is sent: for each subscribed component, the start of an outage
// (Urgency high), its end (normal) and admins' updates on an incident it is
// part of (normal), with Topic = the component ID so that an undelivered
// "down" is replaced by the "back up" inside the push service. A flapping
// component sends at most one start per subscriber per start interval (15
// minutes by default); the end of an announced outage is always sent, the
// end of one that was not announced never.
//
// # Addresses
//
// A subscriber chooses the endpoint Constat posts to, so the Guard keeps
// it to the allowed push services and to public addresses, checked when
// the person subscribes and again on the connection dialled (no redirects
// followed). See Guard.
package push
