package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// HashCost is the cost of argon2id: Time passes over MemoryKiB of memory,
// with Threads lanes. Each stored hash records its own cost.
type HashCost struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// DefaultHashCost is the cost used when Options.HashCost is zero:
// RFC 9106's memory of 64 MiB, 2 passes, 2 lanes. It costs about 75 ms on
// the 2-core EPYC of the development machines (1 pass: 34 ms; 3 passes:
// 104 ms; 2 passes on 1 lane: 129 ms).
func DefaultHashCost() HashCost { return HashCost{Time: 2, MemoryKiB: 64 << 10, Threads: 2} }

// phc is a parsed password hash.
type phc struct {
	cost      HashCost
	salt, key []byte
}

func (a *Store) hash(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt) // never fails (crypto/rand since Go 1.24)
	c := a.cost
	a.hashing <- struct{}{}
	key := argon2.IDKey([]byte(password), salt, c.Time, c.MemoryKiB, c.Threads, 32)
	<-a.hashing
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, c.MemoryKiB, c.Time, c.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func (a *Store) verify(h phc, password string) bool {
	a.hashing <- struct{}{}
	key := argon2.IDKey([]byte(password), h.salt, h.cost.Time, h.cost.MemoryKiB, h.cost.Threads, uint32(len(h.key)))
	<-a.hashing
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

// parsePHC parses a hash written by hash. It accepts costs up to 1 GiB and
// 16 passes, so that a damaged file cannot make a login take forever.
func parsePHC(s string) (phc, error) {
	var h phc
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return h, errors.New("password hash: not an argon2id PHC string")
	}
	var m, t, p uint64
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); n != 3 || err != nil ||
		fmt.Sprintf("m=%d,t=%d,p=%d", m, t, p) != parts[3] {
		return h, fmt.Errorf("password hash: parameters %q", parts[3])
	}
	if t < 1 || t > 16 || p < 1 || p > 255 || m < 8*p || m > 1<<20 {
		return h, fmt.Errorf("password hash: parameters %q out of range", parts[3])
	}
	h.cost = HashCost{Time: uint32(t), MemoryKiB: uint32(m), Threads: uint8(p)}
	var err1, err2 error
	h.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	h.key, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(h.salt) < 8 || len(h.key) < 16 || len(h.key) > 64 {
		return h, errors.New("password hash: bad salt or key")
	}
	return h, nil
}
