package config

import (
	"fmt"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/policy"
)

// Policies are the calendars and policies the YAML file adds to (or replaces
// among) the built-in ones.
type Policies struct {
	Calendars []calendar.Spec `mapstructure:"calendars"`
	Policies  []policy.Spec   `mapstructure:"policies"`
}

// Registry builds the policy registry: built-in presets and calendars plus
// the configured ones.
func (p Policies) Registry() (*policy.Registry, error) {
	cals, err := calendar.Load(p.Calendars)
	if err != nil {
		return nil, fmt.Errorf("calendars: %w", err)
	}
	reg, err := policy.NewRegistry(cals, p.Policies)
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	return reg, nil
}

// Validate checks the configured calendars and policies; a problem is
// reported under the key (calendars or policies) it comes from.
func (p Policies) Validate() error {
	cals, err := calendar.Load(p.Calendars)
	if err != nil {
		return &FieldError{Key: "calendars", Reason: err.Error()}
	}
	if _, err := policy.NewRegistry(cals, p.Policies); err != nil {
		return &FieldError{Key: "policies", Reason: err.Error()}
	}
	return nil
}
