package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

func TestAPIKeys(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, backend)
			k := &store.APIKey{ID: "k1", Name: "portal", Hash: "h1", Role: "portal", Tenants: "shop"}
			if err := s.CreateAPIKey(ctx, k); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateAPIKey(ctx, &store.APIKey{ID: "k2", Hash: "h1", Role: "dpo"}); err == nil {
				t.Error("two keys with one hash")
			}
			got, err := s.APIKeyByHash(ctx, "h1")
			if err != nil || got.ID != "k1" || got.Tenants != "shop" {
				t.Fatalf("by hash: %+v %v", got, err)
			}
			if err := s.RevokeAPIKey(ctx, "k1"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.APIKeyByHash(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("revoked key found: %v", err)
			}
			if err := s.RevokeAPIKey(ctx, "k1"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("revoke twice: %v", err)
			}
			list, err := s.APIKeys(ctx)
			if err != nil || len(list) != 1 || list[0].RevokedAt == nil {
				t.Errorf("list: %+v %v", list, err)
			}
		})
	}
}

// Of many requests racing with one Idempotency-Key, exactly one claims it;
// the others see its answer once it is stored.
func TestIdempotencyKeys(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, backend)
			var wg sync.WaitGroup
			var mu sync.Mutex
			claimed := 0
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, ok, err := s.ClaimIdempotencyKey(ctx, "k1", "abc", "hash-1")
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						claimed++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if claimed != 1 {
				t.Fatalf("%d claims succeeded, want 1", claimed)
			}
			if err := s.CompleteIdempotencyKey(ctx, "k1", "abc", 201, "application/json", []byte(`{"id":"x"}`)); err != nil {
				t.Fatal(err)
			}
			prev, ok, err := s.ClaimIdempotencyKey(ctx, "k1", "abc", "hash-2")
			if err != nil || ok || prev.Status != 201 || prev.RequestHash != "hash-1" || string(prev.Body) != `{"id":"x"}` {
				t.Fatalf("after completion: %+v %v %v", prev, ok, err)
			}
			// Another key's caller may use the same Idempotency-Key.
			if _, ok, err := s.ClaimIdempotencyKey(ctx, "k2", "abc", "hash-1"); err != nil || !ok {
				t.Errorf("other api key: %v %v", ok, err)
			}
			// A released claim can be claimed again; a completed one stays.
			if _, _, err := s.ClaimIdempotencyKey(ctx, "k1", "def", "h"); err != nil {
				t.Fatal(err)
			}
			if err := s.ReleaseIdempotencyKey(ctx, "k1", "def"); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := s.ClaimIdempotencyKey(ctx, "k1", "def", "h"); err != nil || !ok {
				t.Errorf("claim after release: %v %v", ok, err)
			}
			if err := s.ReleaseIdempotencyKey(ctx, "k1", "abc"); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := s.ClaimIdempotencyKey(ctx, "k1", "abc", "hash-1"); ok {
				t.Error("a completed answer was released")
			}
		})
	}
}

// An answer older than IdempotencyTTL no longer binds its key, and the
// purge removes it.
func TestIdempotencyKeysExpire(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, backend)
			for _, key := range []string{"old", "older", "fresh"} {
				if _, _, err := s.ClaimIdempotencyKey(ctx, "k1", key, "h1"); err != nil {
					t.Fatal(err)
				}
			}
			past := time.Now().Add(-store.IdempotencyTTL - time.Minute)
			if err := s.DB().Model(&store.IdempotentResponse{}).Where("idempotency_key IN ?", []string{"old", "older"}).
				Update("created_at", past).Error; err != nil {
				t.Fatal(err)
			}
			if _, ok, err := s.ClaimIdempotencyKey(ctx, "k1", "old", "h2"); err != nil || !ok {
				t.Errorf("expired key not claimable: %v %v", ok, err)
			}
			if _, ok, _ := s.ClaimIdempotencyKey(ctx, "k1", "fresh", "h2"); ok {
				t.Error("fresh key claimed twice")
			}
			if n, err := s.PurgeIdempotencyKeys(ctx); err != nil || n != 1 {
				t.Errorf("purge removed %d (%v), want the 1 expired left", n, err)
			}
		})
	}
}
