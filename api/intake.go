package api

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/dsrflow/dsrflow/intake"
)

// receiveEmail takes a raw e-mail from a mail gateway's webhook. The
// envelope recipients, when the gateway knows them, come as ?to=.
func (s *Server) receiveEmail(c *gin.Context) {
	if s.Intake == nil {
		problem(c, http.StatusServiceUnavailable, "e-mail intake is off", "no intake mailbox is configured (intake.tenant, intake.policy_id)")
		return
	}
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "message/rfc822" {
		problem(c, http.StatusUnsupportedMediaType, "unsupported media type", "send the raw message as message/rfc822")
		return
	}
	raw, ok := readBody(c)
	if !ok {
		return
	}
	out, err := s.Intake.Receive(c.Request.Context(), principal(c), raw, c.QueryArray("to"))
	switch {
	case errors.Is(err, intake.ErrUnreadable):
		problem(c, http.StatusUnprocessableEntity, "cannot read this message", err.Error(),
			FieldError{Field: "body", Reason: err.Error()})
		return
	case errors.Is(err, intake.ErrRefused):
		problem(c, http.StatusUnprocessableEntity, "cannot take this message", err.Error(),
			FieldError{Field: "body", Reason: err.Error()})
		return
	case errors.Is(err, intake.ErrNoMailbox):
		problem(c, http.StatusUnprocessableEntity, "no mailbox for this message", err.Error(),
			FieldError{Field: "to", Reason: "not an intake mailbox of a tenant this key acts for"})
		return
	case err != nil:
		slog.Error("e-mail intake failed", "error", err)
		problem(c, http.StatusServiceUnavailable, "cannot take the message now", "retry later")
		return
	}
	switch out.Action {
	case intake.Opened:
		c.Header("Location", "/v1/requests/"+out.CaseID)
		c.JSON(http.StatusCreated, out)
	case intake.Ignored:
		c.JSON(http.StatusAccepted, out)
	default:
		c.JSON(http.StatusOK, out)
	}
}
