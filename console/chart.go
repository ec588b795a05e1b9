package console

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"
)

// The charts are inline SVG drawn here: no script, no library, and they
// print as they show.

const (
	chartW, chartH = 460, 180
	chartTop       = 22 // room for the counts above the bars
	chartBottom    = 34 // room for the labels below
	closedWeeks    = 8  // weeks back the closed chart shows
	maxAheadWeeks  = 4  // weeks ahead it shows (cases closed before they were due)
)

type bar struct {
	Label string
	N     int
	Note  string // under the label
	Class string
}

// drawBars renders bars scaled to the largest; every number and label is
// escaped, since tenants and policies name them.
func drawBars(title, empty string, bars []bar) template.HTML {
	top := 1
	for _, b := range bars {
		top = max(top, b.N)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, template.HTMLEscapeString(title))
	slot := float64(chartW) / float64(len(bars))
	plotH := float64(chartH - chartTop - chartBottom)
	for i, b := range bars {
		h := plotH * float64(b.N) / float64(top)
		x := slot*float64(i) + slot*0.15
		y := float64(chartTop) + plotH - h
		fmt.Fprintf(&sb, `<rect class="bar %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
			template.HTMLEscapeString(b.Class), x, y, slot*0.7, h, template.HTMLEscapeString(b.Label), b.N)
		cx := slot*float64(i) + slot/2
		fmt.Fprintf(&sb, `<text class="n" x="%.1f" y="%.1f" text-anchor="middle">%d</text>`, cx, y-4, b.N)
		fmt.Fprintf(&sb, `<text class="label" x="%.1f" y="%d" text-anchor="middle">%s</text>`, cx, chartH-chartBottom+14,
			template.HTMLEscapeString(b.Label))
		if b.Note != "" {
			fmt.Fprintf(&sb, `<text class="note" x="%.1f" y="%d" text-anchor="middle">%s</text>`, cx, chartH-chartBottom+28,
				template.HTMLEscapeString(b.Note))
		}
	}
	if !slices.ContainsFunc(bars, func(b bar) bool { return b.N > 0 }) {
		fmt.Fprintf(&sb, `<text class="note" x="%d" y="%d" text-anchor="middle">%s</text>`, chartW/2, chartH/2,
			template.HTMLEscapeString(empty))
	}
	fmt.Fprintf(&sb, `<line class="axis" x1="0" x2="%d" y1="%d" y2="%d"/></svg>`, chartW, chartH-chartBottom, chartH-chartBottom)
	return template.HTML(sb.String()) //nolint:gosec // built above from escaped parts
}

// openChart counts open cases by days left, in each case's policy units.
func openChart(l Lang, days []daysLeft) template.HTML {
	buckets := []struct {
		label    string
		lo, hi   int
		class    string
		fallback bool
	}{
		{"< 0", -1 << 30, -1, "overdue", false},
		{"0–2", 0, 2, "soon", false},
		{"3–5", 3, 5, "soon", false},
		{"6–10", 6, 10, "", false},
		{"11–20", 11, 20, "", false},
		{"> 20", 21, 1 << 30, "", false},
		{l.T("chart.no_due"), 0, 0, "none", true},
	}
	bars := make([]bar, len(buckets))
	for i, b := range buckets {
		bars[i] = bar{Label: b.label, Class: b.class}
	}
	for _, d := range days {
		for i, b := range buckets {
			if (!d.Known && b.fallback) || (d.Known && !b.fallback && d.N >= b.lo && d.N <= b.hi) {
				bars[i].N++
				break
			}
		}
	}
	return drawBars(l.T("chart.open_title"), l.T("chart.empty"), bars)
}

// weekStart is the Monday, 00:00 UTC, of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// closedChart counts closed cases per week and the share on time (never
// overdue). A case counts in the week it closed; when the queue does not
// give that date, in its due date's week, and byDue says so.
func closedChart(l Lang, closed []queueItem, since time.Time) (chart template.HTML, byDue bool) {
	type week struct{ n, onTime int }
	weeks := make([]week, closedWeeks+maxAheadWeeks)
	last := closedWeeks - 1
	for _, it := range closed {
		at := it.ClosedAt
		if at == nil {
			at, byDue = it.DueAt, true
		}
		if at == nil {
			continue
		}
		i := int(weekStart(*at).Sub(since).Hours() / (24 * 7))
		if i < 0 || i >= len(weeks) {
			continue
		}
		weeks[i].n++
		if !it.Overdue {
			weeks[i].onTime++
		}
		last = max(last, i)
	}
	bars := make([]bar, last+1)
	for i := range bars {
		w := weeks[i]
		bars[i] = bar{Label: since.AddDate(0, 0, 7*i).Format("01-02"), N: w.n, Class: "closed"}
		if w.n > 0 {
			bars[i].Note = fmt.Sprintf("%d%% %s", w.onTime*100/w.n, l.T("chart.on_time"))
			if w.onTime < w.n {
				bars[i].Class = "closed late"
			}
		}
	}
	return drawBars(l.T("chart.closed_title"), l.T("chart.empty"), bars), byDue
}
