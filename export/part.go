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
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/dsrflow/dsrflow/connector"
)

// A part (version 2) opens with a JSON line naming its format and version,
// then holds frames, each a kind byte, a uvarint length and that many bytes:
//
//	{"format":"dsrflow-part","version":2}
//	'D' {"connector":"crm","name":"customers","columns":[...]}
//	'R' uvarint n | the row as a JSON object (n bytes) | the row as a CSV record
//	'D' ...                               the next dataset, and its rows
//	'E' {"datasets":2,"rows":1}
//
// Each row is encoded once, when it is collected, in both forms the package
// holds, so that packaging only copies bytes: parsing every row again, once
// per file, was most of the cost of an export. The head stays a JSON line so
// that a worker that knows only version 1 refuses the part by its version
// rather than as garbage; version 1 parts (JSON lines, one array of values
// per row) are still read, for parts collected before an upgrade.
//
// The end frame is written last, so a part cut short by a crash, a full disk
// or a half-copied file is refused rather than packaged as if complete.
const (
	partFormat  = "dsrflow-part"
	partVersion = 2
)

// Frame kinds of a version 2 part.
const (
	frameDataset = 'D'
	frameRow     = 'R'
	frameEnd     = 'E'
)

// MaxLine bounds one row of a part, encoded. Reading holds one row at a
// time, so this is the most a row can cost in memory; a row over it (a
// scanned document in a BLOB column, say) is refused when written, never
// stored unreadable.
const MaxLine = 64 << 20

// ErrTruncated is returned when a part ends before its end line.
var ErrTruncated = errors.New("export part truncated: no end line")

type partHead struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
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
// writes the end frame; without it the part is unreadable.
type PartWriter struct {
	w      *bufio.Writer
	enc    rowEncoder
	head   [1 + binary.MaxVarintLen64]byte
	counts []Count
	rows   int64
	closed bool
	err    error
}

var _ connector.Sink = (*PartWriter)(nil)

// NewPartWriter starts a part on w.
func NewPartWriter(w io.Writer) *PartWriter {
	p := &PartWriter{w: bufio.NewWriterSize(w, 64<<10)}
	b, _ := json.Marshal(partHead{Format: partFormat, Version: partVersion}) // cannot fail
	if _, err := p.w.Write(append(b, '\n')); err != nil {
		p.fail(fmt.Errorf("write part: %w", err))
	}
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
	b, err := json.Marshal(d)
	if err != nil {
		return p.fail(fmt.Errorf("write part: dataset %s/%s: %w", d.Connector, d.Name, err))
	}
	keys, err := objectKeys(d.Columns)
	if err != nil {
		return p.fail(fmt.Errorf("write part: dataset %s/%s: %w", d.Connector, d.Name, err))
	}
	p.counts = append(p.counts, Count{Dataset: d})
	p.enc.keys = keys
	return p.writeFrame(frameDataset, b, nil)
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
	if i, err := p.enc.row(values); err != nil {
		// The error names the column, never the value: it is personal data.
		return p.fail(fmt.Errorf("write part: dataset %s/%s column %s: %w",
			cur.Dataset.Connector, cur.Dataset.Name, cur.Dataset.Columns[i].Name, err))
	}
	if err := p.writeFrame(frameRow, p.enc.json, p.enc.csv); err != nil {
		return fmt.Errorf("write part: dataset %s/%s: %w", cur.Dataset.Connector, cur.Dataset.Name, err)
	}
	cur.Rows++
	p.rows++
	return nil
}

// Close writes the end frame and flushes; it does not close the underlying
// writer.
func (p *PartWriter) Close() error {
	if err := p.usable(); err != nil {
		return err
	}
	b, err := json.Marshal(partEnd{Datasets: len(p.counts), Rows: p.rows})
	if err != nil {
		return p.fail(fmt.Errorf("write part: end: %w", err))
	}
	if err := p.writeFrame(frameEnd, b, nil); err != nil {
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

// writeFrame writes a frame of the given kind. A row frame's payload is
// a, prefixed by its length so the reader can split it from b; the other
// frames pass b as nil.
func (p *PartWriter) writeFrame(kind byte, a, b []byte) error {
	var split [binary.MaxVarintLen64]byte
	ns := 0
	if kind == frameRow {
		ns = binary.PutUvarint(split[:], uint64(len(a)))
	}
	size := ns + len(a) + len(b)
	if size > MaxLine {
		return p.fail(fmt.Errorf("write part: a row of %d bytes, at most %d", size, MaxLine))
	}
	p.head[0] = kind
	n := 1 + binary.PutUvarint(p.head[1:], uint64(size))
	p.w.Write(p.head[:n])
	p.w.Write(split[:ns])
	p.w.Write(a)
	// bufio.Writer keeps its first error and returns it on every later
	// write, so checking the last one covers them all.
	if _, err := p.w.Write(b); err != nil {
		return p.fail(fmt.Errorf("write part: %w", err))
	}
	return nil
}

// objectKeys are what precedes each value in a row's JSON object:
// `{"id":`, then `,"name":` and so on.
func objectKeys(cols []connector.Column) ([][]byte, error) {
	keys := make([][]byte, len(cols))
	for i, c := range cols {
		k, err := json.Marshal(c.Name)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		keys[i] = append(append([]byte{sep}, k...), ':')
	}
	return keys, nil
}

// PartReader reads a part back, one row at a time:
//
//	r := NewPartReader(f)
//	for r.NextDataset() {
//		d := r.Dataset()
//		for r.NextRow() {
//			use(d, r.JSON(), r.CSV())
//		}
//	}
//	if err := r.Err(); err != nil { ... }
type PartReader struct {
	br      *bufio.Reader
	v1      *v1Rows // set for a version 1 part
	version int
	started bool
	pending *connector.Dataset // the header read while skipping rows
	cur     *connector.Dataset
	json    []byte
	csv     []byte
	used    int    // bytes of br's buffer the current frame holds
	big     []byte // a frame longer than br's buffer
	rows    int64  // of the current dataset
	total   int64
	sets    int
	ended   bool
	err     error
}

// NewPartReader reads a part from r.
func NewPartReader(r io.Reader) *PartReader {
	return &PartReader{br: bufio.NewReaderSize(r, 64<<10)}
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
	if r.v1 != nil {
		r.err = r.v1.dataset(r.cur)
		return r.err == nil
	}
	return true
}

// Dataset is the current dataset.
func (r *PartReader) Dataset() connector.Dataset {
	if r.cur == nil {
		return connector.Dataset{}
	}
	return *r.cur
}

// Version is the format version of the part, once its first dataset (or
// its end) has been asked for.
func (r *PartReader) Version() int { return r.version }

// NextRow moves to the next row of the current dataset; false at its end or
// on an error.
func (r *PartReader) NextRow() bool {
	if r.err != nil || r.pending != nil || r.ended || !r.started {
		return false
	}
	if r.v1 != nil {
		return r.nextRowV1()
	}
	kind, payload, err := r.frame()
	if err != nil {
		r.err = err
		return false
	}
	switch kind {
	case frameRow:
		if r.cur == nil {
			r.err = errors.New("read part: row before any dataset")
			return false
		}
		n, k := binary.Uvarint(payload)
		if k <= 0 || uint64(len(payload)-k) < n {
			r.err = fmt.Errorf("read part: dataset %s/%s row %d: bad framing", r.cur.Connector, r.cur.Name, r.rows+1)
			return false
		}
		r.json, r.csv = payload[k:k+int(n)], payload[k+int(n):]
		r.rows++
		r.total++
		return true
	case frameDataset:
		var d connector.Dataset
		if err := json.Unmarshal(payload, &d); err != nil {
			r.err = fmt.Errorf("read part: dataset header: %w", err)
			return false
		}
		r.pending = &d
	case frameEnd:
		var e partEnd
		if err := json.Unmarshal(payload, &e); err != nil {
			r.err = fmt.Errorf("read part: end: %w", err)
			return false
		}
		r.err = r.end(e)
		r.ended = r.err == nil
	default:
		r.err = fmt.Errorf("read part: a frame of unknown kind %q", kind)
	}
	return false
}

// JSON is the current row as a JSON object, column name to value. It is
// valid until the next call to NextRow.
func (r *PartReader) JSON() []byte { return r.json }

// CSV is the current row as a CSV record (RFC 4180, ending in CRLF). NULL
// and the empty string both are an empty field; the JSON tells them apart.
// It is valid until the next call to NextRow.
func (r *PartReader) CSV() []byte { return r.csv }

// Rows counts the rows of the current dataset read so far.
func (r *PartReader) Rows() int64 { return r.rows }

// Err is the first error met, nil at a clean end of the part.
func (r *PartReader) Err() error { return r.err }

// frame reads the next frame. Its payload is valid until the next call: it
// lies in br's buffer, uncopied, unless it is larger.
func (r *PartReader) frame() (byte, []byte, error) {
	if _, err := r.br.Discard(r.used); err != nil {
		return 0, nil, fmt.Errorf("read part: %w", err)
	}
	r.used = 0
	kind, err := r.br.ReadByte()
	if err != nil {
		return 0, nil, r.readErr(err)
	}
	size, err := binary.ReadUvarint(r.br)
	if err != nil {
		return 0, nil, r.readErr(err)
	}
	if size > MaxLine {
		return 0, nil, fmt.Errorf("read part: a frame of %d bytes, at most %d", size, MaxLine)
	}
	n := int(size)
	if n <= r.br.Size() {
		b, err := r.br.Peek(n)
		if err != nil {
			return 0, nil, r.readErr(err)
		}
		r.used = n
		return kind, b, nil
	}
	if cap(r.big) < n {
		r.big = make([]byte, n)
	}
	r.big = r.big[:n]
	if _, err := io.ReadFull(r.br, r.big); err != nil {
		return 0, nil, r.readErr(err)
	}
	return kind, r.big, nil
}

func (r *PartReader) readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	return fmt.Errorf("read part: %w", err)
}

func (r *PartReader) readHead() {
	line, err := r.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			r.err = ErrTruncated
		} else {
			r.err = errors.New("read part: not an export part")
		}
		return
	}
	var h partHead
	if err := json.Unmarshal(line, &h); err != nil || h.Format != partFormat {
		r.err = errors.New("read part: not an export part")
		return
	}
	r.version = h.Version
	switch h.Version {
	case partVersion:
	case 1:
		r.v1 = newV1Rows(r.br)
	default:
		r.err = fmt.Errorf("read part: version %d, this worker reads versions 1 and %d", h.Version, partVersion)
	}
}

func (r *PartReader) end(e partEnd) error {
	if e.Datasets != r.sets || e.Rows != r.total {
		return fmt.Errorf("read part: the end counts %d datasets and %d rows, the part holds %d and %d",
			e.Datasets, e.Rows, r.sets, r.total)
	}
	if r.v1 != nil {
		return r.v1.atEOF()
	}
	if _, err := r.br.Discard(r.used); err != nil {
		return fmt.Errorf("read part: %w", err)
	}
	r.used = 0
	if _, err := r.br.ReadByte(); !errors.Is(err, io.EOF) {
		return errors.New("read part: data after the end")
	}
	return nil
}
