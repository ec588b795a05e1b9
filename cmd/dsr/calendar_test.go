package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "dsr.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestCalendarShow(t *testing.T) {
	code, out, stderr := dsr(t, nil, "calendar", "show", "gb-eng", "--year", "2026")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"calendar   gb-eng: England and Wales bank holidays\n",
		"2026-04-03 Friday     rest     Good Friday\n",
		"2026-12-26 Saturday   rest     Boxing Day (on a weekend day)\n",
		"2026-12-28 Monday     rest     Boxing Day (substitute)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The data calendar shows its make-up working days too.
	code, out, stderr = dsr(t, nil, "calendar", "show", "--year", "2026", "cn")
	if code != 0 || !strings.Contains(out, "2026-02-14 Saturday   working  make-up working day\n") {
		t.Errorf("cn: exit %d, %s\n%s", code, stderr, out)
	}
	code, out, _ = dsr(t, nil, "calendar", "list")
	if code != 0 || !strings.Contains(out, "gb-sct ") || !strings.Contains(out, "us-ca-gc6700 ") || !strings.Contains(out, "weekends ") {
		t.Errorf("list: exit %d\n%s", code, out)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"calendar", "show", "pt", "--year", "2026"}, "no built-in calendar for Portugal (pt); configure one"},
		{[]string{"calendar", "show", "gb-eng"}, "--year: required"},
		{[]string{"calendar", "show", "--year", "2026"}, "calendar ID required"},
		{[]string{"calendar", "show", "cn", "--year", "2031"}, "outside the years it covers"},
		{[]string{"calendar", "print"}, `unknown subcommand "print"`},
	} {
		if code, _, stderr := dsr(t, nil, tt.args...); code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tt.args, code, stderr, tt.want)
		}
	}
}

// The examples, as a DPO in London types them.
func TestDeadlineUKBankHolidays(t *testing.T) {
	for _, tt := range []struct{ from, due, skipped string }{
		{"2026-11-25T10:00:00Z", "due            2026-12-29 Tuesday",
			"skipped 2026-12-25 Christmas Day, 2026-12-28 Boxing Day (substitute)"},
		{"2026-12-01T10:00:00Z", "due            2027-01-04 Monday", "skipped 2027-01-01 New Year's Day"},
	} {
		code, out, stderr := dsr(t, nil, "deadline", "--policy", "uk-gdpr", "--from", tt.from)
		if code != 0 || !strings.Contains(out, tt.due) || !strings.Contains(out, tt.skipped) {
			t.Errorf("from %s: exit %d, %s\n%s", tt.from, code, stderr, out)
		}
	}
}

// dsr.yaml chooses Scotland, names the gdpr member state (which silences
// the warning) and adds a proclaimed bank holiday to a rule calendar.
func TestDeadlinePolicyCalendarsAndOneOffDays(t *testing.T) {
	code, out, _ := dsr(t, nil, "deadline", "--policy", "gdpr", "--from", "2026-06-14T10:00:00+02:00")
	if code != 0 || !strings.Contains(out, "WARNING        policy gdpr: no member state named") || !strings.Contains(out, "due            2026-07-14") {
		t.Errorf("gdpr without member state: exit %d\n%s", code, out)
	}
	cfg := writeConfig(t, `
policy_calendars:
  gdpr: fr
  uk-gdpr: gb-sct
calendars:
  - id: gb-sct
    rules: gb-sct
    holidays:
      - {name: "Bank holiday (proclaimed)", from: 2027-01-05, to: 2027-01-05}
`)
	code, out, stderr := dsr(t, nil, "deadline", "--config", cfg, "--policy", "gdpr", "--from", "2026-06-14T10:00:00+02:00")
	if code != 0 || strings.Contains(out, "WARNING") || !strings.Contains(out, "due            2026-07-15") ||
		!strings.Contains(out, "calendar       fr ") {
		t.Errorf("gdpr on fr: exit %d, %s\n%s", code, stderr, out)
	}
	// Sat 2027-01-02; Mon 01-04 2nd January (substitute); Tue 01-05 the
	// operator's one-off day: Wed 01-06.
	code, out, stderr = dsr(t, nil, "deadline", "--config", cfg, "--policy", "uk-gdpr", "--from", "2026-12-02T10:00:00Z")
	if code != 0 || !strings.Contains(out, "due            2027-01-06 Wednesday") ||
		!strings.Contains(out, "skipped 2027-01-04 2nd January (substitute), 2027-01-05 Bank holiday (proclaimed)") ||
		!strings.Contains(out, "; local ") {
		t.Errorf("uk-gdpr on gb-sct with a proclaimed day: exit %d, %s\n%s", code, stderr, out)
	}

	bad := writeConfig(t, "policy_calendars:\n  gdpr: pt\n")
	code, _, stderr = dsr(t, nil, "deadline", "--config", bad, "--policy", "gdpr", "--from", "2026-06-14T10:00:00+02:00")
	if code == 0 || !strings.Contains(stderr, "policy_calendars.gdpr") || !strings.Contains(stderr, "no built-in calendar for Portugal") {
		t.Errorf("gdpr on pt: exit %d, %s", code, stderr)
	}
}
