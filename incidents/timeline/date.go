package timeline

import (
	"fmt"
	"time"
	_ "time/tzdata" // Europe/Paris on hosts without a zoneinfo database
)

// Paris is the time zone of days, and of every time a page shows: the
// status page's users are in France. It is loaded once, from the embedded
// database if the host has none.
var Paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("timeline: " + err.Error()) // time/tzdata is linked in
	}
	return loc
}()

// Date is a calendar day in Europe/Paris, the unit of DayRollup.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the day t falls on in Europe/Paris.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Paris).Date()
	return Date{y, m, d}
}

// String returns d as "2021-04-06".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Start returns midnight at the start of d in Europe/Paris. The day lasts
// until d.AddDays(1).Start(): 23 hours on the last Sunday of March, 25 on the
// last Sunday of October.
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Paris) }

// AddDays returns the date n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date { return dateOfNumber(d.number() + int64(n)) }

// Compare returns -1, 0 or +1 as d is before, the same as or after e.
func (d Date) Compare(e Date) int {
	a, b := d.number(), e.number()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// number returns the days from 1970-01-01 to d (negative before it).
// Out-of-range fields are normalised as time.Date does.
func (d Date) number() int64 {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func dateOfNumber(n int64) Date {
	y, m, d := time.Unix(n*86400, 0).UTC().Date()
	return Date{y, m, d}
}
