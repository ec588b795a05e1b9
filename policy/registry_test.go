package policy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
	"github.com/go-viper/mapstructure/v2"
	"gopkg.in/yaml.v3"
)

func registry(t *testing.T) *policy.Registry {
	t.Helper()
	r, err := policy.NewRegistry(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func get(t *testing.T, id string) *policy.Policy {
	t.Helper()
	p, ok := registry(t).Get(id)
	if !ok {
		t.Fatalf("policy %s missing", id)
	}
	return p
}

func period(t *testing.T, s string) policy.Period {
	t.Helper()
	if s == "" {
		return policy.Period{}
	}
	p, err := policy.ParsePeriod(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPresets(t *testing.T) {
	tests := []struct {
		id, deadline, clock, extension string
		maxExt                         int
		ack                            string
		stop                           bool
		verify, cal, zone              string
	}{
		{"cn-15d-ext45", "15d", "receipt", "45d", 1, "", false, "10d", "cn", "Asia/Shanghai"},
		{"cn-15d-after-verification", "15d", "verification", "", 0, "", false, "30d", "cn", "Asia/Shanghai"},
		{"cn-15wd", "15wd", "receipt", "", 0, "", false, "30d", "cn", "Asia/Shanghai"},
		{"1m-ext45", "1m", "receipt", "45d", 1, "", false, "20d", "weekends", "UTC"},
		{"gdpr", "1m", "receipt", "2m", 1, "", false, "20d", "weekends", "Europe/Brussels"},
		{"uk-gdpr", "1m", "receipt", "2m", 1, "", true, "20d", "gb-eng", "Europe/London"},
		{"ccpa", "45d", "receipt", "45d", 1, "10wd", false, "30d", "us-ca", "America/Los_Angeles"},
		{"lgpd", "15d", "receipt", "", 0, "", false, "10d", "br", "America/Sao_Paulo"},
	}
	r := registry(t)
	var ids []string
	for _, tt := range tests {
		ids = append(ids, tt.id)
		p, ok := r.Get(tt.id)
		if !ok {
			t.Errorf("preset %s missing", tt.id)
			continue
		}
		if p.Deadline != period(t, tt.deadline) || string(p.ClockStart) != tt.clock ||
			p.Extension != period(t, tt.extension) || p.MaxExtensions != tt.maxExt ||
			p.Acknowledge != period(t, tt.ack) || p.StopTheClock != tt.stop ||
			p.VerificationWindow != period(t, tt.verify) || p.CalendarID != tt.cal ||
			p.Calendar == nil || p.Calendar.ID != tt.cal ||
			p.TimeZone != tt.zone || p.Location.String() != tt.zone {
			t.Errorf("preset %s = %+v", tt.id, p)
		}
		if p.Description == "" {
			t.Errorf("preset %s has no description", tt.id)
		}
	}
	var got []string
	for _, p := range r.List() {
		got = append(got, p.ID)
	}
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Errorf("List() = %v, want %v", got, ids)
	}
}

func TestClockStartFor(t *testing.T) {
	wd := get(t, "cn-15wd")
	for typ, want := range map[request.Type]policy.ClockStart{
		request.AccountCancellation: policy.OnVerification,
		request.Complaint:           policy.OnVerification,
		request.Access:              policy.OnReceipt,
		request.Deletion:            policy.OnReceipt,
	} {
		if got := wd.ClockStartFor(typ); got != want {
			t.Errorf("cn-15wd ClockStartFor(%s) = %s, want %s", typ, got, want)
		}
	}
	if got := get(t, "cn-15d-ext45").ClockStartFor(request.Complaint); got != policy.OnReceipt {
		t.Errorf("cn-15d-ext45 ClockStartFor(complaint) = %s", got)
	}
	if got := get(t, "cn-15d-after-verification").ClockStartFor(request.Access); got != policy.OnVerification {
		t.Errorf("cn-15d-after-verification ClockStartFor(access) = %s", got)
	}
}

func TestRegistryExtra(t *testing.T) {
	gdpr30 := policy.Spec{ID: "gdpr", Deadline: "30d", VerificationWindow: "20d", Calendar: "weekends"}
	custom := policy.Spec{ID: "acme", Deadline: "10wd", Extension: "5wd", VerificationWindow: "5wd", Calendar: "cn"}
	r, err := policy.NewRegistry(nil, []policy.Spec{gdpr30, custom})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := r.Get("gdpr"); p.Deadline.String() != "30d" || p.TimeZone != "UTC" || p.Extension.String() != "" {
		t.Errorf("gdpr not replaced: %+v", p)
	}
	p, ok := r.Get("acme")
	if !ok || p.MaxExtensions != 1 || p.ClockStart != policy.OnReceipt || p.TimeZone != "Asia/Shanghai" {
		t.Errorf("acme = %+v (want max_extensions defaulted to 1, clock on receipt, calendar's zone)", p)
	}
	if n := len(r.List()); n != 9 {
		t.Errorf("List has %d policies, want 9", n)
	}

	_, err = policy.NewRegistry(nil, []policy.Spec{custom, custom})
	if err == nil || !strings.Contains(err.Error(), "policies[1]: policy acme: defined twice") {
		t.Errorf("duplicate extra: %v", err)
	}
	_, err = policy.NewRegistry(map[string]*calendar.Calendar{}, nil)
	if err == nil || !strings.Contains(err.Error(), `calendar: unknown calendar "cn"`) {
		t.Errorf("missing calendars: %v", err)
	}
}

// TestRegistryNewYear: once the operator loads a cn calendar with 2027 in
// it, the same presets compute 2027 deadlines.
func TestRegistryNewYear(t *testing.T) {
	cals, err := calendar.Load([]calendar.Spec{{
		ID: "cn", Version: "2026-11-01", TimeZone: "Asia/Shanghai", Weekend: []string{"saturday", "sunday"},
		FirstYear: 2026, LastYear: 2027,
		Holidays: []calendar.HolidaySpec{{Name: "元旦", From: "2027-01-01", To: "2027-01-03"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := policy.NewRegistry(cals, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := r.Get("cn-15d-ext45")
	// 2026-12-20 + 15 = 2027-01-04, a Monday.
	d, err := p.Due(at(t, "2026-12-20T10:00:00+08:00"))
	if err != nil || d.Date.String() != "2027-01-04" {
		t.Errorf("Due = %v, %v", d, err)
	}
}

func TestNewValidation(t *testing.T) {
	cals, err := calendar.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	valid := func() policy.Spec {
		return policy.Spec{
			ID: "acme", Deadline: "15d", ClockStart: "receipt", Extension: "45d",
			ClockStartByType:   map[string]string{"complaint": "verification"},
			VerificationWindow: "10d", Reminders: []string{"3d"}, Calendar: "cn",
		}
	}
	if _, err := policy.New(valid(), cals); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	tests := []struct {
		name   string
		change func(*policy.Spec)
		want   string
	}{
		{"no id", func(s *policy.Spec) { s.ID = "" }, "policy: id: required"},
		{"no deadline", func(s *policy.Spec) { s.Deadline = "" }, "policy acme: deadline: required"},
		{"bad deadline", func(s *policy.Spec) { s.Deadline = "15days" }, "policy acme: deadline: period \"15days\""},
		{"bad clock start", func(s *policy.Spec) { s.ClockStart = "payment" }, "policy acme: clock_start: \"payment\" is not one of"},
		{"bad request type", func(s *policy.Spec) { s.ClockStartByType = map[string]string{"refund": "verification"} }, "policy acme: clock_start_by_type: \"refund\""},
		{"bad override", func(s *policy.Spec) { s.ClockStartByType = map[string]string{"complaint": "later"} }, "policy acme: clock_start_by_type.complaint"},
		{"first bad type wins", func(s *policy.Spec) {
			s.ClockStartByType = map[string]string{"zz": "receipt", "aa": "receipt", "mm": "receipt"}
		}, `"aa" is not one of`},
		{"bad extension", func(s *policy.Spec) { s.Extension = "0d" }, "policy acme: extension"},
		{"max without extension", func(s *policy.Spec) { s.Extension, s.MaxExtensions = "", 2 }, "policy acme: max_extensions"},
		{"negative max", func(s *policy.Spec) { s.MaxExtensions = -1 }, "policy acme: max_extensions"},
		{"bad acknowledge", func(s *policy.Spec) { s.Acknowledge = "ten" }, "policy acme: acknowledge"},
		{"no verification window", func(s *policy.Spec) { s.VerificationWindow = "" }, "policy acme: verification_window: required"},
		{"bad reminder", func(s *policy.Spec) { s.Reminders = []string{"3d", "1h"} }, "policy acme: reminders[1]"},
		{"no calendar", func(s *policy.Spec) { s.Calendar = "" }, "policy acme: calendar: required"},
		{"unknown calendar", func(s *policy.Spec) { s.Calendar = "xx" }, "policy acme: calendar: unknown calendar \"xx\""},
		{"member state without calendar", func(s *policy.Spec) { s.Calendar = "pt" }, "policy acme: calendar: no built-in calendar for Portugal (pt); configure one"},
		{"bad zone", func(s *policy.Spec) { s.TimeZone = "Asia/Peking" }, "policy acme: time_zone: unknown zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.change(&s)
			_, err := policy.New(s, cals)
			if err == nil {
				t.Fatalf("New succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestSpecFromConfig decodes specs the two ways config reaches them: YAML
// files, and viper's map through mapstructure with weak typing.
func TestSpecFromConfig(t *testing.T) {
	const doc = `
id: acme
description: ACME promise
deadline: 15wd
clock_start: receipt
clock_start_by_type:
  account_cancellation: verification
extension: 1m
max_extensions: 2
acknowledge: 3wd
stop_the_clock: true
verification_window: 30d
reminders: [3wd, 1d]
calendar: cn
time_zone: Asia/Shanghai
`
	var fromYAML policy.Spec
	if err := yaml.Unmarshal([]byte(doc), &fromYAML); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(doc), &raw); err != nil {
		t.Fatal(err)
	}
	var fromMap policy.Spec
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{WeaklyTypedInput: true, Result: &fromMap})
	if err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(raw); err != nil {
		t.Fatal(err)
	}
	cals, err := calendar.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]policy.Spec{"yaml": fromYAML, "mapstructure": fromMap} {
		p, err := policy.New(s, cals)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if p.Deadline.String() != "15wd" || p.Extension.String() != "1m" || p.MaxExtensions != 2 ||
			p.Acknowledge.String() != "3wd" || !p.StopTheClock || p.VerificationWindow.String() != "30d" ||
			len(p.Reminders) != 2 || p.Reminders[0].String() != "3wd" ||
			p.ClockStartFor(request.AccountCancellation) != policy.OnVerification ||
			p.ClockStartFor(request.Access) != policy.OnReceipt || p.Description != "ACME promise" {
			t.Errorf("%s: decoded %+v", name, p)
		}
	}
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
