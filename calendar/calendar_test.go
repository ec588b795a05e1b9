package calendar

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func loadCalendar(t *testing.T, id string) *Calendar {
	t.Helper()
	cals, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := cals[id]
	if !ok {
		t.Fatalf("calendar %s missing", id)
	}
	return c
}

// dates expands "2026-02-15..2026-02-23" and single dates, written out here
// rather than read from data/cn.yaml so that the test checks the data.
func dates(t *testing.T, specs ...string) []Date {
	t.Helper()
	var out []Date
	for _, s := range specs {
		from, to, ok := strings.Cut(s, "..")
		if !ok {
			to = from
		}
		for d := mustDate(t, from); !d.After(mustDate(t, to)); d = d.AddDays(1) {
			out = append(out, d)
		}
	}
	return out
}

func TestEmbeddedCalendars(t *testing.T) {
	cals, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cn := cals["cn"]
	if cn == nil || cn.Location.String() != "Asia/Shanghai" || cn.FirstYear != 2025 || cn.LastYear != 2026 || cn.Version != "2025-11-04" {
		t.Errorf("cn = %+v", cn)
	}
	w := cals["weekends"]
	if w == nil || w.FirstYear != 0 || w.LastYear != 0 || w.Location.String() != "UTC" {
		t.Errorf("weekends = %+v", w)
	}
	if want := 2 + len(RuleIDs()); len(cals) != want {
		t.Errorf("got %d built-in calendars, want %d (2 data, %d rule)", len(cals), want, len(RuleIDs()))
	}
}

func TestCN2026(t *testing.T) {
	cn := loadCalendar(t, "cn")
	rest := dates(t,
		"2026-01-01..2026-01-03",                 // 元旦, Thu-Sat
		"2026-02-15..2026-02-23",                 // 春节, Sun-Mon
		"2026-04-04..2026-04-06",                 // 清明, Sat-Mon
		"2026-05-01..2026-05-05",                 // 劳动节, Fri-Tue
		"2026-06-19..2026-06-21",                 // 端午, Fri-Sun
		"2026-09-25..2026-09-27",                 // 中秋, Fri-Sun
		"2026-10-01..2026-10-07",                 // 国庆, Thu-Wed
		"2026-03-01", "2026-09-19", "2026-10-11", // ordinary weekend days
	)
	working := dates(t,
		"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10", // 调休, all weekend days
		"2026-01-05", "2026-02-13", "2026-02-24", "2026-04-07", "2026-05-06", "2026-06-22",
		"2026-09-24", "2026-09-28", "2026-10-08", "2026-12-31", // first/last days around the holidays
	)
	check(t, cn, rest, false)
	check(t, cn, working, true)
}

func TestCN2025(t *testing.T) {
	cn := loadCalendar(t, "cn")
	rest := dates(t,
		"2025-01-01",
		"2025-01-28..2025-02-04",
		"2025-04-04..2025-04-06",
		"2025-05-01..2025-05-05",
		"2025-05-31..2025-06-02",
		"2025-10-01..2025-10-08",
		"2025-01-25", "2025-10-12",
	)
	working := dates(t,
		"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
		"2025-01-02", "2025-01-27", "2025-02-05", "2025-04-07", "2025-05-06", "2025-06-03", "2025-10-09",
	)
	check(t, cn, rest, false)
	check(t, cn, working, true)
}

func check(t *testing.T, c *Calendar, days []Date, want bool) {
	t.Helper()
	for _, d := range days {
		got, err := c.IsWorkingDay(d)
		if err != nil {
			t.Errorf("%s: %v", d, err)
		} else if got != want {
			t.Errorf("%s (%s) working = %v, want %v", d, d.Weekday(), got, want)
		}
	}
}

func TestHolidayName(t *testing.T) {
	cn := loadCalendar(t, "cn")
	if name, ok := cn.Holiday(mustDate(t, "2026-02-16")); !ok || !strings.Contains(name, "春节") {
		t.Errorf("Holiday(2026-02-16) = %q, %v", name, ok)
	}
	if name, ok := cn.Holiday(mustDate(t, "2026-02-14")); ok {
		t.Errorf("Holiday(2026-02-14) = %q, want none", name)
	}
}

func TestNotCovered(t *testing.T) {
	cn := loadCalendar(t, "cn")
	for _, s := range []string{"2027-01-04", "2024-12-31"} {
		_, err := cn.IsWorkingDay(mustDate(t, s))
		if !errors.Is(err, ErrNotCovered) {
			t.Fatalf("IsWorkingDay(%s) error = %v, want ErrNotCovered", s, err)
		}
		var ce *CoverageError
		if !errors.As(err, &ce) || ce.Calendar != "cn" || ce.Date.String() != s {
			t.Errorf("error = %#v", ce)
		}
		if msg := err.Error(); !strings.Contains(msg, "cn") || !strings.Contains(msg, s) {
			t.Errorf("message %q does not name the calendar and the date", msg)
		}
	}
	// The walk must stop at the first uncovered day, not skip over it.
	_, err := cn.AddWorkingDays(mustDate(t, "2026-12-30"), 2)
	var ce *CoverageError
	if !errors.As(err, &ce) || ce.Date.String() != "2027-01-01" {
		t.Errorf("AddWorkingDays past 2026 = %v", err)
	}
}

func TestAddWorkingDays(t *testing.T) {
	cn := loadCalendar(t, "cn")
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-02-13", 1, "2026-02-14"},  // Fri -> make-up Sat
		{"2026-02-14", 1, "2026-02-24"},  // over 春节
		{"2026-02-24", -1, "2026-02-14"}, // backwards over 春节
		{"2026-09-30", 1, "2026-10-08"},  // over 国庆
		{"2026-10-08", 2, "2026-10-10"},  // Thu, Fri, make-up Sat
		{"2026-10-03", 1, "2026-10-08"},  // from inside a holiday
		{"2026-03-06", 5, "2026-03-13"},  // Fri + 5 = next Fri
		{"2026-03-06", 0, "2026-03-06"},
		{"2025-12-31", 1, "2026-01-04"}, // 元旦 Thu-Sat, then make-up Sun
	}
	for _, tt := range tests {
		got, err := cn.AddWorkingDays(mustDate(t, tt.from), tt.n)
		if err != nil {
			t.Errorf("AddWorkingDays(%s, %d): %v", tt.from, tt.n, err)
		} else if got.String() != tt.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
	next, err := cn.NextWorkingDay(mustDate(t, "2026-02-16"))
	if err != nil || next.String() != "2026-02-24" {
		t.Errorf("NextWorkingDay(2026-02-16) = %s, %v", next, err)
	}
}

func TestWeekendsCalendar(t *testing.T) {
	w := loadCalendar(t, "weekends")
	// Any year, including ones no holiday notice covers; 2026-01-01 is a
	// holiday in cn but an ordinary Thursday here.
	check(t, w, dates(t, "1999-12-31", "2026-01-01", "2026-02-16", "2099-06-01", "2026-10-08"), true)
	check(t, w, dates(t, "2000-01-01", "2026-02-14", "2100-01-03", "2026-10-10"), false)
	next, err := w.NextWorkingDay(mustDate(t, "2026-02-27"))
	if err != nil || next.String() != "2026-03-02" {
		t.Errorf("NextWorkingDay(Fri 2026-02-27) = %s, %v", next, err)
	}
}

func validSpec() Spec {
	return Spec{
		ID: "xx", Version: "1", TimeZone: "Europe/Paris", Weekend: []string{"Saturday", "sunday"},
		FirstYear: 2026, LastYear: 2026,
		Holidays:    []HolidaySpec{{Name: "Fête du Travail", From: "2026-05-01", To: "2026-05-01"}},
		WorkingDays: []string{"2026-05-09"},
	}
}

func TestNewValidation(t *testing.T) {
	if _, err := New(validSpec()); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	tests := []struct {
		name   string
		change func(*Spec)
		want   string
	}{
		{"no id", func(s *Spec) { s.ID = "" }, "id"},
		{"no version", func(s *Spec) { s.Version = "" }, "calendar xx: version"},
		{"no zone", func(s *Spec) { s.TimeZone = "" }, "calendar xx: time_zone"},
		{"unknown zone", func(s *Spec) { s.TimeZone = "Europe/Atlantis" }, "calendar xx: time_zone: unknown zone \"Europe/Atlantis\""},
		{"unknown weekday", func(s *Spec) { s.Weekend = []string{"saturday", "sundae"} }, "calendar xx: weekend[1]: unknown weekday \"sundae\""},
		{"weekday twice", func(s *Spec) { s.Weekend = []string{"sunday", "Sunday"} }, "weekend[1]"},
		{"no working day", func(s *Spec) {
			s.Weekend = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
		}, "calendar xx: weekend: leaves no working day"},
		{"years reversed", func(s *Spec) { s.FirstYear = 2027 }, "calendar xx: first_year"},
		{"negative year", func(s *Spec) { s.LastYear = -1 }, "calendar xx: last_year"},
		{"unbounded with holidays", func(s *Spec) { s.LastYear = 0 }, "first_year and last_year are required"},
		{"bad holiday date", func(s *Spec) { s.Holidays[0].From = "2026-05-32" }, "calendar xx: holidays[0].from"},
		{"holiday outside years", func(s *Spec) { s.Holidays[0].To = "2027-01-01" }, "calendar xx: holidays[0].to: 2027-01-01 is outside"},
		{"holiday reversed", func(s *Spec) { s.Holidays[0].From = "2026-05-02" }, "holidays[0].to: 2026-05-01 is before"},
		{"holiday without name", func(s *Spec) { s.Holidays[0].Name = "" }, "holidays[0].name"},
		{"overlapping holidays", func(s *Spec) {
			s.Holidays = append(s.Holidays, HolidaySpec{Name: "again", From: "2026-04-30", To: "2026-05-01"})
		}, "holidays[1]: 2026-05-01 is already part of"},
		{"bad working day", func(s *Spec) { s.WorkingDays = []string{"9 May"} }, "calendar xx: working_days[0]"},
		{"working day outside years", func(s *Spec) { s.WorkingDays = []string{"2025-12-27"} }, "working_days[0]: 2025-12-27 is outside"},
		{"working day not weekend", func(s *Spec) { s.WorkingDays = []string{"2026-05-08"} }, "working_days[0]: 2026-05-08 is a Friday"},
		{"working day is holiday", func(s *Spec) {
			s.Holidays[0].To = "2026-05-03"
			s.WorkingDays = []string{"2026-05-02"}
		}, "working_days[0]: 2026-05-02 is also a holiday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			s.Holidays = append([]HolidaySpec(nil), s.Holidays...)
			tt.change(&s)
			_, err := New(s)
			if err == nil {
				t.Fatalf("New succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestLoadExtra shows how an operator adds 2027 before dsrflow ships it: a
// spec with the embedded ID replaces the embedded calendar.
func TestLoadExtra(t *testing.T) {
	const doc = `
- id: cn
  version: "2026-11-01"
  time_zone: Asia/Shanghai
  weekend: [saturday, sunday]
  first_year: 2026
  last_year: 2027
  holidays:
    - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
- id: fr
  version: "1"
  time_zone: Europe/Paris
  weekend: [saturday, sunday]
  first_year: 2026
  last_year: 2026
  holidays:
    - name: Fête du Travail
      from: 2026-05-01
      to: 2026-05-01
`
	var extra []Spec
	if err := yaml.Unmarshal([]byte(doc), &extra); err != nil {
		t.Fatal(err)
	}
	cals, err := Load(extra)
	if err != nil {
		t.Fatal(err)
	}
	if cals["cn"].Version != "2026-11-01" {
		t.Errorf("cn was not replaced: version %s", cals["cn"].Version)
	}
	got, err := cals["cn"].AddWorkingDays(mustDate(t, "2026-12-31"), 1)
	if err != nil || got.String() != "2027-01-04" {
		t.Errorf("cn 2026-12-31 + 1wd = %s, %v; want 2027-01-04", got, err)
	}
	if ok, err := cals["fr"].IsWorkingDay(mustDate(t, "2026-05-01")); ok || err != nil {
		t.Errorf("fr 2026-05-01 working = %v, %v", ok, err)
	}
	if cals["weekends"] == nil {
		t.Error("weekends lost when loading extras")
	}

	_, err = Load([]Spec{extra[1], extra[1]})
	if err == nil || !strings.Contains(err.Error(), "calendars[1]: calendar fr: defined twice") {
		t.Errorf("duplicate extras: %v", err)
	}
	bad := extra[1]
	bad.TimeZone = "Mars/Olympus"
	_, err = Load([]Spec{bad})
	if err == nil || !strings.Contains(err.Error(), "calendars[0]: calendar fr: time_zone") {
		t.Errorf("bad extra: %v", err)
	}
}
