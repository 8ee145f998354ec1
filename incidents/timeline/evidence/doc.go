// Package evidence makes the timeline a transparency log that anyone can
// check without trusting whoever runs Constat: it signs checkpoints of the
// timeline's Merkle tree (package timeline, "The tree") and reads and writes
// the formats outside tools read, those of the Go checksum database and of
// Certificate Transparency's static logs (C2SP tlog-tiles, tlog-checkpoint,
// signed-note).
//
// # Sections
//
// Checkpoints, The start check, Keys, Tiles, Bundles, Verifying a bundle,
// Witnesses, Caveats.
//
// # Checkpoints
//
// A checkpoint is a signed note (golang.org/x/mod/sumdb/note) whose text is
// three lines, each ending in a newline (C2SP tlog-checkpoint):
//
//	statut.example.org/constat                       origin (evidence.origin)
//	1048576                                          tree size, decimal
//	CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=     root hash, standard base64
//
// then a blank line and one signature line per signer, "— name
// base64(key hash || signature)", the log's first, its key name being the
// origin. A checkpoint of size s states that the log's first s records are
// those whose RFC 6962 tree has that root: a record then cannot be changed,
// removed or reordered without every later checkpoint disagreeing with this
// one, which a consistency proof shows.
//
// Log.Sign signs one when the tree grew, at most every
// evidence.checkpoint_interval (Log.Run), and keeps every one in the
// timeline file (timeline.PutHead). At start, Open checks the tail of the
// log since the last checkpoint and refuses to start (ErrAltered) on a
// mismatch (The start check).
//
// # The start check
//
// With s the size of the last stored checkpoint and n the timeline's
// length, Open (serve's start) checks, in this order:
//
//  1. that checkpoint: the log's signature and its origin;
//  2. that the stored tree gives its root at size s: tlog.TreeHash reads
//     about log₂(s) stored hashes, the roots of the complete subtrees
//     along the tree's right edge at size s (the tile roots of the levels
//     above, and the hashes of the partial tiles), and nothing below them;
//  3. that records s to n-1 hash to their stored leaves;
//  4. that each full tile ending after leaf s, at every tile level, has the
//     stored root one level up (timeline.VerifyTree(s)), so that the next
//     checkpoint signs the tail's records as they are.
//
// It reads n - s records and their leaves, about log₂(s) hashes and a few
// tiles: its cost does not grow with the log (BenchmarkStartCheck: 1.1 ms
// for a tail of 2,000 records in a log of 200,000, 1.7 ms in a log of
// 1,000,000). Only constat fsck (Fsck), which reads the whole file,
// checks:
//
//   - the records before s against their leaves: a record changed there,
//     leaf untouched, is served by a started server; an inclusion proof of
//     it fails for whoever checks it, since its bytes no longer hash to the
//     leaf the proof starts from;
//   - the leaves and hashes inside the complete subtrees before s, below
//     the roots step 2 reads: a change there alone breaks the proofs that
//     use it, not the start;
//   - every earlier checkpoint: its signature, origin and root.
//
// timeline.Open, before the start check, walks every page of the bbolt
// file (bbolt's consistency check, which refuses a damaged file rather
// than crash on it later): that walk reads the whole file, about 52 ms at
// 200,000 records and 146 ms at 1,000,000 with a warm page cache, and
// grows with the file (the open-ms of BenchmarkStartCheck).
//
// # Keys
//
// The log's Ed25519 key is created at first start in KeyFile beside the
// timeline, mode 0600, as a note signer key ("PRIVATE+KEY+origin+hash+…").
// Its verifier key, origin+hash+base64, is published at /evidence/key and
// on the methodology page; with it and x/mod's note.Open, anyone checks a
// checkpoint. Keep the file: a new key, or a new origin, is a new log.
//
// # Tiles
//
// The tree and the records are served as C2SP tlog-tiles of height 8 under
// /evidence/: tile/<L>/<N>[.p/<W>] (hashes of tree level 8L) and
// tile/entries/<N>[.p/<W>] (records n·256 onwards, each a big-endian uint16
// length then its canonical bytes), N written in 3-digit elements, all but
// the last prefixed with "x" (TilePath, ParseTilePath). Full tiles never
// change; a partial tile of width W is the first W hashes of its full tile.
//
// # Bundles
//
// A bundle (constat bundle, the "preuve" links of the day and incident
// pages) is one JSON object (RFC 8259, UTF-8) holding the evidence for some
// records, enough to check them offline with nothing but the log's key:
//
//	format      "constat-evidence-bundle/1"
//	key         the log's verifier key, origin+hash+base64 (signed-note)
//	checkpoint  a checkpoint note the log signed (above), whose tree holds
//	            every record below
//	components  the component IDs, from, to (RFC 3339): what was asked,
//	from, to    the measurements of those components with from <= start
//	            < to; absent for a bundle of chosen records
//	records     a list, for each record:
//	  index       its number in the log (its leaf index)
//	  canonical   its canonical bytes, base64: the leaf's bytes (package
//	              timeline documents them byte by byte)
//	  proof       its RFC 6962 inclusion proof in the checkpoint's tree, a
//	              list of base64 hashes as tlog.ProveRecord gives them
//	  kind        "measurement", "incident_event", … (timeline.Kind)
//	  decoded     what its bytes say, as JSON: for a measurement the
//	              probes.Result (component, start, status, steps…)
//	strings     a list, for each string ID the records use:
//	  id          the string ID
//	  index, canonical, proof   as for a record: its definition record
//	  value       the string
//
// # Verifying a bundle
//
// VerifyBundle (constat verify FILE -key VKEY) does, and an independent
// verifier needs only SHA-256, Ed25519 and base64 to do the same:
//
//  1. Check that key is the log's key, obtained elsewhere (its
//     /evidence/key, its methodology page, a witness): the bundle's own
//     key proves nothing by itself.
//  2. Check the checkpoint's signature with the key (signed-note: the
//     signature line whose name and key hash match, Ed25519 over the note
//     text), and parse its three lines: origin (the key's name), size, root.
//  3. For each string and record: its index is below size; its leaf hash is
//     SHA-256(0x00 || canonical); the proof takes it to the root
//     (RFC 6962 section 2.1.1, as tlog.CheckRecord does).
//  4. Decode each record's canonical bytes (package timeline's encoding)
//     with the strings, and compare with decoded.
//
// A record proven so was in the log when the checkpoint was signed, and can
// no longer change without the log's later checkpoints disagreeing with this
// one: keep the bundle, and compare its checkpoint with the log's later
// ones (a consistency proof, /evidence/proof/consistency, or the tiles).
//
// # Witnesses
//
// A witness (package witness, constat witness) is run by someone else, a
// union or a newsroom: it polls /evidence/checkpoint, checks the log's
// signature and a consistency proof from the last checkpoint it stored,
// computed from the tiles, and cosigns it (C2SP tlog-cosignature,
// cosignature/v1: Cosigner, CosignatureVerifier). It serves its latest
// cosigned checkpoint at its /checkpoint, and every one it cosigned at
// its /checkpoints?after= (the shape of /evidence/checkpoints, with the
// cosignature's time). On a fork or a rewrite it keeps
// both signed checkpoints and stops cosigning for good.
//
// serve reads each evidence.witnesses entry (Witnessed) and keeps a
// cosignature only when it signs exactly a checkpoint the log signed
// (same text: origin, size, root). /evidence/checkpoint is the log's
// latest checkpoint with the cosignatures of the witnesses that cosigned
// exactly it, each a further signature line:
//
//	— witness.example.org/w1 base64(key ID || timestamp || signature)
//
// A witness polls on its own schedule, so it often vouches for an earlier
// size than the latest: /methode says which size each vouches for, and
// when. A record inside a checkpoint a witness cosigned at time T was in
// the log no later than T, by that witness's clock (Witnessed.RecordedBy,
// shown on the incident page). Cosignatures are kept in WitnessedFile
// beside the timeline, the first of each size from each witness.
//
// # Caveats
//
// A witness vouches for consistency from the first checkpoint it saw:
// what the log held before, it takes as given. Bundles carry the log's
// checkpoint without cosignatures; check them against a witness's
// checkpoint of a size at least theirs with a consistency proof.
//
// A string's ID is the rank of its definition among the log's string
// definitions: the bundle proves the definition is in the log, not its
// rank, which the entry bundles (tile/entries) show to whoever reads the
// log from its start.
//
// The start check reads only the tail since the last checkpoint: a record
// before it changed together with nothing else is found by constat fsck
// (Fsck), which reads every record (The start check). Whoever holds the key can
// sign a second, different history: only witnesses that remember what they
// cosigned, and readers who compare checkpoints, catch that.
package evidence
