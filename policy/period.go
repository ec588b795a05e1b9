package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// Unit is what a period counts.
type Unit string

const (
	CalendarDays Unit = "d"
	WorkingDays  Unit = "wd"
	Months       Unit = "m"
)

// maxAmount bounds periods: no legal period comes near it, and day-by-day
// counting of working days stays cheap.
const maxAmount = 9999

// Period is a length of time as the law states it: 15d, 15wd, 1m.
// The zero Period means "none".
type Period struct {
	Amount int
	Unit   Unit
}

// ParsePeriod parses "15d", "15wd" or "1m". The amount must be positive;
// "none" is written as an empty field, not as 0d.
func ParsePeriod(s string) (Period, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return Period{}, fmt.Errorf("period %q: want a number and a unit (d, wd or m), like 15d", s)
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n < 1 || n > maxAmount {
		return Period{}, fmt.Errorf("period %q: amount must be between 1 and %d", s, maxAmount)
	}
	u := Unit(s[i:])
	switch u {
	case CalendarDays, WorkingDays, Months:
	default:
		return Period{}, fmt.Errorf("period %q: unknown unit %q (want d, wd or m)", s, u)
	}
	return Period{n, u}, nil
}

// parseOptional parses a period that may be left out.
func parseOptional(s string) (Period, error) {
	if s == "" {
		return Period{}, nil
	}
	return ParsePeriod(s)
}

func (p Period) IsZero() bool { return p == Period{} }

func (p Period) String() string {
	if p.IsZero() {
		return ""
	}
	return strconv.Itoa(p.Amount) + string(p.Unit)
}

// Describe spells the period out for people: "15 working days".
func (p Period) Describe() string {
	var one, many string
	switch p.Unit {
	case CalendarDays:
		one, many = "calendar day", "calendar days"
	case WorkingDays:
		one, many = "working day", "working days"
	case Months:
		one, many = "month", "months"
	default:
		return "none"
	}
	if p.Amount == 1 {
		return "1 " + one
	}
	return strconv.Itoa(p.Amount) + " " + many
}

// MarshalText writes the period as in config, "15d", so JSON and YAML
// round-trip.
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

func (p *Period) UnmarshalText(b []byte) error {
	v, err := parseOptional(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
