package evidence

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// bundleLog opens a log over 200 results of two components and returns
// the bundle of monlycee-net's first hour.
func bundleLog(t *testing.T) (*Log, *Bundle) {
	t.Helper()
	dir := t.TempDir()
	tl := openTimeline(t, dir)
	appendResults(t, tl, 0, 200)
	l, err := Open(tl, testConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.RangeBundle([]string{"monlycee-net"}, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("ComponentBundle() = %v", err)
	}
	return l, b
}

func TestBundleVerifies(t *testing.T) {
	l, b := bundleLog(t)
	if len(b.Records) != 60 || len(b.Strings) != 2 {
		t.Fatalf("bundle of one hour = %d records, %d strings; want 60 (every minute) and 2", len(b.Records), len(b.Strings))
	}
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseBundle(data)
	if err != nil {
		t.Fatalf("ParseBundle(its own) = %v", err)
	}
	cp, err := VerifyBundle(parsed, l.VerifierKey())
	if _, size := l.Checkpoint(); err != nil || cp.Size != size {
		t.Errorf("VerifyBundle() = %+v, %v; want the checkpoint of size %d", cp, err, size)
	}
}

// TestBundleTampered changes a bundle as a forger would and checks that
// VerifyBundle names what is at fault.
func TestBundleTampered(t *testing.T) {
	l, good := bundleLog(t)
	_, other, _ := strings.Cut(l.VerifierKey(), "+")
	tests := []struct {
		name   string
		change func(b *Bundle)
		key    string
		want   string
	}{
		{"a byte of a record", func(b *Bundle) { b.Records[3].Canonical[5] ^= 1 }, "", "record " + itoa(good.Records[3].Index) + ": inclusion proof"},
		{"the decoded form", func(b *Bundle) {
			b.Records[7].Decoded = json.RawMessage(strings.Replace(string(b.Records[7].Decoded), `"Status":"operational"`, `"Status":"major_outage"`, 1))
		}, "", "record " + itoa(good.Records[7].Index) + ": the decoded form"},
		{"a proof hash", func(b *Bundle) { b.Records[0].Proof[0][0] ^= 1 }, "", "record " + itoa(good.Records[0].Index) + ": inclusion proof"},
		{"the index", func(b *Bundle) { b.Records[2].Index++ }, "", "record " + itoa(good.Records[2].Index+1) + ": inclusion proof"},
		{"a string's value", func(b *Bundle) { b.Strings[0].Value = "autre" }, "", "string 1 (record 0): value"},
		{"the checkpoint", func(b *Bundle) { b.Checkpoint = strings.Replace(b.Checkpoint, "\n2", "\n3", 1) }, "", "checkpoint: checkpoint signature"},
		{"another key", func(*Bundle) {}, "x+01234567+" + other, "key: the bundle is signed by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _ := json.Marshal(good)
			b, err := ParseBundle(data)
			if err != nil {
				t.Fatal(err)
			}
			tt.change(b)
			_, err = VerifyBundle(b, tt.key)
			var ve *VerifyError
			if !errors.Is(err, ErrUnproven) || !errors.As(err, &ve) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("VerifyBundle(%s changed) = %v, want %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestParseBundle(t *testing.T) {
	for _, s := range []string{"", "{}", `{"format":"x"}`, `{"format":"constat-evidence-bundle/1","extra":1}`,
		`{"format":"constat-evidence-bundle/1"} {}`, `[]`, `{"format":"constat-evidence-bundle/1","records":[{"canonical":"!"}]}`} {
		if _, err := ParseBundle([]byte(s)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseBundle(%q) = %v, want ErrMalformed", s, err)
		}
	}
}

func FuzzParseBundle(f *testing.F) {
	f.Add([]byte(`{"format":"constat-evidence-bundle/1","key":"k","checkpoint":"c","records":[{"index":1,"canonical":"` +
		base64.StdEncoding.EncodeToString([]byte{1, 2, 1}) + `","proof":[],"kind":"measurement","decoded":{}}],"strings":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data)
		if err != nil {
			return
		}
		// Whatever parses is checked without panicking, and a forged
		// bundle never verifies against a real key.
		if _, err := VerifyBundle(b, ""); err == nil && len(b.Records) > 0 {
			t.Errorf("VerifyBundle(fuzzed %q) = nil", data)
		}
	})
}
