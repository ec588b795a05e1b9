package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

var roleName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// GrantApp gives a PostgreSQL role what the API and the worker need and no
// more: read and write the cases and the other tables, but only read and
// append to the audit trail, so that whoever holds the application's
// credentials cannot rewrite history. Migrations run as the owner; the
// engine runs as role. Grants cover the tables that exist, so run it after
// every migration.
func (s *Store) GrantApp(ctx context.Context, role string) error {
	if s.backend != Postgres {
		return errors.New("grant: roles exist on PostgreSQL only")
	}
	if !roleName.MatchString(role) {
		return fmt.Errorf("grant: %q is not a plain role name (lower case, digits, _)", role)
	}
	var schema string
	if err := s.db.WithContext(ctx).Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
		return fmt.Errorf("grant: %w", err)
	}
	sch := `"` + strings.ReplaceAll(schema, `"`, `""`) + `"`
	for _, stmt := range []string{
		"GRANT USAGE ON SCHEMA " + sch + " TO " + role,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + sch + " TO " + role,
		"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA " + sch + " TO " + role,
		"REVOKE UPDATE, DELETE, TRUNCATE ON " + sch + ".audit_events FROM " + role,
		// Retention blanks personal data in details; the chain covers each
		// detail's hash, so any other change to a detail is caught.
		"GRANT UPDATE (detail, redacted_at) ON " + sch + ".audit_events TO " + role,
	} {
		if err := s.db.WithContext(ctx).Exec(stmt).Error; err != nil {
			return fmt.Errorf("grant to %s: %w", role, err)
		}
	}
	return nil
}
