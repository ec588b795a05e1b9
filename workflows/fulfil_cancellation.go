package workflows

import "go.temporal.io/sdk/workflow"

// FulfilCancellation closes the requester's account. The requester first
// settles what they would lose (the systems are checked again daily, or
// when staff recheck); then they confirm the cancellation is permanent;
// the policy's cooling-off period runs, during which they may revoke it
// (the case is then withdrawn and this round stops); then the account is
// deactivated everywhere and the data erased as for a deletion.
func (w *Workflows) FulfilCancellation(ctx workflow.Context, in FulfilInput) (FulfilResult, error) {
	r, err := w.fulfilment(ctx, in)
	if err != nil {
		return FulfilResult{}, err
	}
	c := &Cancellation{}
	r.st.Fulfilment.Cancellation = c
	if err := r.settleFirst(ctx, c); err != nil {
		return r.done(ctx, "", err)
	}
	if err := r.awaitConfirmation(ctx, c); err != nil {
		return r.done(ctx, "", err)
	}
	if err := r.coolOff(ctx, c); err != nil {
		return r.done(ctx, "", err)
	}
	if err := r.deactivate(ctx, c); err != nil {
		return r.done(ctx, "", err)
	}
	erased, err := r.erase(ctx)
	return r.done(ctx, r.words().cancelled()+" "+erased, err)
}
