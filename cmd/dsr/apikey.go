package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/config"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
)

const apikeyUsage = `usage:
  dsr apikey create --role ROLE [--tenant T]... [--name NAME]
  dsr apikey list
  dsr apikey revoke ID`

// runAPIKey manages the API keys in the configured database. A new key is
// printed once; only its hash is stored.
func runAPIKey(ctx context.Context, cfg *config.Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(apikeyUsage)
	}
	st, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "create":
		return createAPIKey(ctx, st, args[1:], out)
	case "list":
		keys, err := st.APIKeys(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%-36s  %-8s  %-20s  %-20s  %s\n", "ID", "ROLE", "TENANTS", "NAME", "STATE")
		for _, k := range keys {
			state := "active since " + k.CreatedAt.Format("2006-01-02")
			if k.RevokedAt != nil {
				state = "revoked " + k.RevokedAt.Format("2006-01-02")
			}
			fmt.Fprintf(out, "%-36s  %-8s  %-20s  %-20s  %s\n", k.ID, k.Role, k.Tenants, k.Name, state)
		}
		return nil
	case "revoke":
		if len(args) != 2 {
			return errors.New(apikeyUsage)
		}
		if err := st.RevokeAPIKey(ctx, args[1]); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no active API key %q (dsr apikey list)", args[1])
		} else if err != nil {
			return err
		}
		fmt.Fprintf(out, "revoked %s\n", args[1])
		return nil
	}
	return fmt.Errorf("unknown apikey command %q\n%s", args[0], apikeyUsage)
}

type tenantList []string

func (t *tenantList) String() string     { return strings.Join(*t, ",") }
func (t *tenantList) Set(v string) error { *t = append(*t, v); return nil }

func createAPIKey(ctx context.Context, st *store.Store, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	role := fs.String("role", "", "admin, dpo, portal, intake or auditor")
	name := fs.String("name", "", "who or what uses the key; shown in the audit trail")
	var tenants tenantList
	fs.Var(&tenants, "tenant", "a tenant the key acts for (repeat; * for all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	if len(tenants) == 0 {
		if r != auth.Admin {
			return errors.New("--tenant: at least one (or * for all tenants)")
		}
		tenants = tenantList{auth.AllTenants}
	}
	for _, t := range tenants {
		if t == auth.AllTenants {
			continue
		}
		// The grammar the API holds tenants to: a key for " shop " would
		// act for a tenant no request can name.
		if err := request.CheckTenant(t); err != nil {
			return fmt.Errorf("--tenant: %w", err)
		}
	}
	if *name == "" {
		*name = string(r)
	}
	plain, hash, err := auth.NewKey()
	if err != nil {
		return err
	}
	k := &store.APIKey{ID: uuid.NewString(), Name: *name, Hash: hash, Role: string(r), Tenants: tenants.String()}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s\n", plain)
	fmt.Fprintf(out, "# id %s, role %s, tenants %s; the key is shown only now\n", k.ID, k.Role, k.Tenants)
	return nil
}
