package timeline_test

import (
	"fmt"
	"time"

	"github.com/constat-ent/constat/incidents/timeline"
	"github.com/constat-ent/constat/probes"
)

// The measurement worked through in the package documentation, and the
// string definition of its component.
func ExampleEncodeMeasurement() {
	ids := map[string]uint64{
		"monlycee-net":            1,
		"https://monlycee.net/":   2,
		"185.33.48.10,2a00:1::10": 3,
	}
	start := time.Date(2026, 3, 30, 7, 0, 0, 123_456_789, time.UTC)
	r := probes.Result{
		Component: "monlycee-net",
		Start:     start,
		Status:    probes.Operational,
		Steps: []probes.StepResult{{
			URL:        "https://monlycee.net/",
			Outcome:    probes.OK,
			StatusCode: 200,
			Phases: probes.Phases{
				DNS:      1500 * time.Microsecond,
				Connect:  12 * time.Millisecond,
				TLS:      25 * time.Millisecond,
				TTFB:     180 * time.Millisecond,
				Transfer: 40 * time.Millisecond,
			},
			Duration:   258500 * time.Microsecond,
			Addresses:  []string{"185.33.48.10", "2a00:1::10"},
			BytesRead:  51234,
			TLSVersion: 0x0304,
			CertExpiry: start.Add(60 * 24 * time.Hour),
			Redirects:  1,
		}},
	}
	b, err := timeline.EncodeMeasurement(nil, &r, func(s string) uint64 { return ids[s] })
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", b)
	fmt.Println(len(b), "bytes")
	s, _ := timeline.EncodeString(nil, "monlycee-net")
	fmt.Printf("% x\n", s)
	// Output:
	// 01 02 01 f6 b7 d6 d8 a7 67 01 01 02 01 00 c8 01 dc 0b e0 5d a8 c3 01 a0 fe 0a c0 b8 02 c4 e3 0f 03 a2 90 03 84 06 81 e8 f8 04 01
	// 43 bytes
	// 01 01 0c 6d 6f 6e 6c 79 63 65 65 2d 6e 65 74
}

// The incident update and its audit record worked through in the package
// documentation: an admin opens a manual incident.
func ExampleEncodeEntry() {
	ids := map[string]uint64{"monlycee-net": 1, "admin@ac-paris.fr": 4, "incident.create": 5, "investigating": 6}
	intern := func(s string) uint64 { return ids[s] }
	at := time.Date(2021, 4, 6, 7, 2, 0, 0, time.UTC)
	u := timeline.Update{
		Status:     1, // incidents.StatusInvestigating: the timeline carries the byte
		Impact:     2, // incidents.ImpactMajor
		Title:      "Connexion impossible",
		Body:       "Nous enquêtons.",
		Components: []timeline.Affected{{Component: "monlycee-net", Status: probes.MajorOutage}},
		Author:     "admin@ac-paris.fr",
		Published:  at,
	}
	b, err := timeline.EncodeEntry(nil, u, intern)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", b)
	fmt.Println(len(b), "bytes")
	a := timeline.Audit{Actor: "admin@ac-paris.fr", Action: "incident.create", Target: 1041, At: at, Detail: "investigating"}
	if b, err = timeline.EncodeEntry(nil, a, intern); err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", b)
	// Output:
	// 01 04 00 00 01 02 14 43 6f 6e 6e 65 78 69 6f 6e 20 69 6d 70 6f 73 73 69 62 6c 65 10 4e 6f 75 73 20 65 6e 71 75 c3 aa 74 6f 6e 73 2e 01 01 04 04 80 b9 e7 df 94 5e
	// 54 bytes
	// 01 07 04 05 91 08 80 b9 e7 df 94 5e 06
}
