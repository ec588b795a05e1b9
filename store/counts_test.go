package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/store"
)

func TestCloseTimesByType(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		day := 24 * time.Hour
		for i, c := range []struct {
			typ  string
			took time.Duration // zero: still open
		}{
			{"access", 2 * day}, {"access", 10 * day}, {"access", 40 * day},
			{"deletion", 12 * time.Hour}, {"deletion", 0},
		} {
			sc := sampleCase(string(rune('a'+i)), 1)
			sc.Type = c.typ
			if c.took > 0 {
				sc.ClosedAt = ptr(sc.ReceivedAt.Add(c.took))
			}
			if err := s.SaveCase(ctx, sc); err != nil {
				t.Fatal(err)
			}
		}
		bounds := []float64{(1 * day).Seconds(), (7 * day).Seconds(), (30 * day).Seconds()}
		got, err := s.CloseTimesByType(ctx, bounds)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(a, b store.CloseTimes) int { return strings.Compare(a.Type, b.Type) })
		want := []store.CloseTimes{
			{Type: "access", AtOrUnder: []uint64{0, 1, 2}, Count: 3, Sum: (52 * day).Seconds()},
			{Type: "deletion", AtOrUnder: []uint64{1, 1, 1}, Count: 1, Sum: (12 * time.Hour).Seconds()},
		}
		if len(got) != len(want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			// SQLite counts whole seconds.
			if g.Type != w.Type || g.Count != w.Count || !slices.Equal(g.AtOrUnder, w.AtOrUnder) || g.Sum < w.Sum-1 || g.Sum > w.Sum+1 {
				t.Errorf("got %+v, want %+v", g, w)
			}
		}
	})
}
