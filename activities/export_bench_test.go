package activities_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/connector/sqldb"
	"github.com/dsrflow/dsrflow/examples/shop"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// benchSubject is the shop's customer 1; the generated login logs are his.
var benchSubject = connector.Subject{Email: "zhang.wei@example.com"}

// BenchmarkExportMillion exports one subject with DSR_BENCH_ROWS (default
// 1,000,000) login logs through Collect and Package, the activities the
// access workflow runs, and in the same iteration copies the same login
// logs out with COPY ... TO STDOUT, the fastest way PostgreSQL can hand
// them over. export/copy is how many times longer the export takes; the
// peak-heap metrics are the most heap the objects took above what was live
// before the phase, and should not grow with the rows.
func BenchmarkExportMillion(b *testing.B) {
	rows := 1_000_000
	if v := os.Getenv("DSR_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("DSR_BENCH_ROWS=%q: want a positive number", v)
		}
		rows = n
	}
	ctx := context.Background()
	url := storetest.PostgresURL(b)
	db, err := gorm.Open(postgres.Open(url), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		b.Fatalf("open shop database: %v", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		b.Fatalf("shop database: %v", err)
	}
	b.Cleanup(func() { sqlDB.Close() })
	if err := shop.Load(ctx, db); err != nil {
		b.Fatal(err)
	}
	seed, err := subjectRows(ctx, db, benchSubject.Email)
	if err != nil {
		b.Fatal(err)
	}
	seedLogs, err := subjectLogs(ctx, db, benchSubject.Email)
	if err != nil {
		b.Fatal(err)
	}
	if err := seedLogins(ctx, db, benchSubject.Email, rows); err != nil {
		b.Fatal(err)
	}
	wantRows, wantLogs := seed+int64(rows), seedLogs+int64(rows)

	cfg, err := shop.Config(url, sqldb.Postgres)
	if err != nil {
		b.Fatal(err)
	}
	// The connector opens its own pool, as on a worker, so the export does
	// not share connections with the baseline.
	conn, err := sqldb.New(shop.Name, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	var reg connector.Registry
	if err := reg.Add(connector.Info{Name: shop.Name, Kind: connector.KindSQL, Owner: "dpo@shop.example"}, conn); err != nil {
		b.Fatal(err)
	}
	secret := make([]byte, 32)
	rand.Read(secret) // never fails, per its documentation
	dir, err := export.NewDir(b.TempDir(), []export.Key{{ID: "bench", Secret: secret}})
	if err != nil {
		b.Fatal(err)
	}
	a := &activities.Activities{Registry: &reg, Exports: &activities.Exports{Store: dir, PublicURL: "http://127.0.0.1"}}
	copySQL := "COPY (" + loginLogsQuery(benchSubject.Email, cfg.HashKey) + ") TO STDOUT (FORMAT csv)"

	var (
		copyTime, collectTime, packageTime time.Duration
		copyPeak, exportPeak               uint64
		zipBytes, copyBytes                int64
	)
	for b.Loop() {
		// The seeding has just written the table, so it is cached for both
		// phases and running the baseline first favours neither.
		stop := sampleHeap()
		start := time.Now()
		got, size, err := copyOut(ctx, sqlDB, copySQL)
		copyTime += time.Since(start)
		copyBytes = size
		copyPeak = max(copyPeak, stop())
		if err != nil {
			b.Fatal(err)
		}
		if got != wantLogs {
			b.Fatalf("COPY gave %d login logs, want %d", got, wantLogs)
		}

		id := export.NewID()
		call := activities.ConnectorCall{CaseID: "bench", Connector: shop.Name, Key: "bench:collect:" + id, Subject: benchSubject}
		stop = sampleHeap()
		start = time.Now()
		col, err := a.Collect(ctx, activities.CollectInput{ConnectorCall: call, ExportID: id})
		collected := time.Now()
		if err != nil {
			stop()
			b.Fatalf("collect: %v", err)
		}
		pkg, err := a.Package(ctx, activities.PackageInput{CaseID: "bench", ExportID: id, Reference: "DSR-BENCH",
			Connectors: []string{shop.Name}, Language: request.English, CreatedAt: start})
		packageTime += time.Since(collected)
		collectTime += collected.Sub(start)
		exportPeak = max(exportPeak, stop())
		if err != nil {
			b.Fatalf("package: %v", err)
		}
		if col.Rows != wantRows || pkg.Rows != wantRows {
			b.Fatalf("collected %d rows and packaged %d, want %d (%d generated + %d seeded)",
				col.Rows, pkg.Rows, wantRows, rows, seed)
		}
		zipBytes = pkg.Bytes
		// Each iteration's zip is as large as the last; keeping them would
		// only fill the disk.
		if err := dir.Delete(ctx, export.ArchiveKey(id)); err != nil {
			b.Fatal(err)
		}
	}
	exportTime := collectTime + packageTime
	b.ReportMetric(float64(wantRows)*float64(b.N)/exportTime.Seconds(), "export-rows/s")
	b.ReportMetric(float64(wantLogs)*float64(b.N)/copyTime.Seconds(), "copy-rows/s")
	b.ReportMetric(exportTime.Seconds()/copyTime.Seconds(), "export/copy")
	b.ReportMetric(collectTime.Seconds()/float64(b.N), "collect-s")
	b.ReportMetric(packageTime.Seconds()/float64(b.N), "package-s")
	b.ReportMetric(float64(exportPeak)/(1<<20), "export-peak-heap-MiB")
	b.ReportMetric(float64(copyPeak)/(1<<20), "copy-peak-heap-MiB")
	b.ReportMetric(float64(zipBytes)/(1<<20), "zip-MiB")
	b.ReportMetric(float64(copyBytes)/(1<<20), "copy-csv-MiB")
}

// subjectRows counts the subject's rows in every dataset of the shop
// connector, by hand rather than through the connector, so that a connector
// that loses or repeats rows fails the benchmark.
func subjectRows(ctx context.Context, db *gorm.DB, email string) (int64, error) {
	const mine = "SELECT id FROM customers WHERE email = @email"
	var n int64
	err := db.WithContext(ctx).Raw(`SELECT
		(SELECT count(*) FROM customers WHERE email = @email) +
		(SELECT count(*) FROM addresses WHERE customer_id IN (`+mine+`)) +
		(SELECT count(*) FROM orders WHERE customer_id IN (`+mine+`)) +
		(SELECT count(*) FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE customer_id IN (`+mine+`))) +
		(SELECT count(*) FROM login_logs WHERE customer_id IN (`+mine+`)) +
		(SELECT count(*) FROM wallets WHERE customer_id IN (`+mine+`))`,
		map[string]any{"email": email}).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count the rows of %s: %w", email, err)
	}
	return n, nil
}

func subjectLogs(ctx context.Context, db *gorm.DB, email string) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Raw(`SELECT count(*) FROM login_logs WHERE customer_id IN (SELECT id FROM customers WHERE email = ?)`,
		email).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count the login logs of %s: %w", email, err)
	}
	return n, nil
}

// seedLogins gives the subject n more login logs in one statement, so that
// seeding a million rows takes seconds, not the minutes of row-by-row
// inserts, then refreshes the statistics the planner picks the export's
// plan by.
func seedLogins(ctx context.Context, db *gorm.DB, email string, n int) error {
	err := db.WithContext(ctx).Exec(`INSERT INTO login_logs (id, customer_id, ip, user_agent, at)
		SELECT m.top + g, c.id, '203.0.113.' || (g % 250),
			'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/' || (100 + g % 30) || '.0 Mobile Safari/537.36',
			TIMESTAMP '2024-01-01' + g * INTERVAL '1 second'
		FROM generate_series(1, ?) AS g,
			(SELECT id FROM customers WHERE email = ?) AS c,
			(SELECT coalesce(max(id), 0) AS top FROM login_logs) AS m`, n, email).Error
	if err != nil {
		return fmt.Errorf("seed %d login logs: %w", n, err)
	}
	if err := db.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
		return fmt.Errorf("analyze after seeding: %w", err)
	}
	return nil
}

// loginLogsQuery is the query the sqldb connector runs for the subject's
// login logs, with its two parameters written in: COPY takes none. The
// second is the keyed hash an erasure that keeps the row leaves behind,
// made as the connector makes it, so that the plan is the same.
func loginLogsQuery(email, hashKey string) string {
	m := hmac.New(sha256.New, []byte(hashKey))
	m.Write([]byte(email))
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	return `SELECT t1."id", t1."ip", t1."user_agent", t1."at" FROM "login_logs" t1 WHERE t1."customer_id" IN (` +
		`SELECT t2."id" FROM "customers" t2 WHERE (t2."email" IN (` + lit(email) + `, ` + lit(hex.EncodeToString(m.Sum(nil))) + `))) ` +
		`ORDER BY t1."id"`
}

// copyOut runs a COPY ... TO STDOUT on a connection of db and returns the
// rows and bytes it sent. The bytes are counted and dropped: the cheapest
// consumer there is, so the baseline is what the server and the wire cost.
func copyOut(ctx context.Context, db *sql.DB, query string) (rows, size int64, err error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("copy: connect: %w", err)
	}
	defer c.Close()
	var w byteCounter
	err = c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection is a %T, not pgx's", dc)
		}
		tag, err := sc.Conn().PgConn().CopyTo(ctx, &w, query)
		rows = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("copy: %w", err)
	}
	return rows, int64(w), nil
}

type byteCounter int64

func (c *byteCounter) Write(p []byte) (int, error) { *c += byteCounter(len(p)); return len(p), nil }

// sampleHeap samples the bytes of heap objects every millisecond, without
// stopping the world as runtime.ReadMemStats would, until stop, which
// returns the peak above what was live when sampling began. The GC first
// makes that base the live heap, not the garbage of whatever ran before.
func sampleHeap() (stop func() uint64) {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	base := s[0].Value.Uint64()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		if peak < base {
			return 0
		}
		return peak - base
	}
}
