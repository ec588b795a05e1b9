package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dsrflow/dsrflow/calendar"
)

// Registry holds the policies a deployment can assign to cases.
type Registry struct {
	policies map[string]*Policy
}

// NewRegistry builds the presets and then the extra specs from config. An
// extra spec with a preset's ID replaces the preset. A nil calendars map
// means the embedded calendars.
func NewRegistry(calendars map[string]*calendar.Calendar, extra []Spec) (*Registry, error) {
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
	r := &Registry{policies: make(map[string]*Policy, len(specs))}
	for _, s := range specs {
		p, err := New(s, calendars)
		if err != nil {
			return nil, err
		}
		r.policies[p.ID] = p
	}
	return r, nil
}

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
