package calendar

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/us"
)

// LibraryVersion is the holiday library the rule calendars are computed
// with. A test checks it against go.mod, so an upgrade cannot slip in
// without changing the version that pinned cases record.
const LibraryVersion = "github.com/rickar/cal/v2 v2.1.13"

// rules is a calendar computed for any year from holiday rules rather than
// copied from notices year by year.
type rules struct {
	id          string
	description string
	zone        string
	holidays    []*cal.Holiday
	sources     []string
}

const govUK = "https://www.gov.uk/bank-holidays"

// ruleSets are the rule calendars by ID. IDs are lower-case ISO 3166
// codes, with the region after a hyphen (ISO 3166-2 subdivision, or the
// UK nation).
var ruleSets = func() map[string]rules {
	list := []rules{
		{"gb-eng", "England and Wales bank holidays", "Europe/London", gb.Holidays, []string{govUK}},
		{"gb-sct", "Scotland bank holidays", "Europe/London", scotland(), []string{govUK}},
		{"gb-nir", "Northern Ireland bank holidays", "Europe/London", northernIreland(), []string{govUK}},
		{"ie", "Ireland public holidays", "Europe/Dublin", ie.Holidays, nil},
		{"de", "Germany: national public holidays only (choose a Land where one applies)", "Europe/Berlin", de.Holidays, nil},
		{"de-bw", "Germany, Baden-Württemberg public holidays", "Europe/Berlin", de.HolidaysBW, nil},
		{"de-by", "Germany, Bayern public holidays", "Europe/Berlin", de.HolidaysBY, nil},
		{"de-be", "Germany, Berlin public holidays", "Europe/Berlin", de.HolidaysBE, nil},
		{"de-bb", "Germany, Brandenburg public holidays", "Europe/Berlin", de.HolidaysBB, nil},
		{"de-hb", "Germany, Bremen public holidays", "Europe/Berlin", de.HolidaysHB, nil},
		{"de-hh", "Germany, Hamburg public holidays", "Europe/Berlin", de.HolidaysHH, nil},
		{"de-he", "Germany, Hessen public holidays", "Europe/Berlin", de.HolidaysHE, nil},
		{"de-mv", "Germany, Mecklenburg-Vorpommern public holidays", "Europe/Berlin", de.HolidaysMV, nil},
		{"de-ni", "Germany, Niedersachsen public holidays", "Europe/Berlin", de.HolidaysNI, nil},
		{"de-nw", "Germany, Nordrhein-Westfalen public holidays", "Europe/Berlin", de.HolidaysNW, nil},
		{"de-rp", "Germany, Rheinland-Pfalz public holidays", "Europe/Berlin", de.HolidaysRP, nil},
		{"de-sl", "Germany, Saarland public holidays", "Europe/Berlin", de.HolidaysSL, nil},
		{"de-sn", "Germany, Sachsen public holidays", "Europe/Berlin", de.HolidaysSN, nil},
		{"de-st", "Germany, Sachsen-Anhalt public holidays", "Europe/Berlin", de.HolidaysST, nil},
		{"de-sh", "Germany, Schleswig-Holstein public holidays", "Europe/Berlin", de.HolidaysSH, nil},
		{"de-th", "Germany, Thüringen public holidays", "Europe/Berlin", de.HolidaysTH, nil},
		{"fr", "France public holidays (metropolitan)", "Europe/Paris", fr.Holidays, nil},
		{"nl", "Netherlands public holidays", "Europe/Amsterdam", nl.Holidays, nil},
		{"es", "Spain national public holidays", "Europe/Madrid", es.Holidays, nil},
		{"it", "Italy public holidays", "Europe/Rome", it.Holidays, nil},
		{"pl", "Poland public holidays", "Europe/Warsaw", pl.Holidays, nil},
		{"at", "Austria public holidays", "Europe/Vienna", at.Holidays, nil},
		{"be", "Belgium public holidays", "Europe/Brussels", be.Holidays, nil},
		{"dk", "Denmark public holidays", "Europe/Copenhagen", dk.Holidays, nil},
		{"se", "Sweden public holidays (with Midsummer, Christmas and New Year's Eve)", "Europe/Stockholm", se.Holidays, nil},
		{"cz", "Czechia public holidays", "Europe/Prague", cz.Holidays, nil},
		{"sk", "Slovakia public holidays", "Europe/Bratislava", sk.Holidays, nil},
		{"si", "Slovenia public holidays", "Europe/Ljubljana", si.Holidays, nil},
		{"hr", "Croatia public holidays", "Europe/Zagreb", hr.Holidays, nil},
		{"lt", "Lithuania public holidays", "Europe/Vilnius", lt.Holidays, nil},
		{"lv", "Latvia public holidays", "Europe/Riga", lv.Holidays, nil},
		{"gr", "Greece public holidays", "Europe/Athens", gr.Holidays, nil},
		{"ro", "Romania public holidays", "Europe/Bucharest", ro.Holidays, nil},
		{"bg", "Bulgaria public holidays", "Europe/Sofia", bg.Holidays, nil},
		{"br", "Brazil national holidays", "America/Sao_Paulo",
			append(append([]*cal.Holiday{}, br.Holidays...), brConscienciaNegra),
			[]string{"Lei nº 662/1949, Lei nº 6.802/1980, Lei nº 14.759/2023"}},
		{"us", "United States federal holidays", "America/New_York", us.Holidays, []string{"5 U.S.C. § 6103"}},
		{"us-ca", "California state holidays, as CalHR publishes them (with the day after Thanksgiving)", "America/Los_Angeles", caState,
			[]string{"https://www.calhr.ca.gov/employees/Pages/state-holidays.aspx"}},
		{"us-ca-gc6700", "California holidays of Government Code § 6700 (whole days; add Lunar New Year yearly)", "America/Los_Angeles", caGC6700,
			[]string{"Cal. Gov. Code §§ 6700, 6701, 19853"}},
	}
	m := make(map[string]rules, len(list))
	for _, r := range list {
		m[r.id] = r
	}
	return m
}()

// unsupported are EU member states the library has no holidays for. Naming
// one gets an error that says so, never a weekends-only calendar.
var unsupported = map[string]string{
	"pt": "Portugal", "fi": "Finland", "lu": "Luxembourg", "hu": "Hungary",
	"ee": "Estonia", "cy": "Cyprus", "mt": "Malta",
}

// RuleIDs lists the built-in rule calendars, sorted.
func RuleIDs() []string {
	ids := make([]string, 0, len(ruleSets))
	for id := range ruleSets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// UnknownError explains an unknown calendar ID: for a member state without
// a built-in calendar, that one must be configured.
func UnknownError(id string) error {
	if country, ok := unsupported[strings.ToLower(id)]; ok {
		return fmt.Errorf("no built-in calendar for %s (%s); configure one under calendars (see docs/policies.md)", country, id)
	}
	return fmt.Errorf("unknown calendar %q", id)
}

// observed returns the rest days the rules give in year y, with their
// names. A holiday moved to a substitute day is named on both days: on its
// own day (a weekend day, a rest day anyway) and as "(substitute)" on the
// day it is observed.
func (r rules) observed(y int, weekend [7]bool) map[Date]string {
	days := make(map[Date]string)
	add := func(d Date, name string) {
		if d.Year != y {
			return
		}
		if other, ok := days[d]; ok {
			if !strings.Contains(other, name) {
				days[d] = other + "; " + name
			}
			return
		}
		days[d] = name
	}
	// A substitute can cross New Year (US: a Saturday 1 January is observed
	// on Friday 31 December), so the neighbouring years are computed too.
	for _, h := range r.holidays {
		for yy := y - 1; yy <= y+1; yy++ {
			actual, obs := h.Calc(yy)
			if obs.IsZero() {
				continue
			}
			a, o := DateOf(actual), DateOf(obs)
			if a == o {
				add(o, h.Name)
				continue
			}
			add(o, h.Name+" (substitute)")
			if weekend[a.Weekday()] {
				add(a, h.Name)
			}
		}
	}
	return days
}

// newRules builds a rule calendar from a spec naming its rules, with the
// spec's one-off days on top.
func newRules(s Spec) (*Calendar, error) {
	fail := failer(s.ID)
	r, ok := ruleSets[s.Rules]
	if !ok {
		return nil, fmt.Errorf("calendar %s: rules: %w", s.ID, UnknownError(s.Rules))
	}
	// A rule calendar has every year; bounds would only invite the
	// coverage errors it exists to end.
	if s.FirstYear != 0 || s.LastYear != 0 {
		return fail("first_year", "a rule calendar (rules: %s) covers every year; leave first_year and last_year out", s.Rules)
	}
	c := &Calendar{
		ID:          s.ID,
		Description: s.Description,
		Sources:     s.Sources,
		spec:        s,
		holidays:    make(map[Date]string),
		workdays:    make(map[Date]bool),
		rules:       &r,
		ruleYears:   new(sync.Map),
	}
	if c.Description == "" {
		c.Description = r.description
	}
	if len(c.Sources) == 0 {
		c.Sources = append([]string{LibraryVersion}, r.sources...)
	}
	zone := cmp.Or(s.TimeZone, r.zone)
	weekend := s.Weekend
	if len(weekend) == 0 {
		weekend = []string{"saturday", "sunday"}
	}
	if err := c.setZoneAndWeekend(zone, weekend); err != nil {
		return nil, err
	}
	if err := c.addDays(s); err != nil {
		return nil, err
	}
	c.Version = ruleVersion(s)
	return c, nil
}

// ruleVersion names what a rule calendar's answers depend on: the library,
// the local rules of local.go and the operator's one-off days (by hash, so
// that any change to them shows).
func ruleVersion(s Spec) string {
	v := LibraryVersion + "; dsrflow rules " + localRulesRevision
	if s.Rules != s.ID {
		v += "; rules " + s.Rules
	}
	if len(s.Holidays) > 0 || len(s.WorkingDays) > 0 || len(s.Weekend) > 0 || s.TimeZone != "" {
		b, _ := json.Marshal(struct {
			TimeZone    string        `json:"time_zone"`
			Weekend     []string      `json:"weekend"`
			Holidays    []HolidaySpec `json:"holidays"`
			WorkingDays []string      `json:"working_days"`
		}{s.TimeZone, s.Weekend, s.Holidays, s.WorkingDays})
		sum := sha256.Sum256(b)
		v += "; local " + hex.EncodeToString(sum[:6])
	}
	if s.Version != "" {
		v += "; operator " + s.Version
	}
	return v
}
