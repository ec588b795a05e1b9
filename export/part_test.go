package export_test

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/export"
)

// cell is one value as a connector hands it over, and what the JSON and CSV
// files must hold for it.
type cell struct {
	in   any
	json any // as decoded with UseNumber
	csv  string
}

var profile = connector.Dataset{Connector: "crm", Name: "customers", Columns: []connector.Column{
	{Name: "id", Category: "identity"}, {Name: "name", Category: "identity"}, {Name: "note"},
	{Name: "balance", Category: "financial"}, {Name: "active"}, {Name: "born", Category: "identity"},
	{Name: "city", Category: "contact"}, {Name: "nickname"}, {Name: "deleted_at"},
}}

var shanghai = time.FixedZone("CST", 8*3600)

// profileRows cover what the files must carry unchanged: Chinese text,
// NULLs, integers past float precision, timestamps, and commas, quotes and
// line breaks inside values.
var profileRows = [][]cell{
	{
		{int64(1), json.Number("1"), "1"},
		{"李雷", "李雷", "李雷"},
		{"说, \"你好\"\n第二行", "说, \"你好\"\n第二行", "说, \"你好\"\n第二行"},
		{3.25, json.Number("3.25"), "3.25"},
		{true, true, "true"},
		{time.Date(1990, 3, 1, 8, 30, 0, 123000000, shanghai), "1990-03-01T08:30:00.123+08:00", "1990-03-01T08:30:00.123+08:00"},
		{[]byte("北京市"), "北京市", "北京市"},
		{sql.NullString{String: "小李", Valid: true}, "小李", "小李"},
		{nil, nil, ""},
	},
	{
		{int64(9007199254740993), json.Number("9007199254740993"), "9007199254740993"},
		{"O'Brien, Ann", "O'Brien, Ann", "O'Brien, Ann"},
		{"<b>&amp;</b>\ttab\\slash\u2028", "<b>&amp;</b>\ttab\\slash\u2028", "<b>&amp;</b>\ttab\\slash\u2028"},
		{-0.5, json.Number("-0.5"), "-0.5"},
		{false, false, "false"},
		{time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC), "2024-12-31T23:59:59Z", "2024-12-31T23:59:59Z"},
		{"", "", ""},
		{sql.NullString{}, nil, ""},
		{nil, nil, ""},
	},
	{
		{int64(3), json.Number("3"), "3"},
		{"\"quoted\"", "\"quoted\"", "\"quoted\""},
		{"line\r\nbreak", "line\r\nbreak", "line\r\nbreak"},
		{int64(-7), json.Number("-7"), "-7"},
		{nil, nil, ""},
		{nil, nil, ""},
		{"=1+1", "=1+1", "=1+1"},
		{"😀 emoji", "😀 emoji", "😀 emoji"},
		{time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), "2025-01-02T03:04:05Z", "2025-01-02T03:04:05Z"},
	},
}

var orders = connector.Dataset{Connector: "crm", Name: "orders", Columns: []connector.Column{
	{Name: "order_id", Category: "transaction"}, {Name: "amount", Category: "transaction"},
}}

var empty = connector.Dataset{Connector: "shop", Name: "wishlist", Columns: []connector.Column{{Name: "item"}}}

func inputs(rows [][]cell) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		for _, c := range r {
			out[i] = append(out[i], c.in)
		}
	}
	return out
}

// writePart writes datasets and their rows as a part.
func writePart(t testing.TB, sets map[string][][]any, order ...connector.Dataset) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := export.NewPartWriter(&buf)
	for _, d := range order {
		if err := w.Dataset(d); err != nil {
			t.Fatal(err)
		}
		for _, r := range sets[d.Name] {
			if err := w.Row(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPartRoundTrip(t *testing.T) {
	ordersRows := [][]any{{int64(1001), 12.5}, {int64(1002), nil}}
	var buf bytes.Buffer
	w := export.NewPartWriter(&buf)
	for _, step := range []struct {
		d    connector.Dataset
		rows [][]any
	}{{profile, inputs(profileRows)}, {orders, ordersRows}, {empty, nil}} {
		if err := w.Dataset(step.d); err != nil {
			t.Fatal(err)
		}
		for _, r := range step.rows {
			if err := w.Row(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	counts := w.Counts()
	if len(counts) != 3 || counts[0].Rows != 3 || counts[1].Rows != 2 || counts[2].Rows != 0 || w.Rows() != 5 {
		t.Fatalf("counts %+v, rows %d", counts, w.Rows())
	}

	r := export.NewPartReader(bytes.NewReader(buf.Bytes()))
	var got []string
	for r.NextDataset() {
		d := r.Dataset()
		got = append(got, d.Name)
		for r.NextRow() {
			if d.Name != "customers" {
				continue
			}
			var obj map[string]any
			dec := json.NewDecoder(bytes.NewReader(r.JSON()))
			dec.UseNumber()
			if err := dec.Decode(&obj); err != nil {
				t.Fatalf("row %d: %v: %s", r.Rows(), err, r.JSON())
			}
			rec, err := csv.NewReader(bytes.NewReader(r.CSV())).Read()
			if err != nil {
				t.Fatalf("row %d: %v: %q", r.Rows(), err, r.CSV())
			}
			if !bytes.HasSuffix(r.CSV(), []byte("\r\n")) || len(obj) != len(d.Columns) || len(rec) != len(d.Columns) {
				t.Fatalf("row %d: %d keys, %d fields, want %d: %s %q", r.Rows(), len(obj), len(rec), len(d.Columns), r.JSON(), r.CSV())
			}
			for i, c := range profileRows[r.Rows()-1] {
				name := d.Columns[i].Name
				if v, ok := obj[name]; !ok || v != c.json {
					t.Errorf("row %d column %s: %#v, want %#v", r.Rows(), name, v, c.json)
				}
				// encoding/csv reads a CRLF inside a quoted value as LF.
				if want := strings.ReplaceAll(c.csv, "\r\n", "\n"); rec[i] != want {
					t.Errorf("row %d column %s: CSV %q, want %q", r.Rows(), name, rec[i], want)
				}
			}
		}
		if want := counts[len(got)-1].Rows; r.Rows() != want {
			t.Errorf("%s: read %d rows, wrote %d", d.Name, r.Rows(), want)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "customers,orders,wishlist" {
		t.Fatalf("datasets %v", got)
	}
}

// NextDataset skips the rows left unread.
func TestPartReaderSkips(t *testing.T) {
	part := writePart(t, map[string][][]any{"customers": inputs(profileRows), "orders": {{int64(1), 2.0}}}, profile, orders, empty)
	r := export.NewPartReader(bytes.NewReader(part))
	var names []string
	for r.NextDataset() {
		names = append(names, r.Dataset().Name)
	}
	if err := r.Err(); err != nil || strings.Join(names, ",") != "customers,orders,wishlist" {
		t.Fatalf("%v %v", names, err)
	}
}

// A part cut anywhere short of its end is refused, never read as a
// smaller, complete one.
func TestPartTruncated(t *testing.T) {
	part := writePart(t, map[string][][]any{"customers": inputs(profileRows), "orders": {{int64(1), 2.0}}}, profile, orders, empty)
	for n := 0; n < len(part); n++ {
		r := export.NewPartReader(bytes.NewReader(part[:n]))
		for r.NextDataset() {
			for r.NextRow() {
			}
		}
		if r.Err() == nil {
			t.Fatalf("a part cut at byte %d of %d read without error", n, len(part))
		}
	}
	r := export.NewPartReader(bytes.NewReader(withoutEnd(t, part)))
	for r.NextDataset() {
	}
	if !errors.Is(r.Err(), export.ErrTruncated) {
		t.Errorf("cut between frames: %v, want ErrTruncated", r.Err())
	}
	r = export.NewPartReader(bytes.NewReader(append(part, 'E', 0)))
	for r.NextDataset() {
	}
	if r.Err() == nil {
		t.Error("data after the end line read without error")
	}
}

func TestPartWriterRefuses(t *testing.T) {
	tests := []struct {
		name string
		do   func(w *export.PartWriter) error
	}{
		{"row before dataset", func(w *export.PartWriter) error { return w.Row([]any{1}) }},
		{"too few values", func(w *export.PartWriter) error {
			_ = w.Dataset(orders)
			return w.Row([]any{1})
		}},
		{"too many values", func(w *export.PartWriter) error {
			_ = w.Dataset(orders)
			return w.Row([]any{1, 2, 3})
		}},
		{"repeated column", func(w *export.PartWriter) error {
			return w.Dataset(connector.Dataset{Connector: "c", Name: "d", Columns: []connector.Column{{Name: "a"}, {Name: "a"}}})
		}},
		{"no name", func(w *export.PartWriter) error { return w.Dataset(connector.Dataset{Connector: "c"}) }},
		{"NaN", func(w *export.PartWriter) error {
			_ = w.Dataset(orders)
			return w.Row([]any{int64(1), math.NaN()})
		}},
		{"channel", func(w *export.PartWriter) error {
			_ = w.Dataset(orders)
			return w.Row([]any{int64(1), make(chan int)})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := export.NewPartWriter(&bytes.Buffer{})
			if err := tt.do(w); err == nil {
				t.Fatal("accepted")
			}
			if err := w.Close(); err == nil {
				t.Fatal("closed a part after a failed write")
			}
		})
	}
	// The error names the column, not the value (personal data).
	w := export.NewPartWriter(&bytes.Buffer{})
	_ = w.Dataset(orders)
	err := w.Row([]any{int64(1), math.Inf(1)})
	if err == nil || !strings.Contains(err.Error(), "amount") {
		t.Fatalf("error %v does not name the column", err)
	}
}

// withoutEnd cuts a part's end frame off, leaving whole frames: the part
// as a crash before Close leaves it.
func withoutEnd(t testing.TB, part []byte) []byte {
	t.Helper()
	// The end frame's JSON holds no capital E.
	i := bytes.LastIndexByte(part, 'E')
	if i < 0 || !bytes.HasPrefix(part[i+2:], []byte(`{"datasets":`)) || int(part[i+1]) != len(part)-i-2 {
		t.Fatalf("no end frame at the end of the part: %q", part)
	}
	return part[:i]
}
