package policy_test

import (
	"encoding/json"
	"testing"

	"github.com/dsrflow/dsrflow/policy"
	"gopkg.in/yaml.v3"
)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in   string
		want policy.Period
	}{
		{"15d", policy.Period{Amount: 15, Unit: policy.CalendarDays}},
		{"15wd", policy.Period{Amount: 15, Unit: policy.WorkingDays}},
		{"1m", policy.Period{Amount: 1, Unit: policy.Months}},
		{"045d", policy.Period{Amount: 45, Unit: policy.CalendarDays}},
	}
	for _, tt := range tests {
		got, err := policy.ParsePeriod(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "15", "d", "15 d", "15D", "15w", "15days", "0d", "-1d", "+1d", "1.5m", "10000d", "99999999999999999999d"} {
		if p, err := policy.ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) = %v, want error", bad, p)
		}
	}
}

func TestPeriodString(t *testing.T) {
	for _, s := range []string{"15d", "15wd", "1m", "45d"} {
		p, err := policy.ParsePeriod(s)
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != s {
			t.Errorf("String() = %q, want %q", p.String(), s)
		}
	}
	if got := (policy.Period{}).String(); got != "" {
		t.Errorf("zero String() = %q", got)
	}
	if got := (policy.Period{Amount: 1, Unit: policy.Months}).Describe(); got != "1 month" {
		t.Errorf("Describe = %q", got)
	}
	if got := (policy.Period{Amount: 15, Unit: policy.WorkingDays}).Describe(); got != "15 working days" {
		t.Errorf("Describe = %q", got)
	}
}

func TestPeriodEncoding(t *testing.T) {
	type doc struct {
		P    policy.Period   `json:"p" yaml:"p"`
		List []policy.Period `json:"list" yaml:"list"`
	}
	in := doc{policy.Period{Amount: 10, Unit: policy.WorkingDays},
		[]policy.Period{{Amount: 7, Unit: policy.CalendarDays}, {Amount: 2, Unit: policy.Months}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"p":"10wd","list":["7d","2m"]}` {
		t.Errorf("JSON = %s", b)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out.P != in.P || len(out.List) != 2 || out.List[1] != in.List[1] {
		t.Errorf("JSON round trip = %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"p":"10x"}`), &out); err == nil {
		t.Error("JSON accepted 10x")
	}

	y, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(y) != "p: 10wd\nlist:\n    - 7d\n    - 2m\n" {
		t.Errorf("YAML = %q", y)
	}
	out = doc{}
	if err := yaml.Unmarshal(y, &out); err != nil || out.P != in.P || out.List[0] != in.List[0] {
		t.Errorf("YAML round trip = %+v, %v", out, err)
	}
}
