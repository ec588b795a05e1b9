package export

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dsrflow/dsrflow/connector"
)

// FormatVersion is the version of the package layout and its manifest.
const FormatVersion = 1

// Opener opens a part for reading. Package calls it once per pass over the
// part, so it must give the same content every time.
type Opener func() (io.ReadCloser, error)

// Meta describes the request a package answers.
type Meta struct {
	// Reference is the request's reference, quoted to the requester.
	Reference string
	// Language of the summary: "zh-CN" or "en".
	Language  string
	CreatedAt time.Time
	// Portability marks a package for a portability request: the content
	// is the same, the summary says it is machine-readable and may be
	// passed to another controller.
	Portability bool
}

// Manifest describes a package; it is written into it as manifest.json.
type Manifest struct {
	Format          int            `json:"format"`
	Reference       string         `json:"reference"`
	CreatedAt       time.Time      `json:"created_at"`
	Language        string         `json:"language"`
	MachineReadable bool           `json:"machine_readable"`
	Rows            int64          `json:"rows"`
	Datasets        []DatasetEntry `json:"datasets"`
	// Files lists every file of the package but manifest.json itself.
	Files []File `json:"files"`
}

// DatasetEntry is one dataset of a package.
type DatasetEntry struct {
	Connector  string             `json:"connector"`
	Name       string             `json:"name"`
	Columns    []connector.Column `json:"columns"`
	Categories []string           `json:"categories"`
	Rows       int64              `json:"rows"`
	// JSON and CSV are the names of the dataset's files in the package.
	JSON string `json:"json"`
	CSV  string `json:"csv"`
}

// File is one file of a package, its size and its SHA-256, for the
// requester (or the receiving controller) to check what they got.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Names of the package's own files.
const (
	ManifestName = "manifest.json"
	SummaryName  = "README.txt"
)

// checkEvery is how many rows go by between looks at the context.
const checkEvery = 4096

// utf8BOM opens CSV files and the summary: without it, Excel and older
// Notepad read a file in the system's legacy code page (GBK on a Chinese
// Windows, cp1252 on a Western one) and Chinese text comes out garbled.
const utf8BOM = "\ufeff"

// Package writes the zip of parts to w: per dataset a JSON file (an array
// of objects, column name to value) and a CSV file, then the summary in the
// requester's language and the manifest. It reads each part twice, once per
// format, since a zip entry must be written whole before the next begins;
// memory stays the same whatever the number of rows.
//
// On an error, what was written to w is no package: discard it.
func Package(ctx context.Context, w io.Writer, parts []Opener, m Meta) (Manifest, error) {
	if m.Reference == "" {
		return Manifest{}, errors.New("package: no request reference")
	}
	if _, ok := summaries[m.Language]; !ok {
		return Manifest{}, fmt.Errorf("package: no summary in language %q", m.Language)
	}
	p := &packer{ctx: ctx, zw: zip.NewWriter(w), meta: m, taken: map[string]bool{}, buf: bufio.NewWriterSize(nil, 64<<10)}
	p.manifest = Manifest{Format: FormatVersion, Reference: m.Reference, CreatedAt: m.CreatedAt.UTC(),
		Language: m.Language, MachineReadable: m.Portability, Datasets: []DatasetEntry{}, Files: []File{}}
	for i, open := range parts {
		if err := p.part(open); err != nil {
			return Manifest{}, fmt.Errorf("package %s: part %d: %w", m.Reference, i, err)
		}
	}
	summary := summarize(p.manifest)
	if err := p.entry(SummaryName, func(w *bufio.Writer) error {
		_, err := io.WriteString(w, summary)
		return err
	}); err != nil {
		return Manifest{}, fmt.Errorf("package %s: %w", m.Reference, err)
	}
	// Files now holds the summary too; the manifest cannot hold its own hash.
	mf, err := json.MarshalIndent(p.manifest, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("package %s: manifest: %w", m.Reference, err)
	}
	if err := p.entry(ManifestName, func(w *bufio.Writer) error {
		_, err := w.Write(append(mf, '\n'))
		return err
	}); err != nil {
		return Manifest{}, fmt.Errorf("package %s: %w", m.Reference, err)
	}
	p.manifest.Files = p.manifest.Files[:len(p.manifest.Files)-1]
	if err := p.zw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("package %s: %w", m.Reference, err)
	}
	return p.manifest, nil
}

type packer struct {
	ctx      context.Context
	zw       *zip.Writer
	meta     Meta
	manifest Manifest
	taken    map[string]bool // file names, in lower case
	buf      *bufio.Writer
	fields   [][]byte
	scratch  []byte
}

// part writes the JSON files of a part's datasets in a first pass and
// their CSV files in a second.
func (p *packer) part(open Opener) error {
	first := len(p.manifest.Datasets)
	err := p.pass(open, func(r *PartReader) error {
		d := r.Dataset()
		e := DatasetEntry{Connector: d.Connector, Name: d.Name, Columns: d.Columns, Categories: categories(d.Columns)}
		base := p.name(d)
		e.JSON, e.CSV = base+".json", base+".csv"
		err := p.entry(e.JSON, func(w *bufio.Writer) error { return p.writeJSON(w, r) })
		e.Rows = r.Rows()
		p.manifest.Datasets = append(p.manifest.Datasets, e)
		p.manifest.Rows += e.Rows
		return err
	})
	if err != nil {
		return err
	}
	i := first
	err = p.pass(open, func(r *PartReader) error {
		if i == len(p.manifest.Datasets) || !sameDataset(p.manifest.Datasets[i], r.Dataset()) {
			return errors.New("the part changed between two reads")
		}
		e := p.manifest.Datasets[i]
		i++
		if err := p.entry(e.CSV, func(w *bufio.Writer) error { return p.writeCSV(w, r) }); err != nil {
			return err
		}
		if r.Rows() != e.Rows {
			return errors.New("the part changed between two reads")
		}
		return nil
	})
	if err == nil && i != len(p.manifest.Datasets) {
		err = errors.New("the part changed between two reads")
	}
	return err
}

// pass reads a part through, calling each for every dataset.
func (p *packer) pass(open Opener, each func(r *PartReader) error) error {
	rc, err := open()
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	r := NewPartReader(rc)
	for r.NextDataset() {
		if err := each(r); err != nil {
			return err
		}
	}
	return r.Err()
}

// entry writes one file into the zip and lists it with its size and hash.
func (p *packer) entry(name string, write func(w *bufio.Writer) error) error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	zf, err := p.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: p.meta.CreatedAt})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	h := sha256.New()
	cw := &counter{h: h, w: zf}
	p.buf.Reset(cw)
	if err := write(p.buf); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := p.buf.Flush(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	p.manifest.Files = append(p.manifest.Files, File{Name: name, Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// counter hashes and counts what it passes on.
type counter struct {
	h hash.Hash
	w io.Writer
	n int64
}

func (c *counter) Write(b []byte) (int, error) {
	c.h.Write(b)
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

func (p *packer) tick(rows int64) error {
	if rows%checkEvery == 0 {
		return p.ctx.Err()
	}
	return nil
}

// writeJSON writes the current dataset as an array of objects, one per
// line. The part holds each value as JSON already; it is copied as is.
func (p *packer) writeJSON(bw *bufio.Writer, r *PartReader) error {
	cols := r.Dataset().Columns
	keys := make([][]byte, len(cols))
	for i, c := range cols {
		k, err := json.Marshal(c.Name)
		if err != nil {
			return err
		}
		sep := ","
		if i == 0 {
			sep = "{"
		}
		keys[i] = append(append([]byte(sep), k...), ':')
	}
	bw.WriteString("[")
	for r.NextRow() {
		if r.Rows() > 1 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		for i, v := range r.Row() {
			bw.Write(keys[i])
			bw.Write(v)
		}
		if len(cols) == 0 {
			bw.WriteByte('{')
		}
		bw.WriteByte('}')
		if err := p.tick(r.Rows()); err != nil {
			return err
		}
	}
	if r.Rows() > 0 {
		bw.WriteByte('\n')
	}
	_, err := bw.WriteString("]\n")
	if err != nil {
		return err
	}
	return r.Err()
}

// writeCSV writes the current dataset as RFC 4180 CSV with a header row.
// NULL and the empty string both become an empty field; the JSON file
// tells them apart.
func (p *packer) writeCSV(bw *bufio.Writer, r *PartReader) error {
	bw.WriteString(utf8BOM)
	cols := r.Dataset().Columns
	p.fields = p.fields[:0]
	for _, c := range cols {
		p.fields = append(p.fields, []byte(c.Name))
	}
	if err := writeRecord(bw, p.fields); err != nil {
		return err
	}
	for r.NextRow() {
		p.fields = p.fields[:0]
		p.scratch = p.scratch[:0]
		for _, v := range r.Row() {
			f, err := p.field(v)
			if err != nil {
				return err
			}
			p.fields = append(p.fields, f)
		}
		if err := writeRecord(bw, p.fields); err != nil {
			return err
		}
		if err := p.tick(r.Rows()); err != nil {
			return err
		}
	}
	return r.Err()
}

// field is the CSV text of a JSON value: a string's text, a number or a
// boolean as written, an object or array as its JSON.
func (p *packer) field(v json.RawMessage) ([]byte, error) {
	switch {
	case len(v) == 0 || string(v) == "null":
		return nil, nil
	case v[0] != '"':
		return v, nil
	case bytes.IndexByte(v, '\\') < 0:
		return v[1 : len(v)-1], nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, err
	}
	// Appending to scratch may move it; earlier fields keep the old array.
	start := len(p.scratch)
	p.scratch = append(p.scratch, s...)
	return p.scratch[start:], nil
}

// writeRecord writes one CSV record by RFC 4180: CRLF after each record, a
// field quoted when it holds a comma, a quote or a line break. It is written
// by hand because encoding/csv, told to end records with CRLF, also turns
// each line break inside a value into CRLF, and the values must arrive
// unchanged.
func writeRecord(w *bufio.Writer, fields [][]byte) error {
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		if bytes.ContainsAny(f, ",\"\r\n") {
			w.WriteByte('"')
			for {
				j := bytes.IndexByte(f, '"')
				if j < 0 {
					break
				}
				w.Write(f[:j+1])
				w.WriteByte('"')
				f = f[j+1:]
			}
			w.Write(f)
			w.WriteByte('"')
			continue
		}
		w.Write(f)
	}
	_, err := w.WriteString("\r\n")
	return err
}

// name finds the path, without extension, of a dataset's files: the
// connector's directory and the dataset's name, made safe for every file
// system the requester might unpack it on, and distinct from the others
// even where case does not count.
func (p *packer) name(d connector.Dataset) string {
	base := safeName(d.Connector) + "/" + safeName(d.Name)
	name := base
	for n := 2; p.taken[strings.ToLower(name)]; n++ {
		name = base + "-" + strconv.Itoa(n)
	}
	p.taken[strings.ToLower(name)] = true
	return name
}

func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, s)
	s = strings.Trim(s, " .")
	for len(s) > 100 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	if s == "" {
		return "_"
	}
	return s
}

func categories(cols []connector.Column) []string {
	out := []string{}
	for _, c := range cols {
		if c.Category != "" && !slices.Contains(out, c.Category) {
			out = append(out, c.Category)
		}
	}
	return out
}

func sameDataset(e DatasetEntry, d connector.Dataset) bool {
	return e.Connector == d.Connector && e.Name == d.Name && slices.Equal(e.Columns, d.Columns)
}
