package workflows

import "go.temporal.io/sdk/workflow"

// FulfilPortability gives the requester their data in a structured,
// machine-readable package (GDPR art. 20(1)): collected and packed as for
// access, with a download link; where they named a receiving controller
// the engine can reach, the package is also transmitted there directly
// (art. 20(2)). A transfer that fails is said in the summary, never
// claimed.
func (w *Workflows) FulfilPortability(ctx workflow.Context, in FulfilInput) (FulfilResult, error) {
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
	summary := r.exportSummary(parts)
	if t := r.transfer(ctx, parts.exportID); t != "" {
		summary += " " + t
	}
	return r.done(ctx, summary, nil)
}
