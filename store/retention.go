package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CasesDueForRemoval lists up to limit closed cases, closed before cutoff,
// that still hold their requester's personal data.
func (s *Store) CasesDueForRemoval(ctx context.Context, cutoff time.Time, limit int) ([]Case, error) {
	var cases []Case
	err := s.db.WithContext(ctx).Where("closed_at < ? AND personal_data_removed_at IS NULL", normTime(cutoff)).
		Order("closed_at, id").Limit(limit).Find(&cases).Error
	if err != nil {
		return nil, fmt.Errorf("cases due for removal: %w", err)
	}
	return cases, nil
}

// Attachments lists the blob references of the attachments a case
// received by e-mail, from its audit trail.
func (s *Store) Attachments(ctx context.Context, caseID string) ([]string, error) {
	var details []string
	err := s.db.WithContext(ctx).Model(&Event{}).Where("case_id = ? AND kind = ?", caseID, "email.received").
		Pluck("detail", &details).Error
	if err != nil {
		return nil, fmt.Errorf("attachments of case %s: %w", caseID, err)
	}
	var refs []string
	for _, d := range details {
		var detail struct {
			List string `json:"attachment_list"`
		}
		if json.Unmarshal([]byte(d), &detail) != nil || detail.List == "" {
			continue
		}
		var list []struct {
			Ref string `json:"ref"`
		}
		if err := json.Unmarshal([]byte(detail.List), &list); err != nil {
			return nil, fmt.Errorf("attachments of case %s: %w", caseID, err)
		}
		for _, a := range list {
			refs = append(refs, a.Ref)
		}
	}
	return refs, nil
}

// AttachmentHeldElsewhere reports whether a case other than caseID that
// still holds its personal data received the same attachment (blobs are
// stored once by content).
func (s *Store) AttachmentHeldElsewhere(ctx context.Context, ref, caseID string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Event{}).
		Joins("JOIN cases ON cases.id = audit_events.case_id").
		Where("audit_events.kind = ? AND audit_events.case_id <> ? AND cases.personal_data_removed_at IS NULL AND audit_events.detail LIKE ?",
			"email.received", caseID, "%"+ref+"%").
		Limit(1).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("attachment %s in other cases: %w", ref, err)
	}
	return n > 0, nil
}

// RemovePersonalData blanks the requester's name, contact details and the
// case summary of a closed case, and records that in its audit trail, in
// one transaction. What proves compliance stays: type, dates, outcome,
// denial reason and the audit trail. It is idempotent.
// PersonalDetailKinds are the audit events whose details may hold personal
// data: free text written by staff or the requester, and the names of
// attached files. Retention redacts them; the kind, actor, time and the
// chain stay.
var PersonalDetailKinds = []string{"case.noted", "case.verified", "case.denied", "case.completed", "case.withdrawn",
	"info.requested", "info.received", "email.received", "task.completed", "correction.approved", "correction.rejected",
	"cancellation.confirmed", "cancellation.recheck", "fulfilment.awaiting_requester", "fulfilment.failed"}

func (s *Store) RemovePersonalData(ctx context.Context, caseID string, detail string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.lockCase(tx, caseID)
		if err != nil {
			return fmt.Errorf("remove personal data of case %s: %w", caseID, err)
		}
		if c.PersonalDataRemovedAt != nil {
			return nil
		}
		if c.ClosedAt == nil {
			return fmt.Errorf("remove personal data of case %s: the case is open", caseID)
		}
		now := s.db.NowFunc()
		if _, err := s.appendIn(tx, &Event{CaseID: caseID, Key: "retention:personal_data_removed",
			Kind: "case.personal_data_removed", Actor: "retention", Detail: detail, OccurredAt: now}); err != nil {
			return fmt.Errorf("remove personal data of case %s: %w", caseID, err)
		}
		// The details that may hold personal data (staff's words, file
		// names) go; the chain covers their hashes, so it still verifies.
		err = tx.Model(&Event{}).Where("case_id = ? AND kind IN ? AND detail_hash <> '' AND redacted_at IS NULL", caseID, PersonalDetailKinds).
			Updates(map[string]any{"detail": RedactedDetail, "redacted_at": now}).Error
		if err != nil {
			return fmt.Errorf("redact the audit details of case %s: %w", caseID, err)
		}
		err = tx.Model(&Case{}).Where("id = ?", caseID).Updates(map[string]any{
			"requester_name": "", "requester_email": "", "requester_phone": "", "requester_account_id": "",
			"summary": "", "personal_data_removed_at": now, "revision": gorm.Expr("revision + 1"), "updated_at": now}).Error
		if err != nil {
			return fmt.Errorf("remove personal data of case %s: %w", caseID, err)
		}
		return nil
	})
}
