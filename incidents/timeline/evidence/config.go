package evidence

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/constat-ent/constat/probes"
)

// Settings is the configuration file's "evidence" section.
//
//	evidence:
//	  origin: constat.example.org/constat   # default: site.public_url's host + "/constat"
//	  checkpoint_interval: 1m                # least time between two checkpoints
//	  witnesses:                             # cosigners (C2SP tlog-cosignature)
//	    - url: https://witness.example.org/checkpoint
//	      key: witness.example.org+1a2b3c4d+BNWs…
type Settings struct {
	// Origin is the first line of every checkpoint and the name of the
	// log's key; "" for the default (OriginFor). Changing it makes another
	// log.
	Origin string
	// CheckpointInterval is the least time between two signed checkpoints
	// (default 1m); one is signed only when the tree grew.
	CheckpointInterval time.Duration
	// Witnesses cosign the log's checkpoints (package witness); serve
	// reads their cosignatures through Witnessed.
	Witnesses []Witness
}

// Witness names one witness: where it serves its latest cosigned
// checkpoint and its verifier key.
type Witness struct {
	URL string // http(s) URL of the witness's checkpoint
	Key string // its note verifier key, name+hash+base64, of type 0x04 (cosignature/v1) or 0x01 (Ed25519)
}

// DefaultCheckpointInterval is Settings.CheckpointInterval when the file
// sets none.
const DefaultCheckpointInterval = time.Minute

// OriginFor returns the log's origin: Origin if set, else the host of the
// site's public URL followed by "/constat", else "constat.localhost".
func (s Settings) OriginFor(publicURL *url.URL) string {
	switch {
	case s.Origin != "":
		return s.Origin
	case publicURL != nil:
		return publicURL.Host + "/constat"
	}
	return "constat.localhost"
}

// Section returns the "evidence" section for probes.LoadConfig, which fills
// s when the file is valid.
func (s *Settings) Section() probes.Section {
	var raw struct {
		Origin             *string `yaml:"origin"`
		CheckpointInterval *string `yaml:"checkpoint_interval"`
		Witnesses          []struct {
			URL string `yaml:"url"`
			Key string `yaml:"key"`
		} `yaml:"witnesses"`
	}
	return probes.Section{Key: "evidence", Raw: &raw, Compile: func(sl *probes.SectionLoader) {
		*s = Settings{CheckpointInterval: DefaultCheckpointInterval}
		if raw.Origin != nil {
			if err := checkOrigin(*raw.Origin); err != nil {
				sl.Errorf("origin", "%v", err)
			} else {
				s.Origin = *raw.Origin
			}
		}
		switch d := sl.Duration("checkpoint_interval", raw.CheckpointInterval); {
		case d == 0:
		case d < time.Second:
			sl.Errorf("checkpoint_interval", "checkpoint_interval %s is below 1s", d)
		default:
			s.CheckpointInterval = d
		}
		for i, w := range raw.Witnesses {
			key := fmt.Sprintf("witnesses[%d]", i)
			u := sl.URL(key+".url", w.URL)
			if err := checkVerifierKey(w.Key); err != nil {
				sl.Errorf(key+".key", "%v", err)
			} else if u != nil {
				s.Witnesses = append(s.Witnesses, Witness{URL: u.String(), Key: w.Key})
			}
		}
	}}
}

// checkOrigin applies C2SP tlog-checkpoint's advice: a non-empty line with
// neither spaces nor "+", which the origin also is as a key name.
func checkOrigin(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty origin")
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '+' || !unicode.IsPrint(r) }):
		return fmt.Errorf("origin %q has a space, a \"+\" or a control character", s)
	}
	return nil
}

// checkVerifierKey checks the shape of a note verifier key,
// name+hash+base64(type || public key), for an Ed25519 key (type 0x01) or
// an Ed25519 cosignature key (type 0x04).
func checkVerifierKey(s string) error {
	name, rest, ok1 := strings.Cut(s, "+")
	hash, key, ok2 := strings.Cut(rest, "+")
	raw, err := base64.StdEncoding.DecodeString(key)
	switch {
	case !ok1 || !ok2 || checkOrigin(name) != nil || len(hash) != 8:
		return fmt.Errorf("key %q is not a verifier key name+hash+base64", s)
	case err != nil || len(raw) != 33 || (raw[0] != 0x01 && raw[0] != 0x04):
		return fmt.Errorf("key %q is not an Ed25519 verifier key (type 0x01 or 0x04)", s)
	}
	return nil
}
