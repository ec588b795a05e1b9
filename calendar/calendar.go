// Package calendar says which days are working days. Deadlines in privacy
// law are counted in days, and whether a day counts depends on the official
// holiday calendar of the place, which changes every year by government
// notice; so calendars are data, versioned and bounded to the years they
// actually know about.
package calendar

import (
	"errors"
	"fmt"
	"strings"
	"sync"
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

	// rules, when set, computes the holidays of any year; holidays and
	// workdays then hold the operator's one-off additions and removals.
	rules *rules
	// ruleYears caches rules.observed by year: map[int]map[Date]string.
	ruleYears *sync.Map
}

// IsRules reports whether c computes its holidays from rules, for every
// year, rather than listing them.
func (c *Calendar) IsRules() bool { return c.rules != nil }

func (c *Calendar) ruleHolidays(y int) map[Date]string {
	if v, ok := c.ruleYears.Load(y); ok {
		return v.(map[Date]string)
	}
	v, _ := c.ruleYears.LoadOrStore(y, c.rules.observed(y, c.weekend))
	return v.(map[Date]string)
}

// Pin returns a spec from which New builds a calendar that answers exactly
// as c does for every day from first to last. A case records it in its
// history at opening, so a calendar edited or removed later never moves a
// running case's dates. Data calendars return their whole spec: it is
// small and already bounded.
//
// Rule calendars are materialised instead: the holidays (substitute days
// and one-off days included) of the years first..last become an explicit
// list, so that upgrading the holiday library while a case runs cannot
// move its dates. The version names the library and the local additions.
func (c *Calendar) Pin(first, last Date) (Spec, error) {
	if c.rules == nil {
		return c.spec, nil
	}
	if last.Before(first) {
		return Spec{}, fmt.Errorf("pin calendar %s: %s is before %s", c.ID, last, first)
	}
	s := Spec{
		ID: c.ID, Description: c.Description, Version: c.Version,
		Sources: c.Sources, TimeZone: c.Location.String(), Weekend: c.weekendNames(),
		FirstYear: first.Year, LastYear: last.Year,
	}
	for y := first.Year; y <= last.Year; y++ {
		days, err := c.Year(y)
		if err != nil {
			return Spec{}, fmt.Errorf("pin calendar %s: %w", c.ID, err)
		}
		for _, d := range days {
			if d.Working {
				s.WorkingDays = append(s.WorkingDays, d.Date.String())
				continue
			}
			s.Holidays = append(s.Holidays, HolidaySpec{Name: d.Name, From: d.Date.String(), To: d.Date.String()})
		}
	}
	return s, nil
}

func (c *Calendar) weekendNames() []string {
	var names []string
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if c.weekend[wd] {
			names = append(names, strings.ToLower(wd.String()))
		}
	}
	return names
}

// Day is a day that differs from the plain week: a holiday (a rest day,
// named) or a make-up working day on a weekend day.
type Day struct {
	Date    Date   `json:"date"`
	Name    string `json:"name,omitempty"`
	Working bool   `json:"working"`
	// Weekend marks a holiday that falls on a weekend day, a rest day
	// anyway; lists show it so that they match official ones.
	Weekend bool `json:"weekend,omitempty"`
}

// Year lists the holidays and make-up working days of year y, sorted: what
// a DPO compares with the official list. A working_days entry that only
// removes a weekday holiday is not listed: the day is then a plain day.
func (c *Calendar) Year(y int) ([]Day, error) {
	jan1 := Date{y, time.January, 1}
	if !c.Covers(jan1) {
		return nil, &CoverageError{c.ID, jan1, c.FirstYear, c.LastYear}
	}
	var days []Day
	for d := jan1; d.Year == y; d = d.AddDays(1) {
		if c.workdays[d] {
			if c.weekend[d.Weekday()] {
				days = append(days, Day{Date: d, Working: true})
			}
			continue
		}
		if name, ok := c.Holiday(d); ok {
			days = append(days, Day{Date: d, Name: name, Weekend: c.weekend[d.Weekday()]})
		}
	}
	return days, nil
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
	if _, ok := c.Holiday(d); ok {
		return false, nil
	}
	return !c.weekend[d.Weekday()], nil
}

// Holiday returns the name of the public holiday on d, if there is one. A
// day the operator made a working day has none.
func (c *Calendar) Holiday(d Date) (string, bool) {
	if name, ok := c.holidays[d]; ok {
		return name, ok
	}
	if c.rules == nil || c.workdays[d] {
		return "", false
	}
	name, ok := c.ruleHolidays(d.Year)[d]
	return name, ok
}

// Skipped lists the holidays on weekdays after from up to and including
// to: the rest days a deadline moved over that a plain week would not
// explain.
func (c *Calendar) Skipped(from, to Date) []Day {
	var days []Day
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		if c.weekend[d.Weekday()] || c.workdays[d] {
			continue
		}
		if name, ok := c.Holiday(d); ok {
			days = append(days, Day{Date: d, Name: name})
		}
	}
	return days
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
	// holidays is bounded or has rules (which never fill a year with
	// holidays), so the walk reaches a working day or leaves the covered
	// years.
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
