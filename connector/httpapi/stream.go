package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/dsrflow/dsrflow/connector"
)

// decodeRows reads an access answer,
//
//	{"datasets":[{"name":..,"columns":[..],"rows":[[..],..]},..]}
//
// token by token, handing sink each row as it is decoded: an export can be
// far larger than memory. name and columns must come before rows.
func (c *Connector) decodeRows(r io.Reader, sink connector.Sink) error {
	dec := json.NewDecoder(r)
	// Keeps large ids and amounts exact instead of rounding them to float64.
	dec.UseNumber()
	if err := expect(dec, '{'); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	seen := false
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return fmt.Errorf("decode answer: %w", err)
		}
		if key != "datasets" {
			if err := skip(dec); err != nil {
				return fmt.Errorf("decode answer: %s: %w", key, err)
			}
			continue
		}
		seen = true
		if err := expect(dec, '['); err != nil {
			return fmt.Errorf("decode answer: datasets: %w", err)
		}
		for i := 0; dec.More(); i++ {
			if err := c.decodeDataset(dec, sink); err != nil {
				return fmt.Errorf("decode answer: datasets[%d]: %w", i, err)
			}
		}
		if err := expect(dec, ']'); err != nil {
			return fmt.Errorf("decode answer: datasets: %w", err)
		}
	}
	if err := expect(dec, '}'); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("decode answer: data after the JSON object")
	}
	if !seen {
		return &PermanentError{Reason: "answer has no datasets"}
	}
	return nil
}

func (c *Connector) decodeDataset(dec *json.Decoder, sink connector.Sink) error {
	if err := expect(dec, '{'); err != nil {
		return err
	}
	var (
		name    string
		columns []string
		started bool
	)
	start := func() error {
		switch {
		case started:
			return errors.New("rows given twice")
		case name == "":
			return errors.New("no name before the rows")
		case columns == nil:
			return fmt.Errorf("%s: no columns before the rows", name)
		}
		started = true
		return sink.Dataset(c.dataset(name, columns))
	}
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return err
		}
		switch key {
		case "name", "columns":
			if started {
				return fmt.Errorf("%s after the rows", key)
			}
			var v any = &name
			if key == "columns" {
				v = &columns
			}
			if err := dec.Decode(v); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		case "rows":
			if err := start(); err != nil {
				return err
			}
			if err := expect(dec, '['); err != nil {
				return fmt.Errorf("%s: rows: %w", name, err)
			}
			for n := 0; dec.More(); n++ {
				var row []any
				if err := dec.Decode(&row); err != nil {
					return fmt.Errorf("%s: rows[%d]: %w", name, n, err)
				}
				if len(row) != len(columns) {
					return fmt.Errorf("%s: rows[%d]: %d values for %d columns", name, n, len(row), len(columns))
				}
				if err := sink.Row(row); err != nil {
					return fmt.Errorf("%s: rows[%d]: %w", name, n, err)
				}
			}
			if err := expect(dec, ']'); err != nil {
				return fmt.Errorf("%s: rows: %w", name, err)
			}
		default:
			if err := skip(dec); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	if err := expect(dec, '}'); err != nil {
		return err
	}
	if !started {
		// A dataset without rows is still reported: the export says what
		// was looked in.
		return start()
	}
	return nil
}

// dataset describes an answered dataset with the categories its
// declaration gives.
func (c *Connector) dataset(name string, columns []string) connector.Dataset {
	d := connector.Dataset{Connector: c.name, Name: name}
	i := slices.IndexFunc(c.datasets, func(d connector.Dataset) bool { return d.Name == name })
	if i < 0 {
		// The rows still go into the export: the subject has a right to
		// them. The configuration should catch up.
		slog.Warn("http connector: access answer has an undeclared dataset", "connector", c.name, "dataset", name)
	}
	for _, col := range columns {
		cc := connector.Column{Name: col}
		if i >= 0 {
			if j := slices.IndexFunc(c.datasets[i].Columns, func(k connector.Column) bool { return k.Name == col }); j >= 0 {
				cc.Category = c.datasets[i].Columns[j].Category
			}
		}
		d.Columns = append(d.Columns, cc)
	}
	return d
}

func expect(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, describe(tok))
	}
	return nil
}

func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want an object key, got %v", describe(tok))
	}
	return key, nil
}

// describe names a token's kind without quoting its value, which may be
// personal data.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return string(t)
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// skip reads past one value token by token, so that an unknown member of
// any size costs no memory.
func skip(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
