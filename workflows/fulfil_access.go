package workflows

import "go.temporal.io/sdk/workflow"

// FulfilAccess gives the requester a copy of their data (GDPR art. 15):
// every system's part is collected (a system without an API, or one that
// keeps failing, by its owner as a manual task), packed into one export,
// and a download link is sent; the case then completes with what was
// exported and what was done by hand.
func (w *Workflows) FulfilAccess(ctx workflow.Context, in FulfilInput) (FulfilResult, error) {
	r, err := w.fulfilment(ctx, in)
	if err != nil {
		return FulfilResult{}, err
	}
	summary, err := r.access(ctx)
	return r.done(ctx, summary, err)
}
