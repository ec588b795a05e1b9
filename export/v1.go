package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/dsrflow/dsrflow/connector"
)

// v1Rows reads the body of a version 1 part, written by workers before
// version 2: JSON lines, a dataset header or the end as an object, each row
// as an array of its values as JSON. Its rows are turned into the JSON
// object and CSV record that version 2 stores, as packaging did then.
type v1Rows struct {
	s    *bufio.Scanner
	keys [][]byte
	row  []json.RawMessage
	json []byte
	csv  []byte
}

func newV1Rows(r io.Reader) *v1Rows {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), MaxLine)
	s.Split(scanLines)
	return &v1Rows{s: s}
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

type v1Line struct {
	Dataset *connector.Dataset `json:"dataset,omitempty"`
	End     *partEnd           `json:"end,omitempty"`
}

func (v *v1Rows) dataset(d *connector.Dataset) error {
	keys, err := objectKeys(d.Columns)
	if err != nil {
		return fmt.Errorf("read part: dataset %s/%s: %w", d.Connector, d.Name, err)
	}
	v.keys = keys
	return nil
}

func (r *PartReader) nextRowV1() bool {
	v := r.v1
	if !v.s.Scan() {
		r.err = ErrTruncated
		if err := v.s.Err(); err != nil && !errors.Is(err, ErrTruncated) {
			r.err = fmt.Errorf("read part: %w", err)
		}
		return false
	}
	line := v.s.Bytes()
	if len(line) > 0 && line[0] == '[' {
		if r.cur == nil {
			r.err = errors.New("read part: row before any dataset")
			return false
		}
		if err := v.convert(line, len(r.cur.Columns)); err != nil {
			r.err = fmt.Errorf("read part: dataset %s/%s row %d: %w", r.cur.Connector, r.cur.Name, r.rows+1, err)
			return false
		}
		r.json, r.csv = v.json, v.csv
		r.rows++
		r.total++
		return true
	}
	var l v1Line
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

// convert turns a row line into its JSON object and CSV record.
func (v *v1Rows) convert(line []byte, columns int) error {
	if err := json.Unmarshal(line, &v.row); err != nil {
		return err
	}
	if len(v.row) != columns {
		return fmt.Errorf("%d values, want %d", len(v.row), columns)
	}
	v.json, v.csv = v.json[:0], v.csv[:0]
	for i, val := range v.row {
		v.json = append(v.json, v.keys[i]...)
		v.json = append(v.json, val...)
		if i > 0 {
			v.csv = append(v.csv, ',')
		}
		f, err := csvText(val)
		if err != nil {
			return err
		}
		v.csv = appendCSVField(v.csv, f)
	}
	if len(v.row) == 0 {
		v.json = append(v.json, '{')
	}
	v.json = append(v.json, '}')
	v.csv = append(v.csv, '\r', '\n')
	return nil
}

func (v *v1Rows) atEOF() error {
	if v.s.Scan() || v.s.Err() != nil {
		return errors.New("read part: data after the end line")
	}
	return nil
}
