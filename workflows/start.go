package workflows

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow/request"
)

// ErrAlreadyOpen is returned by Start when a case with the same ID exists:
// the caller's request was taken before.
var ErrAlreadyOpen = errors.New("a case with this ID is already open")

// Start opens the case in.CaseID: it starts its Request workflow. Every way
// a case opens (the API, e-mail intake) goes through here.
func Start(ctx context.Context, c client.Client, taskQueue string, in Input) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    WorkflowID(in.CaseID),
		TaskQueue:             taskQueue,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// A retried start of the same case must not fail on its own first
		// attempt.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		// Where a worker shares this client (dsr dev, or an API that also
		// runs the worker), the server hands the first workflow task back
		// with the start instead of through a task queue poll: one round
		// trip and one matching dispatch fewer per case. Without a local
		// worker the SDK starts the workflow the usual way.
		EnableEagerStart: true,
		// The status the case opens in, so that its first workflow task
		// has no search attribute to upsert.
		TypedSearchAttributes: temporal.NewSearchAttributes(
			StatusKey.ValueSet(string(openingStatus(in))),
			TypeKey.ValueSet(string(in.Type)),
		),
	}, RequestName, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return ErrAlreadyOpen
	}
	return err
}

// openingStatus is the status a case opens in (see lifecycle.go).
func openingStatus(in Input) request.Status {
	if in.VerifiedBy != "" {
		return request.InProgress
	}
	return request.PendingVerification
}

// NewReference is the human-facing case number: 60 random bits in
// Crockford-like base32, grouped for reading aloud on the phone.
func NewReference() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	s := base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding).EncodeToString(b[:])[:12]
	return "DSR-" + s[:4] + "-" + s[4:8] + "-" + s[8:]
}
