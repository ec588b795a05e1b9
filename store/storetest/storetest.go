// Package storetest gives tests a fresh, migrated store on each backend.
//
// Postgres tests use DSR_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). Every store gets
// its own schema, dropped when the test ends, so parallel tests and
// concurrent CI jobs sharing one server never see each other's rows. If the
// server cannot be reached the test is skipped, unless CI or
// DSR_TEST_DATABASE_URL is set, in which case it fails: a CI run that
// silently skipped the production backend would prove nothing.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/store"
)

// DefaultPostgresURL is used when DSR_TEST_DATABASE_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Backends lists the backends to run a suite against: store.SQLite and
// store.Postgres, or the comma-separated subset in DSR_TEST_BACKENDS.
func Backends(t testing.TB) []string {
	t.Helper()
	v := os.Getenv("DSR_TEST_BACKENDS")
	if v == "" {
		return []string{store.SQLite, store.Postgres}
	}
	var out []string
	for _, b := range strings.Split(v, ",") {
		b = strings.TrimSpace(b)
		if b != store.SQLite && b != store.Postgres {
			t.Fatalf("storetest: DSR_TEST_BACKENDS names unknown backend %q", b)
		}
		out = append(out, b)
	}
	return out
}

// Open returns a migrated store on backend that is empty and private to t,
// and closed and removed when t ends.
func Open(t testing.TB, backend string) *store.Store {
	t.Helper()
	switch backend {
	case store.SQLite:
		return openSQLite(t)
	case store.Postgres:
		return openPostgres(t)
	}
	t.Fatalf("storetest: unknown backend %q", backend)
	return nil
}

func openSQLite(t testing.TB) *store.Store {
	t.Helper()
	// TempDir's cleanup is registered first, so it runs after Close.
	return openMigrated(t, "sqlite://"+filepath.Join(t.TempDir(), "dsr.db"))
}

var skipNotice sync.Once

func openPostgres(t testing.TB) *store.Store {
	t.Helper()
	return openMigrated(t, PostgresURL(t))
}

func openMigrated(t testing.TB, url string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { closeStore(t, s) })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return s
}

// PostgresURL creates a schema private to t and returns a URL whose
// connections land in it; the schema is dropped when t ends. Tests that run
// the dsr binary hand it this URL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base, explicit := os.LookupEnv("DSR_TEST_DATABASE_URL")
	if base == "" {
		base, explicit = DefaultPostgresURL, false
	}
	mustHave := explicit || os.Getenv("CI") != ""

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	pingCtx, cancelPing := context.WithTimeout(ctx, 10*time.Second)
	admin, err := store.Open(pingCtx, base)
	cancelPing()
	if err != nil {
		msg := fmt.Sprintf("storetest: PostgreSQL at %s unavailable: %v", redacted(base), err)
		if mustHave {
			t.Fatalf("%s (failing because CI or DSR_TEST_DATABASE_URL is set)", msg)
		}
		// Skips are invisible without -v; say it once on stderr too.
		skipNotice.Do(func() {
			fmt.Fprintf(os.Stderr, "\n*** %s\n*** SKIPPING POSTGRES TESTS; set DSR_TEST_DATABASE_URL or CI to make this a failure\n\n", msg)
		})
		t.Skipf("%s; SKIPPING POSTGRES TESTS", msg)
	}

	schema := "dsr_test_" + randomHex(8)
	if err := admin.DB().WithContext(ctx).Exec(`CREATE SCHEMA "` + schema + `"`).Error; err != nil {
		admin.Close()
		t.Fatalf("storetest: create schema %s: %v", schema, err)
	}
	// Registered before any store on the schema is opened, so it runs after
	// their Close.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin.DB().WithContext(ctx).Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`).Error; err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
		closeStore(t, admin)
	})
	schemaURL, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return schemaURL
}

// withSearchPath adds search_path to the URL's query; pgx sends unknown
// query parameters to the server as run-time parameters, so every pooled
// connection lands in the schema.
func withSearchPath(rawURL, schema string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("malformed DSR_TEST_DATABASE_URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func redacted(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(malformed URL)"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails, per its documentation
	return hex.EncodeToString(b)
}

func closeStore(t testing.TB, s *store.Store) {
	if err := s.Close(); err != nil {
		t.Errorf("storetest: %v", err)
	}
}
