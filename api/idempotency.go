package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// idempotent makes a POST with an Idempotency-Key safe to retry: the same
// key and request give the first answer again, without a second case or
// action; the same key with another request is refused. Answers of 5xx are
// not kept, so a retry after an outage is answered afresh.
func (s *Server) idempotent(c *gin.Context) {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		c.Next()
		return
	}
	if len(key) > 255 {
		problem(c, http.StatusBadRequest, "malformed request", "Idempotency-Key: at most 255 characters",
			FieldError{Field: "Idempotency-Key", Reason: "at most 255 characters"})
		c.Abort()
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			problem(c, http.StatusRequestEntityTooLarge, "request body too large", "")
		} else {
			problem(c, http.StatusBadRequest, "malformed request", "body: could not be read")
		}
		c.Abort()
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(append([]byte(c.Request.Method+" "+c.Request.URL.Path+"\n"), body...))
	hash := hex.EncodeToString(sum[:])

	p := principal(c)
	ctx := c.Request.Context()
	prev, claimed, err := s.Store.ClaimIdempotencyKey(ctx, p.KeyID, key, hash)
	switch {
	case err != nil:
		slog.Error("claim idempotency key", "error", err)
		problem(c, http.StatusServiceUnavailable, "cannot check the Idempotency-Key now", "retry later")
		c.Abort()
		return
	case claimed:
	case prev.RequestHash != hash:
		problem(c, http.StatusConflict, "Idempotency-Key reused", "this key was used with another request",
			FieldError{Field: "Idempotency-Key", Reason: "used before with another request"})
		c.Abort()
		return
	case prev.Status == 0:
		c.Header("Retry-After", "1")
		problem(c, http.StatusConflict, "request in progress", "a request with this Idempotency-Key is still being answered")
		c.Abort()
		return
	default:
		c.Header("Idempotent-Replayed", "true")
		c.Data(prev.Status, prev.ContentType, prev.Body)
		c.Abort()
		return
	}

	rec := &recordingWriter{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Next()
	if status := rec.Status(); status >= 500 {
		err = s.Store.ReleaseIdempotencyKey(ctx, p.KeyID, key)
	} else {
		err = s.Store.CompleteIdempotencyKey(ctx, p.KeyID, key, status, rec.Header().Get("Content-Type"), rec.body.Bytes())
	}
	if err != nil {
		slog.Error("store idempotent answer", "error", err)
	}
}

// recordingWriter keeps a copy of the body it writes.
type recordingWriter struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}
