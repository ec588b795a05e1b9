package policy

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/request"
)

// Schedule is every date a new case needs, computed at once.
type Schedule struct {
	// ClockStart is "receipt" or "verification".
	ClockStart string `json:"clock_start"`
	// StartedAt, Due and Reminders are null while the clock waits for
	// identity verification.
	StartedAt     *time.Time  `json:"started_at"`
	Due           *Deadline   `json:"due"`
	Reminders     []time.Time `json:"reminders"`
	AcknowledgeBy *Deadline   `json:"acknowledge_by"`
	VerifyBy      Deadline    `json:"verify_by"`
	// MaxExtendedDue is the due date after every allowed extension at full
	// length; null when the policy allows none or the clock has not started.
	MaxExtendedDue *Deadline `json:"max_extended_due"`
	// MaxExtendedDueProblem says why MaxExtendedDue is null although an
	// extension is allowed: it runs past the years the calendar covers. The
	// case itself is unaffected until someone asks for the extension.
	MaxExtendedDueProblem string `json:"max_extended_due_problem,omitempty"`
}

// Schedule computes the dates for a request of type typ received at
// received and, if it has been, verified at verified.
func (p *Policy) Schedule(typ request.Type, received time.Time, verified *time.Time) (Schedule, error) {
	cs := p.ClockStartFor(typ)
	s := Schedule{ClockStart: string(cs)}
	var err error
	if verified != nil && verified.Before(received) {
		return Schedule{}, fmt.Errorf("policy %s: verified at %s, before the request was received at %s",
			p.ID, verified.Format(time.RFC3339), received.Format(time.RFC3339))
	}
	if s.VerifyBy, err = p.VerificationDeadline(received); err != nil {
		return Schedule{}, err
	}
	if s.AcknowledgeBy, err = p.AcknowledgeBy(received); err != nil {
		return Schedule{}, err
	}

	switch {
	case cs == OnReceipt:
		s.StartedAt = &received
	case verified != nil:
		v := *verified // not the caller's pointer: the schedule may outlive it
		s.StartedAt = &v
	default:
		return s, nil
	}
	due, err := p.Due(*s.StartedAt)
	if err != nil {
		return Schedule{}, err
	}
	s.Due = &due
	if s.Reminders, err = p.ReminderTimes(due, *s.StartedAt); err != nil {
		return Schedule{}, err
	}
	if !p.Extension.IsZero() {
		ext, err := p.maxExtended(due)
		switch {
		case errors.Is(err, calendar.ErrNotCovered):
			s.MaxExtendedDueProblem = err.Error()
		case err != nil:
			return Schedule{}, err
		default:
			s.MaxExtendedDue = &ext
		}
	}
	return s, nil
}

func (p *Policy) maxExtended(due Deadline) (Deadline, error) {
	var err error
	for i := range p.MaxExtensions {
		if due, err = p.Extend(due, p.Extension, i); err != nil {
			return Deadline{}, err
		}
	}
	return due, nil
}

// Format writes the schedule for people, as the dsr deadline command shows
// it. p must be the policy that computed s, for a request received at
// received.
func (s Schedule) Format(w io.Writer, p *Policy, received time.Time) error {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%-14s %s\n", label, fmt.Sprintf(format, args...))
	}
	deadline := func(d Deadline) string {
		return fmt.Sprintf("%s %s (ends %s)", d.Date, d.Date.Weekday(), d.At.Format(time.RFC3339))
	}

	skipped := func(day0 time.Time, period Period, d Deadline) {
		days := p.Skipped(p.day(day0), period, d.Date)
		if len(days) == 0 {
			return
		}
		names := make([]string, len(days))
		for i, h := range days {
			names[i] = h.Date.String() + " " + h.Name
		}
		line("", "skipped %s", strings.Join(names, ", "))
	}

	line("policy", "%s: %s", p.ID, p.Description)
	if p.Warning != "" {
		line("WARNING", "%s", p.Warning)
	}
	line("calendar", "%s (version %s), time zone %s", p.CalendarID, p.Calendar.Version, p.TimeZone)
	line("deadline", "%s from %s", p.Deadline.Describe(), s.ClockStart)
	if s.StartedAt == nil {
		line("clock start", "not started: waits for identity verification")
		line("due", "not yet known")
	} else {
		line("clock start", "%s at %s", s.ClockStart, s.StartedAt.In(p.Location).Format(time.RFC3339))
		line("due", "%s", deadline(*s.Due))
		skipped(*s.StartedAt, p.Deadline, *s.Due)
		if len(s.Reminders) == 0 {
			line("reminders", "none")
		}
		for i, r := range s.Reminders {
			label := ""
			if i == 0 {
				label = "reminders"
			}
			line(label, "%s", r.Format(time.RFC3339))
		}
	}
	if s.AcknowledgeBy != nil {
		line("acknowledge by", "%s", deadline(*s.AcknowledgeBy))
		skipped(received, p.Acknowledge, *s.AcknowledgeBy)
	}
	line("verify by", "%s", deadline(s.VerifyBy))
	skipped(received, p.VerificationWindow, s.VerifyBy)
	switch {
	case p.Extension.IsZero():
		line("extension", "not allowed")
	case s.MaxExtendedDue != nil:
		line("max extended", "%s (%d × up to %s)", deadline(*s.MaxExtendedDue), p.MaxExtensions, p.Extension.Describe())
	case s.MaxExtendedDueProblem != "":
		line("max extended", "cannot be computed yet: %s", s.MaxExtendedDueProblem)
	default:
		line("max extended", "not yet known")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
