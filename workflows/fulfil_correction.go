package workflows

import "go.temporal.io/sdk/workflow"

// FulfilCorrection rectifies what the requester asked (GDPR art. 16): staff
// decide each correction on the case (decide-corrections, a rejection with
// its reason), and only the approved ones are applied, on every system;
// the summary says what was corrected and what was refused and why.
func (w *Workflows) FulfilCorrection(ctx workflow.Context, in FulfilInput) (FulfilResult, error) {
	r, err := w.fulfilment(ctx, in)
	if err != nil {
		return FulfilResult{}, err
	}
	summary, err := r.correct(ctx)
	return r.done(ctx, summary, err)
}
