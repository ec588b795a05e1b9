package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow/connector"
)

// Error types the workflow tells apart: an operation the connector does not
// offer is skipped; a permanent failure is not retried.
const (
	ErrUnsupported = "Unsupported"
	ErrPermanent   = "Permanent"
)

// ConnectorCall names the connector, the subject and the operation's
// idempotency key: the same key on every retry, so a system that dedupes
// by it never applies a change twice.
type ConnectorCall struct {
	CaseID    string            `json:"case_id"`
	Connector string            `json:"connector"`
	Key       string            `json:"key"`
	Subject   connector.Subject `json:"subject"`
}

// Connectors lists the connectors that serve a tenant. The workflow records
// the answer, so a configuration change never alters a running case's plan.
func (a *Activities) Connectors(ctx context.Context, tenant string) ([]connector.Info, error) {
	return a.Registry.For(tenant), nil
}

// call runs op on the connector, heartbeating while it works, and maps its
// errors to the types the workflow's retry policy knows.
func (a *Activities) call(ctx context.Context, c ConnectorCall, op func(context.Context, connector.Connector) error) error {
	conn, err := a.Registry.Get(c.Connector)
	if err != nil {
		return err
	}
	ctx = connector.WithRequestID(ctx, c.Key)
	stop := heartbeat(ctx)
	defer stop()
	err = op(ctx, conn)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, connector.ErrUnsupported):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrUnsupported, nil)
	case connector.IsPermanent(err):
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s on %s: %v", c.Key, c.Connector, err), ErrPermanent, nil)
	}
	return fmt.Errorf("%s on %s: %w", c.Key, c.Connector, err)
}

// heartbeat tells Temporal the activity is alive until stop is called, so a
// long export or erasure is not mistaken for a dead worker, and a dead
// worker's is retried within a heartbeat timeout.
func heartbeat(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// EraseInput erases the subject's data from one connector as of Now.
type EraseInput struct {
	ConnectorCall
	Now time.Time `json:"now"`
}

// Erase erases what no retention hold keeps and restricts the rest.
func (a *Activities) Erase(ctx context.Context, in EraseInput) ([]connector.Erasure, error) {
	var out []connector.Erasure
	err := a.call(ctx, in.ConnectorCall, func(ctx context.Context, c connector.Connector) (err error) {
		out, err = c.Erase(ctx, in.Subject, in.Now)
		return err
	})
	return out, err
}

// CorrectInput applies approved corrections through one connector.
type CorrectInput struct {
	ConnectorCall
	Corrections []connector.Correction `json:"corrections"`
}

// Correct applies corrections to the datasets the connector holds.
func (a *Activities) Correct(ctx context.Context, in CorrectInput) ([]connector.Applied, error) {
	var out []connector.Applied
	err := a.call(ctx, in.ConnectorCall, func(ctx context.Context, c connector.Connector) (err error) {
		out, err = c.Correct(ctx, in.Subject, in.Corrections)
		return err
	})
	return out, err
}

// Check lists what must be settled before the account is cancelled.
func (a *Activities) Check(ctx context.Context, in ConnectorCall) ([]connector.Obstacle, error) {
	var out []connector.Obstacle
	err := a.call(ctx, in, func(ctx context.Context, c connector.Connector) (err error) {
		out, err = c.Check(ctx, in.Subject)
		return err
	})
	return out, err
}

// Deactivate ends the subject's account in one system.
func (a *Activities) Deactivate(ctx context.Context, in ConnectorCall) error {
	return a.call(ctx, in, func(ctx context.Context, c connector.Connector) error {
		return c.Deactivate(ctx, in.Subject)
	})
}
