package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dsrflow/dsrflow/calendar"
)

// Registry holds the policies a deployment can assign to cases.
type Registry struct {
	policies map[string]*Policy
	warnings []string
}

// Config is what a registry is built from.
type Config struct {
	// Calendars by ID; nil means the built-in ones.
	Calendars map[string]*calendar.Calendar
	// Policies are added to the presets; one with a preset's ID replaces
	// the preset.
	Policies []Spec
	// PolicyCalendars puts a policy on another calendar, by policy ID: how
	// an operator in Scotland runs uk-gdpr on gb-sct, or names the member
	// state whose holidays the gdpr preset counts, without copying the
	// whole preset.
	PolicyCalendars map[string]string
}

// NewRegistry builds the presets and then the extra specs from config. An
// extra spec with a preset's ID replaces the preset. A nil calendars map
// means the embedded calendars.
func NewRegistry(calendars map[string]*calendar.Calendar, extra []Spec) (*Registry, error) {
	return Build(Config{Calendars: calendars, Policies: extra})
}

// Build builds a registry from c.
func Build(c Config) (*Registry, error) {
	calendars, extra := c.Calendars, c.Policies
	if calendars == nil {
		var err error
		if calendars, err = calendar.Load(nil); err != nil {
			return nil, err
		}
	}
	specs := Presets()
	seen := make(map[string]bool, len(extra))
	for i, s := range extra {
		if s.ID == "" {
			return nil, fmt.Errorf("policies[%d]: id: required", i)
		}
		if seen[s.ID] {
			return nil, fmt.Errorf("policies[%d]: policy %s: defined twice", i, s.ID)
		}
		seen[s.ID] = true
		// Replace in place rather than append, so a replaced preset is not
		// built (and possibly rejected) first.
		if j := slices.IndexFunc(specs, func(p Spec) bool { return p.ID == s.ID }); j >= 0 {
			specs[j] = s
		} else {
			specs = append(specs, s)
		}
	}
	ids := make([]string, 0, len(c.PolicyCalendars))
	for id := range c.PolicyCalendars {
		ids = append(ids, id)
	}
	slices.Sort(ids) // the same mistake reported every time
	for _, id := range ids {
		j := slices.IndexFunc(specs, func(p Spec) bool { return p.ID == id })
		if j < 0 {
			return nil, &ChoiceError{id, fmt.Errorf("unknown policy %q", id)}
		}
		cal := c.PolicyCalendars[id]
		if cal == "" {
			return nil, &ChoiceError{id, errors.New("calendar ID required")}
		}
		if _, ok := calendars[cal]; !ok {
			return nil, &ChoiceError{id, calendar.UnknownError(cal)}
		}
		specs[j].Calendar = cal
		// A preset's zone belongs to its default calendar (gdpr's is
		// Brussels); the chosen jurisdiction's clock is the calendar's. An
		// operator's own policy keeps the zone it names.
		if !seen[id] {
			specs[j].TimeZone = ""
		}
	}
	r := &Registry{policies: make(map[string]*Policy, len(specs))}
	for _, s := range specs {
		p, err := New(s, calendars)
		if err != nil {
			return nil, err
		}
		if p.ID == "gdpr" && p.CalendarID == GDPRNoMemberState {
			p.Warning = "policy gdpr: no member state named, so its deadlines skip weekends but no public holidays; " +
				"set policy_calendars.gdpr in dsr.yaml to the calendar of the member state whose law governs the controller " +
				"(EU Reg. 1182/71 art. 2(1)), e.g. fr, ie or de-by (dsr calendar list)"
			r.warnings = append(r.warnings, p.Warning)
		}
		r.policies[p.ID] = p
	}
	return r, nil
}

// Warnings are problems the registry was built with that do not stop it
// but make some deadlines less right than they should be; the engine logs
// them at startup and dsr deadline prints them.
func (r *Registry) Warnings() []string { return slices.Clone(r.warnings) }

// ChoiceError is a bad entry of Config.PolicyCalendars.
type ChoiceError struct {
	Policy string
	Err    error
}

func (e *ChoiceError) Error() string { return fmt.Sprintf("policy_calendars.%s: %v", e.Policy, e.Err) }

func (e *ChoiceError) Unwrap() error { return e.Err }

// Get returns the policy with the given ID.
func (r *Registry) Get(id string) (*Policy, bool) {
	p, ok := r.policies[id]
	return p, ok
}

// List returns every policy, sorted by ID.
func (r *Registry) List() []*Policy {
	list := make([]*Policy, 0, len(r.policies))
	for _, p := range r.policies {
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b *Policy) int { return strings.Compare(a.ID, b.ID) })
	return list
}
