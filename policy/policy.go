// Package policy turns a response-time promise (a statute, or what a
// company's privacy policy says) into deadlines. Everything here is a pure
// function of its arguments so that it can run inside Temporal workflow
// code: no clock reads, no randomness, no output that depends on map order.
package policy

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/request"
)

// ClockStart is the event from which a deadline counts.
type ClockStart string

const (
	OnReceipt      ClockStart = "receipt"
	OnVerification ClockStart = "verification"
)

// ClockStarts lists the clock starts.
var ClockStarts = []ClockStart{OnReceipt, OnVerification}

// Policy is a resolved, checked policy. Build it with New or NewRegistry.
type Policy struct {
	ID          string     `json:"id"`
	Description string     `json:"description"`
	Deadline    Period     `json:"deadline"`
	ClockStart  ClockStart `json:"clock_start"`
	// ClockStartByType overrides ClockStart for some request types, e.g. an
	// account cancellation counts from verification because until then the
	// controller cannot know whose account it is.
	ClockStartByType map[request.Type]ClockStart `json:"clock_start_by_type,omitempty"`
	// Extension is the most one extension may add; zero means none allowed.
	Extension     Period `json:"extension,omitzero"`
	MaxExtensions int    `json:"max_extensions,omitempty"`
	// Acknowledge is the time allowed to confirm receipt; zero means no
	// separate acknowledgement is required.
	Acknowledge Period `json:"acknowledge,omitzero"`
	// StopTheClock lets the deadline pause while the controller waits for
	// the requester (UK GDPR art. 12A).
	StopTheClock bool `json:"stop_the_clock"`
	// VerificationWindow is how long identity verification may take before
	// the case is denied as identity_unverified.
	VerificationWindow Period `json:"verification_window"`
	// CoolingOff is how long a requester who confirmed an account
	// cancellation may still revoke it; zero means none.
	CoolingOff Period `json:"cooling_off,omitzero"`
	// Reminders are periods before the due date at which to remind staff.
	Reminders  []Period           `json:"reminders,omitempty"`
	CalendarID string             `json:"calendar"`
	Calendar   *calendar.Calendar `json:"-"`
	// TimeZone is Location's name, kept for display and JSON.
	TimeZone string         `json:"time_zone"`
	Location *time.Location `json:"-"`
	// Warning says why this policy's deadlines may be wrong (gdpr without
	// a member state); empty when there is nothing to say.
	Warning string `json:"-"`
	// spec is what the policy was built from; Pin hands it to a case.
	spec Spec
}

// Spec is a policy as written in config. Periods stay strings so that any
// decoder (yaml, JSON, mapstructure via viper) can fill it; New parses and
// checks them.
type Spec struct {
	ID          string `yaml:"id" mapstructure:"id" json:"id"`
	Description string `yaml:"description" mapstructure:"description" json:"description"`
	Deadline    string `yaml:"deadline" mapstructure:"deadline" json:"deadline"`
	// ClockStart defaults to receipt.
	ClockStart       string            `yaml:"clock_start" mapstructure:"clock_start" json:"clock_start,omitempty"`
	ClockStartByType map[string]string `yaml:"clock_start_by_type" mapstructure:"clock_start_by_type" json:"clock_start_by_type,omitempty"`
	Extension        string            `yaml:"extension" mapstructure:"extension" json:"extension,omitempty"`
	// MaxExtensions defaults to 1 when Extension is set.
	MaxExtensions      int      `yaml:"max_extensions" mapstructure:"max_extensions" json:"max_extensions,omitempty"`
	Acknowledge        string   `yaml:"acknowledge" mapstructure:"acknowledge" json:"acknowledge,omitempty"`
	StopTheClock       bool     `yaml:"stop_the_clock" mapstructure:"stop_the_clock" json:"stop_the_clock,omitempty"`
	VerificationWindow string   `yaml:"verification_window" mapstructure:"verification_window" json:"verification_window"`
	CoolingOff         string   `yaml:"cooling_off" mapstructure:"cooling_off" json:"cooling_off,omitempty"`
	Reminders          []string `yaml:"reminders" mapstructure:"reminders" json:"reminders,omitempty"`
	Calendar           string   `yaml:"calendar" mapstructure:"calendar" json:"calendar"`
	// TimeZone defaults to the calendar's.
	TimeZone string `yaml:"time_zone" mapstructure:"time_zone" json:"time_zone,omitempty"`
}

var errReq = errors.New("required")

// New checks s and resolves its calendar from calendars. Errors name the
// policy and the field.
func New(s Spec, calendars map[string]*calendar.Calendar) (*Policy, error) {
	if s.ID == "" {
		return nil, errors.New("policy: id: required")
	}
	fail := func(field string, err error) (*Policy, error) {
		return nil, fmt.Errorf("policy %s: %s: %w", s.ID, field, err)
	}
	p := &Policy{
		ID:           s.ID,
		Description:  s.Description,
		StopTheClock: s.StopTheClock,
		CalendarID:   s.Calendar,
		spec:         s,
	}

	var err error
	if s.Deadline == "" {
		return fail("deadline", errReq)
	}
	if p.Deadline, err = ParsePeriod(s.Deadline); err != nil {
		return fail("deadline", err)
	}

	if p.ClockStart, err = parseClockStart(s.ClockStart); err != nil {
		return fail("clock_start", err)
	}
	if len(s.ClockStartByType) > 0 {
		p.ClockStartByType = make(map[request.Type]ClockStart, len(s.ClockStartByType))
		// Sorted, so that with several mistakes the same one is reported
		// every time.
		keys := make([]string, 0, len(s.ClockStartByType))
		for k := range s.ClockStartByType {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			typ, err := request.Parse(k, request.Types)
			if err != nil {
				return fail("clock_start_by_type", err)
			}
			v := s.ClockStartByType[k]
			if v == "" {
				return fail("clock_start_by_type."+k, errReq)
			}
			if p.ClockStartByType[typ], err = parseClockStart(v); err != nil {
				return fail("clock_start_by_type."+k, err)
			}
		}
	}

	if p.Extension, err = parseOptional(s.Extension); err != nil {
		return fail("extension", err)
	}
	switch {
	case s.MaxExtensions < 0:
		return fail("max_extensions", fmt.Errorf("%d is negative", s.MaxExtensions))
	case p.Extension.IsZero() && s.MaxExtensions > 0:
		return fail("max_extensions", errors.New("set without an extension period"))
	case !p.Extension.IsZero() && s.MaxExtensions == 0:
		p.MaxExtensions = 1
	default:
		p.MaxExtensions = s.MaxExtensions
	}

	if p.Acknowledge, err = parseOptional(s.Acknowledge); err != nil {
		return fail("acknowledge", err)
	}
	if s.VerificationWindow == "" {
		return fail("verification_window", errReq)
	}
	if p.VerificationWindow, err = ParsePeriod(s.VerificationWindow); err != nil {
		return fail("verification_window", err)
	}
	if s.CoolingOff != "" {
		if p.CoolingOff, err = ParsePeriod(s.CoolingOff); err != nil {
			return fail("cooling_off", err)
		}
	}
	for i, r := range s.Reminders {
		period, err := ParsePeriod(r)
		if err != nil {
			return fail(fmt.Sprintf("reminders[%d]", i), err)
		}
		p.Reminders = append(p.Reminders, period)
	}

	if s.Calendar == "" {
		return fail("calendar", errReq)
	}
	cal, ok := calendars[s.Calendar]
	if !ok {
		return fail("calendar", calendar.UnknownError(s.Calendar))
	}
	p.Calendar = cal
	p.Location = cal.Location
	if s.TimeZone != "" {
		if p.Location, err = time.LoadLocation(s.TimeZone); err != nil {
			return fail("time_zone", fmt.Errorf("unknown zone %q", s.TimeZone))
		}
	}
	p.TimeZone = p.Location.String()
	return p, nil
}

func parseClockStart(s string) (ClockStart, error) {
	if s == "" {
		return OnReceipt, nil
	}
	return request.Parse(s, ClockStarts)
}

// ClockStartFor returns the event the deadline for a request of type t
// counts from.
func (p *Policy) ClockStartFor(t request.Type) ClockStart {
	if cs, ok := p.ClockStartByType[t]; ok {
		return cs
	}
	return p.ClockStart
}
