package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PermanentError is a failure that sending the same request again cannot
// mend: the service refused it (a 4xx other than 408 and 429), reported
// its job failed, or broke the contract. A retry policy should stop on it
// and hand the work to the connector's owner.
type PermanentError struct {
	// Status is the HTTP status, or 0 when the failure was not one.
	Status int
	// Code is the service's error code, when it gave a usable one.
	Code   string
	Reason string
}

func (e *PermanentError) Error() string {
	var b strings.Builder
	if e.Status != 0 {
		fmt.Fprintf(&b, "service answered %d", e.Status)
	}
	if e.Reason != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Reason)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (error %s)", e.Code)
	}
	return b.String() + " (permanent)"
}

// Permanent tells connector.IsPermanent, and so the workflow's retry
// policy, to stop.
func (e *PermanentError) Permanent() bool { return true }

// StatusError is an answer worth retrying: 408, 429 or 5xx.
type StatusError struct {
	Status int
	Code   string
	// RetryAfter is the wait the service asked for, 0 if it named none.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("service answered %d", e.Status)
	if e.Code != "" {
		msg += " (error " + e.Code + ")"
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	return msg
}

// statusError classifies a non-2xx answer. body is at most a few KiB of
// the answer, read for its error code only.
func statusError(resp *http.Response, body []byte, now time.Time) error {
	var doc struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &doc) // a body that is not the contract's has no code
	code := errorCode(doc.Error)
	switch s := resp.StatusCode; {
	case s == http.StatusRequestTimeout, s == http.StatusTooManyRequests, s >= 500:
		return &StatusError{Status: s, Code: code, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
	case s >= 300 && s < 400:
		// Following a redirect would send the signature and the subject to
		// wherever it points.
		return &PermanentError{Status: s, Reason: "redirects are not followed; set base_url to the final address"}
	default:
		return &PermanentError{Status: s, Code: code, Reason: "request refused"}
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

// errorCode keeps a service's error string only if it looks like a code:
// errors end up in logs and workflow histories, and free text from a
// service may quote the subject.
func errorCode(s string) string {
	if s == "" || len(s) > 64 {
		return ""
	}
	for _, r := range s {
		ok := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
			r == '_' || r == '-' || r == '.' || r == ':'
		if !ok {
			return ""
		}
	}
	return s
}
