// Package timeline keeps every measurement Constat made, in one append-only
// bbolt file. Records are numbered from 0 in the order they were committed and
// are never rewritten or deleted; record n is leaf n of the transparency log
// that lets anyone check the record later.
//
// A record is a canonical byte string: each value has exactly one encoding,
// and the decoders reject every other byte string, so that re-encoding what
// they accept gives back the same bytes. Records are self-contained except
// for strings, which are defined once by string-definition records in the same
// log and then referred to by ID: the log alone is enough to decode it.
//
// # Sections
//
// Records, String definitions, Measurements, Example, Precision, The file,
// The index, Writes, Caveats.
//
// # Records
//
// Every record starts with two bytes:
//
//	version  0x01, the encoding described here (Version)
//	kind     0x01 string definition, 0x02 measurement (Kind)
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
//	length   uvarint, 1 to 65535 (MaxStringLen)
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
// # The file
//
// The bbolt file has five buckets. Only "records" is the log; the others are
// derived from it, in the same transactions, to make reads fast:
//
//	meta     "format" = "constat-timeline 1" (Open refuses any other value);
//	         "tails" = 8-byte big-endian seq: the tails bucket covers the
//	         records before it
//	records  8-byte big-endian seq → record bytes (above)
//	strings  8-byte big-endian string ID → 8-byte big-endian seq of its definition
//	index    4-byte component ID + 16-byte block key → block value (The index)
//	tails    4-byte component ID → the component's open block: key then value
//
// Open rebuilds the string table from "strings" and the open blocks from
// "tails" and the records after the "tails" checkpoint, without reading
// the whole log.
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
// # Writes
//
// One writer goroutine takes the waiting Append and AppendAll calls, up to
// Options.MaxBatch records, and writes them in one bbolt transaction: for each
// result, the definitions of its new strings, then its measurement record,
// then its index entry. A result counts as recorded once that transaction
// committed; only then does Append return and do Len, the string table and the
// open blocks change. If the transaction fails, every call in it gets the
// error and nothing of it is kept: the next transaction writes what this one
// would have.
//
// # Caveats
//
// The string table grows with every distinct string: keep details short and
// bounded (outcome taxonomy, pattern names), not error texts with addresses or
// times in them. Component IDs must stay below 2³² strings.
//
// Read callbacks (Range, Scan) run between read transactions, never inside
// one, so they may call Append. Records committed while Range or Scan runs
// are not visited. Range fetches records on up to GOMAXPROCS goroutines, and
// keeps up to that many chunks of 256 decoded measurements in memory.
//
// Open does not verify the whole log; tests do (decode every record, compare
// the index with the measurements, bbolt's tx.Check).
//
// Options.NoSync skips fsync: a crash may then lose or corrupt committed
// records. It is for tests only.
package timeline
