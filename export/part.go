// Package export builds the copy of a data subject's personal data that an
// access or portability request hands over.
//
// Each connector's rows are collected in parallel, each into a part (a
// framed stream in a Store shared by the workers); one step then packages
// the parts into a zip of JSON and CSV files with a manifest and a summary
// in the requester's language. Nothing is held in memory whole: a subject
// may have millions of rows, so every step streams, row by row.
package export

import (
	"bufio"
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/dsrflow/dsrflow/connector"
)

// A part is JSON lines:
//
//	{"format":"dsrflow-part","version":1}
//	{"dataset":{"connector":"crm","name":"customers","columns":[...]}}
//	[1,"李雷",null]                       one array per row, in column order
//	{"dataset":{...}}                     the next dataset, and its rows
//	{"end":{"datasets":2,"rows":1}}
//
// The end line is written last, so a part cut short by a crash, a full disk
// or a half-copied file is refused rather than packaged as if complete.
const (
	partFormat  = "dsrflow-part"
	partVersion = 1
)

// MaxLine bounds one line of a part: one row, encoded. Reading holds one
// row at a time, so this is the most a row can cost in memory; a row over it
// (a scanned document in a BLOB column, say) is refused when written, never
// stored unreadable.
const MaxLine = 64 << 20

// ErrTruncated is returned when a part ends before its end line.
var ErrTruncated = errors.New("export part truncated: no end line")

type partHead struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
}

type partLine struct {
	Dataset *connector.Dataset `json:"dataset,omitempty"`
	End     *partEnd           `json:"end,omitempty"`
}

type partEnd struct {
	Datasets int   `json:"datasets"`
	Rows     int64 `json:"rows"`
}

// Count is one dataset of a part and how many rows it holds.
type Count struct {
	Dataset connector.Dataset
	Rows    int64
}

// PartWriter is a connector.Sink that writes a part to an io.Writer. Close
// writes the end line; without it the part is unreadable.
type PartWriter struct {
	w      *bufio.Writer
	line   bytes.Buffer
	value  bytes.Buffer
	enc    *json.Encoder
	counts []Count
	rows   int64
	closed bool
	err    error
}

var _ connector.Sink = (*PartWriter)(nil)

// NewPartWriter starts a part on w.
func NewPartWriter(w io.Writer) *PartWriter {
	p := &PartWriter{w: bufio.NewWriterSize(w, 64<<10)}
	p.enc = json.NewEncoder(&p.value)
	// The subject reads these values; "<" is clearer than "\u003c".
	p.enc.SetEscapeHTML(false)
	p.writeJSON(partHead{Format: partFormat, Version: partVersion})
	return p
}

// Dataset implements connector.Sink: the rows that follow belong to d.
func (p *PartWriter) Dataset(d connector.Dataset) error {
	if err := p.usable(); err != nil {
		return err
	}
	if d.Connector == "" || d.Name == "" {
		return p.fail(errors.New("write part: dataset without a connector or name"))
	}
	seen := make(map[string]bool, len(d.Columns))
	for _, c := range d.Columns {
		if c.Name == "" || seen[c.Name] {
			// Columns become the keys of the JSON objects: an empty or
			// repeated one would lose values.
			return p.fail(fmt.Errorf("write part: dataset %s/%s: empty or repeated column name %q", d.Connector, d.Name, c.Name))
		}
		seen[c.Name] = true
	}
	p.counts = append(p.counts, Count{Dataset: d})
	return p.writeJSON(partLine{Dataset: &d})
}

// Row implements connector.Sink. Values are in column order; nil is NULL.
// Text a driver hands over as []byte is written as text when it is valid
// UTF-8, and base64 otherwise; a driver.Valuer (sql.NullString...) is
// written as its value.
func (p *PartWriter) Row(values []any) error {
	if err := p.usable(); err != nil {
		return err
	}
	if len(p.counts) == 0 {
		return p.fail(errors.New("write part: row before any dataset"))
	}
	cur := &p.counts[len(p.counts)-1]
	if len(values) != len(cur.Dataset.Columns) {
		return p.fail(fmt.Errorf("write part: dataset %s/%s: row of %d values, want %d columns",
			cur.Dataset.Connector, cur.Dataset.Name, len(values), len(cur.Dataset.Columns)))
	}
	p.line.Reset()
	p.line.WriteByte('[')
	for i, v := range values {
		if i > 0 {
			p.line.WriteByte(',')
		}
		v, err := plain(v)
		if err == nil {
			p.value.Reset()
			err = p.enc.Encode(v)
		}
		if err != nil {
			// The error names the column, never the value: it is personal data.
			return p.fail(fmt.Errorf("write part: dataset %s/%s column %s: %w",
				cur.Dataset.Connector, cur.Dataset.Name, cur.Dataset.Columns[i].Name, err))
		}
		p.line.Write(bytes.TrimSuffix(p.value.Bytes(), []byte("\n")))
	}
	p.line.WriteString("]\n")
	if p.line.Len() > MaxLine {
		return p.fail(fmt.Errorf("write part: dataset %s/%s: a row of %d bytes, at most %d",
			cur.Dataset.Connector, cur.Dataset.Name, p.line.Len(), MaxLine))
	}
	if _, err := p.w.Write(p.line.Bytes()); err != nil {
		return p.fail(fmt.Errorf("write part: %w", err))
	}
	cur.Rows++
	p.rows++
	return nil
}

// Close writes the end line and flushes; it does not close the underlying
// writer.
func (p *PartWriter) Close() error {
	if err := p.usable(); err != nil {
		return err
	}
	if err := p.writeJSON(partLine{End: &partEnd{Datasets: len(p.counts), Rows: p.rows}}); err != nil {
		return err
	}
	p.closed = true
	if err := p.w.Flush(); err != nil {
		return p.fail(fmt.Errorf("write part: %w", err))
	}
	return nil
}

// Counts lists the datasets written so far and their rows.
func (p *PartWriter) Counts() []Count { return append([]Count(nil), p.counts...) }

// Rows is the number of rows written so far, over all datasets.
func (p *PartWriter) Rows() int64 { return p.rows }

func (p *PartWriter) usable() error {
	switch {
	case p.err != nil:
		return p.err
	case p.closed:
		return errors.New("write part: already closed")
	}
	return nil
}

// fail makes the writer refuse further use: after a failed write the
// stream is not a part any more.
func (p *PartWriter) fail(err error) error {
	p.err = err
	return err
}

func (p *PartWriter) writeJSON(v any) error {
	if p.err != nil {
		return p.err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return p.fail(fmt.Errorf("write part: %w", err))
	}
	if _, err := p.w.Write(append(b, '\n')); err != nil {
		return p.fail(fmt.Errorf("write part: %w", err))
	}
	return nil
}

// plain turns what database drivers hand over into what JSON can carry.
func plain(v any) (any, error) {
	if dv, ok := v.(driver.Valuer); ok {
		var err error
		if v, err = dv.Value(); err != nil {
			return nil, err
		}
	}
	if b, ok := v.([]byte); ok && b != nil && utf8.Valid(b) {
		return string(b), nil
	}
	return v, nil
}

// PartReader reads a part back, one row at a time:
//
//	r := NewPartReader(f)
//	for r.NextDataset() {
//		d := r.Dataset()
//		for r.NextRow() {
//			use(d, r.Row())
//		}
//	}
//	if err := r.Err(); err != nil { ... }
type PartReader struct {
	s       *bufio.Scanner
	started bool
	pending *connector.Dataset // the header read while skipping rows
	cur     *connector.Dataset
	row     []json.RawMessage
	rows    int64 // of the current dataset
	total   int64
	sets    int
	ended   bool
	err     error
}

// NewPartReader reads a part from r.
func NewPartReader(r io.Reader) *PartReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), MaxLine)
	s.Split(scanLines)
	return &PartReader{s: s}
}

// scanLines is bufio.ScanLines but for a last line without its newline,
// which it refuses: the part was cut short.
func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return 0, nil, ErrTruncated
	}
	return 0, nil, nil
}

// NextDataset moves to the next dataset, skipping what is left of the
// current one; false at the end of the part or on an error.
func (r *PartReader) NextDataset() bool {
	if !r.started {
		r.started = true
		r.readHead()
	}
	for r.NextRow() {
		// Skip what is left of the current dataset.
	}
	if r.err != nil || r.ended || r.pending == nil {
		r.cur = nil
		return false
	}
	r.cur, r.pending, r.rows = r.pending, nil, 0
	r.sets++
	return true
}

// Dataset is the current dataset.
func (r *PartReader) Dataset() connector.Dataset {
	if r.cur == nil {
		return connector.Dataset{}
	}
	return *r.cur
}

// NextRow moves to the next row of the current dataset; false at its end or
// on an error.
func (r *PartReader) NextRow() bool {
	if r.err != nil || r.pending != nil || r.ended || !r.started {
		return false
	}
	if !r.s.Scan() {
		r.err = r.scanErr()
		return false
	}
	line := r.s.Bytes()
	if len(line) > 0 && line[0] == '[' {
		if r.cur == nil {
			r.err = errors.New("read part: row before any dataset")
			return false
		}
		if err := json.Unmarshal(line, &r.row); err != nil {
			r.err = fmt.Errorf("read part: dataset %s/%s row %d: %w", r.cur.Connector, r.cur.Name, r.rows+1, err)
			return false
		}
		if len(r.row) != len(r.cur.Columns) {
			r.err = fmt.Errorf("read part: dataset %s/%s row %d: %d values, want %d",
				r.cur.Connector, r.cur.Name, r.rows+1, len(r.row), len(r.cur.Columns))
			return false
		}
		r.rows++
		r.total++
		return true
	}
	var l partLine
	if err := json.Unmarshal(line, &l); err != nil {
		r.err = fmt.Errorf("read part: %w", err)
		return false
	}
	switch {
	case l.Dataset != nil:
		r.pending = l.Dataset
	case l.End != nil:
		r.err = r.end(*l.End)
		r.ended = r.err == nil
	default:
		r.err = errors.New("read part: a line that is neither a row, a dataset nor the end")
	}
	return false
}

// Row is the current row: each value as JSON, in column order. It is valid
// until the next call to NextRow.
func (r *PartReader) Row() []json.RawMessage { return r.row }

// Rows counts the rows of the current dataset read so far.
func (r *PartReader) Rows() int64 { return r.rows }

// Err is the first error met, nil at a clean end of the part.
func (r *PartReader) Err() error { return r.err }

func (r *PartReader) readHead() {
	if !r.s.Scan() {
		r.err = r.scanErr()
		return
	}
	var h partHead
	if err := json.Unmarshal(r.s.Bytes(), &h); err != nil || h.Format != partFormat {
		r.err = errors.New("read part: not an export part")
		return
	}
	if h.Version != partVersion {
		r.err = fmt.Errorf("read part: version %d, want %d", h.Version, partVersion)
	}
}

func (r *PartReader) end(e partEnd) error {
	if e.Datasets != r.sets || e.Rows != r.total {
		return fmt.Errorf("read part: the end line counts %d datasets and %d rows, the part holds %d and %d",
			e.Datasets, e.Rows, r.sets, r.total)
	}
	if r.s.Scan() || r.s.Err() != nil {
		return errors.New("read part: data after the end line")
	}
	return nil
}

func (r *PartReader) scanErr() error {
	if err := r.s.Err(); err != nil {
		return fmt.Errorf("read part: %w", err)
	}
	return ErrTruncated
}
