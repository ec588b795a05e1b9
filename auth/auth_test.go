package auth

import (
	"strings"
	"testing"
)

func TestNewKey(t *testing.T) {
	k1, h1, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, _, _ := NewKey()
	if k1 == k2 || !strings.HasPrefix(k1, "dsr_") || len(k1) != 4+32 {
		t.Fatalf("keys %q %q", k1, k2)
	}
	if h1 != Hash(k1) || strings.Contains(h1, k1[4:]) || len(h1) != 64 {
		t.Fatalf("hash %q of %q", h1, k1)
	}
}

func TestActsFor(t *testing.T) {
	p := Principal{Tenants: []string{"shop"}}
	if !p.ActsFor("shop") || p.ActsFor("bank") {
		t.Error("single tenant")
	}
	if !(Principal{Tenants: []string{AllTenants}}).ActsFor("bank") {
		t.Error("all tenants")
	}
	if (Principal{}).ActsFor("") {
		t.Error("a key without tenants acts for the empty tenant")
	}
}

func TestParseRole(t *testing.T) {
	if r, err := ParseRole("dpo"); err != nil || r != DPO {
		t.Errorf("dpo: %v %v", r, err)
	}
	if _, err := ParseRole("root"); err == nil || !strings.Contains(err.Error(), "admin, dpo, portal, intake, auditor") {
		t.Errorf("root: %v", err)
	}
}
