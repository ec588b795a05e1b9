package export

import (
	"bytes"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// rowEncoder turns a row of driver values into the JSON object and the CSV
// record a package holds for it. Its buffers are reused from row to row: a
// million-row export must not allocate per row.
//
// The JSON is byte for byte what encoding/json writes with HTML escaping off
// (the subject reads these values; "<" is clearer than "\u003c"): the types
// drivers hand over are encoded here directly, and anything else goes through
// encoding/json itself.
type rowEncoder struct {
	keys  [][]byte // `{"id":`, `,"name":`... of the current dataset
	json  []byte
	csv   []byte
	value bytes.Buffer
	enc   *json.Encoder
}

// row encodes values into e.json and e.csv; on an error, it returns the
// index of the value that failed.
func (e *rowEncoder) row(values []any) (int, error) {
	e.json, e.csv = e.json[:0], e.csv[:0]
	for i, v := range values {
		e.json = append(e.json, e.keys[i]...)
		if i > 0 {
			e.csv = append(e.csv, ',')
		}
		if err := e.value1(v); err != nil {
			return i, err
		}
	}
	if len(values) == 0 {
		e.json = append(e.json, '{')
	}
	e.json = append(e.json, '}')
	e.csv = append(e.csv, '\r', '\n')
	return 0, nil
}

// value1 appends one value to both forms. A driver.Valuer is written as its
// value, and []byte as text when it is valid UTF-8.
func (e *rowEncoder) value1(v any) error {
	if dv, ok := v.(driver.Valuer); ok {
		var err error
		if v, err = dv.Value(); err != nil {
			return err
		}
	}
	switch x := v.(type) {
	case nil:
		e.json = append(e.json, "null"...)
		return nil
	case string:
		n := len(e.json)
		e.json = appendJSONString(e.json, x)
		if !utf8.ValidString(x) {
			// The JSON has U+FFFD for each bad byte; the CSV says the same.
			return e.csvFromJSON(e.json[n:])
		}
		e.csv = appendCSVField(e.csv, x)
		return nil
	case []byte:
		if x == nil {
			e.json = append(e.json, "null"...)
			return nil
		}
		if !utf8.Valid(x) {
			// Not text: base64, as encoding/json writes a []byte.
			start := len(e.json) + 1
			e.json = append(e.json, '"')
			e.json = base64.StdEncoding.AppendEncode(e.json, x)
			e.json = append(e.json, '"')
			e.csv = append(e.csv, e.json[start:len(e.json)-1]...)
			return nil
		}
		e.json = appendJSONString(e.json, x)
		e.csv = appendCSVField(e.csv, x)
		return nil
	case bool:
		return e.bare(strconv.AppendBool(e.json, x))
	case int64:
		return e.bare(strconv.AppendInt(e.json, x, 10))
	case int:
		return e.bare(strconv.AppendInt(e.json, int64(x), 10))
	case int32:
		return e.bare(strconv.AppendInt(e.json, int64(x), 10))
	case int16:
		return e.bare(strconv.AppendInt(e.json, int64(x), 10))
	case int8:
		return e.bare(strconv.AppendInt(e.json, int64(x), 10))
	case uint64:
		return e.bare(strconv.AppendUint(e.json, x, 10))
	case uint:
		return e.bare(strconv.AppendUint(e.json, uint64(x), 10))
	case uint32:
		return e.bare(strconv.AppendUint(e.json, uint64(x), 10))
	case uint16:
		return e.bare(strconv.AppendUint(e.json, uint64(x), 10))
	case float64:
		b, err := appendFloat(e.json, x, 64)
		if err != nil {
			return err
		}
		return e.bare(b)
	case float32:
		b, err := appendFloat(e.json, float64(x), 32)
		if err != nil {
			return err
		}
		return e.bare(b)
	case time.Time:
		// As Time.MarshalJSON: RFC 3339 with as many fractional digits as
		// needed. Its errors (a year past 9999) come from the fallback.
		n := len(e.json)
		if b, err := x.AppendText(append(e.json, '"')); err == nil {
			e.json = append(b, '"')
			// RFC 3339 holds no character JSON or CSV escapes.
			e.csv = append(e.csv, e.json[n+1:len(e.json)-1]...)
			return nil
		}
		e.json = e.json[:n]
	}
	return e.fallback(v)
}

// bare takes b, e.json with a value appended that is its own CSV text (a
// number, a boolean).
func (e *rowEncoder) bare(b []byte) error {
	e.csv = append(e.csv, b[len(e.json):]...)
	e.json = b
	return nil
}

// fallback encodes v with encoding/json: types no driver of ours hands over
// (json.Number, maps, a connector's own types) keep their JSON encoding.
func (e *rowEncoder) fallback(v any) error {
	if e.enc == nil {
		e.enc = json.NewEncoder(&e.value)
		e.enc.SetEscapeHTML(false)
	}
	e.value.Reset()
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	b := bytes.TrimSuffix(e.value.Bytes(), []byte("\n"))
	e.json = append(e.json, b...)
	return e.csvFromJSON(b)
}

// csvFromJSON appends the CSV field of a JSON value: a string's text, NULL
// as nothing, a number or a boolean as written, an object or an array as
// its JSON.
func (e *rowEncoder) csvFromJSON(v []byte) error {
	f, err := csvText(v)
	if err != nil {
		return err
	}
	e.csv = appendCSVField(e.csv, f)
	return nil
}

// csvText is the CSV text of a JSON value.
func csvText(v []byte) ([]byte, error) {
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
	return []byte(s), nil
}

var errNotFinite = errors.New("json: unsupported value: NaN or infinity")

// appendFloat writes f as encoding/json does: like ES6, %f between 1e-6 and
// 1e21, else %e with an unpadded exponent.
func appendFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, errNotFinite
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// 1e-07, not 1e-7: clean up as encoding/json does.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString is encoding/json's string encoding with HTML escaping
// off: quotes, backslashes and control characters escaped, each invalid
// UTF-8 byte as U+FFFD, and U+2028 and U+2029 escaped for JSONP.
func appendJSONString[T string | []byte](dst []byte, src T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(src); {
		if b := src[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, src[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		// Converting only a few bytes keeps the conversion on the stack.
		n := min(len(src)-i, utf8.UTFMax)
		c, size := utf8.DecodeRuneInString(string(src[i : i+n]))
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, src[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, src[start:]...)
	return append(dst, '"')
}

// appendCSVField appends f as one field of an RFC 4180 record: quoted, with
// its quotes doubled, when it holds a comma, a quote or a line break, and
// otherwise as it is. Line breaks inside a value stay as they are (the
// encoding/csv writer would turn each into CRLF).
func appendCSVField[T string | []byte](dst []byte, f T) []byte {
	quote := false
	for i := 0; i < len(f); i++ {
		if c := f[i]; c == ',' || c == '"' || c == '\r' || c == '\n' {
			quote = true
			break
		}
	}
	if !quote {
		return append(dst, f...)
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(f); i++ {
		if f[i] == '"' {
			dst = append(dst, f[start:i+1]...)
			dst = append(dst, '"')
			start = i + 1
		}
	}
	dst = append(dst, f[start:]...)
	return append(dst, '"')
}
