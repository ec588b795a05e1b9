package api_test

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/store"
)

// Refused e-mail is listed for the tenants the caller acts for, without
// any text of the message.
func TestListRefusedEmail(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	for _, r := range []*store.RefusedMessage{
		{Tenant: "shop", MessageID: "<a@mail.example>", Reason: "too large for a case", Size: 3 << 20},
		{Tenant: "bank", MessageID: "<b@mail.example>", Reason: "cannot read this message", Size: 10},
	} {
		if err := f.store.RecordRefused(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	dpo := f.doWith(t, map[string]string{"Authorization": "Bearer " + f.keys[auth.DPO]}, "GET", "/v1/intake/refused", "")
	if dpo.status != 200 || !strings.Contains(dpo.raw, `a@mail.example`) || !strings.Contains(dpo.raw, "too large for a case") ||
		strings.Contains(dpo.raw, "bank") {
		t.Errorf("a DPO of shop: %d %s", dpo.status, dpo.raw)
	}
	admin := f.do(t, "GET", "/v1/intake/refused?limit=5", "", "")
	if admin.status != 200 || !strings.Contains(admin.raw, "b@mail.example") || !strings.Contains(admin.raw, "a@mail.example") {
		t.Errorf("admin: %d %s", admin.status, admin.raw)
	}
	if bad := f.do(t, "GET", "/v1/intake/refused?limit=0", "", ""); bad.status != 422 || bad.problem.Errors[0].Field != "limit" {
		t.Errorf("limit=0: %d %s", bad.status, bad.raw)
	}
}
