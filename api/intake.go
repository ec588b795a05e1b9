package api

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

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

// refusedMessage is a refused e-mail as GET /v1/intake/refused lists it:
// no text of the message, only what lets the DPO find it and why.
type refusedMessage struct {
	Tenant    string    `json:"tenant"`
	MessageID string    `json:"message_id"`
	Reason    string    `json:"reason"`
	Size      int64     `json:"size"`
	At        time.Time `json:"at"`
}

// listRefusedEmail lists the e-mails intake refused for good, newest
// first, of the tenants the caller acts for: a refused request is still a
// request someone made, and the DPO must be able to see it happened.
func (s *Server) listRefusedEmail(c *gin.Context) {
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			problem(c, http.StatusUnprocessableEntity, "invalid query", "limit must be a number from 1 to 500",
				FieldError{Field: "limit", Reason: "a number from 1 to 500"})
			return
		}
		limit = n
	}
	got, err := s.Store.RefusedMessages(c.Request.Context(), principal(c).Tenants, limit)
	if err != nil {
		slog.Error("list refused e-mail", "error", err)
		problem(c, http.StatusServiceUnavailable, "cannot list refused e-mail now", "retry later")
		return
	}
	out := make([]refusedMessage, 0, len(got))
	for _, r := range got {
		out = append(out, refusedMessage{Tenant: r.Tenant, MessageID: r.MessageID, Reason: r.Reason, Size: r.Size, At: r.CreatedAt})
	}
	c.JSON(http.StatusOK, gin.H{"refused": out})
}
