package calendar

import (
	"fmt"
	"time"
)

// Date is a civil date with no time of day and no zone. Deadlines are
// counted in whole days, and doing that arithmetic on time.Time invites
// off-by-one-hour errors around daylight-saving changes.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

const dateLayout = "2006-01-02"

// ParseDate parses a date written as YYYY-MM-DD, rejecting days that do not
// exist (2026-02-30).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf returns the date of t in t's own location; convert t with In first
// to get the date somewhere else.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// IsZero reports whether d is the zero Date, which is not a real day.
func (d Date) IsZero() bool { return d == Date{} }

// In returns the first instant of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// utc is the arithmetic form: UTC has no daylight saving, so every day is
// exactly 24 hours long.
func (d Date) utc() time.Time { return d.In(time.UTC) }

// AddDays returns the date n days after d (before it when n is negative).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// AddMonths returns the same day of the month n months later, or that
// month's last day when it is shorter (PRC Civil Code art. 202:
// 2026-01-31 plus one month is 2026-02-28). time.AddDate would overflow into
// March instead.
func (d Date) AddMonths(n int) Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return Date{first.Year(), first.Month(), min(d.Day, last)}
}

// Sub returns the number of days from e to d: positive when d is later.
func (d Date) Sub(e Date) int {
	// Unix seconds rather than Duration, which overflows past 292 years.
	return int((d.utc().Unix() - e.utc().Unix()) / (24 * 60 * 60))
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int { return d.utc().Compare(e.utc()) }

func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// MarshalText writes YYYY-MM-DD, so JSON and YAML carry the same spelling
// people type in config.
// MarshalText writes YYYY-MM-DD; the zero Date, which is no day, is empty
// so that it survives a round trip through JSON.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return nil, nil
	}
	return []byte(d.String()), nil
}

func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
