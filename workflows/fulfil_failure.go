package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/request"
)

// A fulfilment that fails for good (an error no retry mends, such as a
// package that cannot be built) is never swallowed: the reason goes on
// the case, the DPO is told, and staff either retry it (retry_fulfilment)
// or complete the case themselves with evidence of what was done.

// RetryFulfilmentUpdate runs a failed fulfilment again.
const RetryFulfilmentUpdate = "retry_fulfilment"

func (r *run) fulfilmentFailed(ctx workflow.Context, err error) {
	st := r.st
	if st.Status.Closed() {
		return
	}
	reason := failure(err)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Message() != "" {
		reason = appErr.Message()
	}
	if st.Fulfilment == nil {
		st.Fulfilment = &Fulfilment{}
	}
	st.Fulfilment.Problem = reason
	r.f.applying = false
	r.changed++
	r.notifyDPO(ctx, "attention_needed", r.nextKey("attention_needed"), noticeData{Problem: "Fulfilment stopped: " + reason +
		". Retry it (retry-fulfilment) once the cause is mended, or complete the case with evidence of what was done."})
	r.record(ctx, r.event(ctx, fmt.Sprintf("fulfilment.failed:%d", st.Fulfilment.Attempts), "fulfilment.failed", "system",
		map[string]string{"reason": reason, "attempt": fmt.Sprint(st.Fulfilment.Attempts)}))
}

// fulfilmentStopped reports whether fulfilment failed and waits for staff.
func (r *run) fulfilmentStopped() bool {
	return r.st.Fulfilment != nil && r.st.Fulfilment.Problem != ""
}

func (r *run) validateRetryFulfilment(in NoteInput) error {
	if err := r.open(); err != nil {
		return err
	}
	if !r.fulfilmentStopped() {
		return refused("fulfilment has not failed; there is nothing to retry")
	}
	if r.st.Status != request.InProgress {
		return refused("only a case in progress can be fulfilled (it is %s)", r.st.Status)
	}
	return nil
}

// retryFulfilment clears the problem; the main loop starts the work again.
func (r *run) retryFulfilment(ctx workflow.Context, in NoteInput) (Ack, error) {
	if err := r.validateRetryFulfilment(in); err != nil {
		return r.ack(), err
	}
	f := r.st.Fulfilment
	problem := f.Problem
	f.Problem = ""
	r.f.started = false
	r.changed++
	return r.acked(r.project(ctx, r.event(ctx, fmt.Sprintf("fulfilment.retried:%d", f.Attempts), "fulfilment.retried",
		actorOr(in.Actor), map[string]string{"problem": problem, "note": strings.TrimSpace(in.Note)})))
}
