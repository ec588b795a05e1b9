package policy

import (
	"fmt"
	"time"

	"github.com/dsrflow/dsrflow/calendar"
)

// Pinned is a policy as a case records it when it opens: the policy's spec
// and its calendar's, enough to rebuild both without the registry. A case
// decides every date from its pinned policy, so editing or removing a
// policy or calendar in configuration never changes a running case; a new
// calendar reaches it only through an explicit, recorded re-pin.
type Pinned struct {
	Policy   Spec          `json:"policy"`
	Calendar calendar.Spec `json:"calendar"`
}

// pinYearsBefore and pinYearsAfter bound the calendar years a pin carries
// around the day it is made. A case's dates fall within months of its
// receipt; a date beyond the pinned years is a coverage error that the case
// reports as a deadline problem, never a guess.
const (
	pinYearsBefore = 1
	pinYearsAfter  = 3
)

// Pin records p for a case received at received.
func (p *Policy) Pin(received time.Time) (Pinned, error) {
	day := calendar.DateOf(received.In(p.Location))
	first := calendar.Date{Year: day.Year - pinYearsBefore, Month: time.January, Day: 1}
	last := calendar.Date{Year: day.Year + pinYearsAfter, Month: time.December, Day: 31}
	cal, err := p.Calendar.Pin(first, last)
	if err != nil {
		return Pinned{}, fmt.Errorf("pin policy %s: %w", p.ID, err)
	}
	return Pinned{Policy: p.spec, Calendar: cal}, nil
}

// Build rebuilds the pinned policy. It is a pure function of the pin.
func (pin Pinned) Build() (*Policy, error) {
	cal, err := calendar.New(pin.Calendar) //workflowcheck:ignore a pin is a data calendar; json.Marshal of a rule calendar's additions is deterministic
	if err != nil {
		return nil, fmt.Errorf("pinned %w", err)
	}
	p, err := New(pin.Policy, map[string]*calendar.Calendar{cal.ID: cal}) //workflowcheck:ignore New reads its map keys sorted
	if err != nil {
		return nil, fmt.Errorf("pinned %w", err)
	}
	return p, nil
}
