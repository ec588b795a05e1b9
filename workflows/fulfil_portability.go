package workflows

import "go.temporal.io/sdk/workflow"

// FulfilPortability gives the requester their data in a structured,
// machine-readable package (GDPR art. 20(1)) and, where they named a
// receiving controller the engine can reach, transmits it there directly
// (art. 20(2)); a transfer that fails is said in the summary, never
// claimed.
func (w *Workflows) FulfilPortability(ctx workflow.Context, in FulfilInput) (FulfilResult, error) {
	r, err := w.fulfilment(ctx, in)
	if err != nil {
		return FulfilResult{}, err
	}
	summary, err := r.access(ctx) // the portability package and the transfer
	return r.done(ctx, summary, err)
}
