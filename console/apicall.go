package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// problem is an API refusal as the console shows it: the API's RFC 9457
// document (see api/problem.go).
type problem struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func (p *problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// Lead is the plain-words sentence above the API's own words.
func (p *problem) Lead(l Lang) string {
	switch p.Status {
	case http.StatusConflict:
		return l.T("problem.refused")
	case http.StatusUnprocessableEntity, http.StatusBadRequest:
		return l.T("problem.invalid")
	case http.StatusForbidden:
		return l.T("problem.forbidden")
	case http.StatusNotFound:
		return l.T("problem.not_found")
	case http.StatusTooManyRequests:
		return l.T("problem.too_many")
	case http.StatusServiceUnavailable:
		return l.T("problem.unavailable")
	}
	return l.T("problem.other")
}

// Words is the API's explanation: the validator's reason, else the field
// errors, else the title.
func (p *problem) Words() string {
	switch {
	case len(p.Errors) > 0:
		parts := make([]string, len(p.Errors))
		for i, e := range p.Errors {
			parts[i] = e.Field + ": " + e.Reason
		}
		return strings.Join(parts, "; ")
	case p.Detail != "":
		return p.Detail
	}
	return p.Title
}

// recorder is the response of an in-process API call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// call asks the API, in process, as the signed-in user: with their key in
// the Authorization header, so the API's authentication, roles, validators
// and audit trail judge the console's calls exactly as any other client's.
// from is the browser's request; its address goes along so per-client
// limits (verification attempts) still count per client.
// A refusal comes back as *problem.
func (c *Console) call(ctx context.Context, from *http.Request, key, method, path string, in, out any, idem string) error {
	var body io.Reader = http.NoBody
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.RemoteAddr = from.RemoteAddr
	if xff := from.Header.Get("X-Forwarded-For"); xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idem != "" {
		// A form sent twice (a double click, a reload) acts once.
		req.Header.Set("Idempotency-Key", idem)
	}
	rec := &recorder{header: http.Header{}}
	c.api.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status >= 300 {
		p := &problem{Status: rec.status}
		if err := json.Unmarshal(rec.body.Bytes(), p); err != nil || p.Title == "" {
			p.Title = http.StatusText(rec.status)
		}
		p.Status = rec.status
		return p
	}
	if out != nil {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return nil
}
