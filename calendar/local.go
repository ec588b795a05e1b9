package calendar

import (
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/us"
)

// The days github.com/rickar/cal/v2 does not know, in one place, each with
// its source. Changing anything here changes the rule calendars' answers,
// so raise localRulesRevision with it: pinned cases record the revision.

// localRulesRevision names the edition of the definitions in this file.
const localRulesRevision = "1"

var (
	// ukSubstitute moves a bank holiday on a weekend to the next Monday
	// (Banking and Financial Dealings Act 1971, sch. 1, and the royal
	// proclamations listed on https://www.gov.uk/bank-holidays).
	ukSubstitute = []cal.AltDay{{Day: time.Saturday, Offset: 2}, {Day: time.Sunday, Offset: 1}}

	// Scotland (https://www.gov.uk/bank-holidays, "Scotland"): 1 and 2
	// January are both bank holidays, so a New Year's Day on a Sunday is
	// substituted on Tuesday 3 January (Monday being 2 January), and a
	// 2 January on a Saturday or Sunday on the following Monday or Tuesday.
	sctNewYear = gb.NewYear.Clone(&cal.Holiday{
		Observed: []cal.AltDay{{Day: time.Saturday, Offset: 2}, {Day: time.Sunday, Offset: 2}},
	})
	sctSecondJanuary = &cal.Holiday{
		Name: "2nd January", Type: cal.ObservanceBank, Month: time.January, Day: 2,
		Func:     cal.CalcDayOfMonth,
		Observed: []cal.AltDay{{Day: time.Saturday, Offset: 2}, {Day: time.Sunday, Offset: 2}},
	}
	// St Andrew's Day Bank Holiday (Scotland) Act 2007: 30 November, or the
	// next Monday when it falls on a weekend.
	sctStAndrew = &cal.Holiday{
		Name: "St Andrew's Day", Type: cal.ObservanceBank, Month: time.November, Day: 30,
		Func: cal.CalcDayOfMonth, Observed: ukSubstitute,
	}

	// Northern Ireland (https://www.gov.uk/bank-holidays, "Northern
	// Ireland"): St Patrick's Day and the Battle of the Boyne
	// (Orangemen's Day), each substituted on the next Monday.
	nirStPatrick = &cal.Holiday{
		Name: "St Patrick's Day", Type: cal.ObservanceBank, Month: time.March, Day: 17,
		Func: cal.CalcDayOfMonth, Observed: ukSubstitute,
	}
	nirBoyne = &cal.Holiday{
		Name: "Battle of the Boyne (Orangemen's Day)", Type: cal.ObservanceBank, Month: time.July, Day: 12,
		Func: cal.CalcDayOfMonth, Observed: ukSubstitute,
	}

	// California state holidays as CalHR publishes them each year
	// (https://www.calhr.ca.gov/employees/Pages/state-holidays.aspx): a
	// holiday on a Sunday is observed on the Monday; one on a Saturday is
	// not moved (employees get holiday credit), except Veterans Day, which
	// is then observed on the Friday (Gov. Code § 19853).
	caSundayToMonday = []cal.AltDay{{Day: time.Sunday, Offset: 1}}
	caVeterans       = []cal.AltDay{{Day: time.Saturday, Offset: -1}, {Day: time.Sunday, Offset: 1}}
	caCesarChavez    = &cal.Holiday{
		Name: "Cesar Chavez Day", Type: cal.ObservancePublic, Month: time.March, Day: 31,
		Func: cal.CalcDayOfMonth, Observed: caSundayToMonday,
	}
	caState = []*cal.Holiday{
		us.NewYear.Clone(&cal.Holiday{Observed: caSundayToMonday}),
		us.MlkDay,
		us.PresidentsDay,
		caCesarChavez,
		us.MemorialDay,
		us.IndependenceDay.Clone(&cal.Holiday{Observed: caSundayToMonday}),
		us.LaborDay,
		us.VeteransDay.Clone(&cal.Holiday{Observed: caVeterans}),
		us.ThanksgivingDay,
		us.DayAfterThanksgivingDay.Clone(&cal.Holiday{Name: "Day after Thanksgiving"}),
		us.ChristmasDay.Clone(&cal.Holiday{Observed: caSundayToMonday}),
	}

	// Government Code § 6700(a), the holidays of the state's statute, as
	// whole days: the Good Friday afternoon (12:00-15:00) is not a whole
	// day and is left out, and so is Lunar New Year, which follows the
	// lunisolar calendar and must be added each year as a one-off day
	// (docs/policies.md). § 6700(b): a holiday on a Sunday is observed on
	// the Monday; Gov. Code § 6701/19853: Veterans Day on a Saturday is
	// observed on the Friday.
	caGC6700 = []*cal.Holiday{
		us.NewYear.Clone(&cal.Holiday{Observed: caSundayToMonday}),
		us.MlkDay,
		{Name: "Lincoln Day", Type: cal.ObservancePublic, Month: time.February, Day: 12,
			Func: cal.CalcDayOfMonth, Observed: caSundayToMonday},
		us.PresidentsDay,
		caCesarChavez,
		{Name: "Genocide Remembrance Day", Type: cal.ObservancePublic, Month: time.April, Day: 24,
			Func: cal.CalcDayOfMonth, StartYear: 2023},
		us.MemorialDay,
		{Name: "Juneteenth", Type: cal.ObservancePublic, Month: time.June, Day: 19,
			Func: cal.CalcDayOfMonth, StartYear: 2023},
		us.IndependenceDay.Clone(&cal.Holiday{Observed: caSundayToMonday}),
		us.LaborDay,
		{Name: "Admission Day", Type: cal.ObservancePublic, Month: time.September, Day: 9,
			Func: cal.CalcDayOfMonth, Observed: caSundayToMonday},
		{Name: "Native American Day", Type: cal.ObservancePublic, Month: time.September,
			Weekday: time.Friday, Offset: 4, Func: cal.CalcWeekdayOffset},
		us.ColumbusDay,
		us.VeteransDay.Clone(&cal.Holiday{Observed: caVeterans}),
		us.ThanksgivingDay,
		us.ChristmasDay.Clone(&cal.Holiday{Observed: caSundayToMonday}),
	}

	// Brazil: Dia Nacional de Zumbi e da Consciência Negra, a national
	// holiday since Lei nº 14.759, de 21 de dezembro de 2023.
	brConscienciaNegra = &cal.Holiday{
		Name: "Dia Nacional de Zumbi e da Consciência Negra", Type: cal.ObservancePublic,
		Month: time.November, Day: 20, Func: cal.CalcDayOfMonth, StartYear: 2024,
	}
)

// withoutHoliday returns list without h, for regions that lack one of the
// national days (Scotland has no Easter Monday bank holiday).
func withoutHoliday(list []*cal.Holiday, drop ...*cal.Holiday) []*cal.Holiday {
	out := make([]*cal.Holiday, 0, len(list))
next:
	for _, h := range list {
		for _, d := range drop {
			if h == d {
				continue next
			}
		}
		out = append(out, h)
	}
	return out
}

// scotland and northernIreland derive from the library's England and Wales
// list, so the one-off UK days it knows (2020, 2022, 2023) carry over.
func scotland() []*cal.Holiday {
	l := withoutHoliday(gb.Holidays, gb.NewYear, gb.EasterMonday, gb.SummerHoliday)
	return append([]*cal.Holiday{sctNewYear, sctSecondJanuary}, append(l, gb.SummerHolidayScotland, sctStAndrew)...)
}

func northernIreland() []*cal.Holiday {
	return append(append([]*cal.Holiday{}, gb.Holidays...), nirStPatrick, nirBoyne)
}
