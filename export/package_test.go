package export_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/export"
)

func opener(b []byte) export.Opener {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

var created = time.Date(2025, 3, 14, 9, 26, 0, 0, time.UTC)

// testParts are two connectors' parts: crm with a full dataset and a
// small one, shop with an empty one.
func testParts(t *testing.T) []export.Opener {
	return []export.Opener{
		opener(writePart(t, map[string][][]any{"customers": inputs(profileRows),
			"orders": {{int64(1001), 12.5}, {int64(1002), nil}}}, profile, orders)),
		opener(writePart(t, nil, empty)),
	}
}

func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if _, dup := files[f.Name]; dup {
			t.Fatalf("%s twice in the zip", f.Name)
		}
		files[f.Name] = data
	}
	return files
}

func TestPackage(t *testing.T) {
	var out bytes.Buffer
	m, err := export.Package(context.Background(), &out, testParts(t),
		export.Meta{Reference: "DSR-2025-0042", Language: "en", CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, out.Bytes())

	t.Run("json", func(t *testing.T) {
		var rows []map[string]any
		dec := json.NewDecoder(bytes.NewReader(files["crm/customers.json"]))
		dec.UseNumber()
		if err := dec.Decode(&rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(profileRows) {
			t.Fatalf("%d rows, want %d", len(rows), len(profileRows))
		}
		for i, want := range profileRows {
			if len(rows[i]) != len(profile.Columns) {
				t.Errorf("row %d: %d columns", i, len(rows[i]))
			}
			for j, c := range want {
				name := profile.Columns[j].Name
				v, ok := rows[i][name]
				if !ok || v != c.json {
					t.Errorf("row %d %s: %#v, want %#v", i, name, v, c.json)
				}
			}
		}
		var orderRows, wishlist []map[string]any
		if err := json.Unmarshal(files["crm/orders.json"], &orderRows); err != nil || len(orderRows) != 2 ||
			orderRows[0]["amount"] != 12.5 || orderRows[1]["amount"] != nil {
			t.Errorf("orders.json: %v %s", err, files["crm/orders.json"])
		}
		if err := json.Unmarshal(files["shop/wishlist.json"], &wishlist); err != nil || wishlist == nil || len(wishlist) != 0 {
			t.Errorf("wishlist.json: %v %q", err, files["shop/wishlist.json"])
		}
	})

	t.Run("csv", func(t *testing.T) {
		raw := files["crm/customers.csv"]
		body, ok := bytes.CutPrefix(raw, []byte("\xef\xbb\xbf"))
		if !ok {
			t.Fatal("no UTF-8 byte order mark")
		}
		if !bytes.HasPrefix(body, []byte("id,name,note,balance,active,born,city,nickname,deleted_at\r\n")) {
			t.Fatalf("header row: %.80q", body)
		}
		// encoding/csv reads a CRLF inside a quoted value as LF; the exact
		// bytes of that value are checked below.
		recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != len(profileRows)+1 {
			t.Fatalf("%d records, want %d", len(recs), len(profileRows)+1)
		}
		for i, want := range profileRows {
			for j, c := range want {
				w := strings.ReplaceAll(c.csv, "\r\n", "\n")
				if recs[i+1][j] != w {
					t.Errorf("row %d %s: %q, want %q", i, profile.Columns[j].Name, recs[i+1][j], w)
				}
			}
		}
		if !bytes.Contains(body, []byte("\"line\r\nbreak\"")) || !bytes.Contains(body, []byte(`"说, ""你好""`+"\n"+`第二行"`)) {
			t.Errorf("values with line breaks or quotes not written as they are: %q", body)
		}
		if got := string(files["shop/wishlist.csv"]); got != "\ufeffitem\r\n" {
			t.Errorf("empty dataset: %q", got)
		}
		if got := string(files["crm/orders.csv"]); got != "\ufefforder_id,amount\r\n1001,12.5\r\n1002,\r\n" {
			t.Errorf("orders.csv: %q", got)
		}
	})

	t.Run("manifest", func(t *testing.T) {
		var mf export.Manifest
		if err := json.Unmarshal(files[export.ManifestName], &mf); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(mf, m) {
			t.Errorf("manifest.json\n%+v\nPackage returned\n%+v", mf, m)
		}
		if mf.Format != export.FormatVersion || mf.Reference != "DSR-2025-0042" || !mf.CreatedAt.Equal(created) ||
			mf.Language != "en" || mf.MachineReadable || mf.Rows != 5 || len(mf.Datasets) != 3 {
			t.Errorf("manifest: %+v", mf)
		}
		d := mf.Datasets[0]
		if d.Connector != "crm" || d.Name != "customers" || d.Rows != 3 || d.JSON != "crm/customers.json" ||
			d.CSV != "crm/customers.csv" || !slices.Equal(d.Categories, []string{"identity", "financial", "contact"}) ||
			!slices.Equal(d.Columns, profile.Columns) {
			t.Errorf("dataset: %+v", d)
		}
		if mf.Datasets[1].Rows != 2 || mf.Datasets[2].Rows != 0 || mf.Datasets[2].Categories == nil {
			t.Errorf("datasets: %+v", mf.Datasets)
		}
		listed := map[string]bool{}
		for _, f := range mf.Files {
			listed[f.Name] = true
			data, ok := files[f.Name]
			sum := sha256.Sum256(data)
			if !ok || int64(len(data)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
				t.Errorf("%s: listed as %d bytes %s, is %d bytes %x (in zip: %v)", f.Name, f.Size, f.SHA256, len(data), sum, ok)
			}
		}
		for name := range files {
			if !listed[name] && name != export.ManifestName {
				t.Errorf("%s is in the zip but not in the manifest", name)
			}
		}
		if len(files) != 8 {
			t.Errorf("%d files, want 6 data files, the summary and the manifest", len(files))
		}
	})

	t.Run("summary", func(t *testing.T) {
		s := string(files[export.SummaryName])
		for _, want := range []string{"DSR-2025-0042", "14 March 2025", "crm / customers: 3 records", "crm / orders: 2 records",
			"shop / wishlist: 0 records", "identity, financial, contact", "crm/customers.csv", "manifest.json",
			"In total: 5 records in 3 datasets."} {
			if !strings.Contains(s, want) {
				t.Errorf("summary lacks %q:\n%s", want, s)
			}
		}
		if strings.Contains(s, "machine-readable format") {
			t.Error("an access package's summary speaks of portability")
		}
	})
}

func TestPackagePortabilityInChinese(t *testing.T) {
	var out bytes.Buffer
	m, err := export.Package(context.Background(), &out, testParts(t),
		export.Meta{Reference: "DSR-2025-0043", Language: "zh-CN", CreatedAt: created, Portability: true})
	if err != nil {
		t.Fatal(err)
	}
	files := unzip(t, out.Bytes())
	s := string(files[export.SummaryName])
	for _, want := range []string{"请求编号：DSR-2025-0043", "2025年3月14日", "crm / customers：3 条记录",
		"共 3 个数据集，5 条记录。", "机器可读", "数据类别：identity、financial、contact", "文件说明"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if !m.MachineReadable || m.Language != "zh-CN" {
		t.Errorf("manifest: %+v", m)
	}
	// The same content as an access package.
	var access bytes.Buffer
	if _, err := export.Package(context.Background(), &access, testParts(t),
		export.Meta{Reference: "DSR-2025-0043", Language: "zh-CN", CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
	for name, data := range unzip(t, access.Bytes()) {
		if strings.HasSuffix(name, ".csv") || strings.HasSuffix(name, ".json") && name != export.ManifestName {
			if !bytes.Equal(data, files[name]) {
				t.Errorf("%s differs between access and portability", name)
			}
		}
	}
}

// Dataset names become file names: they are made safe, and kept distinct.
func TestPackageFileNames(t *testing.T) {
	col := []connector.Column{{Name: "v"}}
	a := connector.Dataset{Connector: "../crm", Name: "a/b", Columns: col}
	b := connector.Dataset{Connector: "../crm", Name: "a:b", Columns: col}
	c := connector.Dataset{Connector: "../crm", Name: "A_B", Columns: col}
	part := writePart(t, nil, a, b, c)
	var out bytes.Buffer
	m, err := export.Package(context.Background(), &out, []export.Opener{opener(part)},
		export.Meta{Reference: "R", Language: "en", CreatedAt: created})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range m.Datasets {
		names = append(names, d.JSON)
	}
	if strings.Join(names, " ") != "_crm/a_b.json _crm/a_b-2.json _crm/A_B-3.json" {
		t.Errorf("names %v", names)
	}
	files := unzip(t, out.Bytes())
	for name := range files {
		if strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
			t.Errorf("unsafe name %q", name)
		}
	}
}

func TestPackageRefuses(t *testing.T) {
	good := writePart(t, map[string][][]any{"orders": {{int64(1), 2.0}}}, orders)
	cut := good[:len(good)-10]
	calls := 0
	changing := func() (io.ReadCloser, error) {
		calls++
		if calls == 1 {
			return io.NopCloser(bytes.NewReader(good)), nil
		}
		return io.NopCloser(bytes.NewReader(writePart(t, map[string][][]any{"orders": {{int64(1), 2.0}, {int64(2), 3.0}}}, orders))), nil
	}
	failing := func() (io.ReadCloser, error) { return nil, errors.New("disk on fire") }
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	meta := export.Meta{Reference: "R", Language: "en", CreatedAt: created}
	tests := []struct {
		name  string
		ctx   context.Context
		parts []export.Opener
		meta  export.Meta
		is    error
	}{
		{"truncated part", context.Background(), []export.Opener{opener(cut)}, meta, nil},
		{"truncated between frames", context.Background(), []export.Opener{opener(withoutEnd(t, good))}, meta, export.ErrTruncated},
		{"part changed", context.Background(), []export.Opener{changing}, meta, nil},
		{"part cannot open", context.Background(), []export.Opener{failing}, meta, nil},
		{"unknown language", context.Background(), []export.Opener{opener(good)}, export.Meta{Reference: "R", Language: "fr"}, nil},
		{"no reference", context.Background(), []export.Opener{opener(good)}, export.Meta{Language: "en"}, nil},
		{"cancelled", cancelled, []export.Opener{opener(good)}, meta, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := export.Package(tt.ctx, io.Discard, tt.parts, tt.meta)
			if err == nil || tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("error %v, want %v", err, tt.is)
			}
		})
	}
}
