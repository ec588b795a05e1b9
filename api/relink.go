package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// relink sends a fresh download link for the export of a case whose
// workflow has ended (access and portability cases close as soon as the
// first link is out), through a workflow of its own so the mail is retried
// and audited like any notice.
func (s *Server) relink(c *gin.Context, id string, p auth.Principal, in *workflows.NoteInput) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), updateTimeout)
	defer cancel()
	row, err := s.Store.Case(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		problem(c, http.StatusNotFound, "no such case", "")
		return
	case err != nil:
		problem(c, http.StatusServiceUnavailable, "issue-link not applied", "the database did not answer; retry later")
		return
	case row.PersonalDataRemovedAt != nil || row.RequesterEmail == "":
		problem(c, http.StatusConflict, "issue-link refused", "the case has no requester e-mail address to send a link to")
		return
	}
	if s.Exports == nil {
		problem(c, http.StatusServiceUnavailable, "issue-link not applied", "this server keeps no exports")
		return
	}
	if _, err := s.Exports.Size(ctx, export.ArchiveKey(id)); err != nil {
		problem(c, http.StatusConflict, "issue-link refused", "the case has no export (or it was removed)")
		return
	}
	key := updateID(c, p)
	if key == "" {
		key = uuid.NewString()
	}
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "dsr-relink:" + id + ":" + key, TaskQueue: s.TaskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: false,
	}, workflows.RelinkName, workflows.RelinkInput{CaseID: id, Reference: row.Reference, Tenant: row.Tenant,
		Type: request.Type(row.Type), PolicyID: row.PolicyID, Actor: in.Actor, Key: key,
		Requester: workflows.Requester{Name: row.RequesterName, Email: row.RequesterEmail, Language: request.Language(row.Language)}})
	if err == nil {
		err = run.Get(ctx, nil)
	}
	if err != nil {
		slog.Error("relink", "case", id, "error", err)
		problem(c, http.StatusServiceUnavailable, "issue-link not applied", "the workflow engine did not send the link; retry later")
		return
	}
	c.JSON(http.StatusOK, viewFromRow(row))
}
