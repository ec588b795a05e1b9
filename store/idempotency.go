package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// IdempotentResponse is the answer given to a POST that carried an
// Idempotency-Key, kept so that a retry gets the same answer instead of a
// second case. Status 0 means the first request is still being answered.
type IdempotentResponse struct {
	APIKeyID    string    `gorm:"column:api_key_id;type:text;primaryKey"`
	Key         string    `gorm:"column:idempotency_key;type:text;primaryKey"`
	RequestHash string    `gorm:"column:request_hash;type:text;not null"`
	Status      int       `gorm:"column:status;not null"`
	ContentType string    `gorm:"column:content_type;type:text;not null"`
	Body        []byte    `gorm:"column:body"`
	CreatedAt   time.Time `gorm:"column:created_at;not null"`
}

// TableName implements gorm's tabler.
func (IdempotentResponse) TableName() string { return "idempotent_responses" }

// IdempotencyTTL is how long an answer is kept for retries; after it the
// key may be used afresh.
const IdempotencyTTL = 24 * time.Hour

// ClaimIdempotencyKey records that the caller's request with this key is
// being answered. If the key was claimed within IdempotencyTTL, it returns
// that earlier record and false.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, apiKeyID, key, requestHash string) (*IdempotentResponse, bool, error) {
	expired := s.db.NowFunc().Add(-IdempotencyTTL)
	if err := s.db.WithContext(ctx).Where("api_key_id = ? AND idempotency_key = ? AND created_at < ?", apiKeyID, key, expired).
		Delete(&IdempotentResponse{}).Error; err != nil {
		return nil, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	r := IdempotentResponse{APIKeyID: apiKeyID, Key: key, RequestHash: requestHash}
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
	if res.Error != nil {
		return nil, false, fmt.Errorf("claim idempotency key: %w", res.Error)
	}
	if res.RowsAffected == 1 {
		return &r, true, nil
	}
	var prev IdempotentResponse
	err := s.db.WithContext(ctx).Where("api_key_id = ? AND idempotency_key = ?", apiKeyID, key).Take(&prev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		// Released between our insert and this read: the caller may retry.
		return nil, false, fmt.Errorf("claim idempotency key: released concurrently")
	}
	if err != nil {
		return nil, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	return &prev, false, nil
}

// CompleteIdempotencyKey stores the answer under a claimed key.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, apiKeyID, key string, status int, contentType string, body []byte) error {
	err := s.db.WithContext(ctx).Model(&IdempotentResponse{}).Where("api_key_id = ? AND idempotency_key = ?", apiKeyID, key).
		Updates(map[string]any{"status": status, "content_type": contentType, "body": body}).Error
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// PurgeIdempotencyKeys deletes answers older than IdempotencyTTL and says
// how many.
func (s *Store) PurgeIdempotencyKeys(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("created_at < ?", s.db.NowFunc().Add(-IdempotencyTTL)).Delete(&IdempotentResponse{})
	if res.Error != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// ReleaseIdempotencyKey forgets a claim whose request failed in a way worth
// retrying (the engine was down), so the retry is answered afresh.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, apiKeyID, key string) error {
	err := s.db.WithContext(ctx).Where("api_key_id = ? AND idempotency_key = ? AND status = 0", apiKeyID, key).
		Delete(&IdempotentResponse{}).Error
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
