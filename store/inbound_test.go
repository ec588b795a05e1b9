package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/store"
)

// The same Message-ID in two tenants' mailboxes is two messages; a claim
// keeps its first case; a record is found only by its own tenant.
func TestInboundPerTenant(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		const id = "<same@mail.example>"
		a, err := s.ClaimInbound(ctx, "shop", id, "case-shop")
		if err != nil || a.CaseID != "case-shop" || a.Done {
			t.Fatalf("claim shop: %+v %v", a, err)
		}
		b, err := s.ClaimInbound(ctx, "bank", id, "case-bank")
		if err != nil || b.CaseID != "case-bank" {
			t.Fatalf("claim bank: %+v %v", b, err)
		}
		// A second claim, as by a concurrent delivery, gets the first case.
		again, err := s.ClaimInbound(ctx, "shop", id, "case-other")
		if err != nil || again.CaseID != "case-shop" {
			t.Fatalf("second claim: %+v %v", again, err)
		}
		if err := s.FinishInbound(ctx, "shop", id, "case-shop"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Inbound(ctx, "shop", "<unknown@x>", id); err != nil || !got.Done || got.CaseID != "case-shop" {
			t.Errorf("shop: %+v %v", got, err)
		}
		if got, err := s.Inbound(ctx, "bank", id); err != nil || got.Done || got.CaseID != "case-bank" {
			t.Errorf("bank: %+v %v", got, err)
		}
		if _, err := s.Inbound(ctx, "other", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a third tenant sees the message: %v", err)
		}
		// The case that handled a message wins over the one claimed.
		if _, err := s.ClaimInbound(ctx, "bank", "<late@mail.example>", "case-claimed"); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishInbound(ctx, "bank", "<late@mail.example>", "case-bank"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Inbound(ctx, "bank", "<late@mail.example>"); err != nil || !got.Done || got.CaseID != "case-bank" {
			t.Errorf("finished by another case: %+v %v", got, err)
		}
		// A reply is recorded without a claim.
		if err := s.FinishInbound(ctx, "bank", "<reply@mail.example>", "case-bank"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Inbound(ctx, "bank", "<reply@mail.example>"); err != nil || !got.Done {
			t.Errorf("reply: %+v %v", got, err)
		}
	})
}

func TestRefusedMessages(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		long := "<" + strings.Repeat("x", 5000) + "@mail.example>"
		for _, r := range []*store.RefusedMessage{
			{Tenant: "shop", MessageID: "<a@mail.example>", Reason: "too large for a case", Size: 3 << 20},
			{Tenant: "shop", MessageID: "<a@mail.example>", Reason: "too large for a case", Size: 3 << 20},
			{Tenant: "bank", MessageID: long, Reason: "cannot read this message", Size: 10},
		} {
			if err := s.RecordRefused(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		shop, err := s.RefusedMessages(ctx, []string{"shop"}, 10)
		if err != nil || len(shop) != 1 || shop[0].Reason != "too large for a case" || shop[0].Size != 3<<20 {
			t.Fatalf("shop: %+v %v", shop, err)
		}
		all, err := s.RefusedMessages(ctx, []string{"*"}, 10)
		if err != nil || len(all) != 2 {
			t.Fatalf("all: %+v %v", all, err)
		}
		for _, r := range all {
			if len(r.MessageID) > 210 {
				t.Errorf("Message-ID of %d bytes kept", len(r.MessageID))
			}
		}
		if err := s.RecordRefused(ctx, &store.RefusedMessage{Reason: "x"}); err == nil {
			t.Error("refusal without tenant recorded")
		}
	})
}
