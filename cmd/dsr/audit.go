package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/dsrflow/dsrflow/config"
	"github.com/dsrflow/dsrflow/store"
)

const auditUsage = `usage:
  dsr audit verify [--case ID]   check the hash chains of the audit trails; exit 1 on a break`

// runAudit checks audit trails: every event must carry the hash of its
// contents and of the event before it, so an edited, inserted or deleted
// event shows.
func runAudit(ctx context.Context, cfg *config.Config, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New(auditUsage)
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	caseID := fs.String("case", "", "check only this case")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return errors.New(auditUsage)
	}
	st, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if *caseID != "" {
		err := st.VerifyChain(ctx, *caseID)
		var broken *store.ChainError
		if errors.As(err, &broken) {
			fmt.Fprintln(out, broken.Error())
			return errors.New("the audit trail is broken")
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "audit trail of case %s intact\n", *caseID)
		return nil
	}
	broken, err := st.VerifyAll(ctx)
	for _, b := range broken {
		fmt.Fprintln(out, b.Error())
	}
	if err != nil {
		return err
	}
	if len(broken) > 0 {
		return fmt.Errorf("%d audit trails broken", len(broken))
	}
	fmt.Fprintln(out, "every audit trail intact")
	return nil
}
