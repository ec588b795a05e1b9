package calendar

import (
	"encoding/json"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func mustDate(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParseDate(t *testing.T) {
	d, err := ParseDate("2026-03-01")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Date{2026, time.March, 1}); d != want {
		t.Errorf("ParseDate = %#v, want %#v", d, want)
	}
	for _, bad := range []string{"", "2026-02-30", "2026-2-3", "2026/02/03", "2026-02-03T00:00:00Z"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) succeeded, want error", bad)
		}
	}
}

func TestDateOfUsesLocation(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	// 17:30 UTC on the 1st is 01:30 on the 2nd in Shanghai.
	at := time.Date(2026, 3, 1, 17, 30, 0, 0, time.UTC)
	if got := DateOf(at).String(); got != "2026-03-01" {
		t.Errorf("DateOf(UTC) = %s", got)
	}
	if got := DateOf(at.In(shanghai)).String(); got != "2026-03-02" {
		t.Errorf("DateOf(Shanghai) = %s", got)
	}
}

func TestAddDays(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-03-01", 15, "2026-03-16"},
		{"2026-12-25", 10, "2027-01-04"},
		{"2028-02-28", 1, "2028-02-29"},
		{"2026-02-28", 1, "2026-03-01"},
		{"2026-03-01", -1, "2026-02-28"},
		{"2026-03-01", 0, "2026-03-01"},
	}
	for _, tt := range tests {
		if got := mustDate(t, tt.from).AddDays(tt.n).String(); got != tt.want {
			t.Errorf("%s.AddDays(%d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestAddMonths(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-01-31", 1, "2026-02-28"},
		{"2024-01-31", 1, "2024-02-29"},
		{"2026-01-15", 1, "2026-02-15"},
		{"2026-03-31", 1, "2026-04-30"},
		{"2026-12-31", 2, "2027-02-28"},
		{"2026-11-30", 3, "2027-02-28"},
		{"2026-03-31", -1, "2026-02-28"},
		{"2026-01-31", 12, "2027-01-31"},
	}
	for _, tt := range tests {
		if got := mustDate(t, tt.from).AddMonths(tt.n).String(); got != tt.want {
			t.Errorf("%s.AddMonths(%d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestSubAndCompare(t *testing.T) {
	a, b := mustDate(t, "2026-02-20"), mustDate(t, "2026-03-02")
	if got := b.Sub(a); got != 10 {
		t.Errorf("Sub = %d, want 10", got)
	}
	if got := a.Sub(b); got != -10 {
		t.Errorf("Sub = %d, want -10", got)
	}
	if got := mustDate(t, "2400-01-01").Sub(mustDate(t, "2000-01-01")); got != 146097 {
		// 400 Gregorian years are exactly 146097 days.
		t.Errorf("Sub over 400 years = %d, want 146097", got)
	}
	if !a.Before(b) || a.After(b) || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Errorf("ordering of %s and %s is wrong", a, b)
	}
}

func TestWeekday(t *testing.T) {
	for s, want := range map[string]time.Weekday{
		"2026-02-14": time.Saturday,
		"2026-10-08": time.Thursday,
		"2028-02-29": time.Tuesday,
		"2026-01-04": time.Sunday,
	} {
		if got := mustDate(t, s).Weekday(); got != want {
			t.Errorf("%s is a %s, want %s", s, got, want)
		}
	}
}

func TestDateIn(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	got := mustDate(t, "2026-07-01").In(london)
	if want := "2026-07-01T00:00:00+01:00"; got.Format(time.RFC3339) != want {
		t.Errorf("In = %s, want %s", got.Format(time.RFC3339), want)
	}
}

func TestDateEncoding(t *testing.T) {
	type doc struct {
		D Date `json:"d" yaml:"d"`
	}
	in := doc{Date{2026, time.March, 6}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"d":"2026-03-06"}` {
		t.Errorf("JSON = %s", b)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("JSON round trip = %v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-13-01"}`), &out); err == nil {
		t.Error("JSON accepted month 13")
	}

	y, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(y) != "d: \"2026-03-06\"\n" {
		t.Errorf("YAML = %q", y)
	}
	out = doc{}
	// Unquoted, YAML would resolve this as a timestamp; Date must still take it.
	if err := yaml.Unmarshal([]byte("d: 2026-03-06\n"), &out); err != nil || out != in {
		t.Errorf("YAML decode = %v, %v", out, err)
	}
}

// A struct holding an unset Date must survive JSON, as Temporal payloads do.
func TestZeroDateRoundTrip(t *testing.T) {
	var in, out struct{ D Date }
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	if !out.D.IsZero() {
		t.Errorf("zero date came back as %v", out.D)
	}
}
