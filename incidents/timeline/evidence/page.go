package evidence

import "strconv"

// MaxCheckpointsPage is how many checkpoints one CheckpointsPage holds.
const MaxCheckpointsPage = 100

// CheckpointsPage is the JSON answer of the log's
// /evidence/checkpoints?after= and of a witness's /checkpoints?after=:
// up to MaxCheckpointsPage signed checkpoints of size above after, in size
// order; Next is the after of the following page, absent on the last.
type CheckpointsPage struct {
	Checkpoints []CheckpointEntry `json:"checkpoints"`
	Next        *uint64           `json:"next,omitempty"`
}

// CheckpointEntry is one checkpoint of a CheckpointsPage: its tree size and
// its signed note as served. Time is given by a witness: when it cosigned
// the note (RFC 3339); the log leaves it out.
type CheckpointEntry struct {
	Size uint64 `json:"size"`
	Note string `json:"note"`
	Time string `json:"time,omitempty"`
}

// ParseIndex parses a record index or tree size as the evidence endpoints
// take it: decimal digits, no sign, no leading zeros, below 2^63 (tlog's
// int64).
func ParseIndex(s string) (uint64, bool) {
	v, err := strconv.ParseUint(s, 10, 63)
	return v, err == nil && strconv.FormatUint(v, 10) == s
}
