package store_test

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// The application's role appends to the audit trail and reads it, and works
// cases, but cannot change or remove an event.
func TestGrantAppCannotRewriteTheAuditTrail(t *testing.T) {
	s := storetest.Open(t, store.Postgres)
	ctx := t.Context()
	b := make([]byte, 4)
	rand.Read(b)
	role := "dsr_app_test_" + hex.EncodeToString(b)
	if err := s.DB().Exec("CREATE ROLE " + role + " NOLOGIN").Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.DB().Exec("DROP OWNED BY " + role)
		s.DB().Exec("DROP ROLE " + role)
	})
	if err := s.GrantApp(ctx, role); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendEvent(ctx, &store.Event{CaseID: "c1", Key: "k1", Kind: "case.opened", Actor: "system"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCase(ctx, sampleCase("c1", 1)); err != nil {
		t.Fatal(err)
	}
	as := func(sql string) error {
		return s.DB().Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SET LOCAL ROLE " + role).Error; err != nil {
				return err
			}
			return tx.Exec(sql).Error
		})
	}
	for _, allowed := range []string{
		"SELECT * FROM audit_events",
		"INSERT INTO audit_events (case_id, seq, key, kind, actor, detail, prev_hash, hash, occurred_at, recorded_at) VALUES ('c1', 2, 'k2', 'case.noted', 'staff', '{}', 'x', 'y', now(), now())",
		"UPDATE cases SET assignee = 'li' WHERE id = 'c1'",
		// Retention redacts details; VerifyChain catches any other change.
		"UPDATE audit_events SET detail = '{}', redacted_at = now() WHERE case_id = 'c1'",
		"DELETE FROM idempotent_responses",
	} {
		if err := as(allowed); err != nil {
			t.Errorf("%s: %v", allowed, err)
		}
	}
	for _, denied := range []string{
		"UPDATE audit_events SET hash = 'z' WHERE case_id = 'c1'",
		"UPDATE audit_events SET detail_hash = 'z' WHERE case_id = 'c1'",
		"UPDATE audit_events SET kind = 'case.completed' WHERE case_id = 'c1'",
		"DELETE FROM audit_events WHERE case_id = 'c1'",
		"TRUNCATE audit_events",
	} {
		if err := as(denied); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s: %v, want permission denied", denied, err)
		}
	}
	if err := s.GrantApp(ctx, "robert'); DROP TABLE cases; --"); err == nil {
		t.Error("a role name with SQL in it was accepted")
	}
}
