// Package evidence makes the timeline a transparency log that anyone can
// check without trusting whoever runs Constat: it signs checkpoints of the
// timeline's Merkle tree (package timeline, "The tree") and reads and writes
// the formats outside tools read, those of the Go checksum database and of
// Certificate Transparency's static logs (C2SP tlog-tiles, tlog-checkpoint,
// signed-note).
//
// # Sections
//
// Checkpoints, Keys, Tiles, Caveats.
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
// timeline file (timeline.PutHead). At start, Open checks the stored tree
// against the last checkpoint's root, and every record after it against
// its leaf; it refuses to start (ErrAltered) on a mismatch.
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
// # Caveats
//
// The start check reads only the records after the last checkpoint: a
// record before it changed together with nothing else is found by
// constat fsck (Fsck), which reads every record. Whoever holds the key can
// sign a second, different history: only witnesses that remember what they
// cosigned, and readers who compare checkpoints, catch that.
package evidence
