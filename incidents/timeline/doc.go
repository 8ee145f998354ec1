// Package timeline keeps every measurement Constat made, and what the incident
// engine and the admins published, in one append-only bbolt file. Records are
// numbered from 0 in the order they were committed and are never rewritten or
// deleted: a correction is a new record naming the one it corrects. Record n
// is leaf n of a Merkle tree (RFC 6962, as golang.org/x/mod/sumdb/tlog
// computes it) whose leaf bytes are the record's canonical bytes, stored as
// C2SP tlog-tiles beside the records: with the signed checkpoints of
// package evidence, anyone can check later that a record was in the log at
// a given size and that the log was never rewritten.
//
// A record is a canonical byte string: each value has exactly one encoding,
// and the decoders reject every other byte string, so that re-encoding what
// they accept gives back the same bytes. Records are self-contained except
// for strings, which are defined once by string-definition records in the same
// log and then referred to by ID: the log alone is enough to decode it.
//
// # Sections
//
// Records, String definitions, Measurements, Example, Precision, Texts and
// times, Incident events, Incident updates, Maintenances, Statements, Audit
// records, Example of an admin record, The file, The tree, The index, Daily
// rollups, Writes, Caveats.
//
// # Records
//
// Every record starts with two bytes:
//
//	version  0x01, the encoding described here (Version)
//	kind     (Kind) 0x01 string definition, 0x02 measurement,
//	         0x03 incident event, 0x04 incident update, 0x05 maintenance,
//	         0x06 official statement, 0x07 audit record
//
// then the fields of its kind, then nothing: trailing bytes are an error.
//
// Integers are varints as written by encoding/binary: a "uvarint" is
// [binary.AppendUvarint], 7 bits a byte, least significant group first, the
// high bit set on every byte but the last; a "varint" is the uvarint of the
// zigzag mapping (0, -1, 1, -2, … → 0, 1, 2, 3, …) as [binary.AppendVarint].
// A varint must be minimal: its last byte is not 0x00 unless it is the only
// byte, and it is at most 10 bytes long and fits 64 bits.
//
// A string ID is a uvarint. ID 0 is the empty string; ID k ≥ 1 is the string
// defined by the k-th string-definition record of the log. A string is defined
// once, before the first record that uses it.
//
// # String definitions
//
// Kind 0x01 defines the next string ID:
//
//	length   uvarint, 1 to 65530 (MaxStringLen), so that the record is at
//	         most 65,535 bytes, the most a C2SP entry bundle can carry
//	bytes    length bytes, not interpreted (normally UTF-8)
//
// # Measurements
//
// Kind 0x02 is one [probes.Result]:
//
//	component  string ID of Component, not 0
//	start      varint: Start in Unix milliseconds, rounded down; years 1 to 9999
//	status     uvarint: Status, 0 (unknown) or a valid probes.Status
//	steps      uvarint: the number of steps, 0 to 64 (MaxSteps)
//
// then, for each step, in order:
//
//	url        string ID of URL
//	outcome    uvarint: Outcome, a valid probes.Outcome (never 0)
//	detail     string ID of Detail
//	code       uvarint: StatusCode, 0 to 999
//	dns        uvarint: Phases.DNS in microseconds, rounded down
//	connect    uvarint: Phases.Connect, likewise
//	tls        uvarint: Phases.TLS, likewise
//	ttfb       uvarint: Phases.TTFB, likewise
//	transfer   uvarint: Phases.Transfer, likewise
//	duration   uvarint: Duration, likewise
//	addresses  string ID of Addresses joined with ","; 0 for none
//	bytes      uvarint: BytesRead, at most 2⁶³-1
//	tlsversion uvarint: TLSVersion (0x0304 for TLS 1.3), at most 65535
//	cert       uvarint: 0 when CertExpiry is zero, else 1 + zigzag(e - s),
//	           e the Unix second of CertExpiry, s the Unix second of start
//	redirects  uvarint: Redirects, at most 2³¹-1
//
// Outcome and status values are those of package probes, which only ever adds
// values: a record valid today stays valid. Durations are at most 2⁶³-1
// nanoseconds. An address is never empty and never contains ","; the string
// a non-zero ID names is never empty. A cert field must give a time in years
// 1 to 9999 other than the zero time's second.
//
// # Example
//
// This measurement of monlycee-net (string 1) at 2026-03-30 07:00:00.123 UTC,
// one step of https://monlycee.net/ (string 2) that connected to
// "185.33.48.10,2a00:1::10" (string 3), is 43 bytes long:
//
//	01                 version 1
//	02                 kind: measurement
//	01                 component: string 1
//	f6 b7 d6 d8 a7 67  start: 1774854000123 ms
//	01                 status: operational
//	01                 1 step
//	02                 url: string 2
//	01                 outcome: ok
//	00                 detail: none
//	c8 01              code: 200
//	dc 0b              dns: 1500 µs
//	e0 5d              connect: 12000 µs
//	a8 c3 01           tls: 25000 µs
//	a0 fe 0a           ttfb: 180000 µs
//	c0 b8 02           transfer: 40000 µs
//	c4 e3 0f           duration: 258500 µs
//	03                 addresses: string 3
//	a2 90 03           bytes: 51234
//	84 06              tlsversion: 0x0304
//	81 e8 f8 04        cert: 1 + zigzag(5184000), 60 days after start's second
//	01                 redirects: 1
//
// and the definition of string 1 is
//
//	01 01 0c 6d 6f 6e 6c 79 63 65 65 2d 6e 65 74    version, kind, 12, "monlycee-net"
//
// # Precision
//
// Stored values are what a reader gets back: Start to the millisecond,
// CertExpiry to the second, durations to the microsecond, all rounded down;
// times come back in UTC. Addresses come back nil when there were none, Steps
// nil when there were none (a check that could not start).
//
// # Texts and times
//
// Kinds 0x03 to 0x07 use two more field types. A "text" is written in the
// record itself, not interned: a uvarint length, at most the field's bound,
// then that many bytes of valid UTF-8. Titles, bodies, speakers, quotes and
// URLs are texts: they are long and seldom repeated. Component IDs, authors,
// actions and details are string IDs: short and repeated. A "time" is a
// varint, the Unix millisecond rounded down, in years 1 to 9999; the zero
// time.Time is its first millisecond and comes back as the zero time.
//
// An "incident ID" is a uvarint, 0 for none: an automatic incident's is the
// seq of its first failing measurement plus one; a manual incident's, the
// seq of the update that created it plus one (one ID space). A "revises"
// field is the seq of the record of the same kind that this one corrects, 0
// for none; it is never 0 for a real record, since an admin record's author
// is defined by an earlier record. The decoder checks each record alone: that
// revises names a record of the same kind is the writer's (package
// incidents') check.
//
// The incident vocabulary (event kinds, update statuses, impacts) is
// package incidents': the timeline carries each as a byte (a uvarint of at
// most 255) and checks only that it is not 0 where 0 means none; which
// values exist, and which suit an incident or a maintenance, incidents
// checks when it writes and when it loads.
//
// # Incident events
//
// Kind 0x03 is one event of the incident engine (Event: incidents.Event as
// stored), so that a restart finds its open incidents:
//
//	event       uvarint: an incidents.EventKind, 1 to 255
//	incident    uvarint: incident ID, 0 outside an incident
//	component   string ID, not 0
//	from        uvarint: From, 0 (unknown) or a valid probes.Status
//	to          uvarint: To, likewise
//	at          time: At, the measured time
//	evidence    uvarint: seq of the measurement that is the evidence
//	maintenance uvarint: the maintenance window's ID, 0 for none
//	cause       uvarint: 0 no cause (nothing follows), 1 a cause follows:
//	  outcome   uvarint: a valid probes.Outcome (never 0)
//	  detail    string ID of Detail
//	  dns       uvarint: Phases.DNS in microseconds, rounded down
//	  connect, tls, ttfb, transfer: likewise
//
// # Incident updates
//
// Kind 0x04 is an admin's incident update (Update):
//
//	incident   uvarint: incident ID; 0 creates a manual incident, whose
//	           ID is then this record's seq plus one
//	revises    uvarint: seq of the update corrected, 0 for none; a
//	           revision's incident is never 0
//	status     uvarint: an incidents.UpdateStatus, 1 to 255 (today 1
//	           investigating, 2 identified, 3 monitoring, 4 resolved)
//	impact     uvarint: an incidents.Impact, 0 to 255 (today 0 none,
//	           1 minor, 2 major, 3 critical)
//	title      text, at most 200 bytes (MaxTitleLen), plain text
//	body       text, at most 20,000 bytes (MaxBodyLen), Markdown source
//	components uvarint: count, 0 to 100 (MaxComponents), then for each:
//	  component string ID, not 0
//	  status    uvarint: a valid probes.Status (never 0)
//	author     string ID, not 0
//	published  time
//
// # Maintenances
//
// Kind 0x05 is a scheduled maintenance or a revision of one (Maintenance):
//
//	revises    uvarint: seq of the maintenance corrected, 0 for none
//	title      text, at most 200 bytes
//	body       text, at most 20,000 bytes, Markdown source
//	components uvarint: count, 0 to 100, then for each a string ID, not 0
//	start      time
//	end        time
//	status     uvarint: an incidents.UpdateStatus, 1 to 255 (today 5
//	           scheduled, 6 in_progress, 7 completed)
//	author     string ID, not 0
//	at         time: when it was published
//
// # Statements
//
// Kind 0x06 is an official statement (Statement):
//
//	revises    uvarint: seq of the statement corrected, 0 for none
//	incident   uvarint: incident ID, 0 for none
//	speaker    text, at most 200 bytes (MaxSpeakerLen): who said it
//	said       time: when
//	quote      text, at most 5,000 bytes (MaxQuoteLen)
//	source     text, at most 2,000 bytes (MaxURLLen): the source URL
//	about      time: the measured time the statement refers to
//	author     string ID, not 0: the admin who recorded it
//	at         time: when it was recorded
//
// # Audit records
//
// Kind 0x07 is one admin action (Audit), public like every record:
//
//	actor      string ID, not 0
//	action     string ID, not 0 ("incident_update.create", "account.login")
//	target     uvarint: seq of the record acted on, 0 for none
//	at         time
//	detail     string ID, 0 for none
//
// # Example of an admin record
//
// This update, which opens a manual incident, published by
// admin@ac-paris.fr (string 4) at 2021-04-06 07:02:00 UTC about
// monlycee-net (string 1), is 54 bytes long:
//
//	01                  version 1
//	04                  kind: incident update
//	00                  incident: none, this record creates one
//	00                  revises: none
//	01                  status: investigating
//	02                  impact: major
//	14 43 6f … 6c 65    title: 20 bytes, "Connexion impossible"
//	10 4e 6f … 73 2e    body: 16 bytes, "Nous enquêtons." (ê is c3 aa)
//	01                  1 component:
//	01 04                 monlycee-net, major_outage
//	04                  author: string 4
//	80 b9 e7 df 94 5e   published: 1617692520000 ms
//
// and its audit record (action "incident.create", string 5; detail
// "investigating", string 6), if the update is record 1041, is
//
//	01 07 04 05 91 08 80 b9 e7 df 94 5e 06
//
// # The file
//
// The bbolt file has ten buckets. Only "records" is the log; the others are
// derived from it, in the same transactions, to make reads fast or, for
// "tree" and "edge", to make it verifiable, or hold what package evidence
// signed ("heads"):
//
//	meta     "format" = "constat-timeline 1" (Open refuses any other value);
//	         "tails" = 8-byte big-endian seq: the tails bucket covers the
//	         records before it; "rollups" = likewise for the rollups bucket
//	records  8-byte big-endian seq → record bytes (above)
//	strings  8-byte big-endian string ID → 8-byte big-endian seq of its definition
//	index    4-byte component ID + 16-byte block key → block value (The index)
//	tails    4-byte component ID → the component's open block: key then value
//	admin    8-byte big-endian seq → 1 byte, the kind, for every record of
//	         kinds 0x03 to 0x07, so that AdminRecords and Events read them
//	         without scanning the measurements. Open creates it, empty, in
//	         files written before these kinds existed.
//	rollups  4-byte component ID + 4-byte day → day rollup (Daily rollups)
//	tree     1-byte tile level + 8-byte big-endian group → 1,024 hashes (The tree)
//	edge     1-byte tile level + 8-byte big-endian chunk → up to 16 hashes (The tree)
//	heads    8-byte big-endian tree size → the checkpoint note signed for
//	         it (PutHead); created by the first PutHead
//
// Open rebuilds the string table from "strings" and the open blocks from
// "tails" and the records after the "tails" checkpoint, without reading
// the whole log.
//
// # The tree
//
// Leaf n of the tree is the SHA-256 of 0x00 followed by record n's bytes
// (tlog.RecordHash), and an interior node the SHA-256 of 0x01 and its two
// children (tlog.NodeHash): RFC 6962's tree, over every record of every
// kind, string definitions included. The tree of size s is that of records
// 0 to s-1; its root hash is what checkpoints sign.
//
// The tree is stored as the C2SP tlog-tiles of height 8 store it: tile level
// L holds the hashes of tree level 8L, hash i being the root of leaves i·256^L
// to (i+1)·256^L - 1, and only for complete subtrees; tile n of level L is
// hashes n·256 to n·256+255 of that level. The levels in between are
// computed from the tile level below when a proof needs them. The hashes
// of each tile level are cut in groups of 1,024 (four full tiles, 32,768
// bytes): group g of level L holds hashes g·1024 to g·1024+1023. A full
// group is one value of "tree", the key being the level then the group
// number; four tiles a value rather than one keep the tree at about 34
// bytes per record on disk (bbolt stores an 8,192-byte value with its
// headers in three 4,096-byte pages). The hashes after a level's last
// group in "tree" are in "edge", in chunks of 16 (512 bytes), the key
// being the level then the chunk number: chunk c holds hashes c·16
// onwards, one chunk after another, all of 16 hashes but the last. They
// include whole groups written since the last checkpoint.
//
// The writer hashes each record in the transaction that appends it, so that
// a record is never visible without its leaf: it appends the leaf to level
// 0, and the root of each tile that fills to the level above. It keeps the
// unfinished group of each level in memory and, at the end of the
// transaction, puts the chunks that grew: the last one again, and the new
// ones. At each checkpoint of the index tails (every 32,768 records and at
// Close) it moves the full groups from "edge" to "tree". Putting each group
// into "tree" as it filled, and the unfinished one in every transaction,
// rewrote a 32 KB value and the three or four groups on its bbolt leaf (a
// leaf of four values or fewer never splits): BenchmarkAppend wrote 435
// bytes per result, against about 290 now.
//
// Open hashes, in transactions of 65,536 records, the records of a file
// written before the tree existed (and logs it); in a file written before
// "edge" existed, whose last group of each level was a shorter value of
// "tree", it moves those into chunks. VerifyTree recomputes the leaves from
// the records and the tile roots from the level below (constat fsck).
//
// # The index
//
// A block lists up to 128 measurements of one component in seq order, as
// entries (seq, start in ms); every entry's start lies between the first
// entry's and one day after it. The block key is the first entry's start with
// its sign bit flipped (so that keys sort by time) and the first entry's seq,
// 8 bytes each, big-endian. The block value is the span, the latest start
// minus the first, as a uvarint, then for each later entry the uvarint seq
// delta and the varint start delta from the entry before.
//
// The writer adds each measurement to its component's open block, kept in
// memory. When the block is full, or the start falls before its first entry
// or over a day after it (a clock stepped back, a long pause), the block is
// put in "index", in the transaction of the measurement that did not fit, and
// a new block begins. The open blocks changed since the last checkpoint are
// written to "tails" every 32,768 records and at Close; after a crash, Open
// replays at most that many records, with the same rule. Rewriting every open
// block in every transaction would write most of "tails" each time under load.
//
// Range reads the blocks whose first start lies in [from - 1 day, to) and
// whose span reaches from, and the open block, then sorts the entries by
// (start, seq) and fetches the records.
//
// # Daily rollups
//
// A rollup sums up one component's measurements whose Start (as stored, to
// the millisecond) falls on one calendar day in Europe/Paris: midnight to
// midnight local time, so 23 hours on the last Sunday of March and 25 on the
// last Sunday of October. It is what the status page's 90-day bars and its
// 24 h to 90 d figures read: one value per day instead of 2,880 records at
// 30 s.
//
// Rollups are derived data, not part of the log: they are not hashed, not
// published as records, and can be rebuilt from the measurement records at
// any time (RebuildRollups). Open rebuilds them, once, and logs it, when the
// file has no "rollups" bucket (files written before rollups existed).
//
// The key is the component's string ID, 4 bytes, then the day number (days
// from 1970-01-01, negative before) as 4 bytes big-endian with the sign bit
// flipped, so that keys sort by component, then by day. The value is
//
//	version    0x01
//	rounds     uvarint: measurements of the day
//	first      varint: the earliest Start, Unix milliseconds
//	span       uvarint: the latest Start minus the earliest, in ms
//	statuses   uvarint n, then n uvarints: rounds by probes.Status, from 0
//	outcomes   uvarint n, then n uvarints: rounds by probes.Outcome, from 0:
//	           the outcome of the round's first failing step, else of its
//	           last step; rounds without steps count under 0
//	steps      uvarint: steps of the day's rounds
//	phases     5 uvarints: DNS, connect, TLS, TTFB and transfer summed over
//	           those steps, in µs as stored (saturating at 2⁶³-1)
//	durations  uvarint n, then n uvarints: rounds by total duration (the sum
//	           of their steps' Duration), bucket i holding durations below
//	           10 ms × √2^i (rounded to the µs: 10,000 µs, 14,142 µs, 20,000
//	           µs…) and at or above bucket i-1's bound; the last bucket
//	           (n = 28) has no bound
//
// and nothing after. The counts n grow with package probes (NumStatuses,
// NumOutcomes); a value with fewer entries decodes with the others zero.
//
// Like the index tails, the open days live in memory: the writer adds each
// measurement to its day's rollup (read back from the bucket if the day is
// no longer in memory) in the transaction's batch, and puts the rollups
// changed since the last checkpoint, once each, at the checkpoint (every
// 32,768 records and at Close), with meta "rollups" = 8-byte big-endian seq:
// the bucket covers the records before it. Open replays the measurements
// after that checkpoint into memory, with the same rule, so that the
// rollups and the records cannot disagree after a crash. After a checkpoint,
// the writer keeps in memory only the rollups of the last three days seen.
// Rollups reads one cursor range of the bucket and overlays the days in
// memory, as of the last committed transaction. Putting every touched
// rollup in every transaction instead cut BenchmarkAppend from about 120,000
// to 30,000-50,000 results/s: a transaction of a few hundred results
// rewrote most of the bucket's pages, and with months of history each
// component's open day sits on its own page among its past days.
//
// # Writes
//
// One writer goroutine takes the waiting Append, AppendAll and AppendRecords
// calls, up to Options.MaxBatch records, and writes them in one bbolt
// transaction: for each result, the definitions of its new strings, then its
// measurement record, then its index entry and its day's rollup (in memory
// until a checkpoint); for each entry, its new strings,
// then its record, then its admin bucket entry. Each record's leaf joins the
// tree as it is put (The tree). A record counts as recorded
// once that transaction committed; only then does Append return and do Len,
// the string table and the open blocks change. If the transaction fails,
// every call in it gets the error and nothing of it is kept: the next
// transaction writes what this one would have. The records of one call are
// consecutive but for the string definitions they need.
//
// # Caveats
//
// The string table grows with every distinct string: keep details short and
// bounded (outcome taxonomy, pattern names), not error texts with addresses or
// times in them. Component IDs must stay below 2³² strings.
//
// Admin strings (authors, actions, details, cause details) are interned too:
// keep audit details to a bounded set, and never put passwords, tokens,
// addresses or session IDs in any record: the whole log is public.
//
// Read callbacks (Range, Scan, AdminRecords, Events) run between read
// transactions, never inside one, so they may call Append. Records committed while Range or Scan runs
// are not visited. Range fetches records on up to GOMAXPROCS goroutines, and
// keeps up to that many chunks of 256 decoded measurements in memory.
//
// Open does not verify the whole log; VerifyTree checks the tree against
// the records, and tests check the rest (decode every record, compare the
// index with the measurements). Open does walk every page of the file
// (bbolt's tx.Check), to refuse a damaged file rather than crash on it
// later: that reads the whole file, about 146 ms for 1,000,000 records
// (120 MB) with a warm page cache, and grows with it.
//
// Options.NoSync skips fsync: a crash may then lose or corrupt committed
// records. It is for tests only.
package timeline
