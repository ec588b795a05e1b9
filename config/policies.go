package config

import (
	"errors"
	"fmt"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/policy"
)

// Policies are the calendars and policies the YAML file adds to (or replaces
// among) the built-in ones.
type Policies struct {
	Calendars []calendar.Spec `mapstructure:"calendars"`
	Policies  []policy.Spec   `mapstructure:"policies"`
	// PolicyCalendars puts a policy on another calendar, by policy ID:
	//
	//	policy_calendars:
	//	  gdpr: de-by      # the member state whose law governs the controller
	//	  uk-gdpr: gb-sct  # Scotland; gb-nir for Northern Ireland
	//	  ccpa: us-ca-gc6700
	PolicyCalendars map[string]string `mapstructure:"policy_calendars"`
}

// Registry builds the policy registry: built-in presets and calendars plus
// the configured ones.
func (p Policies) Registry() (*policy.Registry, error) {
	cals, err := calendar.Load(p.Calendars)
	if err != nil {
		return nil, fmt.Errorf("calendars: %w", err)
	}
	reg, err := policy.Build(policy.Config{Calendars: cals, Policies: p.Policies, PolicyCalendars: p.PolicyCalendars})
	var choice *policy.ChoiceError
	switch {
	case errors.As(err, &choice):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("policies: %w", err)
	}
	return reg, nil
}

// Validate checks the configured calendars and policies; a problem is
// reported under the key (calendars, policies or policy_calendars) it
// comes from.
func (p Policies) Validate() error {
	cals, err := calendar.Load(p.Calendars)
	if err != nil {
		return &FieldError{Key: "calendars", Reason: err.Error()}
	}
	_, err = policy.Build(policy.Config{Calendars: cals, Policies: p.Policies, PolicyCalendars: p.PolicyCalendars})
	var choice *policy.ChoiceError
	switch {
	case errors.As(err, &choice):
		return &FieldError{Key: "policy_calendars." + choice.Policy, Reason: choice.Err.Error()}
	case err != nil:
		return &FieldError{Key: "policies", Reason: err.Error()}
	}
	return nil
}
