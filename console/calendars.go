package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dsrflow/dsrflow/calendar"
)

type calendarsData struct {
	page
	// Calendars are those the policies run on, sorted by ID.
	Calendars []*calendar.Calendar
	// Cal is the calendar shown, with the holidays and make-up working days
	// of Year (what dsr calendar show lists).
	Cal                *calendar.Calendar
	Year, Prev, Next   int
	Days               []calendar.Day
	Problem            string
	PoliciesOnCalendar []string
}

// calendarsPage shows the calendars the policies count days on and, for
// one, a year's rest days and make-up working days, to check against the
// official list. The registry is the API's own, as for the days left.
func (c *Console) calendarsPage(g *gin.Context) {
	l := lang(g)
	d := calendarsData{page: c.page(g, l.T("calendars.title"))}
	byID := map[string]*calendar.Calendar{}
	if c.opts.Policies != nil {
		for _, p := range c.opts.Policies.List() {
			if p.Calendar == nil {
				continue
			}
			byID[p.Calendar.ID] = p.Calendar
			if p.Calendar.ID == g.Query("id") {
				d.PoliciesOnCalendar = append(d.PoliciesOnCalendar, p.ID)
			}
		}
	}
	for _, cal := range byID {
		d.Calendars = append(d.Calendars, cal)
	}
	slices.SortFunc(d.Calendars, func(a, b *calendar.Calendar) int { return strings.Compare(a.ID, b.ID) })
	id := g.Query("id")
	if id == "" {
		c.render(g, http.StatusOK, "calendars", d)
		return
	}
	d.Cal = byID[id]
	if d.Cal == nil {
		c.fail(g, http.StatusNotFound, l.T("calendars.unknown")+" "+id)
		return
	}
	d.Year = calendar.DateOf(c.opts.Now().In(d.Cal.Location)).Year
	if y := g.Query("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1 || n > 9999 {
			c.fail(g, http.StatusBadRequest, "year: "+l.T("calendars.bad_year"))
			return
		}
		d.Year = n
	}
	d.Prev, d.Next = d.Year-1, d.Year+1
	days, err := d.Cal.Year(d.Year)
	if err != nil {
		d.Problem = err.Error()
	}
	d.Days = days
	c.render(g, http.StatusOK, "calendars", d)
}
