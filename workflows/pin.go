package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/policy"
)

// pinPolicy sets the policy the case decides its dates from. A case of the
// case core records the live policy and its calendar once, in a
// SideEffect, and from then on never reads the registry: a policy edited
// or removed in configuration changes no running case. Older cases read
// the live registry, as they always did.
func (r *run) pinPolicy(ctx workflow.Context) error {
	if !r.core {
		pol, ok := r.w.Policies.Get(r.in.PolicyID)
		if !ok {
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown policy %q", r.in.PolicyID), "InvalidInput", nil)
		}
		r.pol = pol
		return nil
	}
	pin, err := r.livePin(ctx)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "InvalidInput", nil)
	}
	return r.usePin(pin)
}

// livePin records the registry's current version of the case's policy.
func (r *run) livePin(ctx workflow.Context) (policy.Pinned, error) {
	var c computed[policy.Pinned]
	if err := workflow.SideEffect(ctx, func(workflow.Context) any {
		p, ok := r.w.Policies.Get(r.in.PolicyID)
		if !ok {
			return computed[policy.Pinned]{Err: fmt.Sprintf("unknown policy %q", r.in.PolicyID)}
		}
		pin, err := p.Pin(r.in.ReceivedAt)
		if err != nil {
			return computed[policy.Pinned]{Err: err.Error()}
		}
		return computed[policy.Pinned]{Value: pin}
	}).Get(&c); err != nil {
		return policy.Pinned{}, fmt.Errorf("decode pinned policy: %w", err)
	}
	if c.Err != "" {
		return policy.Pinned{}, fmt.Errorf("pin policy: %s", c.Err)
	}
	return c.Value, nil
}

func (r *run) usePin(pin policy.Pinned) error {
	pol, err := pin.Build()
	if err != nil {
		return fmt.Errorf("case %s: %w", r.in.CaseID, err)
	}
	r.pol, r.pin = pol, pin
	return nil
}
