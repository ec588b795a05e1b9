package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Small steps that usually answer in milliseconds (a projection, a notice
// to the local mail relay, a code check, the tenant's connector list) run
// first as local activities: no activity events and no extra workflow task
// in the history. When one does not answer quickly (a relay or store that
// is away), the step is handed to a regular activity with the step's own
// timeouts and retries, which does not hold the workflow task and with it
// the case's queries. Every such step is idempotent, so running it a
// second time this way repeats nothing. Cases started before the case core
// use regular activities only.

// quick runs the activity named name with arg and decodes its result into
// result (nil for none). durable is the context with the regular
// activity's options, fn the activity method.
func (r *run) quick(ctx, durable workflow.Context, name string, fn, arg, result any) error {
	if !r.core {
		return workflow.ExecuteActivity(durable, fn, arg).Get(ctx, result)
	}
	err := workflow.ExecuteLocalActivity(quickOptions(ctx), name, arg).Get(ctx, result)
	if err == nil || nonRetryable(err) {
		return err
	}
	return workflow.ExecuteActivity(durable, fn, arg).Get(ctx, result)
}

func quickOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumAttempts:    2,
		},
	})
}

// nonRetryable reports whether err is one that no retry mends.
func nonRetryable(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}
