package policy

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dsrflow/dsrflow/calendar"
)

// Deadline is the last day of a period and the instant that day ends in the
// policy's time zone.
type Deadline struct {
	Date calendar.Date `json:"date"`
	At   time.Time     `json:"at"`
}

// Errors from Extend, matched with errors.Is. They are meant to be shown to
// the operator who asked for the extension.
var (
	ErrNoExtension       = errors.New("the policy allows no extension")
	ErrTooManyExtensions = errors.New("no extensions left")
	ErrExtensionTooLong  = errors.New("extension longer than the policy allows")
	ErrInvalidExtension  = errors.New("invalid extension period")
	ErrNoStopTheClock    = errors.New("the policy does not stop the clock")
)

// deadline is the end of day d in the policy's zone. A period ends at the
// end of its last day, and 23:59:59 is the last instant that prints as that
// day.
func (p *Policy) deadline(d calendar.Date) Deadline {
	return Deadline{d, time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, p.Location)}
}

// day is the date of t in the policy's zone.
func (p *Policy) day(t time.Time) calendar.Date {
	return calendar.DateOf(t.In(p.Location))
}

// end returns the last day of period counted from day0, which itself is not
// counted (PRC Civil Code art. 201; EU Reg. 1182/71 art. 3(1)).
func (p *Policy) end(day0 calendar.Date, period Period) (calendar.Date, error) {
	var last calendar.Date
	switch period.Unit {
	case WorkingDays:
		// Counting only working days ends on one by construction.
		return p.Calendar.AddWorkingDays(day0, period.Amount)
	case CalendarDays:
		last = day0.AddDays(period.Amount)
	case Months:
		last = day0.AddMonths(period.Amount)
	default:
		return calendar.Date{}, fmt.Errorf("period %q: unknown unit", period)
	}
	return p.rollForward(last)
}

// Skipped lists the holidays that moved the end of period counted from
// day0 to end: for working days every holiday on a weekday in between, for
// days and months those from the nominal last day to end. dsr deadline
// shows them, so that a date is explained in the words of the official list.
func (p *Policy) Skipped(day0 calendar.Date, period Period, end calendar.Date) []calendar.Day {
	switch period.Unit {
	case WorkingDays:
		return p.Calendar.Skipped(day0, end)
	case CalendarDays:
		return p.Calendar.Skipped(day0.AddDays(period.Amount-1), end)
	case Months:
		return p.Calendar.Skipped(day0.AddMonths(period.Amount).AddDays(-1), end)
	}
	return nil
}

// rollForward moves a last day that is a rest day to the next working day
// (PRC Civil Code art. 203; EU Reg. 1182/71 art. 3(4)).
func (p *Policy) rollForward(d calendar.Date) (calendar.Date, error) {
	ok, err := p.Calendar.IsWorkingDay(d)
	if err != nil || ok {
		return d, err
	}
	return p.Calendar.NextWorkingDay(d)
}

func (p *Policy) deadlineAfter(day0 calendar.Date, period Period, what string) (Deadline, error) {
	d, err := p.end(day0, period)
	if err != nil {
		return Deadline{}, fmt.Errorf("policy %s: %s: %w", p.ID, what, err)
	}
	return p.deadline(d), nil
}

// Due returns the deadline counted from start, the instant of the event the
// clock starts on. Its date in the policy's zone is day 0.
func (p *Policy) Due(start time.Time) (Deadline, error) {
	return p.deadlineAfter(p.day(start), p.Deadline, "due date")
}

// AcknowledgeBy returns when receipt must be confirmed, or nil when the
// policy requires no separate acknowledgement.
func (p *Policy) AcknowledgeBy(received time.Time) (*Deadline, error) {
	if p.Acknowledge.IsZero() {
		return nil, nil
	}
	d, err := p.deadlineAfter(p.day(received), p.Acknowledge, "acknowledge-by date")
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// VerificationDeadline returns when identity verification must be done by.
func (p *Policy) VerificationDeadline(received time.Time) (Deadline, error) {
	return p.deadlineAfter(p.day(received), p.VerificationWindow, "verification deadline")
}

// CoolingOffEnd returns when the cooling-off period of an account
// cancellation confirmed at confirmed ends, or nil when the policy has none.
func (p *Policy) CoolingOffEnd(confirmed time.Time) (*Deadline, error) {
	if p.CoolingOff.IsZero() {
		return nil, nil
	}
	d, err := p.deadlineAfter(p.day(confirmed), p.CoolingOff, "end of the cooling-off period")
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// Extend returns the deadline after extending current by `by`, given how
// many extensions the case has had. The new period counts from current's
// date, which is not counted again.
func (p *Policy) Extend(current Deadline, by Period, extensionsSoFar int) (Deadline, error) {
	switch {
	case p.Extension.IsZero():
		return Deadline{}, fmt.Errorf("policy %s: %w", p.ID, ErrNoExtension)
	case extensionsSoFar >= p.MaxExtensions:
		return Deadline{}, fmt.Errorf("policy %s: %w: %d of %d used", p.ID, ErrTooManyExtensions, extensionsSoFar, p.MaxExtensions)
	case by.Amount < 1:
		return Deadline{}, fmt.Errorf("policy %s: extension %q: %w: must be positive", p.ID, by, ErrInvalidExtension)
	case by.Unit != p.Extension.Unit:
		// 2m and 60d are not comparable, so insist on the policy's unit.
		return Deadline{}, fmt.Errorf("policy %s: extension %s: %w: must be in %s like the policy's %s",
			p.ID, by, ErrInvalidExtension, unitName(p.Extension.Unit), p.Extension)
	case by.Amount > p.Extension.Amount:
		return Deadline{}, fmt.Errorf("policy %s: extension %s: %w (at most %s)", p.ID, by, ErrExtensionTooLong, p.Extension)
	}
	return p.deadlineAfter(current.Date, by, "extended due date")
}

func unitName(u Unit) string {
	switch u {
	case CalendarDays:
		return "calendar days"
	case WorkingDays:
		return "working days"
	case Months:
		return "months"
	}
	return string(u)
}

// Resume returns the deadline after the clock was stopped at pausedAt and
// restarted at resumedAt: it moves by the calendar days between the two
// dates in the policy's zone.
func (p *Policy) Resume(current Deadline, pausedAt, resumedAt time.Time) (Deadline, error) {
	if !p.StopTheClock {
		return Deadline{}, fmt.Errorf("policy %s: %w", p.ID, ErrNoStopTheClock)
	}
	days := p.day(resumedAt).Sub(p.day(pausedAt))
	if days < 0 {
		return Deadline{}, fmt.Errorf("policy %s: resumed at %s, before it was paused at %s",
			p.ID, resumedAt.Format(time.RFC3339), pausedAt.Format(time.RFC3339))
	}
	d, err := p.rollForward(current.Date.AddDays(days))
	if err != nil {
		return Deadline{}, fmt.Errorf("policy %s: resumed due date: %w", p.ID, err)
	}
	return p.deadline(d), nil
}

// ReminderTimes returns when to remind staff of due: 09:00 in the policy's
// zone on the day each reminder period before it, sorted and without
// duplicates. Reminders not after clockStart are dropped: they would fire at
// once for a case that is already close to its deadline.
func (p *Policy) ReminderTimes(due Deadline, clockStart time.Time) ([]time.Time, error) {
	// Not nil, so JSON tells "no reminders left" ([]) from "clock not
	// started" (null).
	times := make([]time.Time, 0, len(p.Reminders))
	for _, r := range p.Reminders {
		var d calendar.Date
		switch r.Unit {
		case WorkingDays:
			var err error
			if d, err = p.Calendar.AddWorkingDays(due.Date, -r.Amount); err != nil {
				return nil, fmt.Errorf("policy %s: reminder %s: %w", p.ID, r, err)
			}
		case CalendarDays:
			d = due.Date.AddDays(-r.Amount)
		case Months:
			d = due.Date.AddMonths(-r.Amount)
		default:
			return nil, fmt.Errorf("policy %s: reminder %q: unknown unit", p.ID, r)
		}
		// A reminder on a rest day would reach nobody: it moves to the
		// working day before, still ahead of the due date. Outside the
		// calendar's years it stays put, as a reminder is no deadline.
		if ok, err := p.Calendar.IsWorkingDay(d); err == nil && !ok {
			if prev, err := p.Calendar.AddWorkingDays(d, -1); err == nil {
				d = prev
			}
		}
		t := time.Date(d.Year, d.Month, d.Day, 9, 0, 0, 0, p.Location)
		if t.After(clockStart) {
			times = append(times, t)
		}
	}
	slices.SortFunc(times, time.Time.Compare)
	return slices.CompactFunc(times, time.Time.Equal), nil
}
