package export_test

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/export"
)

// packageOne packages one dataset of rows and returns its JSON and CSV
// files, as the requester gets them.
func packageOne(t testing.TB, d connector.Dataset, rows [][]any) (jsonFile, csvFile string) {
	t.Helper()
	part := writePart(t, map[string][][]any{d.Name: rows}, d)
	return packageParts(t, part, d)
}

func packageParts(t testing.TB, part []byte, d connector.Dataset) (jsonFile, csvFile string) {
	t.Helper()
	var out bytes.Buffer
	if _, err := export.Package(context.Background(), &out, []export.Opener{opener(part)},
		export.Meta{Reference: "R", Language: "en", CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
	files := unzip(t.(*testing.T), out.Bytes())
	base := d.Connector + "/" + d.Name
	return string(files[base+".json"]), string(files[base+".csv"])
}

var tricky = connector.Dataset{Connector: "crm", Name: "tricky", Columns: []connector.Column{
	{Name: "id"}, {Name: "name"}, {Name: "note"}, {Name: "amount"}, {Name: "at"}, {Name: "raw"}, {Name: "ok"},
}}

// The exact bytes of both files for the values that go wrong most easily:
// Chinese text, NULL against the empty string, commas, quotes and line
// breaks, integers past float64 precision, small and large floats, times
// in and out of UTC, bytes that are not text.
func TestPackageExactBytes(t *testing.T) {
	rows := [][]any{
		{int64(9007199254740993), "李雷", "说, \"你好\"\n第二行", 12.5,
			time.Date(2025, 3, 14, 9, 26, 53, 500000000, shanghai), []byte("北京"), true},
		{int64(-1), "", nil, 1e21, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), []byte{0xff, 0x00, 0x01}, false},
		{int64(0), "a<b>&c\u2028", "tab\there\r\nCRLF", 1e-7, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), []byte{}, nil},
		{int(42), sql.NullString{String: "null", Valid: true}, sql.NullString{}, float32(0.1), nil, []byte(nil), sql.NullBool{Bool: true, Valid: true}},
	}
	gotJSON, gotCSV := packageOne(t, tricky, rows)
	wantJSON := `[
{"id":9007199254740993,"name":"李雷","note":"说, \"你好\"\n第二行","amount":12.5,"at":"2025-03-14T09:26:53.5+08:00","raw":"北京","ok":true},
{"id":-1,"name":"","note":null,"amount":1e+21,"at":"2025-01-02T03:04:05Z","raw":"/wAB","ok":false},
{"id":0,"name":"a<b>&c\u2028","note":"tab\there\r\nCRLF","amount":1e-7,"at":"0001-01-01T00:00:00Z","raw":"","ok":null},
{"id":42,"name":"null","note":null,"amount":0.1,"at":null,"raw":null,"ok":true}
]
`
	wantCSV := "\ufeffid,name,note,amount,at,raw,ok\r\n" +
		"9007199254740993,李雷,\"说, \"\"你好\"\"\n第二行\",12.5,2025-03-14T09:26:53.5+08:00,北京,true\r\n" +
		"-1,,,1e+21,2025-01-02T03:04:05Z,/wAB,false\r\n" +
		"0,a<b>&c\u2028,\"tab\there\r\nCRLF\",1e-7,0001-01-01T00:00:00Z,,\r\n" +
		"42,null,,0.1,,,true\r\n"
	if gotJSON != wantJSON {
		t.Errorf("JSON file\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	if gotCSV != wantCSV {
		t.Errorf("CSV file\n%q\nwant\n%q", gotCSV, wantCSV)
	}
}

// jsonEncode is what encoding/json writes for v, as version 1 parts held.
func jsonEncode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// checkEncoding packages v and checks its JSON against encoding/json and
// its CSV field against the text of that JSON.
func checkEncoding(t *testing.T, v any) {
	t.Helper()
	d := connector.Dataset{Connector: "c", Name: "d", Columns: []connector.Column{{Name: "v"}}}
	want, err := jsonEncode(plainValue(t, v))
	if err != nil {
		t.Fatalf("%#v: %v", v, err)
	}
	gotJSON, gotCSV := packageOne(t, d, [][]any{{v}})
	if w := "[\n{\"v\":" + string(want) + "}\n]\n"; gotJSON != w {
		t.Fatalf("%#v: JSON file %q, want %q", v, gotJSON, w)
	}
	var text any
	if err := json.Unmarshal(want, &text); err != nil {
		t.Fatal(err)
	}
	field := string(want)
	switch x := text.(type) {
	case nil:
		field = ""
	case string:
		field = x
	}
	if field == "" {
		// encoding/csv skips a blank line; RFC 4180 reads it as one empty
		// field, which it is here.
		if w := "\ufeffv\r\n\r\n"; gotCSV != w {
			t.Fatalf("%#v: CSV file %q, want %q", v, gotCSV, w)
		}
		return
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(gotCSV, "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 || len(recs[1]) != 1 {
		t.Fatalf("%#v: CSV file %q: %v", v, gotCSV, err)
	}
	// encoding/csv reads a CRLF inside a quoted value as LF.
	if w := strings.ReplaceAll(field, "\r\n", "\n"); recs[1][0] != w {
		t.Fatalf("%#v: CSV field %q, want %q", v, recs[1][0], w)
	}
}

// The values encoded by hand must come out as encoding/json writes them:
// the JSON files of version 1 did, and the requester's tools may compare.
func TestEncodingMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, "", "plain", "李雷", "\x00\x01\x1f\x7f", "\b\f\n\r\t\"\\/", "\u2028\u2029", "bad \xff\xfe utf-8 \xe6\x9d",
		"😀", []byte(nil), []byte{}, []byte("text"), []byte("\xc3\x28"), []byte{0, 1, 2, 250, 251, 252, 253},
		true, false, int64(math.MinInt64), int64(math.MaxInt64), int(-3), int32(7), int16(-8), int8(9),
		uint64(math.MaxUint64), uint(1), uint32(2), uint16(3),
		0.0, math.Copysign(0, -1), 1.0, -2.5, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64,
		float32(0.1), float32(1e21), float32(1e-7), float32(3.4e38),
		time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC), time.Date(1999, 12, 31, 0, 0, 0, 1000, shanghai),
		time.Date(2024, 6, 1, 12, 0, 0, 0, time.FixedZone("", -(3*3600+30*60))),
		sql.NullInt64{Int64: 5, Valid: true}, sql.NullFloat64{}, sql.NullTime{Time: time.Unix(0, 0).UTC(), Valid: true},
		json.Number("12345678901234567890.000001"), map[string]any{"k": []any{1, "二"}}, []string{"a", "b,c"},
	}
	for _, v := range values {
		checkEncoding(t, v)
	}
	// Random strings, mostly of the bytes that need escaping somewhere.
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "李", "\"", "\\", ",", "\r", "\n", "\t", "\x00", "\x1f", "\xff", "\xe6", "\u2028", "😀", "<", " "}
	for range 300 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		checkEncoding(t, b.String())
		checkEncoding(t, []byte(b.String()))
	}
}

func FuzzEncoding(f *testing.F) {
	for _, s := range []string{"", "李雷", "a,\"b\"\r\n", "\xff\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkEncoding(t, s)
		checkEncoding(t, []byte(s))
	})
}

// Errors name the column and never the value: the value is personal data.
func TestEncodingErrors(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(-1), float32(math.Inf(1)), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), make(chan int)} {
		w := export.NewPartWriter(io.Discard)
		if err := w.Dataset(orders); err != nil {
			t.Fatal(err)
		}
		err := w.Row([]any{int64(1), v})
		if err == nil || !strings.Contains(err.Error(), "column amount") {
			t.Errorf("%T: error %v does not name the column", v, err)
		}
	}
}

// plainValue is v as version 1 parts passed it to encoding/json: a
// driver.Valuer as its value, valid UTF-8 []byte as a string.
func plainValue(t testing.TB, v any) any {
	t.Helper()
	if dv, ok := v.(driver.Valuer); ok {
		var err error
		if v, err = dv.Value(); err != nil {
			t.Fatal(err)
		}
	}
	if b, ok := v.([]byte); ok && b != nil && utf8.Valid(b) {
		return string(b)
	}
	return v
}

// v1Part writes a version 1 part as workers before version 2 did.
func v1Part(t testing.TB, d connector.Dataset, rows [][]any) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(`{"format":"dsrflow-part","version":1}` + "\n")
	h, _ := json.Marshal(map[string]any{"dataset": d})
	b.Write(append(h, '\n'))
	for _, r := range rows {
		b.WriteByte('[')
		for i, v := range r {
			if i > 0 {
				b.WriteByte(',')
			}
			j, err := jsonEncode(plainValue(t, v))
			if err != nil {
				t.Fatal(err)
			}
			b.Write(j)
		}
		b.WriteString("]\n")
	}
	fmt.Fprintf(&b, `{"end":{"datasets":1,"rows":%d}}`+"\n", len(rows))
	return b.Bytes()
}

// A part collected by a worker before an upgrade packages into the same
// files as one collected after.
func TestPartVersion1(t *testing.T) {
	rows := inputs(profileRows)
	part := v1Part(t, profile, rows)
	r := export.NewPartReader(bytes.NewReader(part))
	for r.NextDataset() {
		for r.NextRow() {
		}
	}
	if r.Err() != nil || r.Version() != 1 {
		t.Fatalf("version %d: %v", r.Version(), r.Err())
	}
	oldJSON, oldCSV := packageParts(t, part, profile)
	newJSON, newCSV := packageOne(t, profile, rows)
	if oldJSON != newJSON || oldCSV != newCSV {
		t.Errorf("version 1 packages\n%s%q\nversion 2\n%s%q", oldJSON, oldCSV, newJSON, newCSV)
	}
	// Cut short, it is refused as before.
	r = export.NewPartReader(bytes.NewReader(part[:bytes.LastIndex(part[:len(part)-1], []byte("\n"))+1]))
	for r.NextDataset() {
	}
	if r.Err() != export.ErrTruncated {
		t.Errorf("a version 1 part without its end: %v, want ErrTruncated", r.Err())
	}
}

// A part of a version this worker does not know is refused, by version.
func TestPartUnknownVersion(t *testing.T) {
	for _, head := range []string{`{"format":"dsrflow-part","version":3}`, `{"format":"dsrflow-part","version":0}`} {
		r := export.NewPartReader(strings.NewReader(head + "\nE\x00"))
		if r.NextDataset() || r.Err() == nil || !strings.Contains(r.Err().Error(), "version") {
			t.Errorf("%s: %v, want a refusal naming the version", head, r.Err())
		}
	}
	for _, junk := range []string{"", "PK\x03\x04", "{}\n", strings.Repeat("x", 70<<10)} {
		r := export.NewPartReader(strings.NewReader(junk))
		if r.NextDataset() || r.Err() == nil {
			t.Errorf("%.10q read as a part", junk)
		}
	}
}

// Rows larger than the reader's buffer, and a frame claiming more than
// MaxLine, which is refused before anything is allocated for it.
func TestPartLargeRows(t *testing.T) {
	big := strings.Repeat("长文本,\"quoted\"\n", 20000) // ~400 KB, past the 64 KiB buffer
	d := connector.Dataset{Connector: "c", Name: "docs", Columns: []connector.Column{{Name: "id"}, {Name: "body"}}}
	rows := [][]any{{int64(1), big}, {int64(2), "small"}, {int64(3), big}}
	gotJSON, gotCSV := packageOne(t, d, rows)
	var objs []map[string]any
	if err := json.Unmarshal([]byte(gotJSON), &objs); err != nil || len(objs) != 3 || objs[0]["body"] != big ||
		objs[1]["body"] != "small" || objs[2]["body"] != big {
		t.Fatalf("JSON of large rows: %v", err)
	}
	wantCSV := "\ufeffid,body\r\n1,\"" + strings.ReplaceAll(big, `"`, `""`) + "\"\r\n2,small\r\n3,\"" +
		strings.ReplaceAll(big, `"`, `""`) + "\"\r\n"
	if gotCSV != wantCSV {
		t.Fatalf("CSV of large rows differs (%d bytes, want %d)", len(gotCSV), len(wantCSV))
	}

	head := `{"format":"dsrflow-part","version":2}` + "\n"
	huge := head + "D\x02{}" + "R\xff\xff\xff\xff\x0f"
	r := export.NewPartReader(strings.NewReader(huge))
	for r.NextDataset() {
		for r.NextRow() {
		}
	}
	if r.Err() == nil || !strings.Contains(r.Err().Error(), "at most") {
		t.Errorf("a frame of 4 GiB: %v", r.Err())
	}
}
