package timeline

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/probes"
)

var t0 = time.Date(2026, 3, 30, 7, 0, 0, 123_456_789, time.FixedZone("CEST", 2*3600))

func okStep(url string) probes.StepResult {
	return probes.StepResult{
		URL: url, Outcome: probes.OK, StatusCode: 200,
		Phases: probes.Phases{DNS: 1234567, Connect: 12 * time.Millisecond, TLS: 25*time.Millisecond + 999,
			TTFB: 180 * time.Millisecond, Transfer: 40 * time.Millisecond},
		Duration: 258*time.Millisecond + 1500, Addresses: []string{"185.33.48.10"}, BytesRead: 51234,
		TLSVersion: 0x0304, CertExpiry: t0.Add(60*24*time.Hour + 300*time.Millisecond), Redirects: 1,
	}
}

// roundTripCases are results every field of which must come back.
func roundTripCases() []struct {
	name string
	r    probes.Result
} {
	type tc = struct {
		name string
		r    probes.Result
	}
	cases := []tc{
		{"ok", probes.Result{Component: "monlycee-net", Start: t0, Status: probes.Operational,
			Steps: []probes.StepResult{okStep("https://monlycee.net/")}}},
		{"zero steps", probes.Result{Component: "ent-hdf", Start: t0, Status: probes.StatusUnknown}},
		{"plain http, no addresses", probes.Result{Component: "c", Start: t0, Status: probes.MajorOutage,
			Steps: []probes.StepResult{{URL: "http://x/", Outcome: probes.DNSError, Detail: "not_found"}}}},
		{"many addresses", probes.Result{Component: "c", Start: t0, Status: probes.Operational,
			Steps: []probes.StepResult{func() probes.StepResult {
				s := okStep("https://a/")
				s.Addresses = []string{"10.0.0.1", "10.0.0.2", "2001:db8::1", "2001:db8::2", "192.0.2.255"}
				return s
			}()}}},
		{"tls, expiry before start", probes.Result{Component: "c", Start: t0, Status: probes.MajorOutage,
			Steps: []probes.StepResult{func() probes.StepResult {
				s := okStep("https://a/")
				s.Outcome, s.Detail, s.StatusCode, s.TLSVersion = probes.TLSError, "expired", 0, 0x0303
				s.CertExpiry = t0.Add(-3 * 24 * time.Hour)
				return s
			}()}}},
		{"two steps, empty url", probes.Result{Component: "c", Start: t0, Status: probes.PartialOutage,
			Steps: []probes.StepResult{okStep("https://a/"), {Outcome: probes.ContentMissing, Detail: "Se connecter"}}}},
		{"before 1970", probes.Result{Component: "c", Start: time.Date(1969, 12, 31, 23, 59, 59, 999_500_000, time.UTC),
			Status: probes.Operational, Steps: []probes.StepResult{okStep("https://a/")}}},
		{"extremes", probes.Result{Component: strings.Repeat("x", MaxStringLen), Start: time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC),
			Status: probes.UnderMaintenance, Steps: []probes.StepResult{{Outcome: probes.ConnectionReset, StatusCode: 999,
				Duration: 1<<63 - 1, BytesRead: 1<<63 - 1, TLSVersion: 0xffff, Redirects: 1<<31 - 1,
				CertExpiry: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)}}}},
	}
	for o := probes.OK; o.Valid(); o++ {
		s := okStep("https://a/")
		s.Outcome, s.Detail = o, "detail of "+o.String()
		cases = append(cases, tc{"outcome " + o.String(), probes.Result{Component: "c", Start: t0, Status: probes.MajorOutage,
			Steps: []probes.StepResult{s}}})
	}
	return cases
}

func TestEncodeMeasurementRoundTrip(t *testing.T) {
	for _, tt := range roundTripCases() {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTable()
			b, err := EncodeMeasurement(nil, &tt.r, tb.intern)
			if err != nil {
				t.Fatalf("EncodeMeasurement(%s) = %v", tt.name, err)
			}
			got, err := DecodeMeasurement(b, tb.str)
			if err != nil {
				t.Fatalf("DecodeMeasurement(%x) = %v", b, err)
			}
			if want := stored(tt.r); !reflect.DeepEqual(got, want) {
				t.Errorf("DecodeMeasurement(EncodeMeasurement(r)) =\n%+v\nwant\n%+v", got, want)
			}
			again, err := EncodeMeasurement(nil, &got, tb.intern)
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("EncodeMeasurement(decoded) = %x, %v, want %x", again, err, b)
			}
		})
	}
}

func TestEncodeMeasurementInvalid(t *testing.T) {
	valid := func(mod func(*probes.Result)) probes.Result {
		r := probes.Result{Component: "c", Start: t0, Status: probes.Operational, Steps: []probes.StepResult{okStep("u")}}
		mod(&r)
		return r
	}
	tests := []struct {
		name string
		r    probes.Result
	}{
		{"empty component", valid(func(r *probes.Result) { r.Component = "" })},
		{"start year 10000", valid(func(r *probes.Result) { r.Start = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) })},
		{"status 6", valid(func(r *probes.Result) { r.Status = 6 })},
		{"outcome unknown", valid(func(r *probes.Result) { r.Steps[0].Outcome = probes.OutcomeUnknown })},
		{"outcome 14", valid(func(r *probes.Result) { r.Steps[0].Outcome = 14 })},
		{"negative duration", valid(func(r *probes.Result) { r.Steps[0].Duration = -1 })},
		{"negative phase", valid(func(r *probes.Result) { r.Steps[0].Phases.TTFB = -time.Second })},
		{"negative bytes", valid(func(r *probes.Result) { r.Steps[0].BytesRead = -1 })},
		{"negative redirects", valid(func(r *probes.Result) { r.Steps[0].Redirects = -1 })},
		{"status code 1000", valid(func(r *probes.Result) { r.Steps[0].StatusCode = 1000 })},
		{"address with comma", valid(func(r *probes.Result) { r.Steps[0].Addresses = []string{"a,b"} })},
		{"empty address", valid(func(r *probes.Result) { r.Steps[0].Addresses = []string{"a", ""} })},
		{"long detail", valid(func(r *probes.Result) { r.Steps[0].Detail = strings.Repeat("d", MaxStringLen+1) })},
		{"too many steps", valid(func(r *probes.Result) { r.Steps = make([]probes.StepResult, MaxSteps+1) })},
		{"cert in year 1's first second", valid(func(r *probes.Result) {
			r.Steps[0].CertExpiry = time.Date(1, 1, 1, 0, 0, 0, 5, time.UTC)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("prefix")
			got, err := EncodeMeasurement(dst, &tt.r, newTable().intern)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("EncodeMeasurement(%s) error = %v, want ErrInvalid", tt.name, err)
			}
			if string(got) != "prefix" {
				t.Errorf("EncodeMeasurement(%s) = %q, want dst unchanged", tt.name, got)
			}
		})
	}
}

// hexRecord joins hex fields, spaces allowed.
func hexRecord(t *testing.T, fields ...string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(strings.Join(fields, ""), " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeMeasurementRejects(t *testing.T) {
	tb := newTable("comp", "https://a/", "1.2.3.4,,5.6.7.8", "1.2.3.4")
	start := hex.EncodeToString(binary.AppendVarint(nil, t0.UnixMilli()))
	head := "01 02 01" + start + "01"
	step := func(outcome, code, addrs, cert string) string {
		return "02" + outcome + "00" + code + "00 00 00 00 00" + "00" + addrs + "00 00" + cert + "00"
	}
	okStep := step("01", "c801", "04", "00")
	if _, err := DecodeMeasurement(hexRecord(t, head, "01", okStep), tb.str); err != nil {
		t.Fatalf("DecodeMeasurement(valid) = %v", err)
	}
	minSec := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	zeroCert := hex.EncodeToString(binary.AppendUvarint(nil, 1+zigzag(minSec-t0.Unix())))
	tests := []struct {
		name   string
		fields []string
	}{
		{"empty", nil},
		{"version 0", []string{"00 02 01", start, "01 00"}},
		{"version 2", []string{"02 02 01", start, "01 00"}},
		{"kind string", []string{"01 01 01", start, "01 00"}},
		{"kind 3", []string{"01 03 01", start, "01 00"}},
		{"trailing byte", []string{head, "00", "00"}},
		{"truncated", []string{head, "01", okStep[:len(okStep)-2]}},
		{"non-minimal component", []string{"01 02 81 00", start, "01 00"}},
		{"non-minimal step count", []string{head, "80 00"}},
		{"non-minimal status code", []string{head, "01", step("01", "c8 81 00", "04", "00")}},
		{"varint over 64 bits", []string{head, "ff ff ff ff ff ff ff ff ff 7f"}},
		{"component 0", []string{"01 02 00", start, "01 00"}},
		{"undefined string", []string{"01 02 09", start, "01 00"}},
		{"status 6", []string{"01 02 01", start, "06 00"}},
		{"start year 10000", []string{"01 02 01", hex.EncodeToString(binary.AppendVarint(nil, maxMillis+1)), "01 00"}},
		{"65 steps", []string{head, "41"}},
		{"outcome 0", []string{head, "01", step("00", "c801", "04", "00")}},
		{"outcome 14", []string{head, "01", step("0e", "c801", "04", "00")}},
		{"status code 1000", []string{head, "01", step("01", "e807", "04", "00")}},
		{"empty address", []string{head, "01", step("01", "c801", "03", "00")}},
		{"cert at the zero time", []string{head, "01", step("01", "c801", "04", zeroCert)}},
		{"cert overflow", []string{head, "01", step("01", "c801", "04", "ff ff ff ff ff ff ff ff ff 01")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := hexRecord(t, tt.fields...)
			if r, err := DecodeMeasurement(b, tb.str); !errors.Is(err, ErrCorrupt) {
				t.Errorf("DecodeMeasurement(%x) = %+v, %v, want ErrCorrupt", b, r, err)
			}
		})
	}
}

func TestStringRecord(t *testing.T) {
	for _, s := range []string{"a", "monlycee-net", "é", strings.Repeat("z", MaxStringLen)} {
		b, err := EncodeString(nil, s)
		if err != nil {
			t.Fatalf("EncodeString(%.20q) = %v", s, err)
		}
		if got, err := DecodeString(b); got != s || err != nil {
			t.Errorf("DecodeString(EncodeString(%.20q)) = %.20q, %v", s, got, err)
		}
	}
	for _, s := range []string{"", strings.Repeat("z", MaxStringLen+1)} {
		if _, err := EncodeString(nil, s); !errors.Is(err, ErrInvalid) {
			t.Errorf("EncodeString(%d bytes) error = %v, want ErrInvalid", len(s), err)
		}
	}
	for _, in := range []string{"", "01", "0101", "010100", "01 01 01", "01 01 02 61", "01 01 01 61 62",
		"01 01 81 00 61", "02 01 01 61", "01 02 01 61", "01 01 808004" + strings.Repeat("61", 65536)} {
		b := hexRecord(t, in)
		if s, err := DecodeString(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeString(%.20x) = %.20q, %v, want ErrCorrupt", b, s, err)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindString: "string", KindMeasurement: "measurement", 9: "kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(k), got, want)
		}
	}
}

// FuzzDecodeMeasurement checks that the decoder never panics and that what
// it accepts is canonical: encoding it again gives the same bytes.
func FuzzDecodeMeasurement(f *testing.F) {
	tb := newTable("comp", "https://a/", "1.2.3.4,5.6.7.8", "1.2.3.4", "502", ",", "a,", "x")
	for _, tt := range roundTripCases() {
		b, err := EncodeMeasurement(nil, &tt.r, tb.intern)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	g := newGen(1, 5)
	for i := range 20 {
		r := g.result(i)
		b, err := EncodeMeasurement(nil, &r, tb.intern)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeMeasurement(b, tb.str)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodeMeasurement(%x) error = %v, want ErrCorrupt", b, err)
			}
			return
		}
		again, err := EncodeMeasurement(nil, &r, func(s string) uint64 {
			id, ok := tb.ids[s]
			if !ok {
				t.Fatalf("EncodeMeasurement(decoded %x) interns %q, not in the table", b, s)
			}
			return id
		})
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("EncodeMeasurement(DecodeMeasurement(%x)) = %x, %v", b, again, err)
		}
	})
}
