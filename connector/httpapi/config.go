package httpapi

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/connector"
)

// Operations a service may offer, under the connector package's names.
const (
	OpAccess     = connector.OpAccess
	OpErase      = connector.OpErase
	OpCorrect    = connector.OpCorrect
	OpCheck      = connector.OpCheck
	OpDeactivate = connector.OpDeactivate
)

var allOps = []string{OpAccess, OpErase, OpCorrect, OpCheck, OpDeactivate}

// DefaultTimeout bounds one HTTP exchange when the configuration names no
// timeout.
const DefaultTimeout = 30 * time.Second

// minSecret is the shortest secret accepted: 32 bytes is the HMAC-SHA256
// block of strength; shorter keys are guessable offline from one capture.
const minSecret = 32

// Config is an http connector's configuration.
type Config struct {
	// BaseURL is where the endpoints live: {base_url}/access and so on.
	BaseURL string `mapstructure:"base_url" yaml:"base_url"`
	// Secret is the HMAC key shared with the service, for both directions.
	Secret string `mapstructure:"secret" yaml:"secret"`
	// Timeout bounds each HTTP exchange, reading the answer included; 0
	// means DefaultTimeout. Waiting for a job's callback is not bounded by
	// it.
	Timeout time.Duration `mapstructure:"timeout" yaml:"timeout"`
	// Operations the service offers; the others are connector.ErrUnsupported.
	Operations []string `mapstructure:"operations" yaml:"operations"`
	// Datasets the service holds, declared because Datasets() must answer
	// without a call and the export's manifest needs the categories.
	Datasets []DatasetConfig `mapstructure:"datasets" yaml:"datasets"`
	// CallbackBase is dsrflow's public API address, where services send
	// job callbacks; without it the service must answer synchronously.
	CallbackBase string `mapstructure:"callback_base" yaml:"callback_base"`
}

// DatasetConfig declares one dataset of the service.
type DatasetConfig struct {
	Name    string         `mapstructure:"name" yaml:"name"`
	Columns []ColumnConfig `mapstructure:"columns" yaml:"columns"`
}

// ColumnConfig declares one column and its data category.
type ColumnConfig struct {
	Name     string `mapstructure:"name" yaml:"name"`
	Category string `mapstructure:"category" yaml:"category"`
}

// Validate reports every problem of the configuration, each naming its
// field.
func (c Config) Validate() error {
	var errs []error
	if err := checkURL(c.BaseURL); err != nil {
		errs = append(errs, fmt.Errorf("base_url: %w", err))
	}
	if c.CallbackBase != "" {
		if err := checkURL(c.CallbackBase); err != nil {
			errs = append(errs, fmt.Errorf("callback_base: %w", err))
		}
	}
	switch {
	case c.Secret == "":
		errs = append(errs, errors.New("secret: required (the HMAC key shared with the service)"))
	case len(c.Secret) < minSecret:
		errs = append(errs, fmt.Errorf("secret: %d bytes, want at least %d (e.g. openssl rand -hex 32)", len(c.Secret), minSecret))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: %s is negative", c.Timeout))
	}
	if len(c.Operations) == 0 {
		errs = append(errs, fmt.Errorf("operations: name at least one of %s", strings.Join(allOps, ", ")))
	}
	for i, op := range c.Operations {
		switch {
		case !slices.Contains(allOps, op):
			errs = append(errs, fmt.Errorf("operations[%d]: unknown operation %q (want one of %s)", i, op, strings.Join(allOps, ", ")))
		case slices.Index(c.Operations, op) != i:
			errs = append(errs, fmt.Errorf("operations[%d]: %s listed twice", i, op))
		}
	}
	needData := slices.ContainsFunc(c.Operations, func(op string) bool {
		return op == OpAccess || op == OpErase || op == OpCorrect
	})
	if needData && len(c.Datasets) == 0 {
		errs = append(errs, errors.New("datasets: required when the service offers access, erase or correct"))
	}
	for i, d := range c.Datasets {
		at := fmt.Sprintf("datasets[%d]", i)
		switch {
		case d.Name == "":
			errs = append(errs, fmt.Errorf("%s.name: required", at))
		case strings.Contains(d.Name, "."):
			// Corrections name "dataset.column".
			errs = append(errs, fmt.Errorf("%s.name: %q contains a dot", at, d.Name))
		case slices.IndexFunc(c.Datasets, func(o DatasetConfig) bool { return o.Name == d.Name }) != i:
			errs = append(errs, fmt.Errorf("%s.name: %s declared twice", at, d.Name))
		}
		if len(d.Columns) == 0 {
			errs = append(errs, fmt.Errorf("%s.columns: declare at least one", at))
		}
		for j, col := range d.Columns {
			switch {
			case col.Name == "":
				errs = append(errs, fmt.Errorf("%s.columns[%d].name: required", at, j))
			case strings.Contains(col.Name, "."):
				errs = append(errs, fmt.Errorf("%s.columns[%d].name: %q contains a dot", at, j, col.Name))
			case slices.IndexFunc(d.Columns, func(o ColumnConfig) bool { return o.Name == col.Name }) != j:
				errs = append(errs, fmt.Errorf("%s.columns[%d].name: %s declared twice", at, j, col.Name))
			}
		}
	}
	return errors.Join(errs...)
}

func checkURL(raw string) error {
	if raw == "" {
		return errors.New("required")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("scheme %q, want https (or http)", u.Scheme)
	case u.Host == "":
		return errors.New("no host")
	case u.User != nil:
		// It would be logged with every error that quotes a URL.
		return errors.New("must not carry credentials; the secret authenticates")
	case u.RawQuery != "" || u.Fragment != "":
		return errors.New("must not have a query or fragment")
	}
	return nil
}

// validName restricts connector names to what can sit in a URL path and a
// job key (<connector>/<job>) unescaped.
func validName(name string) error {
	if name == "" || len(name) > 64 {
		return errors.New("name: 1 to 64 characters")
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("name %q: letters, digits, '-', '_' and '.' only", name)
		}
	}
	return nil
}

// ValidJob checks a service's job id: 1 to 200 printable ASCII characters,
// so that it can be stored, logged and put in a key as it is.
func ValidJob(job string) error {
	if job == "" {
		return errors.New("empty")
	}
	if len(job) > 200 {
		return fmt.Errorf("%d characters, at most 200", len(job))
	}
	for _, r := range job {
		if r <= ' ' || r > '~' {
			return errors.New("printable ASCII only, no spaces")
		}
	}
	return nil
}
