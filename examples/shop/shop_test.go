package shop_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/dsrflow/dsrflow/connector/sqldb"
	"github.com/dsrflow/dsrflow/examples/shop"
	"github.com/dsrflow/dsrflow/store/storetest"
)

func TestLoadTwice(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			var d gorm.Dialector
			if backend == sqldb.SQLite {
				d = sqlite.Open(filepath.Join(t.TempDir(), "shop.db"))
			} else {
				d = postgres.Open(storetest.PostgresURL(t))
			}
			db, err := gorm.Open(d, &gorm.Config{Logger: logger.Discard})
			if err != nil {
				t.Fatal(err)
			}
			sqlDB, _ := db.DB()
			t.Cleanup(func() { sqlDB.Close() })
			ctx := context.Background()
			for i := range 2 {
				if err := shop.Load(ctx, db); err != nil {
					t.Fatalf("load %d: %v", i+1, err)
				}
			}
			var n int64
			if err := db.Raw("SELECT COUNT(*) FROM customers").Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			if n != 5 {
				t.Errorf("%d customers after two loads, want 5", n)
			}
			var name string
			if err := db.Raw("SELECT full_name FROM customers WHERE email = ?", "zhang.wei@example.com").Scan(&name).Error; err != nil {
				t.Fatal(err)
			}
			if name != "张伟" {
				t.Errorf("full_name %q, want 张伟", name)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	cfg, err := shop.Config("postgres://shop@db/shop", sqldb.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DSN != "postgres://shop@db/shop" || cfg.Driver != sqldb.Postgres || len(cfg.Datasets) != 6 {
		t.Errorf("config: dsn %q driver %q, %d datasets", cfg.DSN, cfg.Driver, len(cfg.Datasets))
	}
	if _, err := shop.Config("x", "oracle"); err == nil || !strings.Contains(err.Error(), "driver") {
		t.Errorf("Config with driver oracle: %v", err)
	}

	// The engine reads the same file through viper and the mapstructure
	// tags; both must give the same configuration.
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(strings.NewReader(shop.ConnectorsYAML)); err != nil {
		t.Fatal(err)
	}
	var engine struct {
		Connectors []struct {
			Name string       `mapstructure:"name"`
			SQL  sqldb.Config `mapstructure:"sql"`
		} `mapstructure:"connectors"`
	}
	if err := v.Unmarshal(&engine, viper.DecodeHook(mapstructure.ComposeDecodeHookFunc())); err != nil {
		t.Fatal(err)
	}
	if len(engine.Connectors) != 1 || engine.Connectors[0].Name != shop.Name {
		t.Fatalf("viper read %+v", engine.Connectors)
	}
	got := engine.Connectors[0].SQL
	got.DSN, got.Driver = cfg.DSN, cfg.Driver
	if !reflect.DeepEqual(got, cfg) {
		t.Errorf("viper and yaml disagree:\nviper %+v\nyaml  %+v", got, cfg)
	}
}
