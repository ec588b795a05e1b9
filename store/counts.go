package store

import (
	"context"
	"fmt"
)

// CaseCount is how many cases share a type, status, outcome and overdue
// flag.
type CaseCount struct {
	Type, Status, Outcome string
	Overdue               bool
	N                     int64
}

// CountCases groups every case by type, status, outcome and overdue flag.
func (s *Store) CountCases(ctx context.Context) ([]CaseCount, error) {
	var out []CaseCount
	err := s.db.WithContext(ctx).Model(&Case{}).
		Select("type, status, outcome, overdue, COUNT(*) AS n").
		Group("type, status, outcome, overdue").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("count cases: %w", err)
	}
	return out, nil
}

// CountEvents counts audit events of the given kinds.
func (s *Store) CountEvents(ctx context.Context, kinds []string) (map[string]int64, error) {
	var rows []struct {
		Kind string
		N    int64
	}
	err := s.db.WithContext(ctx).Model(&Event{}).Select("kind, COUNT(*) AS n").
		Where("kind IN ?", kinds).Group("kind").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count events: %w", err)
	}
	out := make(map[string]int64, len(kinds))
	for _, r := range rows {
		out[r.Kind] = r.N
	}
	return out, nil
}
