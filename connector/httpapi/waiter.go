package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dsrflow/dsrflow/store"
)

// CallbackWaiter waits for callbacks the API has stored. Polling the
// store, rather than listening in memory, is what lets a worker that
// crashed and restarted still hear of a job that ended meanwhile.
type CallbackWaiter struct {
	Store *store.Store
	// Every is the polling interval; 0 means a second.
	Every time.Duration
}

var _ Callbacks = CallbackWaiter{}

// Wait implements Callbacks. It returns when the callback is stored or
// ctx ends; a failing store read is retried, since the database may come
// back before the activity gives up.
func (w CallbackWaiter) Wait(ctx context.Context, job string) ([]byte, error) {
	name, id, ok := strings.Cut(job, "/")
	if !ok || name == "" || id == "" {
		return nil, fmt.Errorf("wait for callback %q: want <connector>/<job>", job)
	}
	every := w.Every
	if every <= 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var lastErr error
	for {
		body, err := w.Store.Callback(ctx, name, id)
		switch {
		case err == nil:
			return body, nil
		case errors.Is(err, store.ErrNotFound):
		case ctx.Err() == nil:
			if lastErr == nil {
				slog.WarnContext(ctx, "http connector: reading callbacks failed; retrying", "job", job, "error", err)
			}
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return nil, fmt.Errorf("wait for callback %s: %w (last store error: %v)", job, ctx.Err(), lastErr)
			}
			return nil, fmt.Errorf("wait for callback %s: %w", job, ctx.Err())
		case <-tick.C:
		}
	}
}
