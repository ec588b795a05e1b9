package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names a field of the request and what is wrong with it.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func problem(c *gin.Context, status int, title, detail string, fields ...FieldError) {
	c.Header("Content-Type", "application/problem+json")
	c.Status(status)
	_ = json.NewEncoder(c.Writer).Encode(Problem{Type: "about:blank", Title: title, Status: status,
		Detail: detail, Errors: fields})
}

// invalid answers 422 with the fields that are wrong.
func invalid(c *gin.Context, fields ...FieldError) {
	detail := make([]string, len(fields))
	for i, f := range fields {
		detail[i] = f.Field + ": " + f.Reason
	}
	problem(c, http.StatusUnprocessableEntity, "invalid request", strings.Join(detail, "; "), fields...)
}

// readBody reads the request body within the route's size limit, or
// answers 413 (over the limit) or 400 and reports false.
func readBody(c *gin.Context) ([]byte, bool) {
	body, err := io.ReadAll(c.Request.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		problem(c, http.StatusRequestEntityTooLarge, "request body too large", fmt.Sprintf("at most %d bytes", tooBig.Limit))
		return nil, false
	case err != nil:
		problem(c, http.StatusBadRequest, "malformed request", "body: could not be read")
		return nil, false
	}
	return body, true
}

// decode reads a JSON body strictly: the right content type, one object,
// no unknown fields. It answers the problem itself and reports false.
func decode(c *gin.Context, v any) bool {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" {
		problem(c, http.StatusUnsupportedMediaType, "unsupported media type", "send application/json")
		return false
	}
	body, ok := readBody(c)
	switch {
	case !ok:
		return false
	case !utf8.Valid(body):
		// The JSON decoder would quietly turn bad bytes into U+FFFD, and a
		// requester's name would be stored mangled.
		problem(c, http.StatusBadRequest, "malformed request", "body: not valid UTF-8",
			FieldError{Field: "body", Reason: "not valid UTF-8"})
		return false
	}
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] != '{' {
		problem(c, http.StatusBadRequest, "malformed request", "body: must be a JSON object",
			FieldError{Field: "body", Reason: "must be a JSON object"})
		return false
	}
	if mangledEscapes(body) {
		// The decoder turns an escaped half of a UTF-16 pair into U+FFFD
		// without a word, as it would invalid bytes.
		problem(c, http.StatusBadRequest, "malformed request", "body: an escape is half a UTF-16 surrogate pair",
			FieldError{Field: "body", Reason: "unpaired UTF-16 surrogate escape"})
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		status, field, reason := http.StatusBadRequest, "body", err.Error()
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			field, reason = typeErr.Field, fmt.Sprintf("must be %s, not %s", typeErr.Type, typeErr.Value)
		case errors.As(err, &typeErr):
			reason = "must be a JSON object"
		case errors.As(err, &syntaxErr):
			reason = fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset)
		case errors.Is(err, io.EOF):
			reason = "empty body"
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field, reason = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field"
			if field == "" {
				field, reason = "body", `unknown field ""`
			}
		}
		problem(c, status, "malformed request", field+": "+reason, FieldError{Field: field, Reason: reason})
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		problem(c, http.StatusBadRequest, "malformed request", "body: one JSON object expected", FieldError{Field: "body", Reason: "trailing data"})
		return false
	}
	// Here, not in each route: every string of every body decoded is
	// checked, so a control character never reaches the engine or the
	// store (PostgreSQL cannot hold NUL, and a case it cannot project is
	// lost to the queue).
	if errs := checkText(v); len(errs) > 0 {
		invalid(c, errs...)
		return false
	}
	return true
}

// mangledEscapes reports whether decoding body would put a U+FFFD in a
// string that the body did not write: the trace of an escaped lone
// surrogate.
func mangledEscapes(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false // the strict decode reports it
	}
	if bytes.ContainsRune(body, utf8.RuneError) || bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`)) {
		return false // written on purpose
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.ContainsRune(v, utf8.RuneError)
		case []any:
			return slices.ContainsFunc(v, walk)
		case map[string]any:
			for k, e := range v {
				if strings.ContainsRune(k, utf8.RuneError) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// maxEncoded bounds what one call hands Temporal: it refuses payloads over
// 2 MiB, and JSON encoding can make a body of under 1 MiB six times larger
// (<, > and & become \u003c …).
const maxEncoded = 1 << 20

// tooLargeForEngine answers 422 when v would be too large once encoded for
// the workflow engine; a 503 "retry later" would never succeed.
func tooLargeForEngine(c *gin.Context, v any) bool {
	b, err := json.Marshal(v)
	if err == nil && len(b) <= maxEncoded {
		return false
	}
	reason := fmt.Sprintf("%d bytes once encoded for the workflow engine, at most %d: shorten the text fields", len(b), maxEncoded)
	problem(c, http.StatusUnprocessableEntity, "request too large", reason, FieldError{Field: "body", Reason: reason})
	return true
}
