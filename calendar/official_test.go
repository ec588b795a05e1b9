package calendar

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// official is the hand-checked table: every bank or public holiday that
// falls on a weekday (Monday to Friday) in the given calendar and year, as
// the official list gives it, with a word of its name. Each list is
// complete, so a holiday the rules add or miss fails the test.
//
// Sources, checked by hand:
//   - gb-eng, gb-sct, gb-nir: https://www.gov.uk/bank-holidays (England and
//     Wales; Scotland; Northern Ireland), 2026 and 2027; the Banking and
//     Financial Dealings Act 1971, sch. 1, and the St Andrew's Day Bank
//     Holiday (Scotland) Act 2007, s. 1, for the substitute rules.
//   - de-by: Bayerisches Feiertagsgesetz (FTG) art. 1, 2026 (Mariä
//     Himmelfahrt, only in predominantly Catholic municipalities, falls on
//     a Saturday in 2026).
//   - us-ca: CalHR, "State Holidays" and "Holidays" (Gov. Code §§ 19853,
//     19854): https://www.calhr.ca.gov/employees/Pages/holidays.aspx, 2026
//     (4 July is a Saturday: holiday credit, no weekday off).
var official = []struct {
	calendar string
	date     string
	name     string
}{
	// England and Wales 2026
	{"gb-eng", "2026-01-01", "New Year"},
	{"gb-eng", "2026-04-03", "Good Friday"},
	{"gb-eng", "2026-04-06", "Easter Monday"},
	{"gb-eng", "2026-05-04", "Early May"},
	{"gb-eng", "2026-05-25", "Spring"},
	{"gb-eng", "2026-08-31", "Summer"},
	{"gb-eng", "2026-12-25", "Christmas"},
	{"gb-eng", "2026-12-28", "Boxing Day (substitute)"},
	// England and Wales 2027
	{"gb-eng", "2027-01-01", "New Year"},
	{"gb-eng", "2027-03-26", "Good Friday"},
	{"gb-eng", "2027-03-29", "Easter Monday"},
	{"gb-eng", "2027-05-03", "Early May"},
	{"gb-eng", "2027-05-31", "Spring"},
	{"gb-eng", "2027-08-30", "Summer"},
	{"gb-eng", "2027-12-27", "Christmas Day (substitute)"},
	{"gb-eng", "2027-12-28", "Boxing Day (substitute)"},
	// Scotland 2026
	{"gb-sct", "2026-01-01", "New Year"},
	{"gb-sct", "2026-01-02", "2nd January"},
	{"gb-sct", "2026-04-03", "Good Friday"},
	{"gb-sct", "2026-05-04", "Early May"},
	{"gb-sct", "2026-05-25", "Spring"},
	{"gb-sct", "2026-08-03", "Summer"},
	{"gb-sct", "2026-11-30", "St Andrew"},
	{"gb-sct", "2026-12-25", "Christmas"},
	{"gb-sct", "2026-12-28", "Boxing Day (substitute)"},
	// Scotland 2027
	{"gb-sct", "2027-01-01", "New Year"},
	{"gb-sct", "2027-01-04", "2nd January (substitute)"},
	{"gb-sct", "2027-03-26", "Good Friday"},
	{"gb-sct", "2027-05-03", "Early May"},
	{"gb-sct", "2027-05-31", "Spring"},
	{"gb-sct", "2027-08-02", "Summer"},
	{"gb-sct", "2027-11-30", "St Andrew"},
	{"gb-sct", "2027-12-27", "Christmas Day (substitute)"},
	{"gb-sct", "2027-12-28", "Boxing Day (substitute)"},
	// Northern Ireland 2026
	{"gb-nir", "2026-01-01", "New Year"},
	{"gb-nir", "2026-03-17", "St Patrick"},
	{"gb-nir", "2026-04-03", "Good Friday"},
	{"gb-nir", "2026-04-06", "Easter Monday"},
	{"gb-nir", "2026-05-04", "Early May"},
	{"gb-nir", "2026-05-25", "Spring"},
	{"gb-nir", "2026-07-13", "Boyne (Orangemen's Day) (substitute)"},
	{"gb-nir", "2026-08-31", "Summer"},
	{"gb-nir", "2026-12-25", "Christmas"},
	{"gb-nir", "2026-12-28", "Boxing Day (substitute)"},
	// Northern Ireland 2027
	{"gb-nir", "2027-01-01", "New Year"},
	{"gb-nir", "2027-03-17", "St Patrick"},
	{"gb-nir", "2027-03-26", "Good Friday"},
	{"gb-nir", "2027-03-29", "Easter Monday"},
	{"gb-nir", "2027-05-03", "Early May"},
	{"gb-nir", "2027-05-31", "Spring"},
	{"gb-nir", "2027-07-12", "Boyne"},
	{"gb-nir", "2027-08-30", "Summer"},
	{"gb-nir", "2027-12-27", "Christmas Day (substitute)"},
	{"gb-nir", "2027-12-28", "Boxing Day (substitute)"},
	// Bayern 2026
	{"de-by", "2026-01-01", "Neujahr"},
	{"de-by", "2026-01-06", "Drei"},
	{"de-by", "2026-04-03", "Karfreitag"},
	{"de-by", "2026-04-06", "Ostermontag"},
	{"de-by", "2026-05-01", "Arbeit"},
	{"de-by", "2026-05-14", "Himmelfahrt"},
	{"de-by", "2026-05-25", "Pfingstmontag"},
	{"de-by", "2026-06-04", "Fronleichnam"},
	{"de-by", "2026-12-25", "Weihnacht"},
	// California state holidays 2026
	{"us-ca", "2026-01-01", "New Year"},
	{"us-ca", "2026-01-19", "Martin Luther King"},
	{"us-ca", "2026-02-16", "Presidents"},
	{"us-ca", "2026-03-31", "Cesar Chavez"},
	{"us-ca", "2026-05-25", "Memorial"},
	{"us-ca", "2026-09-07", "Labor"},
	{"us-ca", "2026-11-11", "Veterans"},
	{"us-ca", "2026-11-26", "Thanksgiving"},
	{"us-ca", "2026-11-27", "Day after Thanksgiving"},
	{"us-ca", "2026-12-25", "Christmas"},
}

func TestOfficialHolidayLists(t *testing.T) {
	if len(official) < 40 {
		t.Fatalf("the hand-checked table has %d rows, want at least 40", len(official))
	}
	cals, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		calendar string
		year     int
	}
	want := map[key][]string{}
	for _, row := range official {
		d := mustDate(t, row.date)
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Fatalf("row %s %s: the table lists weekday holidays only", row.calendar, row.date)
		}
		k := key{row.calendar, d.Year}
		want[k] = append(want[k], row.date)
		c := cals[row.calendar]
		if c == nil {
			t.Fatalf("calendar %s missing", row.calendar)
		}
		if ok, err := c.IsWorkingDay(d); err != nil || ok {
			t.Errorf("%s %s (%s): working day %v, err %v; want a rest day", row.calendar, row.date, row.name, ok, err)
		}
		if name, _ := c.Holiday(d); !strings.Contains(name, row.name) {
			t.Errorf("%s %s: named %q, want it to contain %q", row.calendar, row.date, name, row.name)
		}
	}
	// Completeness: no weekday holiday beyond the official list.
	for k, dates := range want {
		days, err := cals[k.calendar].Year(k.year)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range days {
			if !d.Working && !d.Weekend {
				got = append(got, d.Date.String())
			}
		}
		if !slices.Equal(got, dates) {
			t.Errorf("%s %d weekday holidays:\n got %v\nwant %v", k.calendar, k.year, got, dates)
		}
	}
}

// Every rule calendar answers for any year: no coverage error in 2027 or
// 2100, and each has holidays.
func TestRuleCalendarsCoverEveryYear(t *testing.T) {
	cals, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range RuleIDs() {
		c := cals[id]
		for _, y := range []int{1999, 2027, 2100} {
			days, err := c.Year(y)
			if err != nil || len(days) < 5 {
				t.Errorf("%s %d: %d holidays, err %v", id, y, len(days), err)
			}
			if _, err := c.AddWorkingDays(Date{y, time.December, 20}, 30); err != nil {
				t.Errorf("%s %d: %v", id, y, err)
			}
		}
	}
}

func TestUnsupportedMemberStates(t *testing.T) {
	for _, id := range []string{"pt", "fi", "lu", "hu", "ee", "cy", "mt"} {
		_, err := New(Spec{ID: "mine", Rules: id})
		if err == nil || !strings.Contains(err.Error(), "no built-in calendar for") || !strings.Contains(err.Error(), "configure one") {
			t.Errorf("%s: %v, want a no-built-in-calendar error", id, err)
		}
	}
	if _, err := New(Spec{ID: "mine", Rules: "xx"}); err == nil || !strings.Contains(err.Error(), `unknown calendar "xx"`) {
		t.Errorf("xx: %v", err)
	}
}

// One-off days on top of a rule calendar: a proclaimed bank holiday added,
// a rule holiday removed (moved by proclamation, as in 2020).
func TestRuleCalendarOneOffDays(t *testing.T) {
	base, err := New(Spec{ID: "gb-eng", Rules: "gb-eng"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Spec{ID: "gb-eng", Rules: "gb-eng",
		Holidays:    []HolidaySpec{{Name: "Bank holiday for the state funeral", From: "2027-09-20", To: "2027-09-20"}},
		WorkingDays: []string{"2027-05-03"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		date    string
		working bool
	}{
		{"2027-09-20", false}, // added
		{"2027-05-03", true},  // removed
		{"2027-05-31", false}, // untouched rule holiday
		{"2027-09-21", true},
	} {
		ok, err := c.IsWorkingDay(mustDate(t, tc.date))
		if err != nil || ok != tc.working {
			t.Errorf("%s: working %v (%v), want %v", tc.date, ok, err, tc.working)
		}
	}
	if c.Version == base.Version || !strings.Contains(c.Version, "local ") || !strings.Contains(c.Version, LibraryVersion) {
		t.Errorf("version %q (base %q): want the library and a hash of the local days", c.Version, base.Version)
	}

	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{ID: "x", Rules: "gb-eng", WorkingDays: []string{"2027-05-04"}}, "neither a weekend day nor a holiday"},
		{Spec{ID: "x", Rules: "gb-eng", FirstYear: 2026, LastYear: 2027}, "covers every year"},
		{Spec{ID: "x", Rules: "gb-eng", TimeZone: "Mars/Base"}, "unknown zone"},
		{Spec{ID: "x", Rules: "gb-eng", Holidays: []HolidaySpec{{Name: "", From: "2027-01-05", To: "2027-01-05"}}}, "name: required"},
	} {
		if _, err := New(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.spec, err, tc.want)
		}
	}
}

// Pinning materialises a rule calendar: New(Pin(first, last)) is a data
// calendar that answers exactly as the rule calendar on every day of the
// span, names the same holidays, and knows nothing outside it.
func TestPinMaterialisesRuleCalendars(t *testing.T) {
	cals, err := Load([]Spec{{ID: "gb-eng-local", Rules: "gb-eng",
		Holidays:    []HolidaySpec{{Name: "Proclaimed", From: "2026-06-12", To: "2026-06-12"}},
		WorkingDays: []string{"2027-05-31", "2026-06-13"}}}) // a removed holiday; a Saturday worked
	if err != nil {
		t.Fatal(err)
	}
	first, last := Date{2025, time.January, 1}, Date{2029, time.December, 31}
	for _, id := range append(RuleIDs(), "gb-eng-local") {
		live := cals[id]
		spec, err := live.Pin(first, last)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if spec.Rules != "" || spec.FirstYear != 2025 || spec.LastYear != 2029 || spec.Version != live.Version {
			t.Errorf("%s: pinned spec rules %q years %d-%d version %q", id, spec.Rules, spec.FirstYear, spec.LastYear, spec.Version)
		}
		pinned, err := New(spec)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		for d := first; !d.After(last); d = d.AddDays(1) {
			want, err1 := live.IsWorkingDay(d)
			got, err2 := pinned.IsWorkingDay(d)
			wantName, _ := live.Holiday(d)
			gotName, _ := pinned.Holiday(d)
			if err1 != nil || err2 != nil || got != want || gotName != wantName {
				t.Fatalf("%s %s: pinned %v %q (%v), live %v %q (%v)", id, d, got, gotName, err2, want, wantName, err1)
			}
		}
		if _, err := pinned.IsWorkingDay(Date{2030, time.January, 2}); err == nil {
			t.Errorf("%s: pinned calendar answers outside its years", id)
		}
	}
}

// The version pinned cases record must name the library actually built in.
func TestLibraryVersionMatchesGoMod(t *testing.T) {
	b, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mod, ver, _ := strings.Cut(LibraryVersion, " ")
	if !strings.Contains(string(b), fmt.Sprintf("%s %s", mod, ver)) {
		t.Errorf("go.mod does not require %s; update LibraryVersion with the library", LibraryVersion)
	}
}
