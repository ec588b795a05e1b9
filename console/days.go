package console

import (
	"strconv"
	"time"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/policy"
)

// dueSoon is how close a deadline is highlighted, in the policy's units.
const dueSoon = 5

// daysLeft is how long a case has until its due date, counted as its
// policy counts: working days on the policy's calendar when the deadline
// is in working days, else calendar days.
type daysLeft struct {
	Known   bool
	N       int // negative when overdue
	Working bool
}

// Class is the queue row's highlight.
func (d daysLeft) Class() string {
	switch {
	case !d.Known:
		return ""
	case d.N < 0:
		return "overdue"
	case d.N <= dueSoon:
		return "soon"
	}
	return ""
}

// Label is "3 working days", "-2 days" and so on, in l.
func (d daysLeft) Label(l Lang) string {
	if !d.Known {
		return l.T("days.none")
	}
	unit := l.T("days.calendar")
	if d.Working {
		unit = l.T("days.working")
	}
	sep := " "
	if l == Chinese {
		sep = ""
	}
	return strconv.Itoa(d.N) + sep + unit
}

// countDaysLeft counts from today (in the policy's zone) to due. The policy
// registry is the API's own; the console reads its calendars, never cases.
func countDaysLeft(reg *policy.Registry, policyID, due string, now time.Time) daysLeft {
	dueDate, err := calendar.ParseDate(due)
	if err != nil {
		return daysLeft{}
	}
	loc := time.UTC
	var p *policy.Policy
	if reg != nil {
		p, _ = reg.Get(policyID)
	}
	if p != nil && p.Location != nil {
		loc = p.Location
	}
	today := calendar.DateOf(now.In(loc))
	calendarDays := daysLeft{Known: true, N: dueDate.Sub(today)}
	if p == nil || p.Deadline.Unit != policy.WorkingDays || p.Calendar == nil {
		return calendarDays
	}
	n, err := workingDaysBetween(p.Calendar, today, dueDate)
	if err != nil {
		// Beyond the calendar's published years: calendar days are the
		// honest fallback, and the label says which unit it is.
		return calendarDays
	}
	return daysLeft{Known: true, N: n, Working: true}
}

// workingDaysBetween counts the working days after from up to and
// including to; negative, counting the days missed, when to is earlier.
func workingDaysBetween(c *calendar.Calendar, from, to calendar.Date) (int, error) {
	sign := 1
	if to.Before(from) {
		from, to, sign = to, from, -1
	}
	n := 0
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		ok, err := c.IsWorkingDay(d)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return sign * n, nil
}
