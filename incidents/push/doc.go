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
// "down" is replaced by the "back up" inside the push service.
//
// # Announcements
//
// The engine publishes a flapping component's state as it follows its
// rounds, while its incident stays open until it settles: coming back, it
// gives an incident update to operational, and later the incident's
// resolution for the same recovery. So the outbox decides per target
// (subscription or webhook) and component, from what it told that target
// before, kept in the push store (bucket "announced") and written in the
// transaction that enqueues the delivery, so that a restart decides as
// the live outbox would have. For a Web Push subscription:
//   - a start ("down") when the component's published state goes to a
//     failure, no outage announced to the subscriber is outstanding, and
//     the last start sent is at least push.start_interval (15 minutes by
//     default) before this one, by measured time: a flapping component
//     sends at most one start per interval;
//   - a start held back by the interval is sent later, once: when a
//     measured round of the component reaches the interval's end and the
//     component's published state (as the events the outbox has read
//     recorded it) is still a failure, dated by the measured start of
//     that failure; if it is no longer failing then, it is forgotten. The
//     held start lives in the push store (bucket "held") and the state in
//     bucket "components", both written in the enqueue transaction, so a
//     restart releases it as the live outbox would have;
//   - an end ("back") when the state returns to operational (or to
//     maintenance) after an announced start: exactly once per announced
//     start, whichever of the incident update or the resolution comes
//     first, the other silent; never after a start held back and not
//     released, nor without a start;
//   - nothing for a change between two failing states (major to partial
//     outage) inside an outage: the person knows it is down, and push
//     services throttle chatty senders;
//   - every admin update.
//
// A webhook gets, as from Statuspage, a component_update for every change
// of the component's published state: those carried by an incident
// event, flapping or not, failing to failing included, and those into and
// out of a maintenance window (maintenance_started, maintenance_ended);
// each change once (the resolution that repeats a flapping component's
// recovery is not sent again), and every admin update. A webhook taken
// out of the configuration loses, at the next start, what it was told and
// its pending deliveries: added again, it is a new webhook.
//
// Caveat: the interval and a held start's due time are measured time (the
// rounds' Start), not the server's clock: a component whose rounds stop
// keeps its held start until a round comes.
//
// # Addresses
//
// A subscriber chooses the endpoint Constat posts to, so the Guard keeps
// it to the allowed push services and to public addresses, checked when
// the person subscribes and again on the connection dialled (no redirects
// followed). See Guard.
package push
