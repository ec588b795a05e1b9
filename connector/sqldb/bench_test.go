package sqldb_test

import (
	"encoding/json"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/connector/sqldb"
	"github.com/dsrflow/dsrflow/examples/shop"
)

// encoder is a sink that writes JSON lines, as an export does, to
// io.Discard.
type encoder struct {
	enc  *json.Encoder
	rows int64
}

func (e *encoder) Dataset(d connector.Dataset) error { return e.enc.Encode(d) }

func (e *encoder) Row(v []any) error {
	e.rows++
	return e.enc.Encode(v)
}

// BenchmarkAccess streams one subject's DSR_BENCH_ROWS (default 100,000)
// login logs from PostgreSQL.
func BenchmarkAccess(b *testing.B) {
	n := 100_000
	if v := os.Getenv("DSR_BENCH_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("DSR_BENCH_ROWS=%q: want a positive number", v)
		}
	}
	db := openDB(b, sqldb.Postgres)
	if err := shop.Load(ctx, db); err != nil {
		b.Fatal(err)
	}
	// Alice (customer 2) gets the rows; ids above the seed's.
	err := db.Exec(`INSERT INTO login_logs (id, customer_id, ip, user_agent, at)
		SELECT 1000 + g, 2, '198.51.100.' || (g % 250), 'bench/1.0', TIMESTAMP '2025-01-01' + g * INTERVAL '1 second'
		FROM generate_series(1, ?) AS g`, n).Error
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Exec("ANALYZE login_logs").Error; err != nil {
		b.Fatal(err)
	}
	cfg, err := shop.Config("", sqldb.Postgres)
	if err != nil {
		b.Fatal(err)
	}
	c, err := sqldb.NewWithDB(shop.Name, cfg, db)
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sink := &encoder{enc: json.NewEncoder(io.Discard)}
		if err := c.Access(ctx, alice, sink); err != nil {
			b.Fatal(err)
		}
		// Alice's seed rows: 1 customer, 1 address, 2 orders, 2 items, 1
		// log, 1 wallet.
		if want := int64(n) + 8; sink.rows != want {
			b.Fatalf("streamed %d rows, want %d", sink.rows, want)
		}
		total += sink.rows
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
}
