package sqldb_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connector/sqldb"
	"github.com/dsrflow/dsrflow/examples/shop"
)

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]sqldb.Period{
		"3y":    {Years: 3},
		"6mo":   {Months: 6},
		"60d":   {Days: 60},
		"2w":    {Days: 14},
		"1y6mo": {Years: 1, Months: 6},
	} {
		got, err := sqldb.ParsePeriod(in)
		if err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "3", "y", "3 years", "6m", "-1y", "0d", "1y2", "99999999999999999999d"} {
		if got, err := sqldb.ParsePeriod(in); err == nil {
			t.Errorf("ParsePeriod(%q) = %+v, want an error", in, got)
		}
	}
	p, _ := sqldb.ParsePeriod("6mo")
	if got := p.After(time.Date(2025, 5, 20, 22, 15, 0, 0, time.UTC)); !got.Equal(time.Date(2025, 11, 20, 22, 15, 0, 0, time.UTC)) {
		t.Errorf("6mo after 2025-05-20 = %v", got)
	}
}

func TestValidate(t *testing.T) {
	base := func() sqldb.Config {
		cfg, err := shop.Config("x", sqldb.Postgres)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	// Datasets of the shop, by index: 0 customers, 1 addresses, 2 orders,
	// 3 order_items, 4 login_logs, 5 wallets.
	cases := []struct {
		name   string
		break_ func(c *sqldb.Config)
		want   string
	}{
		{"driver", func(c *sqldb.Config) { c.Driver = "mysql" }, `driver: "mysql" is not postgres or sqlite`},
		{"hash key", func(c *sqldb.Config) { c.HashKey = "short" }, "hash_key: need at least 16 bytes"},
		{"no datasets", func(c *sqldb.Config) { c.Datasets = nil }, "datasets: at least one"},
		{"table injection", func(c *sqldb.Config) { c.Datasets[1].Table = `addresses; DROP TABLE customers` }, "datasets[1].table: "},
		{"quoted column", func(c *sqldb.Config) { c.Datasets[1].Columns[1].Name = `line1"` }, "datasets[1].columns[1].name: "},
		{"period", func(c *sqldb.Config) { c.Datasets[2].Hold.Period = "3 years" }, "datasets[2].hold.period: "},
		{"ground", func(c *sqldb.Config) { c.Datasets[2].Hold.Ground = "" }, "datasets[2].hold.ground: required"},
		{"hold without restrict", func(c *sqldb.Config) { c.Datasets[4].Restrict = nil }, "datasets[4].restrict: required"},
		{"inherited hold without restrict", func(c *sqldb.Config) { c.Datasets[3].Restrict = nil }, `datasets[3].restrict: required: rows below held rows of "orders"`},
		{"unknown parent", func(c *sqldb.Config) { c.Datasets[1].Parent = "people" }, `datasets[1].parent: no dataset "people"`},
		{"cycle", func(c *sqldb.Config) {
			c.Datasets[0].Identity, c.Datasets[0].Parent, c.Datasets[0].References = nil, "order_items", "order_id"
		}, "cycle"},
		{"root without identity", func(c *sqldb.Config) { c.Datasets[0].Identity = nil }, "datasets[0].identity: a root dataset needs"},
		{"identity field", func(c *sqldb.Config) { c.Datasets[0].Identity["name"] = "full_name" }, `datasets[0].identity: "name" is not email, phone or account_id`},
		{"child with identity", func(c *sqldb.Config) { c.Datasets[1].Identity = map[string]string{"email": "email"} }, "datasets[1].identity: "},
		{"duplicate name", func(c *sqldb.Config) { c.Datasets[5].Name = "orders" }, `datasets[5].name: "orders" appears twice`},
		{"erase", func(c *sqldb.Config) { c.Datasets[1].Erase = "shred" }, `datasets[1].erase: "shred" is not delete or mask`},
		{"column erase", func(c *sqldb.Config) { c.Datasets[1].Columns[1].Erase = "blank" }, `datasets[1].columns[1].erase: "blank"`},
		{"mask column without strategy", func(c *sqldb.Config) {
			c.Datasets[1].Erase = sqldb.EraseMask
			c.Datasets[1].Columns[2].Erase = sqldb.ColumnNull
		}, "datasets[1].columns[1].erase: required in a mask dataset"},
		{"mask nothing", func(c *sqldb.Config) {
			c.Datasets[5].Erase = sqldb.EraseMask
			for i := range c.Datasets[5].Columns {
				c.Datasets[5].Columns[i].Erase = sqldb.ColumnKeep
			}
		}, "datasets[5].erase: mask changes nothing"},
		{"fixed without value", func(c *sqldb.Config) { c.Datasets[1].Columns[1].Erase = sqldb.ColumnFixed }, "datasets[1].columns[1].value: required"},
		{"identity not hashed", func(c *sqldb.Config) { c.Datasets[0].Columns[1].Erase = sqldb.ColumnNull }, "datasets[0].columns[1].erase: identity columns are hashed"},
		{"key masked", func(c *sqldb.Config) { c.Datasets[1].Columns[0].Erase = sqldb.ColumnNull }, "datasets[1].columns[0].erase: the key and references columns are kept"},
		{"check parameter", func(c *sqldb.Config) { c.Checks[0].Query += " AND currency = @currency" }, "checks[0].query: unknown parameter @currency"},
		{"check dataset", func(c *sqldb.Config) { c.Checks[0].Dataset = "orders" }, `checks[0].dataset: "orders" is not a root`},
		{"deactivate dataset", func(c *sqldb.Config) { c.Deactivate.Dataset = "accounts" }, `deactivate.dataset: no dataset "accounts"`},
		{"deactivate column", func(c *sqldb.Config) { c.Deactivate.Set["status = 'x', email"] = "y" }, "deactivate.set: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.break_(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	cfg := base()
	if err := cfg.Validate(); err != nil {
		t.Errorf("the shop config does not validate: %v", err)
	}
}
