package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CaseFilter selects cases for a queue. Empty fields do not filter.
type CaseFilter struct {
	// Tenants limits to these tenants; nil means every tenant.
	Tenants []string
	// OpenedBy limits to the cases one API key opened.
	OpenedBy                 string
	Statuses, Types          []string
	Channels                 []string
	Overdue                  *bool
	DueBefore, DueAfter      *time.Time
	ReceivedFrom, ReceivedTo *time.Time
	ClosedAfter              *time.Time
	Assignee                 string
	Reference                string
	// Limit is the page size (1-500; 0 means 50).
	Limit int
	// After continues a listing where the page before ended.
	After *CaseCursor
}

// CaseCursor is where a page ended: cases are ordered by due date, those
// without one (waiting for verification) last, then by ID.
type CaseCursor struct {
	DueAt *time.Time
	ID    string
}

func (f CaseFilter) scope(db *gorm.DB) *gorm.DB {
	if f.Tenants != nil {
		db = db.Where("tenant IN ?", f.Tenants)
	}
	if f.OpenedBy != "" {
		db = db.Where("opened_by = ?", f.OpenedBy)
	}
	return db
}

func (f CaseFilter) apply(db *gorm.DB) *gorm.DB {
	db = f.scope(db)
	in := func(col string, vals []string) {
		if len(vals) > 0 {
			db = db.Where(col+" IN ?", vals)
		}
	}
	in("status", f.Statuses)
	in("type", f.Types)
	in("channel", f.Channels)
	if f.Overdue != nil {
		db = db.Where("overdue = ?", *f.Overdue)
	}
	if f.DueBefore != nil {
		db = db.Where("due_at < ?", normTime(*f.DueBefore))
	}
	if f.DueAfter != nil {
		db = db.Where("due_at >= ?", normTime(*f.DueAfter))
	}
	if f.ReceivedFrom != nil {
		db = db.Where("received_at >= ?", normTime(*f.ReceivedFrom))
	}
	if f.ClosedAfter != nil {
		db = db.Where("closed_at >= ?", normTime(*f.ClosedAfter))
	}
	if f.ReceivedTo != nil {
		db = db.Where("received_at < ?", normTime(*f.ReceivedTo))
	}
	if f.Assignee != "" {
		db = db.Where("assignee = ?", f.Assignee)
	}
	if f.Reference != "" {
		db = db.Where("reference = ?", f.Reference)
	}
	if c := f.After; c != nil {
		if c.DueAt != nil {
			due := normTime(*c.DueAt)
			db = db.Where("(due_at > ? OR (due_at = ? AND id > ?) OR due_at IS NULL)", due, due, c.ID)
		} else {
			db = db.Where("due_at IS NULL AND id > ?", c.ID)
		}
	}
	return db
}

// ListCases returns a page of cases, soonest due first, and the cursor of
// the next page (nil after the last).
func (s *Store) ListCases(ctx context.Context, f CaseFilter) ([]Case, *CaseCursor, error) {
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 500 {
		return nil, nil, fmt.Errorf("list cases: limit %d outside 1-500", limit)
	}
	var cases []Case
	err := f.apply(s.db.WithContext(ctx).Model(&Case{})).
		Order("due_at ASC NULLS LAST").Order("id ASC").Limit(limit + 1).Find(&cases).Error
	if err != nil {
		return nil, nil, fmt.Errorf("list cases: %w", err)
	}
	for i := range cases {
		cases[i].normTimes()
	}
	var next *CaseCursor
	if len(cases) > limit {
		cases = cases[:limit]
		last := cases[limit-1]
		next = &CaseCursor{DueAt: last.DueAt, ID: last.ID}
	}
	return cases, next, nil
}

// CaseSummary is what a dashboard shows at the top of the queue.
type CaseSummary struct {
	ByStatus    map[string]int64 `json:"by_status"`
	Open        int64            `json:"open"`
	Overdue     int64            `json:"overdue"`
	DueThisWeek int64            `json:"due_this_week"`
}

// closedStatuses are the statuses of cases that are done.
var closedStatuses = []string{"completed", "denied", "withdrawn"}

// SummarizeCases counts the cases f's tenants and opener may see: per
// status, open, open and overdue, and open and due within 7 days of now.
func (s *Store) SummarizeCases(ctx context.Context, f CaseFilter, now time.Time) (CaseSummary, error) {
	sum := CaseSummary{ByStatus: map[string]int64{}}
	var rows []struct {
		Status string
		N      int64
	}
	db := s.db.WithContext(ctx)
	if err := f.scope(db.Model(&Case{})).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return sum, fmt.Errorf("summarize cases: %w", err)
	}
	for _, r := range rows {
		sum.ByStatus[r.Status] = r.N
	}
	open := func() *gorm.DB { return f.scope(db.Model(&Case{})).Where("status NOT IN ?", closedStatuses) }
	if err := open().Count(&sum.Open).Error; err != nil {
		return sum, fmt.Errorf("summarize cases: %w", err)
	}
	if err := open().Where("overdue = ?", true).Count(&sum.Overdue).Error; err != nil {
		return sum, fmt.Errorf("summarize cases: %w", err)
	}
	now = normTime(now)
	if err := open().Where("due_at >= ? AND due_at < ?", now, now.Add(7*24*time.Hour)).Count(&sum.DueThisWeek).Error; err != nil {
		return sum, fmt.Errorf("summarize cases: %w", err)
	}
	return sum, nil
}
