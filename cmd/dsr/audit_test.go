package main

import (
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// A database written before hash versions passes dsr audit verify after the
// upgrade (which migrates it), and an edit of one of its old events still
// shows.
func TestAuditVerifyUpgradedDatabase(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	st, err := store.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.LegacyAuditTrail(t, st)

	env := []string{"DSR_DATABASE_URL=" + dbURL}
	if code, out, stderr := dsr(t, env, "audit", "verify", "--case", "legacy"); code != 0 || out != "audit trail of case legacy intact\n" {
		t.Fatalf("upgraded: exit %d, %q, %s", code, out, stderr)
	}
	if !st.DB().Migrator().HasColumn("audit_events", "hash_version") {
		t.Fatal("dsr audit verify did not migrate the old database")
	}
	if err := st.DB().Exec(`UPDATE audit_events SET occurred_at = occurred_at + interval '1 hour' WHERE case_id = 'legacy' AND seq = 4`).Error; err != nil {
		t.Fatal(err)
	}
	code, out, stderr := dsr(t, env, "audit", "verify")
	if code != 1 || !strings.Contains(out, "case legacy broken at seq 4: contents do not match hash") {
		t.Errorf("edited: exit %d, %q, %s", code, out, stderr)
	}
}
