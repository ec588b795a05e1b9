package store

import (
	"context"
	"fmt"
	"strings"
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

// CloseTimes is how long closed cases of one type took, from receipt to
// closure: the number at or under each bound (cumulative, as a Prometheus
// histogram counts them), the count and the sum, in seconds.
type CloseTimes struct {
	Type      string
	AtOrUnder []uint64
	Count     uint64
	Sum       float64
}

// CloseTimesByType measures closed cases against bounds (seconds,
// ascending) in one query, so a scrape costs one scan however many cases
// there are.
func (s *Store) CloseTimesByType(ctx context.Context, bounds []float64) ([]CloseTimes, error) {
	took := "EXTRACT(EPOCH FROM (closed_at - received_at))"
	if s.backend == SQLite {
		// Whole seconds: julianday's floating day fractions would put
		// rounding noise into the sum.
		took = "(CAST(strftime('%s', closed_at) AS INTEGER) - CAST(strftime('%s', received_at) AS INTEGER))"
	}
	cols := []string{"type", "COUNT(*) AS n", "COALESCE(SUM(" + took + "), 0) AS total"}
	for i, b := range bounds {
		cols = append(cols, fmt.Sprintf("SUM(CASE WHEN %s <= %g THEN 1 ELSE 0 END) AS b%d", took, b, i))
	}
	rows, err := s.db.WithContext(ctx).Model(&Case{}).Select(strings.Join(cols, ", ")).
		Where("closed_at IS NOT NULL").Group("type").Rows()
	if err != nil {
		return nil, fmt.Errorf("measure close times: %w", err)
	}
	defer rows.Close()
	var out []CloseTimes
	for rows.Next() {
		ct := CloseTimes{AtOrUnder: make([]uint64, len(bounds))}
		dest := []any{&ct.Type, &ct.Count, &ct.Sum}
		for i := range ct.AtOrUnder {
			dest = append(dest, &ct.AtOrUnder[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("measure close times: %w", err)
		}
		out = append(out, ct)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("measure close times: %w", err)
	}
	return out, nil
}
