package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// EventByKey finds the event a writer recorded under key, or ErrNotFound.
// Notices use it to learn whether they already went out.
func (s *Store) EventByKey(ctx context.Context, caseID, key string) (*Event, error) {
	var e Event
	err := s.db.WithContext(ctx).Where("case_id = ? AND key = ?", caseID, key).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("event %s of case %s: %w", key, caseID, err)
	}
	e.normTimes()
	return &e, nil
}
