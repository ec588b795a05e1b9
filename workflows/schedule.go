package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// RetentionScheduleID names the Temporal Schedule that runs Retention.
const RetentionScheduleID = "dsr-retention"

// ScheduleRetention makes sure Retention runs daily with years of
// retention: it creates the schedule, or updates one made with another
// setting. Zero years removes the schedule.
func ScheduleRetention(ctx context.Context, c client.Client, taskQueue string, years int) error {
	sc := c.ScheduleClient()
	action := &client.ScheduleWorkflowAction{
		ID: "dsr-retention-run", Workflow: RetentionName, TaskQueue: taskQueue,
		Args: []any{RetentionInput{Years: years}},
	}
	h := sc.GetHandle(ctx, RetentionScheduleID)
	if years == 0 {
		err := h.Delete(ctx)
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("remove retention schedule: %w", err)
		}
		return nil
	}
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID:     RetentionScheduleID,
		Spec:   client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: 24 * time.Hour}}},
		Action: action,
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			in.Description.Schedule.Action = action
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("schedule retention: %w", err)
	}
	return nil
}
