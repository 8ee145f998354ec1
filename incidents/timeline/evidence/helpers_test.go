package evidence

import (
	"encoding/binary"
	"strconv"
)

func seqKeyOf(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
