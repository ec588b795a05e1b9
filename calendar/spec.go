package calendar

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
	_ "time/tzdata" // workers run in minimal containers that may lack zoneinfo

	"gopkg.in/yaml.v3"
)

// Spec is a calendar as written in YAML, either embedded in data/ or given
// by an operator in config. Dates stay strings here so that any decoder
// (yaml, mapstructure via viper) can fill it; New parses and checks them.
type Spec struct {
	ID          string `yaml:"id" mapstructure:"id" json:"id"`
	Description string `yaml:"description" mapstructure:"description" json:"description"`
	// Rules names a built-in rule calendar (gb-eng, de-by, us-ca, ...) that
	// computes the holidays of every year; Holidays and WorkingDays then add
	// or remove single days on top of it, and Version, TimeZone and Weekend
	// may be left out.
	Rules   string `yaml:"rules" mapstructure:"rules" json:"rules,omitempty"`
	Version string `yaml:"version" mapstructure:"version" json:"version"`
	// Sources cite the official notices the data was copied from.
	Sources     []string      `yaml:"sources" mapstructure:"sources" json:"sources,omitempty"`
	TimeZone    string        `yaml:"time_zone" mapstructure:"time_zone" json:"time_zone"`
	Weekend     []string      `yaml:"weekend" mapstructure:"weekend" json:"weekend"`
	FirstYear   int           `yaml:"first_year" mapstructure:"first_year" json:"first_year,omitempty"`
	LastYear    int           `yaml:"last_year" mapstructure:"last_year" json:"last_year,omitempty"`
	Holidays    []HolidaySpec `yaml:"holidays" mapstructure:"holidays" json:"holidays,omitempty"`
	WorkingDays []string      `yaml:"working_days" mapstructure:"working_days" json:"working_days,omitempty"`
}

// HolidaySpec is a run of rest days, From and To included.
type HolidaySpec struct {
	Name string `yaml:"name" mapstructure:"name" json:"name"`
	From string `yaml:"from" mapstructure:"from" json:"from"`
	To   string `yaml:"to" mapstructure:"to" json:"to"`
}

//go:embed data/*.yaml
var data embed.FS

// Embedded returns the specs of the calendars shipped with dsrflow, sorted
// by file name.
func Embedded() ([]Spec, error) {
	names, err := fs.Glob(data, "data/*.yaml")
	if err != nil {
		return nil, err
	}
	specs := make([]Spec, 0, len(names))
	for _, name := range names {
		b, err := data.ReadFile(name)
		if err != nil {
			return nil, err
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		// A misspelt key would otherwise drop data without a word.
		dec.KnownFields(true)
		var s Spec
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("calendar file %s: %w", path.Base(name), err)
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// Load builds the embedded calendars, the rule calendars, and then the
// extra ones. An extra calendar with the ID of a built-in one replaces it:
// that is how an operator adds next year's holidays before dsrflow ships
// them, or a proclaimed bank holiday to a rule calendar.
func Load(extra []Spec) (map[string]*Calendar, error) {
	embedded, err := Embedded()
	if err != nil {
		return nil, err
	}
	for _, id := range RuleIDs() {
		embedded = append(embedded, Spec{ID: id, Rules: id})
	}
	cals := make(map[string]*Calendar, len(embedded)+len(extra))
	for _, s := range embedded {
		c, err := New(s)
		if err != nil {
			return nil, fmt.Errorf("embedded %w", err)
		}
		cals[c.ID] = c
	}
	seen := make(map[string]bool, len(extra))
	for i, s := range extra {
		c, err := New(s)
		if err != nil {
			return nil, fmt.Errorf("calendars[%d]: %w", i, err)
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("calendars[%d]: calendar %s: defined twice", i, c.ID)
		}
		seen[c.ID] = true
		cals[c.ID] = c
	}
	return cals, nil
}

// New checks a spec and builds its calendar. Errors name the calendar and
// the offending field.
func New(s Spec) (*Calendar, error) {
	if s.ID == "" {
		return nil, errors.New("calendar: id: required")
	}
	if s.Rules != "" {
		return newRules(s)
	}
	c := &Calendar{
		ID:          s.ID,
		Description: s.Description,
		Version:     s.Version,
		Sources:     s.Sources,
		FirstYear:   s.FirstYear,
		LastYear:    s.LastYear,
		spec:        s,
		holidays:    make(map[Date]string),
		workdays:    make(map[Date]bool),
	}
	fail := failer(s.ID)
	if s.Version == "" {
		return fail("version", "required")
	}
	if s.TimeZone == "" {
		return fail("time_zone", "required")
	}
	if err := c.setZoneAndWeekend(s.TimeZone, s.Weekend); err != nil {
		return nil, err
	}

	if s.FirstYear < 0 {
		return fail("first_year", "%d is not a year", s.FirstYear)
	}
	if s.LastYear < 0 {
		return fail("last_year", "%d is not a year", s.LastYear)
	}
	if s.FirstYear != 0 && s.LastYear != 0 && s.FirstYear > s.LastYear {
		return fail("first_year", "%d is after last_year %d", s.FirstYear, s.LastYear)
	}
	// Holiday data is only ever known for some years; an unbounded calendar
	// with holidays would treat every other year as having none.
	if (len(s.Holidays) > 0 || len(s.WorkingDays) > 0) && (s.FirstYear == 0 || s.LastYear == 0) {
		return fail("first_year", "first_year and last_year are required when holidays or working_days are given")
	}

	if err := c.addDays(s); err != nil {
		return nil, err
	}
	return c, nil
}

// fieldError names the calendar and the offending field.
func fieldError(id, field, format string, args ...any) error {
	return fmt.Errorf("calendar %s: %s: %s", id, field, fmt.Sprintf(format, args...))
}

func failer(id string) func(field string, format string, args ...any) (*Calendar, error) {
	return func(field string, format string, args ...any) (*Calendar, error) {
		return nil, fieldError(id, field, format, args...)
	}
}

func (c *Calendar) setZoneAndWeekend(zone string, weekend []string) error {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return fieldError(c.ID, "time_zone", "unknown zone %q", zone)
	}
	c.Location = loc
	for i, name := range weekend {
		wd, ok := weekdays[strings.ToLower(name)]
		if !ok {
			return fieldError(c.ID, fmt.Sprintf("weekend[%d]", i), "unknown weekday %q", name)
		}
		if c.weekend[wd] {
			return fieldError(c.ID, fmt.Sprintf("weekend[%d]", i), "%s listed twice", name)
		}
		c.weekend[wd] = true
	}
	if len(weekend) == 7 {
		return fieldError(c.ID, "weekend", "leaves no working day in the week")
	}
	return nil
}

// addDays adds the spec's holidays and working days. On a rule calendar a
// working day may also be a weekday the rules make a holiday: that removes
// the holiday (a bank holiday moved by proclamation).
func (c *Calendar) addDays(s Spec) error {
	fail := func(field string, format string, args ...any) error {
		return fieldError(s.ID, field, format, args...)
	}
	date := func(field, v string) (Date, error) {
		d, err := ParseDate(v)
		if err != nil {
			return Date{}, fmt.Errorf("calendar %s: %s: %w", s.ID, field, err)
		}
		if !c.Covers(d) {
			return Date{}, fmt.Errorf("calendar %s: %s: %s is outside first_year..last_year (%s)",
				s.ID, field, d, years(s.FirstYear, s.LastYear))
		}
		return d, nil
	}
	for i, h := range s.Holidays {
		field := fmt.Sprintf("holidays[%d]", i)
		if h.Name == "" {
			return fail(field+".name", "required")
		}
		from, err := date(field+".from", h.From)
		if err != nil {
			return err
		}
		to, err := date(field+".to", h.To)
		if err != nil {
			return err
		}
		if to.Before(from) {
			return fail(field+".to", "%s is before from %s", to, from)
		}
		for d := from; !d.After(to); d = d.AddDays(1) {
			if other, ok := c.holidays[d]; ok {
				return fail(field, "%s is already part of %q", d, other)
			}
			c.holidays[d] = h.Name
		}
	}
	for i, v := range s.WorkingDays {
		field := fmt.Sprintf("working_days[%d]", i)
		d, err := date(field, v)
		if err != nil {
			return err
		}
		// A make-up working day is by definition a weekend day (or, on a
		// rule calendar, a holiday removed); anything else is a typo that
		// would otherwise go unnoticed.
		if !c.weekend[d.Weekday()] {
			if c.rules == nil {
				return fail(field, "%s is a %s, not a weekend day", d, d.Weekday())
			}
			if _, ok := c.ruleHolidays(d.Year)[d]; !ok {
				return fail(field, "%s is a %s, neither a weekend day nor a holiday of %s", d, d.Weekday(), c.rules.id)
			}
		}
		if name, ok := c.holidays[d]; ok {
			return fail(field, "%s is also a holiday (%s)", d, name)
		}
		if c.workdays[d] {
			return fail(field, "%s listed twice", d)
		}
		c.workdays[d] = true
	}
	return nil
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday,
	"saturday": time.Saturday,
}
