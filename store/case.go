package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Case is the read model of one data-subject request, as last projected by
// its workflow. Type, Channel, Status and the like hold the spellings from
// package request.
type Case struct {
	ID        string `gorm:"column:id;type:text;primaryKey;index:idx_cases_due_id,priority:2"`
	Reference string `gorm:"column:reference;type:text;not null;uniqueIndex:idx_cases_reference"`
	Tenant    string `gorm:"column:tenant;type:text;not null;index:idx_cases_tenant_due,priority:1"`
	Type      string `gorm:"column:type;type:text;not null;index:idx_cases_type_due,priority:1"`
	Channel   string `gorm:"column:channel;type:text;not null;index:idx_cases_channel_due,priority:1"`
	Status    string `gorm:"column:status;type:text;not null;index:idx_cases_status_due,priority:1"`
	PolicyID  string `gorm:"column:policy_id;type:text;not null"`
	Extended  bool   `gorm:"column:extended;not null"`
	Overdue   bool   `gorm:"column:overdue;not null;index:idx_cases_overdue_due,priority:1"`

	RequesterName      string `gorm:"column:requester_name;type:text;not null"`
	RequesterEmail     string `gorm:"column:requester_email;type:text;not null"`
	RequesterPhone     string `gorm:"column:requester_phone;type:text;not null"`
	RequesterAccountID string `gorm:"column:requester_account_id;type:text;not null"`
	Language           string `gorm:"column:language;type:text;not null"`
	ActingFor          string `gorm:"column:acting_for;type:text;not null"`

	ReceivedAt time.Time  `gorm:"column:received_at;not null;index:idx_cases_received_at"`
	VerifiedAt *time.Time `gorm:"column:verified_at"`
	// Every queue filter that can be selective has an index ending in
	// (due_at, id), so the first page of a filtered queue reads only its
	// own rows in order instead of sorting a million.
	DueAt    *time.Time `gorm:"column:due_at;index:idx_cases_status_due,priority:2;index:idx_cases_tenant_due,priority:2;index:idx_cases_due_id,priority:1;index:idx_cases_type_due,priority:2;index:idx_cases_channel_due,priority:2;index:idx_cases_overdue_due,priority:2;index:idx_cases_assignee_due,priority:2"`
	ClosedAt *time.Time `gorm:"column:closed_at"`
	// PersonalDataRemovedAt is when retention removed the requester's
	// personal data from the closed case.
	PersonalDataRemovedAt *time.Time `gorm:"column:personal_data_removed_at"`
	// DueDate is the deadline as a calendar date (YYYY-MM-DD) in the
	// policy's time zone, which is what notices quote; DueAt is the instant.
	DueDate string `gorm:"column:due_date;type:text;not null"`

	Outcome      string `gorm:"column:outcome;type:text;not null"`
	DenialReason string `gorm:"column:denial_reason;type:text;not null"`
	Summary      string `gorm:"column:summary;type:text;not null"`
	Assignee     string `gorm:"column:assignee;type:text;not null;index:idx_cases_assignee_due,priority:1"`
	// OpenedBy is the ID of the API key that opened the case; a portal key
	// sees only the cases it opened.
	OpenedBy string `gorm:"column:opened_by;type:text;not null;default:'';index:idx_cases_opened_by"`
	// Tags are staff labels, comma-separated and sorted.
	Tags string `gorm:"column:tags;type:text;not null;default:''"`

	// Revision is the workflow's projection counter. SaveCase keeps the row
	// with the highest one, so a projection retried late cannot roll a case
	// back.
	Revision int64 `gorm:"column:revision;not null"`

	CreatedAt time.Time `gorm:"column:created_at;not null"`
	UpdatedAt time.Time `gorm:"column:updated_at;not null"`
}

// TableName implements gorm's tabler.
func (Case) TableName() string { return "cases" }

// TagList is Tags as a list; nil when there are none.
func (c *Case) TagList() []string {
	if c.Tags == "" {
		return nil
	}
	return strings.Split(c.Tags, ",")
}

func (c *Case) normTimes() {
	c.ReceivedAt = normTime(c.ReceivedAt)
	c.VerifiedAt = normTimePtr(c.VerifiedAt)
	c.DueAt = normTimePtr(c.DueAt)
	c.ClosedAt = normTimePtr(c.ClosedAt)
	c.PersonalDataRemovedAt = normTimePtr(c.PersonalDataRemovedAt)
	c.CreatedAt = normTime(c.CreatedAt)
	c.UpdatedAt = normTime(c.UpdatedAt)
}

// SaveCase inserts c or replaces the stored case with the same ID, but only
// if c.Revision is higher than the stored one. Projections can arrive out of
// order after activity retries; a stale one is dropped silently because the
// newer state is already stored.
//
// SaveCase rounds c's times to microseconds in UTC, as they are stored. The
// first save sets CreatedAt; later ones keep it in the database.
func (s *Store) SaveCase(ctx context.Context, c *Case) error {
	if c.ID == "" {
		return errors.New("save case: empty id")
	}
	if c.Reference == "" {
		// The unique index would let exactly one case have no reference and
		// then fail the next with a confusing conflict.
		return fmt.Errorf("save case %s: empty reference", c.ID)
	}
	c.normTimes()
	now := s.db.NowFunc()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	c.UpdatedAt = now

	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns(s.caseUpdates),
		// One statement, so the compare and the write cannot interleave with
		// another projection of the same case.
		Where: clause.Where{Exprs: []clause.Expression{
			clause.Expr{SQL: "cases.revision < excluded.revision"},
		}},
	}).Create(c).Error
	if err != nil {
		return fmt.Errorf("save case %s: %w", c.ID, err)
	}
	return nil
}

// Case returns the case with the given ID, or an error wrapping ErrNotFound.
func (s *Store) Case(ctx context.Context, id string) (*Case, error) {
	var c Case
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("get case %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get case %s: %w", id, err)
	}
	// pgx returns times in the local zone; callers should see the same
	// values whichever backend is behind the store.
	c.normTimes()
	return &c, nil
}

// lockCase reads a case within tx and keeps others from changing it until
// tx ends (on SQLite the single connection already does).
func (s *Store) lockCase(tx *gorm.DB, id string) (*Case, error) {
	read := tx.Where("id = ?", id)
	if s.backend == Postgres {
		read = read.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var c Case
	if err := read.Take(&c).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	c.normTimes()
	return &c, nil
}

// KeepBooks changes the bookkeeping (assignee, tags, notes) of a case whose
// workflow has ended. keep gets the case as stored, under a lock, sets its
// Assignee and Tags and returns the audit event that records the change;
// the change and its event land together or not at all; an error from keep
// comes back wrapped and changes nothing. The revision goes up so that no
// late projection can undo the change.
func (s *Store) KeepBooks(ctx context.Context, caseID string, keep func(c *Case) (*Event, error)) (*Case, error) {
	var c *Case
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if c, err = s.lockCase(tx, caseID); err != nil {
			return err
		}
		e, err := keep(c)
		if err != nil {
			return err
		}
		e.CaseID = caseID
		if err := e.check(); err != nil {
			return err
		}
		e.OccurredAt = normTime(e.OccurredAt)
		if _, err := s.appendIn(tx, e); err != nil {
			return err
		}
		c.Revision++
		c.UpdatedAt = s.db.NowFunc()
		return tx.Model(&Case{}).Where("id = ?", caseID).Updates(map[string]any{
			"assignee": c.Assignee, "tags": c.Tags, "revision": c.Revision, "updated_at": c.UpdatedAt}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("keep books of case %s: %w", caseID, err)
	}
	return c, nil
}
