package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
)

// live is the open life of a case of the case core: it waits for the next
// timer of the case (verification window, reminder, breach, replan) or a
// change by an action, whichever comes first. A timer stays set while its
// time stands, so an action does not cost a cancelled and a new timer.
// When Temporal suggests it (the history grew long), it continues as new
// at the next quiet moment, carrying the case.
func (r *run) live(ctx workflow.Context) error {
	st := r.st
	var (
		timer   workflow.Future
		timerAt time.Time
		cancel  workflow.CancelFunc
	)
	stopTimer := func() {
		if cancel != nil {
			cancel()
		}
		timer, cancel = nil, nil
	}
	for !st.Status.Closed() {
		r.startFulfilment(ctx)
		at, fire := r.nextTimer()
		if fire == nil {
			stopTimer()
		} else if timer == nil || !at.Equal(timerAt) {
			stopTimer()
			if d := at.Sub(workflow.Now(ctx)); d > 0 {
				var tctx workflow.Context
				tctx, cancel = workflow.WithCancel(ctx)
				timer, timerAt = workflow.NewTimer(tctx, d), at
			} else {
				// Due already (a case received long ago): fire now.
				if err := fire(ctx); err != nil {
					return err
				}
				continue
			}
		}
		seen := r.changed
		if err := workflow.Await(ctx, func() bool {
			return r.changed != seen || (timer != nil && timer.IsReady()) || r.continueAsNew(ctx)
		}); err != nil {
			return err
		}
		if timer != nil && timer.IsReady() {
			err := timer.Get(ctx, nil)
			timer, cancel = nil, nil
			if err == nil {
				if err := fire(ctx); err != nil {
					return err
				}
			}
		}
		if r.continueAsNew(ctx) {
			stopTimer()
			return workflow.NewContinueAsNewError(ctx, RequestName, r.carry())
		}
	}
	// A timer still set ends with the workflow; cancelling it would only
	// add an event.
	return nil
}

// continueAsNew reports whether to continue as new now: Temporal suggests
// it, and the case is quiet.
func (r *run) continueAsNew(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested() && r.quiet()
}

// quiet reports whether nothing is under way that a new run could not
// pick up: no action, notice, projection or fulfilment in flight.
func (r *run) quiet() bool {
	return r.inBackground == 0 && r.projectionsDone() && !r.st.Verification.sending &&
		!r.st.Status.Closed() && workflow.AllHandlersFinished(r.ctx)
}

// background counts work running in its own coroutine (notices,
// fulfilment); the closing waits for it, and a run continues as new only
// without it.
func (r *run) background(delta int) {
	r.inBackground += delta
	if delta > 0 {
		r.notices.Add(delta)
	} else {
		r.notices.Done()
	}
}

// Carried is the state a case carries into its next run when it continues
// as new: everything it decides from, its pinned policy included.
type Carried struct {
	State    State          `json:"state"`
	Sent     map[string]int `json:"sent"`
	ResumeTo request.Status `json:"resume_to,omitempty"`
	CodeHash string         `json:"code_hash,omitempty"`
	Pin      policy.Pinned  `json:"pin"`
	ReplanAt time.Time      `json:"replan_at,omitzero"`
	Replans  int            `json:"replans,omitempty"`
	// Fulfilled: fulfilment ran (and failed, or there was nothing to do);
	// the next run does not start it again by itself.
	Fulfilled bool `json:"fulfilled,omitempty"`
	Rechecks  int  `json:"rechecks,omitempty"`
	Runs      int  `json:"runs"`
	// FulfilPath is how the case fulfils, once decided (inline, children).
	FulfilPath string `json:"fulfil_path,omitempty"`
}

func (r *run) carry() Input {
	in := r.in
	in.Carried = &Carried{
		State: *r.st, Sent: r.st.sent, ResumeTo: r.st.resumeTo, CodeHash: r.st.Verification.codeHash,
		Pin: r.pin, ReplanAt: r.replanAt, Replans: r.replans, Fulfilled: r.f.started, Rechecks: r.f.rechecks,
		Runs: r.runs + 1, FulfilPath: r.f.path,
	}
	// The first run's intake e-mail was recorded; the carried case does
	// not need its details again.
	in.Email = nil
	return in
}

// resume restores a carried case.
func (r *run) resume(c *Carried) error {
	st := c.State
	st.sent = c.Sent
	if st.sent == nil {
		st.sent = map[string]int{}
	}
	st.resumeTo = c.ResumeTo
	st.Verification.codeHash = c.CodeHash
	*r.st = st
	r.replanAt, r.replans, r.runs = c.ReplanAt, c.Replans, c.Runs
	r.f.started, r.f.rechecks, r.f.path = c.Fulfilled, c.Rechecks, c.FulfilPath
	r.projected = st.Revision
	r.intakeDone = true
	return r.usePin(c.Pin)
}
