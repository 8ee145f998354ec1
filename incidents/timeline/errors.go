package timeline

import "errors"

// These errors are returned by the Timeline's methods; test them with errors.Is.
var (
	// ErrClosed is returned by Append, AppendAll, AppendRecords and the read
	// methods when the Timeline has been closed.
	ErrClosed = errors.New("timeline closed")

	// ErrNotFound is returned by Get when no record has the sequence number.
	ErrNotFound = errors.New("record not found")

	// ErrInvalid is returned by Append, AppendAll and EncodeMeasurement when a
	// Result cannot be recorded faithfully (see CheckResult for the cases),
	// and by AppendRecords and EncodeEntry when an Entry cannot (see
	// CheckEntry). Nothing of the failed call is recorded.
	ErrInvalid = errors.New("record cannot be stored")

	// ErrCommit is returned by Append, AppendAll and AppendRecords when the
	// file could not be written (a full disk, an I/O error): nothing of the
	// call was recorded, and a later call may succeed. Health says since
	// when commits fail.
	ErrCommit = errors.New("timeline commit failed")

	// ErrVersion is returned by Open when the file was written in a format
	// version this package does not read, or is not a timeline file.
	ErrVersion = errors.New("unsupported timeline format")
)

// These errors mean stored bytes are wrong.
var (
	// ErrCorrupt is returned when bytes do not decode as a canonical record
	// (DecodeMeasurement, DecodeString, DecodeRecord, RecordKind), and by Open
	// and the read methods when the file's records, string table or indexes
	// are inconsistent.
	ErrCorrupt = errors.New("corrupt timeline data")

	// ErrDamaged is returned by Open when the file itself is damaged:
	// empty, cut short, with both headers or a page broken. Open refuses
	// it rather than start a new timeline or crash: restore it from a
	// backup.
	ErrDamaged = errors.New("damaged timeline file")
)
