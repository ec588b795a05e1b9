package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Directions of a CaseMessage.
const (
	Inbound  = "in"
	Outbound = "out"
)

// CaseMessage ties the Message-ID of a notice the engine sent to its case,
// so that a reply (In-Reply-To, References) finds its case. Those IDs are
// the engine's own and unique. E-mails received are InboundMessages, per
// tenant; rows of direction "in" here are from before those existed.
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

// InboundMessage is an e-mail a tenant's mailbox received and the case it
// opened or joined. Message-IDs are chosen by senders, so they are unique
// only within a tenant: the same message sent to two tenants' mailboxes
// is two requests, and what one tenant's intake key records can never
// touch another tenant's mail.
//
// An open claims its row before it starts the case (Done false), so that
// a message delivered twice at once, or again after a crash, finds the
// case ID the first delivery chose; Done says the message was handled.
type InboundMessage struct {
	Tenant    string    `gorm:"column:tenant;type:text;primaryKey"`
	MessageID string    `gorm:"column:message_id;type:text;primaryKey"`
	CaseID    string    `gorm:"column:case_id;type:text;not null;index:idx_inbound_messages_case"`
	Done      bool      `gorm:"column:done;not null"`
	CreatedAt time.Time `gorm:"column:created_at;not null"`
}

// TableName implements gorm's tabler.
func (InboundMessage) TableName() string { return "inbound_messages" }

// ClaimInbound records that tenant's message messageID belongs to caseID,
// unless it is recorded already, and returns the record as it now stands:
// its CaseID is the first claimant's.
func (s *Store) ClaimInbound(ctx context.Context, tenant, messageID, caseID string) (*InboundMessage, error) {
	if tenant == "" || messageID == "" || caseID == "" {
		return nil, errors.New("claim inbound message: empty tenant, message or case id")
	}
	m := InboundMessage{Tenant: tenant, MessageID: messageID, CaseID: caseID}
	if err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&m).Error; err != nil {
		return nil, fmt.Errorf("claim inbound message for case %s: %w", caseID, err)
	}
	got, err := s.Inbound(ctx, tenant, messageID)
	if err != nil {
		return nil, fmt.Errorf("claim inbound message for case %s: %w", caseID, err)
	}
	return got, nil
}

// FinishInbound marks tenant's message handled by caseID, recording it
// first if it was not claimed (a reply joins a case that exists). The case
// that handled it wins over the one claimed: a redelivery may find the
// message's thread where the first delivery did not.
func (s *Store) FinishInbound(ctx context.Context, tenant, messageID, caseID string) error {
	if _, err := s.ClaimInbound(ctx, tenant, messageID, caseID); err != nil {
		return err
	}
	err := s.db.WithContext(ctx).Model(&InboundMessage{}).
		Where("tenant = ? AND message_id = ?", tenant, messageID).
		Updates(map[string]any{"done": true, "case_id": caseID}).Error
	if err != nil {
		return fmt.Errorf("finish inbound message of case %s: %w", caseID, err)
	}
	return nil
}

// Inbound returns tenant's record of the first of messageIDs it has, or
// an error wrapping ErrNotFound.
func (s *Store) Inbound(ctx context.Context, tenant string, messageIDs ...string) (*InboundMessage, error) {
	if len(messageIDs) == 0 {
		return nil, fmt.Errorf("inbound message: %w", ErrNotFound)
	}
	var found []InboundMessage
	err := s.db.WithContext(ctx).Where("tenant = ? AND message_id IN ?", tenant, messageIDs).Find(&found).Error
	if err != nil {
		return nil, fmt.Errorf("inbound message: %w", err)
	}
	for _, id := range messageIDs {
		for _, m := range found {
			if m.MessageID == id {
				return &m, nil
			}
		}
	}
	return nil, fmt.Errorf("inbound message: %w", ErrNotFound)
}

// RefusedMessage is an e-mail intake refused for good (SMTP 5xx, HTTP
// 422), so that the DPO can see that a request was refused and why. It
// keeps no text of the message: no subject, body or sender.
type RefusedMessage struct {
	ID        string `gorm:"column:id;type:text;primaryKey"`
	Tenant    string `gorm:"column:tenant;type:text;not null;index:idx_refused_messages_tenant,priority:1"`
	MessageID string `gorm:"column:message_id;type:text;not null"`
	// Reason is a fixed phrase of the intake, never text of the message.
	Reason    string    `gorm:"column:reason;type:text;not null"`
	Size      int64     `gorm:"column:size;not null"`
	CreatedAt time.Time `gorm:"column:created_at;not null;index:idx_refused_messages_tenant,priority:2"`
}

// TableName implements gorm's tabler.
func (RefusedMessage) TableName() string { return "refused_messages" }

// maxRefusedMessageID bounds the Message-ID a refusal keeps: an index
// entry has a size limit, and the ID only helps find the message.
const maxRefusedMessageID = 200

// RecordRefused keeps a refusal. A refusal of the same message for the
// same tenant for the same reason is kept once (MTAs retry even 5xx
// answers at times).
func (s *Store) RecordRefused(ctx context.Context, r *RefusedMessage) error {
	if r.Tenant == "" || r.Reason == "" {
		return errors.New("record refused message: empty tenant or reason")
	}
	if len(r.MessageID) > maxRefusedMessageID {
		r.MessageID = strings.ToValidUTF8(r.MessageID[:maxRefusedMessageID], "") + "…"
	}
	if r.ID == "" {
		sum := sha256.Sum256([]byte(r.Tenant + "\x00" + r.MessageID + "\x00" + r.Reason))
		r.ID = hex.EncodeToString(sum[:16])
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now().UTC()
	}
	if err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(r).Error; err != nil {
		return fmt.Errorf("record refused message: %w", err)
	}
	return nil
}

// RefusedMessages returns the refusals of the tenants (all tenants if
// tenants holds "*"), newest first, at most limit of them.
func (s *Store) RefusedMessages(ctx context.Context, tenants []string, limit int) ([]RefusedMessage, error) {
	q := s.db.WithContext(ctx).Order("created_at DESC, id").Limit(limit)
	if !slices.Contains(tenants, "*") {
		q = q.Where("tenant IN ?", tenants)
	}
	var out []RefusedMessage
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("refused messages: %w", err)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}
