package policy_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/request"
)

func TestScheduleWaitingForVerification(t *testing.T) {
	p := get(t, "cn-15d-after-verification")
	s, err := p.Schedule(request.Access, at(t, "2026-03-01T10:00:00+08:00"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.ClockStart != "verification" || s.StartedAt != nil || s.Due != nil || s.Reminders != nil || s.MaxExtendedDue != nil || s.AcknowledgeBy != nil {
		t.Errorf("schedule = %+v, want clock not started", s)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	// 03-01 + 30 days = Tue 03-31.
	want := `{"clock_start":"verification","started_at":null,"due":null,"reminders":null,"acknowledge_by":null,` +
		`"verify_by":{"date":"2026-03-31","at":"2026-03-31T23:59:59+08:00"},"max_extended_due":null}`
	if string(b) != want {
		t.Errorf("JSON =\n%s\nwant\n%s", b, want)
	}
}

func TestScheduleVerified(t *testing.T) {
	p := get(t, "cn-15d-after-verification")
	verified := at(t, "2026-03-05T15:00:00+08:00")
	s, err := p.Schedule(request.Access, at(t, "2026-03-01T10:00:00+08:00"), &verified)
	if err != nil {
		t.Fatal(err)
	}
	if s.StartedAt == nil || !s.StartedAt.Equal(verified) {
		t.Errorf("StartedAt = %v, want %v", s.StartedAt, verified)
	}
	if s.StartedAt == &verified {
		t.Error("StartedAt aliases the caller's time")
	}
	// 03-05 + 15 = Fri 03-20.
	if s.Due == nil || s.Due.Date.String() != "2026-03-20" {
		t.Errorf("Due = %v, want 2026-03-20", s.Due)
	}
	checkTimes(t, "reminders", s.Reminders, []string{
		"2026-03-13T09:00:00+08:00", "2026-03-17T09:00:00+08:00", "2026-03-19T09:00:00+08:00"})
	if s.VerifyBy.Date.String() != "2026-03-31" || s.MaxExtendedDue != nil {
		t.Errorf("VerifyBy = %s, MaxExtendedDue = %v", s.VerifyBy.Date, s.MaxExtendedDue)
	}

	early := at(t, "2026-02-28T10:00:00+08:00")
	if _, err := p.Schedule(request.Access, at(t, "2026-03-01T10:00:00+08:00"), &early); err == nil {
		t.Error("Schedule accepted verification before receipt")
	}
}

func TestScheduleByType(t *testing.T) {
	p := get(t, "cn-15wd")
	received := at(t, "2026-02-05T10:00:00+08:00")
	verified := at(t, "2026-02-10T10:00:00+08:00")
	tests := []struct {
		typ        request.Type
		clockStart string
		due        string
	}{
		// From Thu 02-05: 1 Fri 02-06, 2-6 02-09..02-13, 7 Sat 02-14,
		// 8-11 02-24..02-27, 12 Sat 02-28, 13-15 03-02..03-04.
		{request.Access, "receipt", "2026-03-04"},
		// From verification on 02-10, as in TestCN15wdDue.
		{request.Complaint, "verification", "2026-03-09"},
		{request.AccountCancellation, "verification", "2026-03-09"},
	}
	for _, tt := range tests {
		s, err := p.Schedule(tt.typ, received, &verified)
		if err != nil {
			t.Fatal(err)
		}
		if s.ClockStart != tt.clockStart || s.Due == nil || s.Due.Date.String() != tt.due {
			t.Errorf("%s: clock %s due %v; want %s, %s", tt.typ, s.ClockStart, s.Due, tt.clockStart, tt.due)
		}
	}
	s, err := p.Schedule(request.Complaint, received, nil)
	if err != nil || s.Due != nil {
		t.Errorf("unverified complaint: %+v, %v", s, err)
	}
	s, err = p.Schedule(request.Access, received, nil)
	if err != nil || s.Due == nil || s.Due.Date.String() != "2026-03-04" {
		t.Errorf("unverified access: %+v, %v", s, err)
	}
}

func TestScheduleCCPA(t *testing.T) {
	p := get(t, "ccpa")
	received := at(t, "2026-03-02T10:00:00-08:00")
	s, err := p.Schedule(request.Deletion, received, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	// Due and acknowledge as in TestCCPA; verify by 03-02 + 30 = Wed 04-01;
	// max extended 04-16 + 45 = Sun 05-31 -> Mon 06-01; reminders 7, 3 and
	// 1 days before Thu 04-16.
	want := `{"clock_start":"receipt","started_at":"2026-03-02T10:00:00-08:00",` +
		`"due":{"date":"2026-04-16","at":"2026-04-16T23:59:59-07:00"},` +
		`"reminders":["2026-04-09T09:00:00-07:00","2026-04-13T09:00:00-07:00","2026-04-15T09:00:00-07:00"],` +
		`"acknowledge_by":{"date":"2026-03-16","at":"2026-03-16T23:59:59-07:00"},` +
		`"verify_by":{"date":"2026-04-01","at":"2026-04-01T23:59:59-07:00"},` +
		`"max_extended_due":{"date":"2026-06-01","at":"2026-06-01T23:59:59-07:00"}}`
	if string(b) != want {
		t.Errorf("JSON =\n%s\nwant\n%s", b, want)
	}

	var out bytes.Buffer
	if err := s.Format(&out, p, received); err != nil {
		t.Fatal(err)
	}
	wantText := strings.Join([]string{
		"policy         ccpa: " + p.Description,
		"calendar       us-ca (version " + calendar.LibraryVersion + "; dsrflow rules 1), time zone America/Los_Angeles",
		"deadline       45 calendar days from receipt",
		"clock start    receipt at 2026-03-02T10:00:00-08:00",
		"due            2026-04-16 Thursday (ends 2026-04-16T23:59:59-07:00)",
		"reminders      2026-04-09T09:00:00-07:00",
		"               2026-04-13T09:00:00-07:00",
		"               2026-04-15T09:00:00-07:00",
		"acknowledge by 2026-03-16 Monday (ends 2026-03-16T23:59:59-07:00)",
		"verify by      2026-04-01 Wednesday (ends 2026-04-01T23:59:59-07:00)",
		"max extended   2026-06-01 Monday (ends 2026-06-01T23:59:59-07:00) (1 × up to 45 calendar days)",
		"",
	}, "\n")
	if out.String() != wantText {
		t.Errorf("Format =\n%s\nwant\n%s", out.String(), wantText)
	}
}

func TestFormatNotStarted(t *testing.T) {
	p := get(t, "cn-15d-after-verification")
	s, err := p.Schedule(request.Access, at(t, "2026-03-01T02:00:00Z"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := s.Format(&out, p, at(t, "2026-03-01T02:00:00Z")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"calendar       cn (version 2025-11-04), time zone Asia/Shanghai\n",
		"deadline       15 calendar days from verification\n",
		"clock start    not started: waits for identity verification\n",
		"due            not yet known\n",
		"verify by      2026-03-31 Tuesday (ends 2026-03-31T23:59:59+08:00)\n",
		"extension      not allowed\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Format output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "reminders") {
		t.Errorf("Format shows reminders before the clock started:\n%s", out.String())
	}
}

// TestDeterminism: workflow replays must compute exactly what the first run
// did, so the same inputs, through separately built registries, must give
// byte-identical results.
func TestDeterminism(t *testing.T) {
	inputs := []struct {
		typ      request.Type
		received string
		verified string
	}{
		{request.Access, "2026-02-01T10:00:00+08:00", ""},
		{request.Complaint, "2026-09-15T03:00:00Z", "2026-09-16T03:00:00Z"},
		{request.AccountCancellation, "2026-01-30T23:59:59-05:00", ""},
		{request.Deletion, "2026-03-05T10:00:00+01:00", "2026-03-06T10:00:00+01:00"},
	}
	run := func() string {
		var b strings.Builder
		for _, p := range registry(t).List() {
			for _, in := range inputs {
				var verified *time.Time
				if in.verified != "" {
					v := at(t, in.verified)
					verified = &v
				}
				s, err := p.Schedule(in.typ, at(t, in.received), verified)
				if err != nil {
					t.Fatalf("%s %v: %v", p.ID, in, err)
				}
				j, err := json.Marshal(s)
				if err != nil {
					t.Fatal(err)
				}
				b.Write(j)
				if err := s.Format(&b, p, at(t, in.received)); err != nil {
					t.Fatal(err)
				}
			}
		}
		return b.String()
	}
	first := run()
	for range 20 {
		if again := run(); again != first {
			t.Fatalf("second run differs:\n%s\n---\n%s", first, again)
		}
	}
	// Guard against a vacuous pass: every policy produced some output.
	if n := strings.Count(first, `"verify_by"`); n != 8*len(inputs) {
		t.Errorf("got %d schedules, want %d", n, 8*len(inputs))
	}
}

// A case opened today in late 2026 has a due date in 2026, but its longest
// extension runs into 2027, whose holidays are not in the calendar yet. The
// schedule still stands; only the extension is unknown.
func TestScheduleExtensionPastCalendar(t *testing.T) {
	p := get(t, "cn-15d-ext45")
	received := at(t, "2026-11-23T10:00:00+08:00")
	s, err := p.Schedule(request.Access, received, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Due == nil || s.Due.Date.String() != "2026-12-08" {
		t.Fatalf("due = %v, want 2026-12-08", s.Due)
	}
	if s.MaxExtendedDue != nil || !strings.Contains(s.MaxExtendedDueProblem, "2027-01-22") {
		t.Fatalf("max extended = %v, problem %q; want none, naming 2027-01-22", s.MaxExtendedDue, s.MaxExtendedDueProblem)
	}
	var out bytes.Buffer
	if err := s.Format(&out, p, received); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "max extended   cannot be computed yet: ") {
		t.Errorf("Format output:\n%s", out.String())
	}
}
