package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
)

// Waiting on the requester follows the policy. On a stop-the-clock policy
// (UK GDPR art. 12A) every wait is a recorded pause, and the due date
// moves by it when the wait ends; elsewhere the clock, the reminders and
// the breach timer run on. Both staff's questions (request_info) and
// fulfilment's waits (an account to settle, a cancellation to confirm) go
// through here.

// stopClock starts a pause when the policy stops the clock and the clock
// has started; it reports whether it did.
func (r *run) stopClock(ctx workflow.Context) bool {
	st := r.st
	if !r.pol.StopTheClock || st.Due == nil || r.clockStopped() {
		return false
	}
	st.Pauses = append(st.Pauses, Pause{From: workflow.Now(ctx)})
	return true
}

// clockStopped reports whether a pause is open.
func (r *run) clockStopped() bool {
	n := len(r.st.Pauses)
	return n > 0 && r.st.Pauses[n-1].To == nil
}

// restartClock ends an open pause and moves the due date by it; detail,
// if given, gets the old and new due dates for the audit event.
func (r *run) restartClock(ctx workflow.Context, detail map[string]string) error {
	st := r.st
	if !r.clockStopped() {
		return nil
	}
	now := workflow.Now(ctx)
	p := &st.Pauses[len(st.Pauses)-1]
	due, err := compute(r, ctx, func() (policy.Deadline, error) { return r.pol.Resume(*st.Due, p.From, now) })
	if err != nil {
		return fmt.Errorf("the clock cannot resume: %w", err)
	}
	p.To = &now
	if detail != nil {
		detail["from"], detail["to"] = st.Due.Date.String(), due.Date.String()
	}
	r.moveDue(ctx, due)
	return nil
}

// awaitRequester puts the case in awaiting_requester for fulfilment, after
// any question staff asked first has been answered (two waits never share
// one status), and stops the clock where the policy says so.
func (r *run) awaitRequester(ctx workflow.Context) error {
	st := r.st
	if err := workflow.Await(ctx, func() bool { return st.Status != request.AwaitingRequester || st.Status.Closed() }); err != nil {
		return err
	}
	if st.Status.Closed() {
		return errClosed
	}
	if err := r.apply(evRequesterNeeded); err != nil {
		return err
	}
	r.f.waiting = true
	r.stopClock(ctx)
	r.changed++
	return nil
}

// requesterDone ends fulfilment's wait: the clock restarts and the case is
// back in progress.
func (r *run) requesterDone(ctx workflow.Context) error {
	if !r.f.waiting {
		return nil
	}
	r.f.waiting = false
	if r.link != nil {
		r.st.InfoNeeded = ""
		r.tell(ReportItem{RequesterDone: true})
		return nil
	}
	if err := r.restartClock(ctx, nil); err != nil {
		return err
	}
	r.st.InfoNeeded = ""
	r.changed++
	return r.apply(evRequesterDone)
}

// waitForRequesterCore is waitForRequester for case-core cases. The wait
// begins (once) with a notice of kind; a later call with kind empty waits
// on, silently. It ends, the clock restarting, only when ready says what
// it waited for happened; a recheck or the timer returns to the caller
// with the case still waiting.
func (r *run) waitForRequesterCore(ctx workflow.Context, kind, info string, ready func() bool, every time.Duration) error {
	if kind != "" {
		if err := r.beginWait(ctx, kind, info); err != nil {
			return err
		}
	}
	if err := r.awaitReadyOrRecheck(ctx, ready, every); err != nil {
		return err
	}
	if ready() {
		return r.requesterDone(ctx)
	}
	return nil
}

// beginWait puts the case in awaiting_requester for fulfilment (once)
// and tells the requester what is needed.
func (r *run) beginWait(ctx workflow.Context, kind, info string) error {
	if !r.f.waiting {
		if err := r.awaitRequester(ctx); err != nil {
			return err
		}
	}
	r.st.InfoNeeded = info
	r.notifyRequester(ctx, kind, noticeData{Info: info})
	return r.project(ctx, r.event(ctx, r.nextKey("fulfilment."+kind), "fulfilment.awaiting_requester", "system",
		map[string]string{"why": kind, "info": info, "clock_stopped": fmt.Sprint(r.clockStopped())}))
}

// awaitReadyOrRecheck waits until ready, a staff recheck, or every (when
// not zero) has passed; errClosed when the case closed meanwhile.
func (r *run) awaitReadyOrRecheck(ctx workflow.Context, ready func() bool, every time.Duration) error {
	rechecks := r.f.rechecks
	cond := func() bool { return ready() || r.f.rechecks != rechecks || r.st.Status.Closed() }
	var err error
	if every > 0 {
		_, err = workflow.AwaitWithTimeout(ctx, every, cond)
	} else {
		err = workflow.Await(ctx, cond)
	}
	if err != nil {
		return err
	}
	if r.st.Status.Closed() {
		return errClosed
	}
	return nil
}
