package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
)

// RetentionName is the workflow type the retention schedule starts.
const RetentionName = "Retention"

// RetentionInput says how long closed cases keep their requester's
// personal data.
type RetentionInput struct {
	Years int `json:"years"`
}

// RetentionResult is what one run cleared.
type RetentionResult struct {
	ClosedBefore time.Time `json:"closed_before"`
	Cleared      int       `json:"cleared"`
}

// Retention removes the requester's personal data and attachments from
// cases closed more than in.Years ago, keeping what proves the request was
// answered (type, dates, outcome, the audit trail). A Temporal Schedule
// runs it daily.
func (w *Workflows) Retention(ctx workflow.Context, in RetentionInput) (RetentionResult, error) {
	if in.Years < 1 {
		return RetentionResult{}, temporal.NewNonRetryableApplicationError("retention: years must be at least 1", "InvalidInput", nil)
	}
	cutoff := workflow.Now(ctx).AddDate(-in.Years, 0, 0)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 6 * time.Hour,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Minute, MaximumInterval: 30 * time.Minute},
	})
	var cleared int
	err := workflow.ExecuteActivity(ctx, a.RemovePersonalData, activities.RetentionInput{ClosedBefore: cutoff}).Get(ctx, &cleared)
	return RetentionResult{ClosedBefore: cutoff, Cleared: cleared}, err
}
