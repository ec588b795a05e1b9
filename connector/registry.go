package connector

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Kinds of connector.
const (
	KindSQL    = "sql"
	KindHTTP   = "http"
	KindManual = "manual"
)

// Info is what the workflow knows of a connector: enough to plan, retry
// and hand the work to a person, nothing of how to reach the system.
type Info struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Owner is who gets a manual task: for a manual system always, for the
	// others when they fail after their retries.
	Owner        string `json:"owner"`
	Instructions string `json:"instructions,omitempty"`
	// RemindEvery is how often an open manual task is chased.
	RemindEvery time.Duration `json:"remind_every"`
	// Attempts and Backoff bound the retries of each operation before a
	// manual task takes over.
	Attempts int           `json:"attempts"`
	Backoff  time.Duration `json:"backoff"`
	// Tenants the connector serves; empty serves all.
	Tenants []string `json:"tenants,omitempty"`
}

// Defaults for Info fields left zero.
const (
	DefaultRemindEvery = 72 * time.Hour
	DefaultAttempts    = 5
	DefaultBackoff     = 10 * time.Second
)

func (i Info) withDefaults() Info {
	if i.RemindEvery <= 0 {
		i.RemindEvery = DefaultRemindEvery
	}
	if i.Attempts <= 0 {
		i.Attempts = DefaultAttempts
	}
	if i.Backoff <= 0 {
		i.Backoff = DefaultBackoff
	}
	return i
}

// Registry holds the configured connectors.
type Registry struct {
	infos []Info
	conns map[string]Connector
}

// Add registers a connector; c is nil for a manual one.
func (r *Registry) Add(info Info, c Connector) error {
	if info.Name == "" {
		return errors.New("connector: a connector needs a name")
	}
	if r.conns == nil {
		r.conns = map[string]Connector{}
	}
	if slices.ContainsFunc(r.infos, func(i Info) bool { return i.Name == info.Name }) {
		return fmt.Errorf("connector %q: configured twice", info.Name)
	}
	switch {
	case info.Kind == KindManual && c != nil:
		return fmt.Errorf("connector %q: a manual connector has no implementation", info.Name)
	case info.Kind != KindManual && c == nil:
		return fmt.Errorf("connector %q: a %s connector needs an implementation", info.Name, info.Kind)
	}
	if info.Owner == "" {
		return fmt.Errorf("connector %q: an owner is required (who does the work when it cannot be done automatically)", info.Name)
	}
	r.infos = append(r.infos, info.withDefaults())
	if c != nil {
		r.conns[info.Name] = c
	}
	return nil
}

// For lists the connectors that serve a tenant, in configuration order.
func (r *Registry) For(tenant string) []Info {
	if r == nil {
		return nil
	}
	var out []Info
	for _, i := range r.infos {
		if len(i.Tenants) == 0 || slices.Contains(i.Tenants, tenant) {
			out = append(out, i)
		}
	}
	return out
}

// Get returns the connector of that name; manual connectors have none.
func (r *Registry) Get(name string) (Connector, error) {
	if r != nil {
		if c, ok := r.conns[name]; ok {
			return c, nil
		}
	}
	return nil, fmt.Errorf("connector %q is not configured on this worker", name)
}
