package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrCallbackConflict is returned when a job's callback is stored already
// with a different body: the first answer stands, since the connector may
// have acted on it.
var ErrCallbackConflict = errors.New("a different callback is stored for this job")

// ConnectorCallback is a connector service's answer to an asynchronous job,
// kept so that a worker that crashed while waiting finds it on its retry.
type ConnectorCallback struct {
	Connector  string    `gorm:"column:connector;type:text;primaryKey"`
	Job        string    `gorm:"column:job;type:text;primaryKey"`
	Body       []byte    `gorm:"column:body;not null"`
	ReceivedAt time.Time `gorm:"column:received_at;not null"`
}

// TableName implements gorm's tabler.
func (ConnectorCallback) TableName() string { return "connector_callbacks" }

// PutCallback stores the callback of a connector's job. The same body
// delivered again is accepted, as services retry until they hear 2xx; a
// different body for a stored job is ErrCallbackConflict.
func (s *Store) PutCallback(ctx context.Context, connector, job string, body []byte) error {
	if connector == "" || job == "" {
		return errors.New("put callback: empty connector or job")
	}
	if body == nil {
		// not null: an empty callback is still a callback.
		body = []byte{}
	}
	cb := ConnectorCallback{Connector: connector, Job: job, Body: body, ReceivedAt: s.db.NowFunc()}
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&cb)
	if res.Error != nil {
		return fmt.Errorf("put callback %s/%s: %w", connector, job, res.Error)
	}
	if res.RowsAffected == 1 {
		return nil
	}
	prev, err := s.Callback(ctx, connector, job)
	if err != nil {
		return fmt.Errorf("put callback: %w", err)
	}
	if !bytes.Equal(prev, body) {
		return fmt.Errorf("put callback %s/%s: %w", connector, job, ErrCallbackConflict)
	}
	return nil
}

// Callback returns the stored body of a connector's job callback, or an
// error wrapping ErrNotFound.
func (s *Store) Callback(ctx context.Context, connector, job string) ([]byte, error) {
	var cb ConnectorCallback
	err := s.db.WithContext(ctx).Where("connector = ? AND job = ?", connector, job).Take(&cb).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("callback %s/%s: %w", connector, job, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("callback %s/%s: %w", connector, job, err)
	}
	return cb.Body, nil
}

// PurgeCallbacks deletes callbacks received before cutoff and says how
// many. Their results may name personal data, and a job older than its
// activity's retries is waited for by no one.
func (s *Store) PurgeCallbacks(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("received_at < ?", normTime(cutoff)).Delete(&ConnectorCallback{})
	if res.Error != nil {
		return 0, fmt.Errorf("purge callbacks: %w", res.Error)
	}
	return res.RowsAffected, nil
}
