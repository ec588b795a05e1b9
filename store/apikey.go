package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// APIKey is a caller of the API. Only the hash of the key is kept.
type APIKey struct {
	ID   string `gorm:"column:id;type:text;primaryKey"`
	Name string `gorm:"column:name;type:text;not null"`
	Hash string `gorm:"column:hash;type:text;not null;uniqueIndex:idx_api_keys_hash"`
	Role string `gorm:"column:role;type:text;not null"`
	// Tenants is a comma-separated list; "*" means every tenant.
	Tenants   string     `gorm:"column:tenants;type:text;not null"`
	CreatedAt time.Time  `gorm:"column:created_at;not null"`
	RevokedAt *time.Time `gorm:"column:revoked_at"`
}

// TableName implements gorm's tabler.
func (APIKey) TableName() string { return "api_keys" }

// CreateAPIKey stores a new key.
func (s *Store) CreateAPIKey(ctx context.Context, k *APIKey) error {
	if err := s.db.WithContext(ctx).Create(k).Error; err != nil {
		return fmt.Errorf("create api key %s: %w", k.ID, err)
	}
	return nil
}

// APIKeyByHash finds a key that is not revoked; ErrNotFound otherwise.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (*APIKey, error) {
	var k APIKey
	err := s.db.WithContext(ctx).Where("hash = ? AND revoked_at IS NULL", hash).Take(&k).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("look up api key: %w", err)
	}
	return &k, nil
}

// APIKeys lists every key, revoked ones included, oldest first.
func (s *Store) APIKeys(ctx context.Context) ([]APIKey, error) {
	var ks []APIKey
	if err := s.db.WithContext(ctx).Order("created_at, id").Find(&ks).Error; err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return ks, nil
}

// RevokeAPIKey stops a key from working and ends its console sessions;
// ErrNotFound if there is no such key or it is already revoked.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) error {
	now := normTime(time.Now())
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&APIKey{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", now)
		if res.Error != nil {
			return fmt.Errorf("revoke api key %s: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		// The session lookup checks the key too; ending the sessions as
		// well leaves a record of when they stopped.
		if err := tx.Model(&ConsoleSession{}).Where("api_key_id = ? AND ended_at IS NULL", id).
			Update("ended_at", now).Error; err != nil {
			return fmt.Errorf("revoke api key %s: end its console sessions: %w", id, err)
		}
		return nil
	})
}
