package workflows

import "go.temporal.io/sdk/workflow"

// FulfilCorrection rectifies what the requester asked (GDPR art. 16):
// staff decide each requested correction on the case (decide-corrections;
// a rejection needs its reason), only the approved ones are applied, on
// every system, and the case completes telling the requester what was
// corrected and what was refused and why.
func (w *Workflows) FulfilCorrection(ctx workflow.Context, in FulfilInput) (FulfilResult, error) {
	r, err := w.fulfilment(ctx, in)
	if err != nil {
		return FulfilResult{}, err
	}
	if err := r.awaitDecisions(ctx); err != nil {
		return r.done(ctx, "", err)
	}
	if err := r.applyApproved(ctx); err != nil {
		return r.done(ctx, "", err)
	}
	return r.done(ctx, r.words().corrected(r.st.Fulfilment.Corrections), nil)
}
