package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// A console session counts until it ends, expires or its key is revoked.
func TestConsoleSessions(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, backend)
			now := time.Now()
			for _, id := range []string{"k1", "k2"} {
				if err := s.CreateAPIKey(ctx, &store.APIKey{ID: id, Name: id, Hash: "h" + id, Role: "dpo", Tenants: "shop"}); err != nil {
					t.Fatal(err)
				}
			}
			for _, cs := range []store.ConsoleSession{
				{IDHash: "s1", APIKeyID: "k1", ExpiresAt: now.Add(time.Hour)},
				{IDHash: "s2", APIKeyID: "k1", ExpiresAt: now.Add(time.Hour)},
				{IDHash: "s3", APIKeyID: "k2", ExpiresAt: now.Add(time.Hour)},
			} {
				if err := s.CreateConsoleSession(ctx, &cs); err != nil {
					t.Fatal(err)
				}
			}
			active := func(hash string, at time.Time) bool {
				t.Helper()
				_, err := s.ActiveConsoleSession(ctx, hash, at)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					t.Fatal(err)
				}
				return err == nil
			}
			if !active("s1", now) || !active("s2", now) || !active("s3", now) {
				t.Fatal("fresh sessions do not count")
			}
			if active("s1", now.Add(time.Hour)) {
				t.Error("an expired session counts")
			}
			if active("nope", now) {
				t.Error("an unknown session counts")
			}
			if err := s.EndConsoleSession(ctx, "s1", now); err != nil {
				t.Fatal(err)
			}
			if active("s1", now) || !active("s2", now) {
				t.Error("sign-out ended the wrong sessions")
			}
			if err := s.EndConsoleSession(ctx, "s1", now); err != nil {
				t.Errorf("ending twice: %v", err)
			}
			if err := s.RevokeAPIKey(ctx, "k1"); err != nil {
				t.Fatal(err)
			}
			if active("s2", now) || !active("s3", now) {
				t.Error("revoking k1 did not end exactly its sessions")
			}
		})
	}
}
