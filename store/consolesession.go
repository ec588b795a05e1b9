package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// ConsoleSession is a signed-in console session. The browser holds the
// session's random ID (sealed in its cookie); the store keeps only its
// hash, so a copy of the table opens no session. A session counts while it
// has not ended, has not expired and its API key is not revoked: sign-out
// and key revocation end it at once, whatever the cookie says.
type ConsoleSession struct {
	IDHash    string     `gorm:"column:id_hash;type:text;primaryKey"`
	APIKeyID  string     `gorm:"column:api_key_id;type:text;not null;index:idx_console_sessions_key"`
	CreatedAt time.Time  `gorm:"column:created_at;not null"`
	ExpiresAt time.Time  `gorm:"column:expires_at;not null;index:idx_console_sessions_expires"`
	EndedAt   *time.Time `gorm:"column:ended_at"`
}

// TableName implements gorm's tabler.
func (ConsoleSession) TableName() string { return "console_sessions" }

// consoleSessionKeep is how long an expired or ended session row stays
// before a new sign-in sweeps it away; long enough to read in an incident.
const consoleSessionKeep = 7 * 24 * time.Hour

// CreateConsoleSession records a new session, and sweeps rows that ended
// or expired more than a week ago, so that the table stays small without
// a job of its own.
func (s *Store) CreateConsoleSession(ctx context.Context, cs *ConsoleSession) error {
	cs.CreatedAt = normTime(cs.CreatedAt)
	if cs.CreatedAt.IsZero() {
		cs.CreatedAt = normTime(time.Now())
	}
	cs.ExpiresAt = normTime(cs.ExpiresAt)
	if cs.IDHash == "" || cs.APIKeyID == "" || cs.ExpiresAt.IsZero() {
		return errors.New("create console session: id hash, api key and expiry are required")
	}
	db := s.db.WithContext(ctx)
	if err := db.Create(cs).Error; err != nil {
		return fmt.Errorf("create console session: %w", err)
	}
	old := normTime(cs.CreatedAt.Add(-consoleSessionKeep))
	if err := db.Where("expires_at < ? OR ended_at < ?", old, old).Delete(&ConsoleSession{}).Error; err != nil {
		// The new session stands; the sweep runs again at the next sign-in.
		slog.Warn("sweep old console sessions", "error", err)
	}
	return nil
}

// ActiveConsoleSession finds the session whose ID hashes to idHash if it
// still counts at now; ErrNotFound if it never existed, ended, expired or
// its API key is revoked.
func (s *Store) ActiveConsoleSession(ctx context.Context, idHash string, now time.Time) (*ConsoleSession, error) {
	var cs ConsoleSession
	err := s.db.WithContext(ctx).
		Joins("JOIN api_keys ON api_keys.id = console_sessions.api_key_id").
		Where("console_sessions.id_hash = ? AND console_sessions.ended_at IS NULL AND console_sessions.expires_at > ? AND api_keys.revoked_at IS NULL",
			idHash, normTime(now)).
		Take(&cs).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("look up console session: %w", err)
	}
	return &cs, nil
}

// EndConsoleSession ends a session (sign-out). Ending one that has already
// ended or never existed is not an error: the outcome is the same.
func (s *Store) EndConsoleSession(ctx context.Context, idHash string, at time.Time) error {
	err := s.db.WithContext(ctx).Model(&ConsoleSession{}).
		Where("id_hash = ? AND ended_at IS NULL", idHash).
		Update("ended_at", normTime(at)).Error
	if err != nil {
		return fmt.Errorf("end console session: %w", err)
	}
	return nil
}
