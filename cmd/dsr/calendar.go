package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/config"
)

const calendarUsage = "dsr calendar list | show ID --year YYYY"

// runCalendar lists a calendar's holidays and make-up working days for a
// year, so a DPO can hold it against the official list.
func runCalendar(args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("calendar: want a subcommand: %s", calendarUsage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("calendar "+sub, flag.ContinueOnError)
	file := fs.String("config", os.Getenv("DSR_CONFIG"), "configuration file (YAML); default $DSR_CONFIG")
	year := fs.Int("year", 0, "the year to list (show)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The ID may come before the flags: dsr calendar show gb-eng --year 2026.
	rest := fs.Args()
	var id string
	if len(rest) > 0 {
		id = rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("calendar %s: unexpected %q (%s)", sub, fs.Arg(0), calendarUsage)
		}
	}
	cfg, err := config.Load(*file)
	if err != nil {
		return err
	}
	cals, err := calendar.Load(cfg.Policies.Calendars)
	if err != nil {
		return fmt.Errorf("calendars: %w", err)
	}
	switch sub {
	case "list":
		ids := make([]string, 0, len(cals))
		for id := range cals {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			fmt.Fprintf(out, "%-14s %s\n", id, cals[id].Description)
		}
		return nil
	case "show":
	default:
		return fmt.Errorf("calendar: unknown subcommand %q (%s)", sub, calendarUsage)
	}
	if id == "" {
		return errors.New("calendar show: calendar ID required (dsr calendar list shows them)")
	}
	c, ok := cals[id]
	if !ok {
		return fmt.Errorf("calendar show: %w (dsr calendar list)", calendar.UnknownError(id))
	}
	if *year < 1 || *year > 9999 {
		return errors.New("--year: required, a year such as 2026")
	}
	days, err := c.Year(*year)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "calendar   %s: %s\n", c.ID, c.Description)
	fmt.Fprintf(&b, "version    %s\n", c.Version)
	if len(c.Sources) > 0 {
		fmt.Fprintf(&b, "sources    %s\n", strings.Join(c.Sources, "; "))
	}
	fmt.Fprintf(&b, "time zone  %s\n", c.Location)
	if len(days) == 0 {
		fmt.Fprintf(&b, "%d: no holidays, no make-up working days\n", *year)
	}
	for _, d := range days {
		switch {
		case d.Working:
			fmt.Fprintf(&b, "%s %-9s  working  make-up working day\n", d.Date, d.Date.Weekday())
		case d.Weekend:
			fmt.Fprintf(&b, "%s %-9s  rest     %s (on a weekend day)\n", d.Date, d.Date.Weekday(), d.Name)
		default:
			fmt.Fprintf(&b, "%s %-9s  rest     %s\n", d.Date, d.Date.Weekday(), d.Name)
		}
	}
	_, err = io.WriteString(out, b.String())
	return err
}
