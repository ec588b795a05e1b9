package workflows

import "go.temporal.io/sdk/workflow"

// FulfilErasure erases the requester's data (GDPR art. 17) on every system
// at once, after the case's go-ahead (from then on it can be neither
// denied nor withdrawn); rows a retention duty keeps are listed with their
// end, and erased then by the Erasure workflow; the summary names what was
// erased, what is kept and until when, and when backups clear.
func (w *Workflows) FulfilErasure(ctx workflow.Context, in FulfilInput) (FulfilResult, error) {
	r, err := w.fulfilment(ctx, in)
	if err != nil {
		return FulfilResult{}, err
	}
	summary, err := r.erase(ctx)
	return r.done(ctx, summary, err)
}
