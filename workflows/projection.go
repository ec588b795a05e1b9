package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
)

// The store holds a projection of each case (its row and its audit trail)
// for the queue, the console and the regulator. The workflow is the truth;
// the projection follows it.
//
// Cases of the case core project in batches: project adds the change to a
// pending batch and waits until the store has it; one projector coroutine
// writes whatever is pending once every other coroutine of the workflow
// task has run, as a local activity. So all the changes of one workflow
// task cost one write and one history event, and the search attributes
// are upserted only when one of them changed. Older cases project each
// change with an activity of its own, as they always did.

// project records a change of the case: the case row as it now is and the
// change's audit events. It returns once the store has them.
func (r *run) project(ctx workflow.Context, events ...activities.Event) error {
	if r.link != nil {
		// A fulfilment's case records it; the fulfilment goes on meanwhile,
		// so what it does next can share the report.
		r.tell(ReportItem{Events: events})
		return nil
	}
	r.st.Revision++
	if !r.core {
		return r.projectAlone(ctx, events...)
	}
	r.pending = append(r.pending, events...)
	rev := r.st.Revision
	return workflow.Await(ctx, func() bool { return r.projected >= rev })
}

// projectAlone is the projection of cases started before the case core:
// one activity per change, search attributes upserted every time.
// Projections run one at a time in the order they were made, so concurrent
// actions reach the audit trail in the order they changed the case.
func (r *run) projectAlone(ctx workflow.Context, events ...activities.Event) error {
	updates := []temporal.SearchAttributeUpdate{
		StatusKey.ValueSet(string(r.st.Status)),
		TypeKey.ValueSet(string(r.st.Type)),
	}
	if r.st.Due != nil {
		updates = append(updates, DueKey.ValueSet(r.st.Due.At))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		r.logger.Info("upsert search attributes failed", "error", err)
	}
	in := activities.Projection{Case: r.snapshot(), Events: events}
	if r.serialProjections {
		if err := r.recording.Lock(ctx); err != nil {
			return err
		}
		defer r.recording.Unlock()
	}
	return workflow.ExecuteActivity(recordOptions(ctx), a.Record, in).Get(ctx, nil)
}

// startProjector starts the coroutine that writes pending changes.
func (r *run) startProjector(ctx workflow.Context) {
	r.attrs = searchAttrsOf(workflow.GetTypedSearchAttributes(ctx))
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			if err := workflow.Await(ctx, func() bool { return r.projected < r.st.Revision }); err != nil {
				return
			}
			r.flush(ctx)
		}
	})
}

// projectionsDone reports whether the store has every change.
func (r *run) projectionsDone() bool { return !r.core || r.projected >= r.st.Revision }

func (r *run) flush(ctx workflow.Context) {
	rev := r.st.Revision
	p := activities.Projection{Case: r.snapshot(), Events: r.pending}
	r.pending = nil
	if r.st.StoreProblem != "" {
		// Refused once: from then on the case is recorded cleaned.
		p = activities.Clean(p) //workflowcheck:ignore reflection over a struct's fields visits them in declaration order
	}
	r.upsertChanged(ctx)
	// An outage of the store is left to a regular activity, which retries
	// until the store is back (see quick.go).
	if err := r.quick(ctx, recordOptions(ctx), activities.RecordName, a.Record, p, nil); err != nil {
		r.storeRefused(ctx, p, err)
	}
	r.projected = rev
}

// storeRefused handles a projection the store will never take (a value
// PostgreSQL refuses, which the doors should have stopped): the case
// records what it can with the refused values cleaned, keeps the problem
// in its state for everyone to see, and tells the DPO. It never retries
// for ever in silence.
func (r *run) storeRefused(ctx workflow.Context, p activities.Projection, err error) {
	reason := failure(err)
	r.logger.Error("the store refused a projection", "case", r.st.CaseID, "error", err)
	r.st.StoreProblem = reason
	clean := activities.Clean(p) //workflowcheck:ignore reflection over a struct's fields visits them in declaration order
	clean.Events = append(clean.Events, r.event(ctx, r.nextKey("store.refused"), "store.refused", "system",
		map[string]string{"error": reason}))
	if err := r.quick(ctx, recordOptions(ctx), activities.RecordName, a.Record, clean, nil); err != nil {
		r.logger.Error("the store refused the cleaned projection too", "case", r.st.CaseID, "error", err)
	}
	r.notifyDPO(ctx, "attention_needed", r.nextKey("attention_needed"),
		noticeData{Problem: "The database refused to record this case (" + reason + "). What it refused was recorded with the offending characters removed; check the case's details."})
}

// searchAttrs are the case's search attributes as last upserted.
type searchAttrs struct {
	status, typ string
	due         time.Time
}

func searchAttrsOf(sa temporal.SearchAttributes) searchAttrs {
	var s searchAttrs
	s.status, _ = sa.GetKeyword(StatusKey)
	s.typ, _ = sa.GetKeyword(TypeKey)
	s.due, _ = sa.GetTime(DueKey)
	return s
}

// upsertChanged upserts the search attributes that changed since the last
// upsert (or the start), and nothing when none did.
func (r *run) upsertChanged(ctx workflow.Context) {
	now := searchAttrs{status: string(r.st.Status), typ: string(r.st.Type)}
	if r.st.Due != nil {
		now.due = r.st.Due.At
	}
	var updates []temporal.SearchAttributeUpdate
	if now.status != r.attrs.status {
		updates = append(updates, StatusKey.ValueSet(now.status))
	}
	if now.typ != r.attrs.typ {
		updates = append(updates, TypeKey.ValueSet(now.typ))
	}
	if !now.due.Equal(r.attrs.due) {
		if now.due.IsZero() {
			updates = append(updates, DueKey.ValueUnset())
		} else {
			updates = append(updates, DueKey.ValueSet(now.due))
		}
	}
	if len(updates) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		r.logger.Info("upsert search attributes failed", "error", err)
		return
	}
	r.attrs = now
}

// stage adds events to the next batch without waiting for it (case-core
// cases): the intake stages the opening and writes it with the next
// change.
func (r *run) stage(events ...activities.Event) {
	r.st.Revision++
	r.pending = append(r.pending, events...)
}
