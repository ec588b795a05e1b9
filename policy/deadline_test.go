package policy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/policy"
)

// dueCase is one Due computation. Weekdays in the comments were checked
// against a printed calendar; rest days in cn come from the State Council
// notices in calendar/data/cn.yaml.
type dueCase struct {
	name string
	from string // RFC 3339
	want string // last day
	at   string // end instant, RFC 3339; checked when set
}

func checkDue(t *testing.T, id string, tests []dueCase) {
	t.Helper()
	p := get(t, id)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.Due(at(t, tt.from))
			if err != nil {
				t.Fatalf("Due(%s): %v", tt.from, err)
			}
			if d.Date.String() != tt.want {
				t.Errorf("Due(%s) = %s (%s), want %s", tt.from, d.Date, d.Date.Weekday(), tt.want)
			}
			if calendar.DateOf(d.At) != d.Date || d.At.Hour() != 23 || d.At.Minute() != 59 || d.At.Second() != 59 {
				t.Errorf("At = %s, want 23:59:59 on %s", d.At, d.Date)
			}
			if tt.at != "" && d.At.Format(time.RFC3339) != tt.at {
				t.Errorf("At = %s, want %s", d.At.Format(time.RFC3339), tt.at)
			}
		})
	}
}

func deadlineOn(t *testing.T, p *policy.Policy, date string) policy.Deadline {
	t.Helper()
	d, err := calendar.ParseDate(date)
	if err != nil {
		t.Fatal(err)
	}
	return policy.Deadline{Date: d, At: time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, p.Location)}
}

func TestCN15dExt45Due(t *testing.T) {
	checkDue(t, "cn-15d-ext45", []dueCase{
		{"day of receipt not counted", "2026-03-01T10:00:00+08:00", "2026-03-16", "2026-03-16T23:59:59+08:00"},
		// Day 15 is 2026-02-16, inside 春节 (02-15..02-23, Mon 02-23 included),
		// so the first working day after is Tue 02-24.
		{"Spring Festival", "2026-02-01T10:00:00+08:00", "2026-02-24", "2026-02-24T23:59:59+08:00"},
		// Day 15 is 10-01, 国庆 runs to Wed 10-07, Thu 10-08 is a working day.
		{"National Day", "2026-09-16T10:00:00+08:00", "2026-10-08", ""},
		// Day 15 is Sat 02-14, a make-up working day: no roll.
		{"make-up Saturday", "2026-01-30T10:00:00+08:00", "2026-02-14", ""},
		{"Sunday to Monday", "2026-03-07T10:00:00+08:00", "2026-03-23", ""},
		{"Saturday to Monday", "2026-03-06T10:00:00+08:00", "2026-03-23", ""},
		// 2025-12-20 + 15 = 2026-01-04, a Sunday but a make-up working day.
		{"make-up Sunday across the year", "2025-12-20T10:00:00+08:00", "2026-01-04", ""},
		// Day 15 is 2026-01-01, 元旦 runs Thu-Sat; the next working day is
		// the make-up Sunday 01-04, not Monday.
		{"roll onto make-up Sunday", "2025-12-17T10:00:00+08:00", "2026-01-04", ""},
		// 17:30 UTC on 03-01 is 01:30 on 03-02 in Shanghai: day 0 is 03-02.
		{"late UTC is next day in Shanghai", "2026-03-01T17:30:00Z", "2026-03-17", ""},
		{"last second of the Shanghai day", "2026-03-01T15:59:59Z", "2026-03-16", ""},
		{"last covered day", "2026-12-16T10:00:00+08:00", "2026-12-31", ""},
	})
}

func TestCN15dExt45NotCovered(t *testing.T) {
	p := get(t, "cn-15d-ext45")
	// 2026-12-17 + 15 = 2027-01-01: whether that is a holiday depends on a
	// notice the calendar does not have.
	_, err := p.Due(at(t, "2026-12-17T10:00:00+08:00"))
	if !errors.Is(err, calendar.ErrNotCovered) {
		t.Fatalf("Due = %v, want ErrNotCovered", err)
	}
	for _, want := range []string{"cn-15d-ext45", "calendar cn", "2027-01-01"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestCN15dExt45Extend(t *testing.T) {
	p := get(t, "cn-15d-ext45")
	tests := []struct {
		name    string
		current string
		by      string
		sofar   int
		want    string
		err     error
	}{
		// 03-16 + 45: 15 days to 03-31, 30 more to Thu 04-30.
		{"45 days", "2026-03-16", "45d", 0, "2026-04-30", nil},
		// 03-20 + 45 = 05-04, inside 劳动节 (05-01..05-05): Wed 05-06.
		{"into Labour Day", "2026-03-20", "45d", 0, "2026-05-06", nil},
		{"shorter is fine", "2026-03-16", "10d", 0, "2026-03-26", nil},
		{"46 days", "2026-03-16", "46d", 0, "", policy.ErrExtensionTooLong},
		{"second extension", "2026-03-16", "45d", 1, "", policy.ErrTooManyExtensions},
		{"months for a days policy", "2026-03-16", "1m", 0, "", policy.ErrInvalidExtension},
		{"working days for a days policy", "2026-03-16", "10wd", 0, "", policy.ErrInvalidExtension},
		{"past the calendar", "2026-12-01", "45d", 0, "", calendar.ErrNotCovered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Extend(deadlineOn(t, p, tt.current), period(t, tt.by), tt.sofar)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Extend = %v, %v; want %v", got, err, tt.err)
				}
				if !strings.Contains(err.Error(), "cn-15d-ext45") {
					t.Errorf("error %q does not name the policy", err)
				}
				return
			}
			if err != nil || got.Date.String() != tt.want {
				t.Fatalf("Extend = %v, %v; want %s", got.Date, err, tt.want)
			}
			if want := tt.want + "T23:59:59+08:00"; got.At.Format(time.RFC3339) != want {
				t.Errorf("At = %s, want %s", got.At.Format(time.RFC3339), want)
			}
		})
	}
	_, err := p.Extend(deadlineOn(t, p, "2026-03-16"), policy.Period{}, 0)
	if !errors.Is(err, policy.ErrInvalidExtension) {
		t.Errorf("zero extension: %v", err)
	}
	_, err = p.Extend(deadlineOn(t, p, "2026-03-16"), period(t, "46d"), 0)
	if err == nil || !strings.Contains(err.Error(), "at most 45d") {
		t.Errorf("too long message: %v", err)
	}

	for _, id := range []string{"cn-15d-after-verification", "cn-15wd", "lgpd"} {
		q := get(t, id)
		if _, err := q.Extend(deadlineOn(t, q, "2026-03-16"), period(t, "1d"), 0); !errors.Is(err, policy.ErrNoExtension) {
			t.Errorf("%s Extend = %v, want ErrNoExtension", id, err)
		}
	}
}

func TestCN15dAfterVerificationDue(t *testing.T) {
	checkDue(t, "cn-15d-after-verification", []dueCase{
		{"verified", "2026-03-05T15:00:00+08:00", "2026-03-20", "2026-03-20T23:59:59+08:00"},
		// 2025 data: day 15 is 2025-10-01, 国庆+中秋 2025 run to Wed 10-08.
		{"National Day 2025", "2025-09-16T10:00:00+08:00", "2025-10-09", ""},
		// Day 15 is Sat 2025-02-08, a make-up working day.
		{"make-up Saturday 2025", "2025-01-24T10:00:00+08:00", "2025-02-08", ""},
	})
}

func TestCN15wdDue(t *testing.T) {
	checkDue(t, "cn-15wd", []dueCase{
		// From Tue 02-10: 1 Wed 02-11, 2 Thu 02-12, 3 Fri 02-13, 4 Sat 02-14
		// (make-up), 春节 02-15..02-23, 5 Tue 02-24, 6 02-25, 7 02-26,
		// 8 Fri 02-27, 9 Sat 02-28 (make-up), 10 Mon 03-02, 11 03-03,
		// 12 03-04, 13 03-05, 14 Fri 03-06, 15 Mon 03-09.
		{"across Spring Festival", "2026-02-10T10:00:00+08:00", "2026-03-09", "2026-03-09T23:59:59+08:00"},
		// From Tue 09-15: 1 09-16, 2 09-17, 3 Fri 09-18, Sat 09-19 rest,
		// 4 Sun 09-20 (make-up), 5 09-21, 6 09-22, 7 09-23, 8 Thu 09-24,
		// 中秋 09-25..09-27, 9 Mon 09-28, 10 09-29, 11 Wed 09-30,
		// 国庆 10-01..10-07, 12 Thu 10-08, 13 Fri 10-09, 14 Sat 10-10
		// (make-up), Sun 10-11 rest, 15 Mon 10-12.
		{"across National Day", "2026-09-15T10:00:00+08:00", "2026-10-12", ""},
		// From Fri 03-06: Mon 03-09..Fri 03-13 (5), 03-16..03-20 (10),
		// 03-23..03-27 (15).
		{"from a Friday", "2026-03-06T10:00:00+08:00", "2026-03-27", ""},
		// From Sat 10-03, inside 国庆: 1 Thu 10-08, 2 Fri 10-09, 3 Sat 10-10,
		// 4-8 10-12..10-16, 9-13 10-19..10-23, 14 Mon 10-26, 15 Tue 10-27.
		{"from a holiday", "2026-10-03T10:00:00+08:00", "2026-10-27", ""},
		// 16:30 UTC on Fri 02-13 is 00:30 on Sat 02-14 in Shanghai, so day 0
		// is 02-14 (not counted): 1-4 02-24..02-27, 5 Sat 02-28,
		// 6-10 03-02..03-06, 11-15 03-09..03-13. From 02-13 it would be 03-12.
		{"time zone decides day 0", "2026-02-13T16:30:00Z", "2026-03-13", ""},
	})
}

func TestCN15wdNotCovered(t *testing.T) {
	p := get(t, "cn-15wd")
	// From Sun 12-20: 12-21..12-25 (5), 12-28..12-31 (9), then 2027.
	_, err := p.Due(at(t, "2026-12-20T10:00:00+08:00"))
	if !errors.Is(err, calendar.ErrNotCovered) || !strings.Contains(err.Error(), "2027-01-01") {
		t.Errorf("Due = %v, want ErrNotCovered at 2027-01-01", err)
	}
}

func TestOneMonthExt45Due(t *testing.T) {
	checkDue(t, "1m-ext45", []dueCase{
		// 01-31 + 1m has no 02-31: 02-28, a Saturday, rolls to Mon 03-02.
		{"Jan 31 to end of Feb, Saturday", "2026-01-31T12:00:00Z", "2026-03-02", "2026-03-02T23:59:59Z"},
		{"leap year", "2028-01-31T12:00:00Z", "2028-02-29", ""}, // a Tuesday
		{"leap year 2024", "2024-01-31T12:00:00Z", "2024-02-29", ""},
		{"same day next month", "2027-01-15T12:00:00Z", "2027-02-15", ""}, // Monday
		// 2026-02-15 is a Sunday on this calendar (Spring Festival is not).
		{"same day, Sunday", "2026-01-15T12:00:00Z", "2026-02-16", ""},
		{"31st to 30th", "2026-03-31T12:00:00Z", "2026-04-30", ""},
		{"December to January", "2026-12-10T12:00:00Z", "2027-01-11", ""}, // 01-10 is Sunday
		// 23:30 in New York on 03-31 is 04-01 in UTC.
		{"zone of the policy, not of the input", "2026-03-31T23:30:00-05:00", "2026-05-01", ""},
	})
	p := get(t, "1m-ext45")
	// 03-02 + 45: 29 days to 03-31, 16 more to Thu 04-16.
	got, err := p.Extend(deadlineOn(t, p, "2026-03-02"), period(t, "45d"), 0)
	if err != nil || got.Date.String() != "2026-04-16" {
		t.Errorf("Extend = %v, %v; want 2026-04-16", got.Date, err)
	}
}

func TestGDPRDue(t *testing.T) {
	checkDue(t, "gdpr", []dueCase{
		{"end of February", "2026-01-31T10:00:00+01:00", "2026-03-02", "2026-03-02T23:59:59+01:00"},
		// The EDPB example: received 5 March, due 5 April, here a Sunday.
		// Summer time has begun by then, so the offset is +02:00.
		{"across summer time", "2026-03-05T10:00:00+01:00", "2026-04-06", "2026-04-06T23:59:59+02:00"},
		// 22:30 UTC on 04-29 is 00:30 on 04-30 in Brussels: due Sat 05-30,
		// rolled to Mon 06-01 (from 04-29 it would be Fri 05-29).
		{"Brussels day", "2026-04-29T22:30:00Z", "2026-06-01", ""},
	})
	p := get(t, "gdpr")
	tests := []struct {
		current, by, want string
		err               error
	}{
		{"2026-03-02", "2m", "2026-05-04", nil}, // 05-02 is a Saturday
		{"2026-04-06", "2m", "2026-06-08", nil}, // 06-06 is a Saturday
		{"2026-03-02", "1m", "2026-04-02", nil},
		{"2026-03-02", "3m", "", policy.ErrExtensionTooLong},
		{"2026-03-02", "60d", "", policy.ErrInvalidExtension},
	}
	for _, tt := range tests {
		got, err := p.Extend(deadlineOn(t, p, tt.current), period(t, tt.by), 0)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Extend(%s, %s) = %v, want %v", tt.current, tt.by, err, tt.err)
			}
			continue
		}
		if err != nil || got.Date.String() != tt.want {
			t.Errorf("Extend(%s, %s) = %s, %v; want %s", tt.current, tt.by, got.Date, err, tt.want)
		}
	}
}

func TestUKGDPRResume(t *testing.T) {
	p := get(t, "uk-gdpr")
	due, err := p.Due(at(t, "2026-01-10T09:00:00Z"))
	if err != nil || due.Date.String() != "2026-02-10" {
		t.Fatalf("Due = %v, %v; want 2026-02-10", due.Date, err)
	}
	tests := []struct {
		name, current, paused, resumed, want string
	}{
		{"a week", "2026-02-10", "2026-01-20T15:00:00Z", "2026-01-27T09:00:00Z", "2026-02-17"},
		// 02-10 + 4 = Sat 02-14, rolled to Mon 02-16.
		{"onto a weekend", "2026-02-10", "2026-01-20T15:00:00Z", "2026-01-24T10:00:00Z", "2026-02-16"},
		{"same day", "2026-02-10", "2026-01-20T09:00:00Z", "2026-01-20T17:00:00Z", "2026-02-10"},
		// 23:30 UTC on 06-01 is 00:30 on 06-02 in London (BST): one day
		// paused, not two.
		{"London dates", "2026-06-15", "2026-06-01T23:30:00Z", "2026-06-03T12:00:00Z", "2026-06-16"},
	}
	for _, tt := range tests {
		got, err := p.Resume(deadlineOn(t, p, tt.current), at(t, tt.paused), at(t, tt.resumed))
		if err != nil || got.Date.String() != tt.want {
			t.Errorf("%s: Resume = %s, %v; want %s", tt.name, got.Date, err, tt.want)
		}
	}
	got, _ := p.Resume(deadlineOn(t, p, "2026-06-15"), at(t, "2026-06-01T23:30:00Z"), at(t, "2026-06-03T12:00:00Z"))
	if s := got.At.Format(time.RFC3339); s != "2026-06-16T23:59:59+01:00" {
		t.Errorf("At = %s", s)
	}
	if _, err := p.Resume(due, at(t, "2026-01-27T09:00:00Z"), at(t, "2026-01-20T09:00:00Z")); err == nil {
		t.Error("Resume accepted resuming before pausing")
	}
	g := get(t, "gdpr")
	if _, err := g.Resume(due, at(t, "2026-01-20T09:00:00Z"), at(t, "2026-01-27T09:00:00Z")); !errors.Is(err, policy.ErrNoStopTheClock) {
		t.Errorf("gdpr Resume = %v, want ErrNoStopTheClock", err)
	}
}

func TestCCPA(t *testing.T) {
	checkDue(t, "ccpa", []dueCase{
		// 03-02 + 45: 29 days to 03-31, 16 more to Thu 04-16; US summer time
		// began on 03-08.
		{"45 days", "2026-03-02T10:00:00-08:00", "2026-04-16", "2026-04-16T23:59:59-07:00"},
		// 06:00 UTC on 03-03 is still 22:00 on 03-02 in Los Angeles.
		{"Los Angeles day", "2026-03-03T06:00:00Z", "2026-04-16", ""},
	})
	p := get(t, "ccpa")
	tests := []struct{ received, want, at string }{
		// From Mon 03-02: 03-03..03-06 (4), 03-09..03-13 (9), Mon 03-16 (10).
		{"2026-03-02T10:00:00-08:00", "2026-03-16", "2026-03-16T23:59:59-07:00"},
		// From Fri 03-06: 03-09..03-13 (5), 03-16..03-20 (10).
		{"2026-03-06T10:00:00-08:00", "2026-03-20", ""},
		// From Sat 03-07: same ten working days.
		{"2026-03-07T10:00:00-08:00", "2026-03-20", ""},
	}
	for _, tt := range tests {
		ack, err := p.AcknowledgeBy(at(t, tt.received))
		if err != nil || ack == nil || ack.Date.String() != tt.want {
			t.Errorf("AcknowledgeBy(%s) = %v, %v; want %s", tt.received, ack, err, tt.want)
			continue
		}
		if tt.at != "" && ack.At.Format(time.RFC3339) != tt.at {
			t.Errorf("AcknowledgeBy(%s).At = %s, want %s", tt.received, ack.At.Format(time.RFC3339), tt.at)
		}
	}
	// 04-16 + 45: 14 days to 04-30, 31 more to Sun 05-31, rolled to 06-01.
	ext, err := p.Extend(deadlineOn(t, p, "2026-04-16"), period(t, "45d"), 0)
	if err != nil || ext.Date.String() != "2026-06-01" {
		t.Errorf("Extend = %v, %v; want 2026-06-01", ext.Date, err)
	}
	if _, err := p.Extend(deadlineOn(t, p, "2026-04-16"), period(t, "46d"), 0); !errors.Is(err, policy.ErrExtensionTooLong) {
		t.Errorf("46d: %v", err)
	}
	if _, err := p.Extend(ext, period(t, "45d"), 1); !errors.Is(err, policy.ErrTooManyExtensions) {
		t.Errorf("second extension: %v", err)
	}
	for _, id := range []string{"gdpr", "cn-15d-ext45", "lgpd"} {
		if ack, err := get(t, id).AcknowledgeBy(at(t, "2026-03-02T10:00:00Z")); ack != nil || err != nil {
			t.Errorf("%s AcknowledgeBy = %v, %v; want nil", id, ack, err)
		}
	}
}

func TestLGPD(t *testing.T) {
	checkDue(t, "lgpd", []dueCase{
		{"15 days", "2026-03-02T12:00:00-03:00", "2026-03-17", "2026-03-17T23:59:59-03:00"},
		{"Saturday to Monday", "2026-03-06T12:00:00-03:00", "2026-03-23", ""},
		// 01:00 UTC on 03-03 is 22:00 on 03-02 in São Paulo.
		{"São Paulo day", "2026-03-03T01:00:00Z", "2026-03-17", ""},
	})
}

func TestVerificationDeadline(t *testing.T) {
	tests := []struct{ id, received, want string }{
		{"lgpd", "2026-03-02T12:00:00-03:00", "2026-03-12"},                      // Thu
		{"cn-15d-ext45", "2026-03-01T10:00:00+08:00", "2026-03-11"},              // Wed
		{"cn-15d-ext45", "2026-09-25T10:00:00+08:00", "2026-10-08"},              // 10-05 in 国庆
		{"cn-15d-after-verification", "2026-03-01T10:00:00+08:00", "2026-03-31"}, // Tue
		{"cn-15wd", "2026-02-01T10:00:00+08:00", "2026-03-03"},                   // 30d, not wd
		{"gdpr", "2026-03-02T10:00:00+01:00", "2026-03-23"},                      // 03-22 is Sunday
		{"ccpa", "2026-03-02T10:00:00-08:00", "2026-04-01"},
	}
	for _, tt := range tests {
		d, err := get(t, tt.id).VerificationDeadline(at(t, tt.received))
		if err != nil || d.Date.String() != tt.want {
			t.Errorf("%s VerificationDeadline(%s) = %s, %v; want %s", tt.id, tt.received, d.Date, err, tt.want)
		}
	}
}

func TestReminderTimes(t *testing.T) {
	p := get(t, "cn-15d-ext45")
	// Due Thu 03-19: 7, 3 and 1 days before are Thu, Mon and Wed.
	due := deadlineOn(t, p, "2026-03-19")
	tests := []struct {
		name       string
		clockStart string
		want       []string
	}{
		{"all", "2026-03-01T10:00:00+08:00", []string{
			"2026-03-12T09:00:00+08:00", "2026-03-16T09:00:00+08:00", "2026-03-18T09:00:00+08:00"}},
		{"past ones dropped", "2026-03-16T10:00:00+08:00", []string{"2026-03-18T09:00:00+08:00"}},
		{"equal to clock start dropped", "2026-03-16T09:00:00+08:00", []string{"2026-03-18T09:00:00+08:00"}},
		{"one second before kept", "2026-03-16T08:59:59+08:00", []string{"2026-03-16T09:00:00+08:00", "2026-03-18T09:00:00+08:00"}},
		{"none left", "2026-03-18T09:00:00+08:00", []string{}},
	}
	for _, tt := range tests {
		got, err := p.ReminderTimes(due, at(t, tt.clockStart))
		if err != nil {
			t.Fatal(err)
		}
		checkTimes(t, tt.name, got, tt.want)
	}
	// A reminder never lands on a rest day: due Mon 03-16, the day before
	// is Sunday, so it moves to Friday 03-13, where the 3-day one already is.
	got, err := p.ReminderTimes(deadlineOn(t, p, "2026-03-16"), at(t, "2026-03-01T10:00:00+08:00"))
	if err != nil {
		t.Fatal(err)
	}
	checkTimes(t, "weekend", got, []string{"2026-03-09T09:00:00+08:00", "2026-03-13T09:00:00+08:00"})

	// Working-day reminders count back over holidays, and the result is
	// sorted and deduplicated whatever the configured order.
	cals, err := calendar.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	custom, err := policy.New(policy.Spec{
		ID: "acme", Deadline: "15d", VerificationWindow: "10d", Calendar: "cn",
		Reminders: []string{"1d", "1wd", "7d", "2wd", "3d", "1m"},
	}, cals)
	if err != nil {
		t.Fatal(err)
	}
	got, err = custom.ReminderTimes(deadlineOn(t, custom, "2026-02-24"), at(t, "2026-01-01T00:00:00+08:00"))
	if err != nil {
		t.Fatal(err)
	}
	checkTimes(t, "working days over 春节", got, []string{
		"2026-01-23T09:00:00+08:00", // 1m: Sat 01-24, a rest day, so Fri 01-23
		"2026-02-13T09:00:00+08:00", // 2wd: 02-14 then Fri 02-13
		"2026-02-14T09:00:00+08:00", // 1wd: the make-up Saturday; and 7d, 3d, 1d (02-17, 02-21, 02-23: 春节) moved back to it
	})
	// Due Tue 03-17: 1d and 1wd are both Mon 03-16 and appear once; 1m
	// (02-17) is before the clock started.
	got, err = custom.ReminderTimes(deadlineOn(t, custom, "2026-03-17"), at(t, "2026-03-10T00:00:00+08:00"))
	if err != nil {
		t.Fatal(err)
	}
	checkTimes(t, "duplicates", got, []string{
		"2026-03-10T09:00:00+08:00", // 7d
		"2026-03-13T09:00:00+08:00", // 2wd: Mon 03-16, Fri 03-13; 3d: Sat 03-14, moved back
		"2026-03-16T09:00:00+08:00", // 1d and 1wd
	})

	// 09:00 is local: GMT before 03-29, BST after.
	uk := get(t, "uk-gdpr")
	got, err = uk.ReminderTimes(deadlineOn(t, uk, "2026-04-02"), at(t, "2026-03-02T09:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	checkTimes(t, "London summer time", got, []string{
		"2026-03-26T09:00:00Z", "2026-03-30T09:00:00+01:00", "2026-04-01T09:00:00+01:00"})

	// Counting back out of the calendar's years is an error, not a guess.
	_, err = custom.ReminderTimes(deadlineOn(t, custom, "2025-01-02"), at(t, "2024-12-01T00:00:00+08:00"))
	if !errors.Is(err, calendar.ErrNotCovered) {
		t.Errorf("ReminderTimes before 2025 = %v, want ErrNotCovered", err)
	}
}

func checkTimes(t *testing.T, name string, got []time.Time, want []string) {
	t.Helper()
	var s []string
	for _, g := range got {
		s = append(s, g.Format(time.RFC3339))
	}
	if strings.Join(s, " ") != strings.Join(want, " ") {
		t.Errorf("%s: got %v, want %v", name, s, want)
	}
}
