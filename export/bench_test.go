package export_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/export"
)

// BenchmarkPackage packages DSR_BENCH_ROWS rows (200,000 by default) the
// way a worker does: the part read from the sealed store twice, the zip
// sealed into it. The rows are encoded into the part before the clock
// starts: that is Collect's work. peak-heap-MiB is the most heap the objects took while it
// ran; it should not grow with the rows.
func BenchmarkPackage(b *testing.B) {
	rows := 200_000
	if s := os.Getenv("DSR_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			b.Fatalf("DSR_BENCH_ROWS=%q", s)
		}
		rows = n
	}
	ctx := context.Background()
	store := newDir(b, b.TempDir(), keyA)
	const partKey = "parts/bench/crm.part"
	writeBenchPart(b, store, partKey, rows)
	meta := export.Meta{Reference: "DSR-BENCH", Language: "zh-CN", CreatedAt: time.Now()}
	parts := []export.Opener{export.OpenerFor(ctx, store, partKey)}

	runtime.GC()
	stop, peak := samplePeakHeap()
	for b.Loop() {
		w, err := store.Create(ctx, "exports/bench.zip")
		if err != nil {
			b.Fatal(err)
		}
		m, err := export.Package(ctx, w, parts, meta)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		if m.Rows != int64(rows) {
			b.Fatalf("packaged %d rows, want %d", m.Rows, rows)
		}
	}
	stop()
	size, err := store.Size(ctx, "exports/bench.zip")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(*peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(size)/(1<<20), "zip-MiB")
	partSize, err := store.Size(ctx, partKey)
	if err != nil {
		b.Fatal(err)
	}
	// The part is written once and read twice: its size is disk and
	// decryption time for both activities.
	b.ReportMetric(float64(partSize)/(1<<20), "part-MiB")
}

func writeBenchPart(b *testing.B, store export.Store, key string, rows int) {
	w, err := store.Create(context.Background(), key)
	if err != nil {
		b.Fatal(err)
	}
	pw := export.NewPartWriter(w)
	d := connector.Dataset{Connector: "crm", Name: "events", Columns: []connector.Column{
		{Name: "id"}, {Name: "name", Category: "identity"}, {Name: "email", Category: "contact"},
		{Name: "at"}, {Name: "amount", Category: "transaction"}, {Name: "note"}, {Name: "deleted_at"},
	}}
	if err := pw.Dataset(d); err != nil {
		b.Fatal(err)
	}
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		err := pw.Row([]any{int64(i), "李雷" + strconv.Itoa(i%1000), fmt.Sprintf("user%d@example.test", i),
			at.Add(time.Duration(i) * time.Second), float64(i%10000) / 100, "下单, \"备注\"\n第二行", nil})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := pw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// samplePeakHeap samples the bytes of heap objects every millisecond,
// without stopping the world as runtime.ReadMemStats would, until stop.
func samplePeakHeap() (stop func(), peak *uint64) {
	peak = new(uint64)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			*peak = max(*peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }, peak
}
