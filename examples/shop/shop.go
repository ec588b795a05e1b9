// Package shop is an example online shop's database and its sqldb
// connector configuration: customers with addresses, orders and their
// items, login logs and wallets, seeded with a handful of customers. Tests
// and `dsr dev` use it to show a request fulfilled end to end.
package shop

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
	"gorm.io/gorm"

	"github.com/dsrflow/dsrflow/connector/sqldb"
)

// Name is the connector's name in connectors.yaml.
const Name = "shop"

// DSNPlaceholder is the dsn in connectors.yaml that Config replaces.
const DSNPlaceholder = "${SHOP_DSN}"

var (
	//go:embed schema.sql
	Schema string
	//go:embed seed.sql
	Seed string
	//go:embed connectors.yaml
	ConnectorsYAML string
)

// Load creates the shop's tables and seeds them. It does nothing if the
// customers table exists, so a restarted dev server keeps what earlier runs
// erased.
func Load(ctx context.Context, db *gorm.DB) error {
	if db.WithContext(ctx).Migrator().HasTable("customers") {
		return nil
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, file := range []struct{ name, sql string }{{"schema.sql", Schema}, {"seed.sql", Seed}} {
			for i, stmt := range statements(file.sql) {
				if err := tx.Exec(stmt).Error; err != nil {
					return fmt.Errorf("%s statement %d: %w", file.name, i+1, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load shop: %w", err)
	}
	return nil
}

// statements splits a file at semicolons that end a line; the files keep
// semicolons out of their data so that this is enough. Drivers differ in
// whether one Exec may run several statements.
func statements(file string) []string {
	var (
		out []string
		cur strings.Builder
	)
	for _, line := range strings.Split(file, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Config returns the shop connector's configuration with dsn and driver
// (postgres or sqlite) filled in, validated.
func Config(dsn, driver string) (sqldb.Config, error) {
	var file struct {
		Connectors []struct {
			Name string       `yaml:"name"`
			SQL  sqldb.Config `yaml:"sql"`
		} `yaml:"connectors"`
	}
	if err := yaml.Unmarshal([]byte(ConnectorsYAML), &file); err != nil {
		return sqldb.Config{}, fmt.Errorf("shop connectors.yaml: %w", err)
	}
	for _, c := range file.Connectors {
		if c.Name != Name {
			continue
		}
		cfg := c.SQL
		if cfg.DSN == DSNPlaceholder {
			cfg.DSN = dsn
		}
		cfg.Driver = driver
		if err := cfg.Validate(); err != nil {
			return sqldb.Config{}, fmt.Errorf("shop connectors.yaml: %w", err)
		}
		return cfg, nil
	}
	return sqldb.Config{}, fmt.Errorf("shop connectors.yaml: no connector %q", Name)
}
