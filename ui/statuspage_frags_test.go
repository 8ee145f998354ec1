package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/constat-ent/constat/incidents"
	"github.com/constat-ent/constat/probes"
)

// fragComponents is a group of n components as snapshot makes them, at
// snapshot time snap: the even ones never changed (their times are the
// snapshot's), the odd ones changed at their own time.
func fragComponents(n int, snap time.Time) []spComponent {
	gid, desc := "grp", `<b>"ENT" & co</b>` // escaped as encoding/json does
	grp := spComponent{ID: gid, Name: "Académie <1>", Status: "operational", CreatedAt: snap, UpdatedAt: snap, Position: 1,
		PageID: pageID, Group: true, Components: []string{}}
	comps := []spComponent{grp}
	for i := range n {
		since := snap
		if i%2 == 1 {
			since = time.Date(2026, 3, 1, 7, 0, i, 0, time.UTC)
		}
		c := spComponent{ID: fmt.Sprintf("vs-%03d", i), Name: fmt.Sprintf("Collège n° %d", i), Status: "operational",
			CreatedAt: since, UpdatedAt: since, Position: i + 2, PageID: pageID, GroupID: &gid, Showcase: true}
		if i == 3 {
			c.Description = &desc
		}
		comps = append(comps, c)
		comps[0].Components = append(comps[0].Components, c.ID)
	}
	return comps
}

// The list spliced from fragments is json.Marshal's of the components,
// and a change of one component re-encodes that one only, though the
// snapshot time, which never-changed components show, moved on.
func TestFragCacheList(t *testing.T) {
	var fc fragCache
	check := func(step string, comps []spComponent, snap time.Time, encoded int) {
		t.Helper()
		got, err := fc.list(comps, snap)
		if err != nil {
			t.Fatalf("%s: list: %v", step, err)
		}
		want, err := json.Marshal(comps)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: list =\n%s\nwant json.Marshal's\n%s", step, got, want)
		}
		if fc.encoded != encoded || fc.encoded+fc.reused != len(comps) {
			t.Errorf("%s: %d fragments encoded, %d reused; want %d encoded of %d", step, fc.encoded, fc.reused, encoded, len(comps))
		}
	}
	snap1 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	check("first", fragComponents(20, snap1), snap1, 21)
	check("same", fragComponents(20, snap1), snap1, 0)

	snap2 := snap1.Add(7 * time.Second)
	comps := fragComponents(20, snap2)
	check("snapshot time moved", comps, snap2, 0)

	snap3 := snap2.Add(time.Minute)
	comps = fragComponents(20, snap3)
	comps[6].Status, comps[6].CreatedAt, comps[6].UpdatedAt = "major_outage", snap2, snap2 // changed at snap2
	comps[0].Status = "major_outage"
	check("one changed", comps, snap3, 2)

	// vs-005 changes at the snapshot time, then keeps that time as its own.
	snap4 := snap3.Add(time.Second)
	comps = fragComponents(20, snap4)
	comps[6].Status, comps[6].CreatedAt, comps[6].UpdatedAt = "major_outage", snap4, snap4
	check("changed at snapshot time", comps, snap4, 2) // vs-005, and the group back to operational
	comps = fragComponents(20, snap4.Add(time.Second))
	comps[6].Status, comps[6].CreatedAt, comps[6].UpdatedAt = "major_outage", snap4, snap4
	check("snapshot time left it", comps, snap4.Add(time.Second), 1)

	check("fewer components", fragComponents(5, snap4), snap4, 6)
	check("none", []spComponent{}, snap4, 0)
	if got, err := fc.list(nil, snap4); err != nil || string(got) != "null" {
		t.Errorf("list(nil) = %s, %v; want null as json.Marshal", got, err)
	}
}

// sameComponent compares every field of spComponent: a field added to it
// and not compared would let a changed component keep its old JSON.
func TestSameComponentFields(t *testing.T) {
	snap := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	base := fragComponents(4, snap)[4] // vs-003: a description, times of its own
	typ := reflect.TypeFor[spComponent]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			changed := base
			v := reflect.ValueOf(&changed).Elem().Field(i)
			switch f.Type.Kind() {
			case reflect.String:
				v.SetString(v.String() + "x")
			case reflect.Int:
				v.SetInt(v.Int() + 1)
			case reflect.Bool:
				v.SetBool(!v.Bool())
			case reflect.Pointer: // *string: another value, then none
				other := "autre"
				v.Set(reflect.ValueOf(&other))
				if sameComponent(base, snap, changed, snap) {
					t.Errorf("sameComponent ignores %s changed to %q", f.Name, other)
				}
				v.SetZero()
				if reflect.ValueOf(base).Field(i).IsNil() {
					v.Set(reflect.ValueOf(&other))
				}
			case reflect.Slice:
				v.Set(reflect.ValueOf([]string{"vs-001"}))
			case reflect.Struct: // time.Time
				v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Second)))
			default:
				t.Fatalf("field %s of kind %s: teach this test and sameComponent to compare it", f.Name, f.Type.Kind())
			}
			if sameComponent(base, snap, changed, snap) {
				t.Errorf("sameComponent ignores a change of %s", f.Name)
			}
		})
	}
	if !sameComponent(base, snap, base, snap.Add(time.Hour)) {
		t.Error("sameComponent: a component with its own times differs when only the snapshot time moved")
	}
}

// Served: after a change of one component's state, summary.json stays
// encoding/json's bytes and only that component and its group are
// encoded again.
func TestStatuspageEncodesChangedComponents(t *testing.T) {
	now := time.Now()
	var yaml strings.Builder
	yaml.WriteString(testConfig)
	for i := range 30 {
		fmt.Fprintf(&yaml, "      - {id: vs-%02d, name: Vie scolaire <%d>, steps: [url: 'https://vs-%02d.test/']}\n", i, i, i)
	}
	s, svc, _ := newPublicServerWith(t, now, yaml.String())
	get := func(step string) {
		t.Helper()
		w := serveReq(s, http.MethodGet, "/api/v2/summary.json", nil)
		s.pub.mu.Lock()
		snap := s.pub.snap
		s.pub.mu.Unlock()
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(snap.summary()); err != nil {
			t.Fatal(err)
		}
		if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), want.Bytes()) {
			t.Fatalf("%s: GET summary.json = %d\n%s\nwant encoding/json's\n%s", step, w.Code, w.Body, want.Bytes())
		}
	}
	get("first")
	if n := s.pub.frags.encoded; n != 33 {
		t.Fatalf("first summary: %d components encoded, want the 33 (1 group, 32 components)", n)
	}
	for i, ok := range []bool{true, false, false, false} {
		r := quotaRound(0, ok)
		r.Start = now.Add(time.Duration(i-5) * time.Minute)
		if _, err := svc.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	get("after monlycee failed")
	if c := s.pub.snap.components[1]; c.ID != "monlycee" || c.Status != "major_outage" {
		t.Fatalf("after the failures: %s is %s, want monlycee in major_outage", c.ID, c.Status)
	}
	if n := s.pub.frags.encoded; n != 2 {
		t.Errorf("after one change: %d components encoded, want 2 (monlycee and its group)", n)
	}
}

// componentStates finds a state by position when the engine lists them in
// the configuration's order, and by ID when it does not.
func TestComponentStatesOf(t *testing.T) {
	list := []incidents.ComponentState{{ID: "a", Status: probes.MajorOutage}, {ID: "b", Status: probes.PartialOutage}}
	for _, tt := range []struct {
		k        int
		id       string
		want     probes.Status
		byIDMade bool
	}{
		{0, "a", probes.MajorOutage, false},
		{1, "b", probes.PartialOutage, false},
		{0, "b", probes.PartialOutage, true}, // out of order
		{5, "a", probes.MajorOutage, true},   // past the engine's list
		{2, "c", 0, true},                    // unknown to the engine
	} {
		s := componentStates{list: list}
		if got := s.of(tt.k, tt.id); got.Status != tt.want || (s.byID != nil) != tt.byIDMade {
			t.Errorf("of(%d, %q) = %v (map made: %t), want %v (map made: %t)", tt.k, tt.id, got.Status, s.byID != nil, tt.want, tt.byIDMade)
		}
	}
}
