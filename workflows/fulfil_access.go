package workflows

import "go.temporal.io/sdk/workflow"

// FulfilAccess gives the requester a copy of their data (GDPR art. 15(3)):
// every system gives its part (a system without an API, or one that keeps
// failing, through its owner as a manual task), the parts are packed into
// one export, a download link is sent, and the case completes saying what
// was exported and what was done by hand.
func (w *Workflows) FulfilAccess(ctx workflow.Context, in FulfilInput) (FulfilResult, error) {
	r, err := w.fulfilment(ctx, in)
	if err != nil {
		return FulfilResult{}, err
	}
	parts, err := r.collect(ctx)
	if err != nil {
		return r.done(ctx, "", err)
	}
	if err := r.pack(ctx, parts); err != nil {
		return r.done(ctx, "", err)
	}
	if err := r.issueLink(ctx, "system"); err != nil {
		return r.done(ctx, "", err)
	}
	return r.done(ctx, r.exportSummary(parts), nil)
}
