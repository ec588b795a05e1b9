package export

import (
	"archive/zip"
	"bufio"
	"compress/flate"
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
// the part holds both forms of each row ready, so each pass only copies.
// Memory stays the same whatever the number of rows.
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
	p.zw.RegisterCompressor(zip.Deflate, p.compressor)
	p.manifest = Manifest{Format: FormatVersion, Reference: m.Reference, CreatedAt: m.CreatedAt.UTC(),
		Language: m.Language, MachineReadable: m.Portability, Datasets: []DatasetEntry{}, Files: []File{}}
	for i, open := range parts {
		if err := p.part(open); err != nil {
			return Manifest{}, fmt.Errorf("package %s: part %d: %w", m.Reference, i, err)
		}
	}
	summary := summarize(p.manifest)
	if err := p.entry(SummaryName, smallLevel, func(w *bufio.Writer) error {
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
	if err := p.entry(ManifestName, smallLevel, func(w *bufio.Writer) error {
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
	scratch  []byte
	level    int                   // of the entry being written
	flates   map[int]*flate.Writer // by level, reused from entry to entry
}

// Compression levels. Data files are most of a package and of the time it
// takes: BestSpeed deflates them several times faster than the default
// level for a zip a little larger. The summary and manifest are small.
const (
	dataLevel  = flate.BestSpeed
	smallLevel = flate.DefaultCompression
)

// compressor is the zip's deflate: the writers are reused, since each
// holds over half a megabyte of tables and a package has many entries.
func (p *packer) compressor(w io.Writer) (io.WriteCloser, error) {
	if fw := p.flates[p.level]; fw != nil {
		fw.Reset(w)
		return fw, nil
	}
	fw, err := flate.NewWriter(w, p.level)
	if err != nil {
		return nil, fmt.Errorf("deflate level %d: %w", p.level, err)
	}
	if p.flates == nil {
		p.flates = map[int]*flate.Writer{}
	}
	p.flates[p.level] = fw
	return fw, nil
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
		err := p.entry(e.JSON, dataLevel, func(w *bufio.Writer) error { return p.writeJSON(w, r) })
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
		if err := p.entry(e.CSV, dataLevel, func(w *bufio.Writer) error { return p.writeCSV(w, r) }); err != nil {
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
func (p *packer) entry(name string, level int, write func(w *bufio.Writer) error) error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	p.level = level
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
// line. The part holds each row's object ready; it is copied as is.
func (p *packer) writeJSON(bw *bufio.Writer, r *PartReader) error {
	bw.WriteByte('[')
	for r.NextRow() {
		if r.Rows() > 1 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
		if _, err := bw.Write(r.JSON()); err != nil {
			return err
		}
		if err := p.tick(r.Rows()); err != nil {
			return err
		}
	}
	if r.Rows() > 0 {
		bw.WriteByte('\n')
	}
	if _, err := bw.WriteString("]\n"); err != nil {
		return err
	}
	return r.Err()
}

// writeCSV writes the current dataset as RFC 4180 CSV with a header row.
// The part holds each row's record ready; it is copied as is.
func (p *packer) writeCSV(bw *bufio.Writer, r *PartReader) error {
	p.scratch = append(p.scratch[:0], utf8BOM...)
	for i, c := range r.Dataset().Columns {
		if i > 0 {
			p.scratch = append(p.scratch, ',')
		}
		p.scratch = appendCSVField(p.scratch, c.Name)
	}
	p.scratch = append(p.scratch, '\r', '\n')
	bw.Write(p.scratch)
	for r.NextRow() {
		if _, err := bw.Write(r.CSV()); err != nil {
			return err
		}
		if err := p.tick(r.Rows()); err != nil {
			return err
		}
	}
	return r.Err()
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
