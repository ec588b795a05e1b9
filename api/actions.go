package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// action is a staff or requester action: a route and the workflow update
// behind it.
type action struct {
	path   string
	update string
	input  func() any
	// portal: portal keys may take the action too (for their own cases).
	portal bool
	// books: bookkeeping, which a closed case still takes (in the store,
	// its workflow having ended).
	books bool
}

var actions = []action{
	{"verify", workflows.VerifyUpdate, func() any { return &workflows.VerifyInput{} }, true, false},
	{"resend-code", workflows.ResendCodeUpdate, func() any { return &workflows.NoteInput{} }, true, false},
	{"extend", workflows.ExtendUpdate, func() any { return &workflows.ExtendInput{} }, false, false},
	{"deny", workflows.DenyUpdate, func() any { return &workflows.DenyInput{} }, false, false},
	{"complete", workflows.CompleteUpdate, func() any { return &workflows.CompleteInput{} }, false, false},
	{"withdraw", workflows.WithdrawUpdate, func() any { return &workflows.NoteInput{} }, false, false},
	{"request-info", workflows.RequestInfoUpdate, func() any { return &workflows.NoteInput{} }, false, false},
	{"info-received", workflows.InfoReceivedUpdate, func() any { return &workflows.NoteInput{} }, false, false},
	{"classify", workflows.ClassifyUpdate, func() any { return &workflows.ClassifyInput{} }, false, false},
	{"assign", workflows.AssignUpdate, func() any { return &workflows.AssignInput{} }, false, true},
	{"note", workflows.NoteUpdate, func() any { return &workflows.NoteInput{} }, false, true},
	{"tag", workflows.TagUpdate, func() any { return &workflows.TagInput{} }, false, true},
	{"complete-task", workflows.CompleteTaskUpdate, func() any { return &workflows.TaskInput{} }, false, false},
	{"decide-corrections", workflows.DecideCorrectionsUpdate, func() any { return &workflows.DecideInput{} }, false, false},
	{"issue-link", workflows.IssueLinkUpdate, func() any { return &workflows.NoteInput{} }, false, false},
	{"confirm-cancellation", workflows.ConfirmCancellationUpdate, func() any { return &workflows.NoteInput{} }, true, false},
	{"revoke-cancellation", workflows.RevokeCancellationUpdate, func() any { return &workflows.NoteInput{} }, true, false},
	{"recheck", workflows.RecheckUpdate, func() any { return &workflows.NoteInput{} }, false, false},
	{"retry-fulfilment", workflows.RetryFulfilmentUpdate, func() any { return &workflows.NoteInput{} }, false, false},
	{"repin", workflows.RepinUpdate, func() any { return &workflows.NoteInput{} }, false, false},
}

// attribute puts the caller into the Actor field every action input has.
func attribute(in any, p auth.Principal) {
	if f := reflect.ValueOf(in).Elem().FieldByName("Actor"); f.IsValid() && f.Kind() == reflect.String {
		f.SetString(actor(p, f.String()))
	}
}

// updateTimeout bounds how long an action waits for the workflow; sending a
// code or recording a change takes well under it when the engine is healthy.
const updateTimeout = 30 * time.Second

func (s *Server) act(a action) gin.HandlerFunc {
	return func(c *gin.Context) {
		in := a.input()
		if !decode(c, in) {
			return
		}
		p := principal(c)
		if v, ok := in.(*workflows.VerifyInput); ok && p.Role == auth.Portal && v.Method == workflows.MethodManual {
			problem(c, http.StatusForbidden, "forbidden", "portal keys pass codes and portal assertions; manual verification is for staff")
			return
		}
		id, ok := s.visibleCase(c)
		if !ok {
			return
		}
		if a.update == workflows.VerifyUpdate && !countVerify(c, id) {
			return
		}
		attribute(in, p)
		if tooLargeForEngine(c, in) {
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), updateTimeout)
		defer cancel()
		h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID:   workflows.WorkflowID(id),
			UpdateID:     updateID(c, p),
			UpdateName:   a.update,
			Args:         []any{in},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			// The update answers with a small Ack (it is kept in the
			// case's history); the case itself is read with the query.
			err = h.Get(ctx, nil)
		}
		var nf *serviceerror.NotFound
		if a.books && errors.As(err, &nf) {
			s.keepClosedBooks(c, a, id, in)
			return
		}
		if a.update == workflows.IssueLinkUpdate && errors.As(err, &nf) {
			s.relink(c, id, p, in.(*workflows.NoteInput))
			return
		}
		if err != nil {
			s.actionFailed(c, a, id, err)
			return
		}
		s.showCase(c, id)
	}
}

// keepClosedBooks keeps the books of a case whose workflow has ended (a
// closed case): by the workflow's rules, in the store, audited.
func (s *Server) keepClosedBooks(c *gin.Context, a action, id string, in any) {
	row, err := s.Store.KeepBooks(c.Request.Context(), id, func(row *store.Case) (*store.Event, error) {
		e, err := workflows.Keep(workflows.Books{Assignee: row.Assignee, Tags: row.TagList()}, in)
		if err != nil {
			return nil, err
		}
		detail, err := json.Marshal(e.Detail)
		if err != nil {
			return nil, err
		}
		row.Assignee, row.Tags = e.Books.Assignee, strings.Join(e.Books.Tags, ",")
		// The workflow numbers its keys; after it, a random suffix keeps
		// them unique.
		return &store.Event{Key: e.Kind + ":closed:" + uuid.NewString(), Kind: e.Kind, Actor: e.Actor,
			Detail: string(detail)}, nil
	})
	var appErr *temporal.ApplicationError
	switch {
	case errors.Is(err, store.ErrNotFound):
		problem(c, http.StatusNotFound, "no such case", "")
	case errors.As(err, &appErr):
		problem(c, http.StatusConflict, a.path+" refused", appErr.Message())
	case err != nil:
		slog.Error("keep books of a closed case", "case", id, "update", a.update, "error", err)
		problem(c, http.StatusServiceUnavailable, a.path+" not applied", "the database did not answer; retry later")
	default:
		c.JSON(http.StatusOK, viewFromRow(row))
	}
}

// updateID names the update after the request's Idempotency-Key: a retry
// after a timeout joins the update Temporal may still be running instead
// of starting a second one. Without a key Temporal picks a fresh ID.
func updateID(c *gin.Context, p auth.Principal) string {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(p.KeyID + "\x00" + key + "\x00" + c.Request.URL.Path))
	return "api-" + hex.EncodeToString(sum[:16])
}

// actionFailed turns an update's failure into the answer: a refusal by the
// validator is 409 with its reason, a wrong code 422, an unknown case 404.
func (s *Server) actionFailed(c *gin.Context, a action, id string, err error) {
	var appErr *temporal.ApplicationError
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr) && appErr.Type() == workflows.WrongCode:
		problem(c, http.StatusUnprocessableEntity, "wrong code", appErr.Message(),
			FieldError{Field: "code", Reason: appErr.Message()})
	case errors.As(err, &appErr):
		problem(c, http.StatusConflict, a.path+" refused", appErr.Message())
	case errors.As(err, &nf):
		if _, serr := s.Store.Case(c.Request.Context(), id); serr == nil {
			problem(c, http.StatusConflict, a.path+" refused", "the case is closed")
			return
		}
		problem(c, http.StatusNotFound, "no such case", "")
	default:
		slog.Error("workflow update failed", "case", id, "update", a.update, "error", err)
		problem(c, http.StatusServiceUnavailable, a.path+" not applied", "the workflow engine did not answer; retry later")
	}
}
