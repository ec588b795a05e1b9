package policy_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
)

// Bank holidays from https://www.gov.uk/bank-holidays (England and Wales),
// as in calendar/official_test.go.
func TestUKGDPRBankHolidays(t *testing.T) {
	checkDue(t, "uk-gdpr", []dueCase{
		// The examples. 12-25 Fri Christmas Day; Sat 12-26 Boxing
		// Day, observed Mon 12-28; so Tue 12-29.
		{"Christmas", "2026-11-25T10:00:00Z", "2026-12-29", "2026-12-29T23:59:59Z"},
		// Fri 2027-01-01 New Year's Day, then the weekend: Mon 01-04.
		{"New Year", "2026-12-01T10:00:00Z", "2027-01-04", ""},
		// Sun 12-27, Mon 12-28 Boxing Day (substitute): Tue 12-29.
		{"after Christmas", "2026-11-27T10:00:00Z", "2026-12-29", ""},
		// 2027: Sat 12-25, Sun 12-26, substitutes Mon 12-27 and Tue 12-28.
		{"Christmas 2027", "2027-11-25T10:00:00Z", "2027-12-29", ""},
		// Good Friday 04-03, Easter Monday 04-06: Tue 04-07.
		{"Easter", "2026-03-03T10:00:00Z", "2026-04-07", "2026-04-07T23:59:59+01:00"},
		// 2027: Good Friday 03-26 (received 02-26 + 1m), Easter Monday 03-29.
		{"Easter 2027", "2027-02-26T10:00:00Z", "2027-03-30", ""},
		// Early May bank holiday Mon 05-04: Tue 05-05.
		{"early May", "2026-04-04T10:00:00Z", "2026-05-05", ""},
		// Spring bank holiday Mon 05-25: Tue 05-26.
		{"spring bank holiday", "2026-04-25T10:00:00Z", "2026-05-26", ""},
		// Summer bank holiday Mon 08-31 (England, not Scotland).
		{"summer bank holiday", "2026-07-31T10:00:00Z", "2026-09-01", ""},
	})
}

// The example as dsr deadline prints it: the skipped holidays are
// named as the official list names them.
func TestUKGDPRExplainsSkippedHolidays(t *testing.T) {
	p := get(t, "uk-gdpr")
	received := at(t, "2026-11-25T10:00:00Z")
	s, err := p.Schedule(request.Access, received, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := s.Format(&out, p, received); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"due            2026-12-29 Tuesday (ends 2026-12-29T23:59:59Z)\n" +
			"               skipped 2026-12-25 Christmas Day, 2026-12-28 Boxing Day (substitute)\n",
		"calendar       gb-eng (version " + calendar.LibraryVersion,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Format output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "WARNING") {
		t.Errorf("uk-gdpr warned:\n%s", out.String())
	}
}

func registryWith(t *testing.T, choose map[string]string) *policy.Registry {
	t.Helper()
	r, err := policy.Build(policy.Config{PolicyCalendars: choose})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func due(t *testing.T, r *policy.Registry, id, from string) string {
	t.Helper()
	p, ok := r.Get(id)
	if !ok {
		t.Fatalf("policy %s missing", id)
	}
	d, err := p.Due(at(t, from))
	if err != nil {
		t.Fatal(err)
	}
	return d.Date.String()
}

// Scotland and Northern Ireland are chosen in dsr.yaml (policy_calendars).
func TestUKGDPRScotlandAndNorthernIreland(t *testing.T) {
	sct := registryWith(t, map[string]string{"uk-gdpr": "gb-sct"})
	nir := registryWith(t, map[string]string{"uk-gdpr": "gb-nir"})
	eng := registry(t)
	for _, tt := range []struct{ from, eng, sct, nir string }{
		// Sat 2027-01-02: Mon 01-04 is "2nd January (substitute)" in
		// Scotland only.
		{"2026-12-02T10:00:00Z", "2027-01-04", "2027-01-05", "2027-01-04"},
		// St Andrew's Day, Mon 2026-11-30, Scotland only.
		{"2026-10-30T10:00:00Z", "2026-11-30", "2026-12-01", "2026-11-30"},
		// Summer bank holiday: first Monday of August in Scotland (08-03),
		// last Monday elsewhere (08-31).
		{"2026-07-03T10:00:00Z", "2026-08-03", "2026-08-04", "2026-08-03"},
		{"2026-07-31T10:00:00Z", "2026-09-01", "2026-08-31", "2026-09-01"},
		// Easter Monday 2026-04-06 is no bank holiday in Scotland.
		{"2026-03-06T10:00:00Z", "2026-04-07", "2026-04-06", "2026-04-07"},
		// St Patrick's Day Tue 2026-03-17 and the Battle of the Boyne,
		// Sun 07-12 observed Mon 07-13: Northern Ireland only.
		{"2026-02-17T10:00:00Z", "2026-03-17", "2026-03-17", "2026-03-18"},
		{"2026-06-13T10:00:00Z", "2026-07-13", "2026-07-13", "2026-07-14"},
	} {
		if got := due(t, eng, "uk-gdpr", tt.from); got != tt.eng {
			t.Errorf("gb-eng from %s: due %s, want %s", tt.from, got, tt.eng)
		}
		if got := due(t, sct, "uk-gdpr", tt.from); got != tt.sct {
			t.Errorf("gb-sct from %s: due %s, want %s", tt.from, got, tt.sct)
		}
		if got := due(t, nir, "uk-gdpr", tt.from); got != tt.nir {
			t.Errorf("gb-nir from %s: due %s, want %s", tt.from, got, tt.nir)
		}
	}
}

// The CCPA's 10 business days to confirm receipt do not count Thanksgiving
// (Thu 2026-11-26) nor, on the default us-ca calendar, the day after.
func TestCCPAAcknowledgeAcrossThanksgiving(t *testing.T) {
	received := "2026-11-20T10:00:00-08:00" // a Friday
	for _, tt := range []struct {
		calendar, want string
	}{
		// 11-23, 24, 25, 30, 12-01, 02, 03, 04, 07, 08.
		{"us-ca", "2026-12-08"},
		// § 6700 has Thanksgiving but not the day after: 11-27 counts.
		{"us-ca-gc6700", "2026-12-07"},
	} {
		r := registryWith(t, map[string]string{"ccpa": tt.calendar})
		p, _ := r.Get("ccpa")
		d, err := p.AcknowledgeBy(at(t, received))
		if err != nil || d.Date.String() != tt.want {
			t.Errorf("%s: acknowledge by %v, %v; want %s", tt.calendar, d, err, tt.want)
		}
	}
	p := get(t, "ccpa")
	ack, err := p.AcknowledgeBy(at(t, received))
	if err != nil {
		t.Fatal(err)
	}
	days := p.Skipped(calendar.DateOf(at(t, received).In(p.Location)), p.Acknowledge, ack.Date)
	if len(days) != 2 || days[0].Name != "Thanksgiving Day" || days[1].Name != "Day after Thanksgiving" {
		t.Errorf("skipped %+v, want Thanksgiving and the day after", days)
	}
}

// gdpr counts the holidays of the member state the operator names, and
// warns, loudly, when none is named.
func TestGDPRMemberState(t *testing.T) {
	plain := get(t, "gdpr")
	if plain.Warning == "" || !strings.Contains(plain.Warning, "policy_calendars.gdpr") {
		t.Errorf("gdpr without a member state: warning %q", plain.Warning)
	}
	if w := registry(t).Warnings(); len(w) != 1 || w[0] != plain.Warning {
		t.Errorf("registry warnings %q", w)
	}
	by := registryWith(t, map[string]string{"gdpr": "de-by"})
	de := registryWith(t, map[string]string{"gdpr": "de"})
	fr := registryWith(t, map[string]string{"gdpr": "fr"})
	if w := by.Warnings(); len(w) != 0 {
		t.Errorf("gdpr on de-by still warns: %q", w)
	}
	if p, _ := by.Get("gdpr"); p.TimeZone != "Europe/Berlin" || p.Warning != "" {
		t.Errorf("gdpr on de-by: zone %s, warning %q", p.TimeZone, p.Warning)
	}
	for _, tt := range []struct {
		reg      *policy.Registry
		from     string
		want     string
		why      string
		weekends string
	}{
		// Christi Himmelfahrt Thu 2026-05-14.
		{by, "2026-04-14T10:00:00+02:00", "2026-05-15", "Ascension", "2026-05-14"},
		// Fronleichnam Thu 2026-06-04: Bayern, not Germany-wide.
		{by, "2026-05-04T10:00:00+02:00", "2026-06-05", "Corpus Christi in Bayern", "2026-06-04"},
		{de, "2026-05-04T10:00:00+02:00", "2026-06-04", "no Corpus Christi nationally", "2026-06-04"},
		// Fête nationale Tue 2026-07-14.
		{fr, "2026-06-14T10:00:00+02:00", "2026-07-15", "14 juillet", "2026-07-14"},
		// Zweiter Weihnachtsfeiertag Sat 12-26 is a weekend day anyway;
		// 12-25 is Friday: Mon 12-28.
		{by, "2026-11-25T10:00:00+01:00", "2026-12-28", "Christmas", "2026-12-25"},
	} {
		if got := due(t, tt.reg, "gdpr", tt.from); got != tt.want {
			t.Errorf("%s: due %s, want %s", tt.why, got, tt.want)
		}
		if got := due(t, registry(t), "gdpr", tt.from); got != tt.weekends {
			t.Errorf("%s without member state: due %s, want %s", tt.why, got, tt.weekends)
		}
	}

	var out bytes.Buffer
	received := at(t, "2026-04-14T10:00:00+02:00")
	s, err := plain.Schedule(request.Access, received, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Format(&out, plain, received); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "WARNING        policy gdpr: no member state named") {
		t.Errorf("Format does not warn:\n%s", out.String())
	}
}

func TestPolicyCalendarsErrors(t *testing.T) {
	for _, tt := range []struct {
		choose map[string]string
		want   string
	}{
		{map[string]string{"gdpr": "pt"}, "policy_calendars.gdpr: no built-in calendar for Portugal (pt); configure one"},
		{map[string]string{"gdpr": "xx"}, `policy_calendars.gdpr: unknown calendar "xx"`},
		{map[string]string{"gdpr": ""}, "policy_calendars.gdpr: calendar ID required"},
		{map[string]string{"hipaa": "us"}, `policy_calendars.hipaa: unknown policy "hipaa"`},
	} {
		_, err := policy.Build(policy.Config{PolicyCalendars: tt.choose})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.choose, err, tt.want)
		}
	}
}

// lgpd counts Brazil's national holidays: 15 days from 2026-10-28 is Thu
// 11-12; from 11-05 it is Fri 11-20, Consciência Negra, so Mon 11-23.
func TestLGPDHolidays(t *testing.T) {
	checkDue(t, "lgpd", []dueCase{
		{"plain", "2026-10-28T10:00:00-03:00", "2026-11-12", ""},
		{"Consciência Negra", "2026-11-05T10:00:00-03:00", "2026-11-23", ""},
		// Proclamação da República Sun 11-15 is a weekend day anyway; from
		// 2026-10-17 + 15 = Sun 11-01, Mon 11-02 Finados: Tue 11-03.
		{"Finados", "2026-10-17T10:00:00-03:00", "2026-11-03", ""},
	})
}

// An operator's own policy put on another calendar keeps its zone; a
// preset takes the calendar's.
func TestPolicyCalendarsZone(t *testing.T) {
	r, err := policy.Build(policy.Config{
		Policies: []policy.Spec{{ID: "acme", Deadline: "1m", VerificationWindow: "10d",
			Calendar: "weekends", TimeZone: "Europe/Lisbon"}},
		PolicyCalendars: map[string]string{"acme": "fr", "1m-ext45": "ie"},
	})
	if err != nil {
		t.Fatal(err)
	}
	acme, _ := r.Get("acme")
	oneMonth, _ := r.Get("1m-ext45")
	if acme.CalendarID != "fr" || acme.TimeZone != "Europe/Lisbon" || oneMonth.CalendarID != "ie" || oneMonth.TimeZone != "Europe/Dublin" {
		t.Errorf("acme on %s in %s; 1m-ext45 on %s in %s", acme.CalendarID, acme.TimeZone, oneMonth.CalendarID, oneMonth.TimeZone)
	}
}
