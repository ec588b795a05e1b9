package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// seedQueue stores 30 cases: every fifth without a due date, tenants
// alternating shop/bank, statuses cycling, due dates out of ID order.
func seedQueue(t *testing.T, s *store.Store) []*store.Case {
	t.Helper()
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	statuses := []string{"in_progress", "pending_verification", "completed", "awaiting_requester"}
	var cases []*store.Case
	for i := range 30 {
		c := sampleCase(fmt.Sprintf("c%02d", i), 1)
		c.Tenant = []string{"shop", "bank"}[i%2]
		c.Status = statuses[i%len(statuses)]
		c.DueAt = ptr(base.Add(time.Duration((i*7)%30) * 24 * time.Hour))
		if i%5 == 0 {
			c.DueAt = nil
		}
		c.Overdue = i%6 == 1
		c.OpenedBy = []string{"k1", "k2", "k3"}[i%3]
		if c.Status == "completed" {
			c.ClosedAt = ptr(base.Add(time.Duration(i) * 24 * time.Hour))
		}
		if err := s.SaveCase(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	return cases
}

func TestListCasesPagesInDueOrder(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, backend)
			seedQueue(t, s)
			var got []store.Case
			f := store.CaseFilter{Limit: 7}
			for page := 0; ; page++ {
				cs, next, err := s.ListCases(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, cs...)
				if next == nil {
					break
				}
				if page > 10 {
					t.Fatal("pagination does not end")
				}
				f.After = next
			}
			if len(got) != 30 {
				t.Fatalf("%d cases over all pages, want 30", len(got))
			}
			sorted := slices.IsSortedFunc(got, func(a, b store.Case) int {
				switch {
				case a.DueAt == nil && b.DueAt == nil:
					return compare(a.ID, b.ID)
				case a.DueAt == nil:
					return 1
				case b.DueAt == nil:
					return -1
				case !a.DueAt.Equal(*b.DueAt):
					return a.DueAt.Compare(*b.DueAt)
				}
				return compare(a.ID, b.ID)
			})
			if !sorted {
				var order []string
				for _, c := range got {
					order = append(order, c.ID)
				}
				t.Errorf("not in due order: %v", order)
			}
		})
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestListCasesFilters(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, backend)
			all := seedQueue(t, s)
			yes := true
			due := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
			for _, tt := range []struct {
				name string
				f    store.CaseFilter
				keep func(*store.Case) bool
			}{
				{"tenant", store.CaseFilter{Tenants: []string{"shop"}}, func(c *store.Case) bool { return c.Tenant == "shop" }},
				{"no tenants", store.CaseFilter{Tenants: []string{}}, func(*store.Case) bool { return false }},
				{"opener", store.CaseFilter{OpenedBy: "k2"}, func(c *store.Case) bool { return c.OpenedBy == "k2" }},
				{"status", store.CaseFilter{Statuses: []string{"completed", "awaiting_requester"}},
					func(c *store.Case) bool { return c.Status == "completed" || c.Status == "awaiting_requester" }},
				{"overdue", store.CaseFilter{Overdue: &yes}, func(c *store.Case) bool { return c.Overdue }},
				{"due before", store.CaseFilter{DueBefore: &due}, func(c *store.Case) bool { return c.DueAt != nil && c.DueAt.Before(due) }},
				{"due after", store.CaseFilter{DueAfter: &due}, func(c *store.Case) bool { return c.DueAt != nil && !c.DueAt.Before(due) }},
				{"closed after", store.CaseFilter{ClosedAfter: &due}, func(c *store.Case) bool { return c.ClosedAt != nil && !c.ClosedAt.Before(due) }},
				{"reference", store.CaseFilter{Reference: "DSR-c07"}, func(c *store.Case) bool { return c.ID == "c07" }},
				{"tenant and status", store.CaseFilter{Tenants: []string{"bank"}, Statuses: []string{"pending_verification"}},
					func(c *store.Case) bool { return c.Tenant == "bank" && c.Status == "pending_verification" }},
			} {
				cs, _, err := s.ListCases(ctx, store.CaseFilter{Limit: 500, Tenants: tt.f.Tenants, OpenedBy: tt.f.OpenedBy,
					Statuses: tt.f.Statuses, Overdue: tt.f.Overdue, DueBefore: tt.f.DueBefore, DueAfter: tt.f.DueAfter, ClosedAfter: tt.f.ClosedAfter, Reference: tt.f.Reference})
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				for _, c := range all {
					if tt.keep(c) {
						want = append(want, c.ID)
					}
				}
				var gotIDs []string
				for _, c := range cs {
					gotIDs = append(gotIDs, c.ID)
				}
				slices.Sort(want)
				slices.Sort(gotIDs)
				if !slices.Equal(gotIDs, want) {
					t.Errorf("%s: got %v, want %v", tt.name, gotIDs, want)
				}
			}
			if _, _, err := s.ListCases(ctx, store.CaseFilter{Limit: 501}); err == nil {
				t.Error("limit 501 accepted")
			}
		})
	}
}

func TestSummarizeCases(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, backend)
			all := seedQueue(t, s)
			now := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
			sum, err := s.SummarizeCases(ctx, store.CaseFilter{Tenants: []string{"shop"}}, now)
			if err != nil {
				t.Fatal(err)
			}
			want := store.CaseSummary{ByStatus: map[string]int64{}}
			for _, c := range all {
				if c.Tenant != "shop" {
					continue
				}
				want.ByStatus[c.Status]++
				if c.Status == "completed" {
					continue
				}
				want.Open++
				if c.Overdue {
					want.Overdue++
				}
				if c.DueAt != nil && !c.DueAt.Before(now) && c.DueAt.Before(now.Add(7*24*time.Hour)) {
					want.DueThisWeek++
				}
			}
			if fmt.Sprint(sum) != fmt.Sprint(want) {
				t.Errorf("summary %+v, want %+v", sum, want)
			}
		})
	}
}
