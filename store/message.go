package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Directions of a CaseMessage.
const (
	Inbound  = "in"
	Outbound = "out"
)

// CaseMessage ties an e-mail's Message-ID to its case: the notices the
// engine sent, so that a reply (In-Reply-To, References) finds its case,
// and the e-mails it received, so that the same message delivered twice is
// handled once.
type CaseMessage struct {
	MessageID string    `gorm:"column:message_id;type:text;primaryKey"`
	CaseID    string    `gorm:"column:case_id;type:text;not null;index:idx_case_messages_case"`
	Direction string    `gorm:"column:direction;type:text;not null"`
	CreatedAt time.Time `gorm:"column:created_at;not null"`
}

// TableName implements gorm's tabler.
func (CaseMessage) TableName() string { return "case_messages" }

// RememberMessage records that the e-mail messageID belongs to caseID. A
// Message-ID already recorded keeps its first case.
func (s *Store) RememberMessage(ctx context.Context, messageID, caseID, direction string) error {
	if messageID == "" || caseID == "" {
		return errors.New("remember message: empty message or case id")
	}
	m := CaseMessage{MessageID: messageID, CaseID: caseID, Direction: direction}
	if err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&m).Error; err != nil {
		return fmt.Errorf("remember message of case %s: %w", caseID, err)
	}
	return nil
}

// MessageCase finds the first of messageIDs that is recorded and returns
// its record, or ErrNotFound.
func (s *Store) MessageCase(ctx context.Context, messageIDs ...string) (*CaseMessage, error) {
	if len(messageIDs) == 0 {
		return nil, ErrNotFound
	}
	var found []CaseMessage
	if err := s.db.WithContext(ctx).Where("message_id IN ?", messageIDs).Find(&found).Error; err != nil {
		return nil, fmt.Errorf("find messages: %w", err)
	}
	for _, id := range messageIDs {
		for _, m := range found {
			if m.MessageID == id {
				return &m, nil
			}
		}
	}
	return nil, ErrNotFound
}

// CaseByReference returns the case with the given reference, or an error
// wrapping ErrNotFound.
func (s *Store) CaseByReference(ctx context.Context, reference string) (*Case, error) {
	var c Case
	err := s.db.WithContext(ctx).Where("reference = ?", reference).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("case by reference: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("case by reference: %w", err)
	}
	c.normTimes()
	return &c, nil
}
