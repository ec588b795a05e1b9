// Command dsr runs dsrflow: the API, the worker, or everything at once for
// development.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/dsrflow/dsrflow/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `dsr runs dsrflow, the data-subject-request workflow engine.

Usage: dsr <command> [flags]

Commands:
  dev        the whole engine in one process on embedded defaults
  serve      the HTTP API
  worker     the Temporal worker
  migrate    bring the database schema up to date: dsr migrate [--grant ROLE]
  apikey     manage API keys: dsr apikey create --role ROLE [--tenant T]... | list | revoke ID
  audit      check the audit trails' hash chains: dsr audit verify [--case ID] (exit 1 on a break)
  deadline   compute a policy's due date: dsr deadline --policy ID --from RFC3339 [--verified RFC3339]
  calendar   list calendars, or a year's holidays: dsr calendar list | show ID --year YYYY
  version    print the version

Each command takes --config FILE (default: $DSR_CONFIG, else dsr.yaml in the working directory when present).
`

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dsr:", err)
		os.Exit(1)
	}
}

type command func(ctx context.Context, cfg *config.Config, args []string, out io.Writer) error

var commands = map[string]command{
	"dev":     runDev,
	"serve":   runServe,
	"worker":  runWorker,
	"migrate": runMigrate,
	"apikey":  runAPIKey,
	"audit":   runAudit,
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(out, usage)
		return nil
	}
	name, rest := args[0], args[1:]
	switch name {
	case "version":
		fmt.Fprintln(out, "dsr", buildVersion())
		return nil
	case "deadline":
		return runDeadline(rest, out)
	case "calendar":
		return runCalendar(rest, out)
	}
	cmd, ok := commands[name]
	if !ok {
		return fmt.Errorf("unknown command %q\n\n%s", name, usage)
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	file := fs.String("config", os.Getenv("DSR_CONFIG"), "configuration file (YAML); default $DSR_CONFIG")
	if err := fs.Parse(rest); err != nil {
		return err
	}
	cfg, err := config.Load(*file)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = cmd(ctx, cfg, fs.Args(), out)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return version
}
