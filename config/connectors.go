package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"time"

	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/connector/httpapi"
	"github.com/dsrflow/dsrflow/connector/sqldb"
	"github.com/dsrflow/dsrflow/request"
)

// Connector is one data system fulfilment reaches (docs/connectors.md).
type Connector struct {
	Name         string        `mapstructure:"name"`
	Kind         string        `mapstructure:"kind"`
	Owner        string        `mapstructure:"owner"`
	Instructions string        `mapstructure:"instructions"`
	RemindEvery  time.Duration `mapstructure:"remind_every"`
	Attempts     int           `mapstructure:"attempts"`
	Backoff      time.Duration `mapstructure:"backoff"`
	Tenants      []string      `mapstructure:"tenants"`
	// SQL configures a kind sql connector, HTTP a kind http one.
	SQL  sqldb.Config   `mapstructure:"sql"`
	HTTP httpapi.Config `mapstructure:"http"`
}

// Info is what the workflow may know of the connector.
func (c Connector) Info() connector.Info {
	return connector.Info{Name: c.Name, Kind: c.Kind, Owner: c.Owner, Instructions: c.Instructions,
		RemindEvery: c.RemindEvery, Attempts: c.Attempts, Backoff: c.Backoff, Tenants: c.Tenants}
}

// Exports is where access and portability packages are kept, sealed, and
// how their download links are made.
type Exports struct {
	Dir string `mapstructure:"dir"`
	// PublicURL is the API's address as requesters reach it; download
	// links start with it.
	PublicURL string `mapstructure:"public_url"`
}

// Fulfilment holds settings of the work on the data systems.
type Fulfilment struct {
	// BackupRotation is how long backups keep data after it is erased.
	BackupRotation time.Duration `mapstructure:"backup_rotation"`
}

// Controller is a receiving controller portability requests may name.
type Controller struct {
	Name   string `mapstructure:"name"`
	URL    string `mapstructure:"url"`
	Secret string `mapstructure:"secret"`
}

func (c *Config) validateConnectors() error {
	seen := map[string]bool{}
	for i, cc := range c.Connectors {
		key := fmt.Sprintf("connectors[%d]", i)
		fail := func(field, format string, args ...any) error {
			return &FieldError{Key: key + field, Reason: fmt.Sprintf(format, args...)}
		}
		if cc.Name == "" {
			return fail(".name", "required")
		}
		if seen[cc.Name] {
			return fail(".name", "%q is configured twice", cc.Name)
		}
		seen[cc.Name] = true
		if a, err := mail.ParseAddress(cc.Owner); err != nil || a.Address != cc.Owner {
			return fail(".owner", "an e-mail address is required: who does the work when the system cannot")
		}
		for j, t := range cc.Tenants {
			if err := request.CheckTenant(t); err != nil {
				return fail(fmt.Sprintf(".tenants[%d]", j), "%v", err)
			}
		}
		if cc.Attempts < 0 || cc.Backoff < 0 || cc.RemindEvery < 0 {
			return fail("", "attempts, backoff and remind_every cannot be negative")
		}
		switch cc.Kind {
		case connector.KindSQL:
			if err := cc.SQL.Validate(); err != nil {
				return fail(".sql", "%v", err)
			}
		case connector.KindHTTP:
			if err := cc.HTTP.Validate(); err != nil {
				return fail(".http", "%v", err)
			}
		case connector.KindManual:
		default:
			return fail(".kind", "%q is not one of sql, http, manual", cc.Kind)
		}
	}
	names := map[string]bool{}
	for i, pc := range c.Portability.Controllers {
		key := fmt.Sprintf("portability.controllers[%d]", i)
		u, err := url.Parse(pc.URL)
		switch {
		case pc.Name == "" || names[pc.Name]:
			return &FieldError{Key: key + ".name", Reason: "required and unique"}
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			return &FieldError{Key: key + ".url", Reason: "an http(s) URL is required"}
		case len(pc.Secret) < 16:
			return &FieldError{Key: key + ".secret", Reason: "at least 16 characters: transfers are signed with it"}
		}
		names[pc.Name] = true
	}
	if c.Exports.PublicURL != "" {
		if u, err := url.Parse(c.Exports.PublicURL); err != nil || u.Host == "" {
			return &FieldError{Key: "exports.public_url", Reason: "an absolute URL is required"}
		}
	}
	return nil
}
