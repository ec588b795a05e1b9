package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/config"
)

// policy_calendars puts presets on other calendars; a rule calendar with a
// built-in ID takes one-off days in the same shape as any calendar, dates
// unquoted.
func TestPolicyCalendars(t *testing.T) {
	dir := isolate(t)
	writeFile(t, filepath.Join(dir, "dsr.yaml"), `
policy_calendars:
  gdpr: de-by
  uk-gdpr: gb-nir
calendars:
  - id: de-by
    rules: de-by
    holidays:
      - {name: Augsburger Friedensfest, from: 2026-08-07, to: 2026-08-07}
    working_days: [2026-06-04]
`)
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Policies.PolicyCalendars["gdpr"] != "de-by" {
		t.Fatalf("policy_calendars decoded as %v", c.Policies.PolicyCalendars)
	}
	reg, err := c.Policies.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if w := reg.Warnings(); len(w) != 0 {
		t.Errorf("warnings %q with a member state named", w)
	}
	gdpr, _ := reg.Get("gdpr")
	uk, _ := reg.Get("uk-gdpr")
	if gdpr.Calendar.ID != "de-by" || gdpr.TimeZone != "Europe/Berlin" || uk.Calendar.ID != "gb-nir" {
		t.Fatalf("gdpr on %s (%s), uk-gdpr on %s", gdpr.Calendar.ID, gdpr.TimeZone, uk.Calendar.ID)
	}
	for _, tt := range []struct {
		from time.Time
		want string
	}{
		// Fronleichnam 06-04 made a working day by the operator.
		{time.Date(2026, 5, 4, 10, 0, 0, 0, gdpr.Location), "2026-06-04"},
		// The operator's one-off 08-07 (a Friday): Mon 08-10.
		{time.Date(2026, 7, 7, 10, 0, 0, 0, gdpr.Location), "2026-08-10"},
	} {
		d, err := gdpr.Due(tt.from)
		if err != nil || d.Date.String() != tt.want {
			t.Errorf("gdpr from %s: due %v, %v; want %s", tt.from, d.Date, err, tt.want)
		}
	}
}

func TestPolicyCalendarsErrorsNameTheKey(t *testing.T) {
	for _, tt := range []struct{ yaml, key, reason string }{
		{"policy_calendars:\n  gdpr: pt\n", "policy_calendars.gdpr", "no built-in calendar for Portugal (pt)"},
		{"policy_calendars:\n  hipaa: us\n", "policy_calendars.hipaa", `unknown policy "hipaa"`},
		{"calendars:\n  - {id: gb-eng, rules: gb-eng, working_days: [2026-06-02]}\n", "calendars", "neither a weekend day nor a holiday of gb-eng"},
	} {
		dir := isolate(t)
		writeFile(t, filepath.Join(dir, "dsr.yaml"), tt.yaml)
		_, err := config.Load("")
		var fe *config.FieldError
		if !errors.As(err, &fe) || fe.Key != tt.key || !strings.Contains(fe.Reason, tt.reason) ||
			!strings.Contains(err.Error(), "YAML file only") {
			t.Errorf("%q: %v, want %s: %s", tt.yaml, err, tt.key, tt.reason)
		}
	}
}
