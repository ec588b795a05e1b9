// Package store keeps the read model of cases and their append-only audit
// trail. Each case is a Temporal workflow; its activities project the
// workflow's state here so that the API and reports can query cases without
// asking Temporal. PostgreSQL is the production backend; a SQLite file is the
// embedded default for `dsr dev`.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Backend names returned by (*Store).Backend.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// ErrNotFound is returned when a requested record does not exist.
var ErrNotFound = errors.New("not found")

// Advisory lock classes (the first key of pg_advisory_xact_lock(int, int)),
// kept apart so that an audit append never waits on a migration by accident.
const (
	lockClassMigrate = 0x64737201
	lockClassAudit   = 0x64737202
)

// Store is the database behind dsrflow.
//
// On SQLite the store uses a single connection: that serialises writers
// within the process, which is what makes concurrent appends safe there.
// Code holding a transaction from DB() must therefore not call other Store
// methods until it commits, or it waits for itself.
type Store struct {
	db      *gorm.DB
	backend string

	// caseUpdates are the columns SaveCase overwrites; derived from the model
	// so that a field added to Case cannot be forgotten in the upsert.
	caseUpdates []string

	// scanPage is how many events a chain verification reads per query;
	// a field so tests can make it small.
	scanPage int
}

// Open connects to the database named by rawURL: postgres:// or postgresql://
// for PostgreSQL; sqlite:///abs/path.db, sqlite://relative.db or a file: URI
// for SQLite. It does not migrate; call Migrate.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	scheme, err := urlScheme(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}

	var (
		dialector gorm.Dialector
		backend   string
	)
	switch scheme {
	case "postgres", "postgresql":
		// Parse here rather than letting the driver do it: url.Parse errors
		// quote the whole URL, password included.
		if _, err := url.Parse(rawURL); err != nil {
			return nil, fmt.Errorf("open store: malformed %s URL", scheme)
		}
		dialector = postgres.Open(rawURL)
		backend = Postgres
	case "sqlite", "file":
		dsn, err := sqliteDSN(scheme, rawURL)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		dialector = sqlite.Open(dsn)
		backend = SQLite
	default:
		return nil, fmt.Errorf("open store: unsupported database URL scheme %q (want postgres, postgresql, sqlite or file)", scheme)
	}

	db, err := gorm.Open(dialector, &gorm.Config{
		Logger: quietLogger{slow: time.Second},
		// Postgres keeps microseconds; rounding everywhere makes what we hash
		// and return equal to what a later read gives back, on both backends.
		NowFunc:                func() time.Time { return normTime(time.Now()) },
		SkipDefaultTransaction: true,
		// GORM's own ping ignores ctx and could hang on an unreachable
		// host; ours below honours the caller's deadline.
		DisableAutomaticPing: true,
	})
	if err != nil {
		return nil, fmt.Errorf("open store: %s: %w", backend, redact(err, rawURL))
	}
	s := &Store{db: db, backend: backend, scanPage: 1000}

	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open store: %s: %w", backend, err)
	}
	if backend == SQLite {
		// One connection: SQLite allows one writer anyway, and with several
		// connections a deferred transaction that reads then writes can fail
		// with SQLITE_BUSY regardless of busy_timeout. Never expire it, or an
		// in-memory database would vanish with it.
		sqlDB.SetMaxOpenConns(1)
		sqlDB.SetMaxIdleConns(1)
		sqlDB.SetConnMaxLifetime(0)
		sqlDB.SetConnMaxIdleTime(0)
	}
	if err := s.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open store: %w", redact(err, rawURL))
	}

	cols, err := updatableColumns(db, &Case{}, "id", "created_at")
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.caseUpdates = cols
	return s, nil
}

// Migrate brings the schema up to date. It is safe to run repeatedly and, on
// Postgres, from several processes at once.
func (s *Store) Migrate(ctx context.Context) error {
	models := []any{&Case{}, &Event{}, &APIKey{}, &IdempotentResponse{}, &CaseMessage{}, &ConnectorCallback{},
		&InboundMessage{}, &RefusedMessage{}, &ConsoleSession{}}
	db := s.db.WithContext(ctx)
	var err error
	if s.backend == Postgres {
		// DDL is transactional in Postgres, so a worker and an API server
		// starting together take turns instead of racing on CREATE TABLE.
		err = db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(fmt.Sprintf("SELECT pg_advisory_xact_lock(%d, 0)", lockClassMigrate)).Error; err != nil {
				return err
			}
			return tx.AutoMigrate(models...)
		})
	} else {
		err = db.AutoMigrate(models...)
	}
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.backend, err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("ping %s: %w", s.backend, err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.backend, err)
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("close %s: %w", s.backend, err)
	}
	if err := sqlDB.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.backend, err)
	}
	return nil
}

// DB exposes the underlying handle for tests and benchmarks. Writing to the
// audit trail through it bypasses the hash chain.
func (s *Store) DB() *gorm.DB { return s.db }

// Backend returns Postgres or SQLite.
func (s *Store) Backend() string { return s.backend }

// urlScheme returns the lower-cased scheme of a database URL without ever
// quoting the URL, which may carry a password.
func urlScheme(u string) (string, error) {
	if u == "" {
		return "", errors.New("empty database URL")
	}
	scheme, _, ok := strings.Cut(u, ":")
	if !ok || scheme == "" {
		return "", errors.New("database URL has no scheme (want postgres://, sqlite:// or file:)")
	}
	for i, r := range scheme {
		letter := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		if !letter && (i == 0 || !('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.')) {
			// Probably a key=value DSN or a bare host:port; either may hold
			// secrets, so describe it without quoting it.
			return "", errors.New("database URL has no valid scheme (want postgres://, sqlite:// or file:)")
		}
	}
	return strings.ToLower(scheme), nil
}

// sqlitePragmas are applied by the driver to every new connection.
// busy_timeout comes first so that switching to WAL waits for another
// process instead of failing. _txlock=immediate takes the write lock at
// BEGIN, so that a second process waits (busy_timeout) rather than failing
// when its transaction upgrades from reading to writing.
var sqlitePragmas = []string{
	"_pragma=busy_timeout(10000)",
	"_pragma=journal_mode(WAL)",
	"_pragma=synchronous(NORMAL)",
	"_pragma=foreign_keys(1)",
	"_txlock=immediate",
}

// sqliteDSN turns sqlite:///abs.db, sqlite://rel.db or file:... into a DSN
// for the glebarez driver, with the store's pragmas appended.
func sqliteDSN(scheme, u string) (string, error) {
	var dsn string
	if scheme == "file" {
		dsn = u
	} else {
		rest := strings.TrimPrefix(u[len("sqlite:"):], "//")
		p, query, _ := strings.Cut(rest, "?")
		p, err := url.PathUnescape(p)
		if err != nil {
			return "", errors.New("malformed sqlite URL: bad escape in path")
		}
		if p == "" {
			return "", errors.New("sqlite URL names no file (want sqlite:///abs/path.db or sqlite://relative.db)")
		}
		if p != ":memory:" {
			// `dsr dev` points at a default path under the user's home; create
			// its directory rather than fail on first run.
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				return "", fmt.Errorf("create directory for sqlite database: %w", err)
			}
		}
		dsn = p
		if query != "" {
			dsn += "?" + query
		}
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(sqlitePragmas, "&"), nil
}

// redact removes the URL's password from err's message, in case a driver
// quotes the URL it was given.
func redact(err error, rawURL string) error {
	u, perr := url.Parse(rawURL)
	if perr != nil || u.User == nil {
		return err
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), pw, "xxxxx"), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// updatableColumns lists model's columns except the named ones.
func updatableColumns(db *gorm.DB, model any, except ...string) ([]string, error) {
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(model); err != nil {
		return nil, fmt.Errorf("parse model %T: %w", model, err)
	}
	var cols []string
	for _, f := range stmt.Schema.Fields {
		if f.DBName == "" || slices.Contains(except, f.DBName) {
			continue
		}
		cols = append(cols, f.DBName)
	}
	return cols, nil
}

// normTime rounds t to what Postgres stores (microseconds, no zone) so that
// a value written equals the value read back, and so that SQLite, which
// stores times as text, orders them correctly.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func normTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normTime(*t)
	return &n
}

// quietLogger keeps GORM off stdout. It reports slow queries without their
// parameters, which can hold requesters' personal data, and leaves failed
// queries to the callers, who get the error anyway.
type quietLogger struct {
	slow time.Duration
}

func (l quietLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (quietLogger) Info(context.Context, string, ...any) {}

// Warn and Error drop GORM's arguments for the same reason Trace drops
// parameters: they may be row values.
func (quietLogger) Warn(ctx context.Context, msg string, _ ...any) {
	slog.WarnContext(ctx, "store: gorm warning", "msg", msg)
}

func (quietLogger) Error(ctx context.Context, msg string, _ ...any) {
	slog.ErrorContext(ctx, "store: gorm error", "msg", msg)
}

func (l quietLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	if err != nil || elapsed < l.slow {
		return
	}
	sql, rows := fc()
	slog.WarnContext(ctx, "store: slow query", "elapsed", elapsed, "rows", rows, "sql", sql)
}

// ParamsFilter makes GORM hand Trace the SQL with placeholders rather than
// with the values spliced in.
func (quietLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
