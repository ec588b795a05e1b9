package workflows

import "go.temporal.io/sdk/workflow"

// FulfilCancellation closes the requester's account: the systems are
// checked for anything to settle (again daily, or when staff recheck,
// while there is); the requester confirms the cancellation is permanent;
// the policy's cooling-off period runs, during which they may revoke it;
// then the account is deactivated and the data erased as for a deletion.
func (w *Workflows) FulfilCancellation(ctx workflow.Context, in FulfilInput) (FulfilResult, error) {
	r, err := w.fulfilment(ctx, in)
	if err != nil {
		return FulfilResult{}, err
	}
	summary, err := r.cancelAccount(ctx)
	return r.done(ctx, summary, err)
}
