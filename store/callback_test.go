package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

func TestCallbacks(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, backend)
			if _, err := s.Callback(ctx, "crm", "j1"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("absent callback: %v, want ErrNotFound", err)
			}
			first := []byte(`{"job":"j1","status":"done"}`)
			if err := s.PutCallback(ctx, "crm", "j1", first); err != nil {
				t.Fatal(err)
			}
			// A service retrying a delivery it thinks failed.
			if err := s.PutCallback(ctx, "crm", "j1", first); err != nil {
				t.Errorf("identical callback again: %v", err)
			}
			other := []byte(`{"job":"j1","status":"failed"}`)
			if err := s.PutCallback(ctx, "crm", "j1", other); !errors.Is(err, store.ErrCallbackConflict) {
				t.Errorf("different body for a stored job: %v, want ErrCallbackConflict", err)
			}
			got, err := s.Callback(ctx, "crm", "j1")
			if err != nil || string(got) != string(first) {
				t.Errorf("callback after conflict: %q %v, want the first body", got, err)
			}
			// Job ids are the services' own: two may use the same one.
			if err := s.PutCallback(ctx, "billing", "j1", other); err != nil {
				t.Errorf("same job id on another connector: %v", err)
			}
			if got, err := s.Callback(ctx, "billing", "j1"); err != nil || string(got) != string(other) {
				t.Errorf("billing/j1: %q %v", got, err)
			}
			if err := s.PutCallback(ctx, "", "j2", first); err == nil {
				t.Error("empty connector accepted")
			}
			if err := s.PutCallback(ctx, "crm", "", first); err == nil {
				t.Error("empty job accepted")
			}

			n, err := s.PurgeCallbacks(ctx, time.Now().Add(-time.Hour))
			if err != nil || n != 0 {
				t.Errorf("purge before anything was received: %d %v", n, err)
			}
			n, err = s.PurgeCallbacks(ctx, time.Now().Add(time.Hour))
			if err != nil || n != 2 {
				t.Errorf("purge all: %d %v, want 2", n, err)
			}
			if _, err := s.Callback(ctx, "crm", "j1"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("purged callback: %v", err)
			}
		})
	}
}

// Two deliveries of one callback racing each other both succeed, and two
// different ones racing leave exactly one stored.
func TestCallbacksConcurrent(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, backend)
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = s.PutCallback(ctx, "crm", "same", []byte(`{"job":"same"}`))
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("identical delivery %d: %v", i, err)
				}
			}

			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = s.PutCallback(ctx, "crm", "race", fmt.Appendf(nil, `{"n":%d}`, i))
				}()
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, store.ErrCallbackConflict):
					t.Errorf("racing delivery: %v", err)
				}
			}
			if won != 1 {
				t.Errorf("%d different bodies stored for one job, want 1", won)
			}
		})
	}
}
