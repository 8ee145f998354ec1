package evidence

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestParseCheckpoint(t *testing.T) {
	const root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
	h, _ := tlog.ParseHash(root)
	good := map[string]Checkpoint{
		"example.com/behind-the-sofa\n20852163\n" + root + "\n": {"example.com/behind-the-sofa", 20852163, h},
		"o\n0\n" + root + "\n": {"o", 0, h},
		"o\n18446744073709551615\n" + root + "\nextension line\n": {"o", 1<<64 - 1, h},
	}
	for text, want := range good {
		got, err := ParseCheckpoint(text)
		if err != nil || got != want {
			t.Errorf("ParseCheckpoint(%q) = %+v, %v; want %+v", text, got, err, want)
		}
	}
	if s := (Checkpoint{"o", 5, h}).String(); s != "o\n5\n"+root+"\n" {
		t.Errorf("String() = %q", s)
	}
	for _, text := range []string{"", "o\n1\n" + root, "o\n1\n", "\n1\n" + root + "\n", "o\n01\n" + root + "\n", "o\n-1\n" + root + "\n",
		"o\n+1\n" + root + "\n", "o\n18446744073709551616\n" + root + "\n", "o\n1\n" + root[:40] + "\n", "o\n1\n" + strings.TrimSuffix(root, "=") + "\n",
		"o\n1\n" + root + "\n\n", "o\n1\n" + root + "\n\nx\n", "o\n 1\n" + root + "\n", "o\n1\nAAAA\n", "o\n1\n" + root + "\r\n"} {
		if _, err := ParseCheckpoint(text); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseCheckpoint(%q) = %v, want ErrMalformed", text, err)
		}
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
	f.Add("o\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next\n")
	f.Fuzz(func(t *testing.T, text string) {
		cp, err := ParseCheckpoint(text)
		if err != nil {
			return
		}
		// What parses starts with its canonical form.
		if s := cp.String(); !strings.HasPrefix(text, s) {
			t.Errorf("ParseCheckpoint(%q) = %+v, whose text %q is not a prefix", text, cp, s)
		}
	})
}
