// Package calendar says which days are working days. Deadlines in privacy
// law are counted in days, and whether a day counts depends on the official
// holiday calendar of the place, which changes every year by government
// notice; so calendars are data, versioned and bounded to the years they
// actually know about.
package calendar

import (
	"errors"
	"fmt"
	"time"
)

// ErrNotCovered is matched (errors.Is) by errors about days outside the years
// a calendar covers. Answering those with a guess would silently produce a
// wrong legal deadline.
var ErrNotCovered = errors.New("date not covered by calendar")

// CoverageError reports a day outside a calendar's years.
type CoverageError struct {
	Calendar  string
	Date      Date
	FirstYear int
	LastYear  int
}

func (e *CoverageError) Error() string {
	return fmt.Sprintf("calendar %s: %s is outside the years it covers (%s): %v",
		e.Calendar, e.Date, years(e.FirstYear, e.LastYear), ErrNotCovered)
}

func (e *CoverageError) Unwrap() error { return ErrNotCovered }

func years(first, last int) string {
	switch {
	case first == 0 && last == 0:
		return "all"
	case first == 0:
		return fmt.Sprintf("up to %d", last)
	case last == 0:
		return fmt.Sprintf("from %d", first)
	}
	return fmt.Sprintf("%d-%d", first, last)
}

// Calendar knows the working days of one place over a range of years.
type Calendar struct {
	ID          string
	Description string
	// Version changes whenever the data does, so a stored deadline can say
	// which edition of the calendar produced it.
	Version  string
	Sources  []string
	Location *time.Location
	// FirstYear and LastYear bound the years the data is known for; 0 leaves
	// that side unbounded.
	FirstYear int
	LastYear  int

	weekend  [7]bool
	holidays map[Date]string
	workdays map[Date]bool
	// spec is what the calendar was built from; Pin hands it to a case.
	spec Spec
}

// Pin returns a spec from which New builds a calendar that answers exactly
// as c does for every day from first to last. A case records it in its
// history at opening, so a calendar edited or removed later never moves a
// running case's dates. Data calendars return their whole spec: it is
// small and already bounded.
func (c *Calendar) Pin(first, last Date) (Spec, error) {
	_, _ = first, last
	return c.spec, nil
}

// Covers reports whether the calendar has data for d.
func (c *Calendar) Covers(d Date) bool {
	return (c.FirstYear == 0 || d.Year >= c.FirstYear) &&
		(c.LastYear == 0 || d.Year <= c.LastYear)
}

// IsWorkingDay reports whether d is a working day: a weekday that is not a
// public holiday, or a weekend day made into a working day (调休).
func (c *Calendar) IsWorkingDay(d Date) (bool, error) {
	if !c.Covers(d) {
		return false, &CoverageError{c.ID, d, c.FirstYear, c.LastYear}
	}
	if c.workdays[d] {
		return true, nil
	}
	if _, ok := c.holidays[d]; ok {
		return false, nil
	}
	return !c.weekend[d.Weekday()], nil
}

// Holiday returns the name of the public holiday on d, if there is one.
func (c *Calendar) Holiday(d Date) (string, bool) {
	name, ok := c.holidays[d]
	return name, ok
}

// NextWorkingDay returns the first working day after d.
func (c *Calendar) NextWorkingDay(d Date) (Date, error) {
	return c.AddWorkingDays(d, 1)
}

// AddWorkingDays returns the n-th working day after d, d itself not counted,
// or the n-th working day before d when n is negative. n == 0 returns d.
func (c *Calendar) AddWorkingDays(d Date, n int) (Date, error) {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	// Termination: New refuses a seven-day weekend, and a calendar with
	// holidays is bounded, so the walk reaches a working day or leaves the
	// covered years.
	for n > 0 {
		d = d.AddDays(step)
		ok, err := c.IsWorkingDay(d)
		if err != nil {
			return Date{}, err
		}
		if ok {
			n--
		}
	}
	return d, nil
}
