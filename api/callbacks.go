package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/dsrflow/dsrflow/connector/httpapi"
	"github.com/dsrflow/dsrflow/store"
)

// connectorCallback takes a connector service's word that a job ended. It
// needs no API key: the service signs the body with the connector's
// secret. The body is stored as it came, for the worker waiting on the job
// to read; the API only checks it names a job and a status.
func (s *Server) connectorCallback(c *gin.Context) {
	name := c.Param("name")
	secret, ok := s.CallbackSecrets[name]
	if !ok || len(secret) == 0 {
		problem(c, http.StatusNotFound, "no such connector", "no http connector of that name takes callbacks")
		return
	}
	body, ok := readBody(c)
	if !ok {
		return
	}
	if err := httpapi.Verify(secret, c.GetHeader(httpapi.SignatureHeader), body, s.now(), httpapi.Tolerance); err != nil {
		c.Header("WWW-Authenticate", `DSR-HMAC header="`+httpapi.SignatureHeader+`"`)
		problem(c, http.StatusUnauthorized, "invalid signature", err.Error())
		return
	}
	if !utf8.Valid(body) {
		problem(c, http.StatusBadRequest, "malformed request", "body: not valid UTF-8",
			FieldError{Field: "body", Reason: "not valid UTF-8"})
		return
	}
	var cb struct {
		Job    *string `json:"job"`
		Status *string `json:"status"`
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(body, &cb) != nil {
		problem(c, http.StatusBadRequest, "malformed request", "body: must be a JSON object",
			FieldError{Field: "body", Reason: "must be a JSON object"})
		return
	}
	var fields []FieldError
	switch {
	case cb.Job == nil:
		fields = append(fields, FieldError{Field: "job", Reason: "required"})
	default:
		if err := httpapi.ValidJob(*cb.Job); err != nil {
			fields = append(fields, FieldError{Field: "job", Reason: err.Error()})
		}
	}
	if cb.Status == nil || (*cb.Status != httpapi.StatusDone && *cb.Status != httpapi.StatusFailed) {
		fields = append(fields, FieldError{Field: "status", Reason: `must be "done" or "failed"`})
	}
	if len(fields) > 0 {
		invalid(c, fields...)
		return
	}
	err := s.Store.PutCallback(c.Request.Context(), name, *cb.Job, body)
	switch {
	case errors.Is(err, store.ErrCallbackConflict):
		problem(c, http.StatusConflict, "callback already received", "a different callback for this job is stored; the first stands")
		return
	case err != nil:
		slog.ErrorContext(c.Request.Context(), "store connector callback", "connector", name, "job", *cb.Job, "error", err)
		problem(c, http.StatusServiceUnavailable, "callback not stored", "retry later")
		return
	}
	c.Status(http.StatusNoContent)
}
