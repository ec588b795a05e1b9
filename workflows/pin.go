package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/policy"
)

// pinPolicy sets the policy the case decides its dates from. A case of the
// case core records the live policy and its calendar once, in a
// SideEffect, and from then on never reads the registry: a policy edited
// or removed in configuration changes no running case. Older cases read
// the live registry, as they always did.
func (r *run) pinPolicy(ctx workflow.Context) error {
	if !r.core {
		pol, ok := r.w.Policies.Get(r.in.PolicyID)
		if !ok {
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown policy %q", r.in.PolicyID), "InvalidInput", nil)
		}
		r.pol = pol
		return nil
	}
	pin, err := r.livePin(ctx)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "InvalidInput", nil)
	}
	return r.usePin(pin)
}

// livePin records the registry's current version of the case's policy.
func (r *run) livePin(ctx workflow.Context) (policy.Pinned, error) {
	var c computed[policy.Pinned]
	if err := workflow.SideEffect(ctx, func(workflow.Context) any {
		p, ok := r.w.Policies.Get(r.in.PolicyID)
		if !ok {
			return computed[policy.Pinned]{Err: fmt.Sprintf("unknown policy %q", r.in.PolicyID)}
		}
		pin, err := p.Pin(r.in.ReceivedAt)
		if err != nil {
			return computed[policy.Pinned]{Err: err.Error()}
		}
		return computed[policy.Pinned]{Value: pin}
	}).Get(&c); err != nil {
		return policy.Pinned{}, fmt.Errorf("decode pinned policy: %w", err)
	}
	if c.Err != "" {
		return policy.Pinned{}, fmt.Errorf("pin policy: %s", c.Err)
	}
	return c.Value, nil
}

func (r *run) usePin(pin policy.Pinned) error {
	pol, err := pin.Build()
	if err != nil {
		return fmt.Errorf("case %s: %w", r.in.CaseID, err)
	}
	r.pol, r.pin = pol, pin
	return nil
}

// RepinUpdate re-reads the case's policy and calendar from the live
// configuration and recomputes its dates from them: the explicit, recorded
// step by which a calendar changed while the case runs (a bank holiday
// proclaimed, a year's holidays published) reaches it.
const RepinUpdate = "repin"

func (r *run) validateRepin(in NoteInput) error {
	if err := r.open(); err != nil {
		return err
	}
	if !r.core {
		return refused("this case was opened before policies were pinned; it follows the live configuration already")
	}
	return nil
}

func (r *run) repin(ctx workflow.Context, in NoteInput) (Ack, error) {
	if err := r.validateRepin(in); err != nil {
		return r.ack(), err
	}
	st := r.st
	pin, err := r.livePin(ctx)
	if err != nil {
		return r.ack(), refused("%v", err)
	}
	before, beforeVersion := st.Due, r.pin.Calendar.Version
	if err := r.usePin(pin); err != nil {
		return r.ack(), refused("%v", err)
	}
	detail := map[string]string{"calendar": pin.Calendar.ID, "calendar_version_from": beforeVersion,
		"calendar_version_to": pin.Calendar.Version, "note": in.Note}
	if before != nil {
		detail["due_from"] = before.Date.String()
	}
	var events []activities.Event
	if err := r.redate(ctx); err != nil {
		st.DeadlineProblem = err.Error()
		events = append(events, r.planEvent(ctx))
	} else if r.plan(ctx) {
		events = append(events, r.planEvent(ctx))
	}
	if st.Due != nil {
		detail["due_to"] = st.Due.Date.String()
	}
	r.changed++
	events = append([]activities.Event{r.event(ctx, r.nextKey("policy.repinned"), "policy.repinned", actorOr(in.Actor), detail)}, events...)
	return r.acked(r.project(ctx, events...))
}

// redate recomputes the due date of a case whose clock runs, from the
// pinned policy: the deadline from the clock's start, then each extension
// and each closed pause in the order they happened. A case without a
// deadline yet is left to plan.
func (r *run) redate(ctx workflow.Context) error {
	st := r.st
	if st.Due == nil || st.ClockFrom == nil {
		return nil
	}
	due, err := r.pol.Due(*st.ClockFrom)
	if err != nil {
		return err
	}
	type step struct {
		at  time.Time
		ext *Extension
		p   *Pause
	}
	var steps []step
	for i := range st.Extensions {
		steps = append(steps, step{at: st.Extensions[i].At, ext: &st.Extensions[i]})
	}
	for i := range st.Pauses {
		if st.Pauses[i].To != nil {
			steps = append(steps, step{at: *st.Pauses[i].To, p: &st.Pauses[i]})
		}
	}
	slices.SortStableFunc(steps, func(a, b step) int { return a.at.Compare(b.at) })
	for n, s := range steps {
		if s.ext != nil {
			by := s.ext.Period
			if by.IsZero() {
				by = r.pol.Extension
			}
			if due, err = r.pol.Extend(due, by, n); err != nil {
				return err
			}
			s.ext.To = due
			continue
		}
		if due, err = r.pol.Resume(due, s.p.From, *s.p.To); err != nil {
			return err
		}
	}
	r.moveDue(ctx, due)
	return nil
}
