package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/dsrflow/dsrflow/config"
	"github.com/dsrflow/dsrflow/request"
)

// runDeadline prints a policy's due date and reminders: what a DPO checks
// before promising a date on the phone.
func runDeadline(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("deadline", flag.ContinueOnError)
	file := fs.String("config", "", "configuration file (YAML)")
	id := fs.String("policy", "", "policy ID (dsr deadline --list shows them)")
	from := fs.String("from", "", "when the request was received (RFC 3339)")
	verified := fs.String("verified", "", "when identity was verified (RFC 3339), for policies whose clock starts then")
	typ := fs.String("type", string(request.Access), "request type")
	list := fs.Bool("list", false, "list the policies")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*file)
	if err != nil {
		return err
	}
	reg, err := cfg.Policies.Registry()
	if err != nil {
		return err
	}
	if *list {
		for _, p := range reg.List() {
			fmt.Fprintf(out, "%-28s %s\n", p.ID, p.Description)
		}
		return nil
	}
	p, ok := reg.Get(*id)
	if !ok {
		return fmt.Errorf("--policy: unknown policy %q (dsr deadline --list)", *id)
	}
	if *from == "" {
		return errors.New("--from: required (RFC 3339, e.g. 2026-03-01T10:00:00+08:00)")
	}
	received, err := time.Parse(time.RFC3339, *from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	var ver *time.Time
	if *verified != "" {
		t, err := time.Parse(time.RFC3339, *verified)
		if err != nil {
			return fmt.Errorf("--verified: %w", err)
		}
		ver = &t
	}
	t, err := request.Parse(*typ, request.Types)
	if err != nil {
		return fmt.Errorf("--type: %w", err)
	}
	s, err := p.Schedule(t, received, ver)
	if err != nil {
		return err
	}
	return s.Format(out, p, received)
}
