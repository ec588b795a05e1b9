package store_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// stepClock makes the store's clock read at, as if the host's clock (or
// another writer's) said so. It goes through the handle the store hands
// out, so that the same test runs against any version of the store.
func stepClock(s *store.Store, at time.Time) {
	s.DB().Config.NowFunc = func() time.Time { return at.UTC().Truncate(time.Microsecond) }
}

// The workflow stamps events when the work happened and hands them over in
// batches, so occurred_at may run backwards along the trail (a link issued
// before the notice that precedes it in the trail). recorded_at, given with
// the seq, must not, even when the clock steps back between two appends.
func TestRecordedAtFollowsSeq(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		base := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		batch := []struct {
			key, kind string
			occurred  time.Time
			clock     time.Time
		}{
			{"case:opened", "case.opened", base, base.Add(time.Minute)},
			// Sent at 10:05, projected in the same batch as the link below.
			{"notice:sent:1", "notice.sent", base.Add(5 * time.Minute), base.Add(6 * time.Minute)},
			// Issued at 10:03, before the notice, but numbered after it;
			// and the clock stepped back an hour in between.
			{"export:link:1", "export.link_issued", base.Add(3 * time.Minute), base.Add(6*time.Minute - time.Hour)},
			{"case:completed", "case.completed", base.Add(4 * time.Minute), base.Add(7 * time.Minute)},
		}
		for _, b := range batch {
			stepClock(s, b.clock)
			e := &store.Event{CaseID: "c1", Key: b.key, Kind: b.kind, Actor: "system", Detail: "{}", OccurredAt: b.occurred}
			if _, err := s.AppendEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}

		trail, err := s.Events(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if len(trail) != len(batch) {
			t.Fatalf("trail has %d events, want %d", len(trail), len(batch))
		}
		for i, e := range trail {
			if e.Seq != int64(i+1) || e.Key != batch[i].key {
				t.Fatalf("trail[%d] = seq %d %s, want seq %d %s", i, e.Seq, e.Key, i+1, batch[i].key)
			}
			// occurred_at is kept as the workflow gave it, backwards or not.
			if !e.OccurredAt.Equal(batch[i].occurred) {
				t.Errorf("seq %d: occurred_at %s, want %s", e.Seq, e.OccurredAt, batch[i].occurred)
			}
			if i > 0 && e.RecordedAt.Before(trail[i-1].RecordedAt) {
				t.Errorf("seq %d recorded at %s, before seq %d at %s", e.Seq, e.RecordedAt, e.Seq-1, trail[i-1].RecordedAt)
			}
		}
		// The step back is absorbed, not passed on: seq 3 takes seq 2's
		// time, and seq 4 the clock's again.
		if want := batch[1].clock; !trail[2].RecordedAt.Equal(want) {
			t.Errorf("seq 3 recorded at %s, want %s (that of seq 2)", trail[2].RecordedAt, want)
		}
		if want := batch[3].clock; !trail[3].RecordedAt.Equal(want) {
			t.Errorf("seq 4 recorded at %s, want the clock's %s", trail[3].RecordedAt, want)
		}
		if err := s.VerifyChain(ctx, "c1"); err != nil {
			t.Errorf("VerifyChain: %v", err)
		}
	})
}

// The chain covers recorded_at: moving an event's recording time (to make
// the trail read in another order, say) breaks it at that event.
func TestChainCoversRecordedAt(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		for _, id := range []string{"moved", "swapped", "downgraded", "unknown"} {
			appendN(t, s, id, 3)
		}
		// Claiming the legacy rule, which leaves recorded_at out, does not
		// free an event's recording time: its hash was made by the new one.
		setVersion := func(caseID string, v int) {
			t.Helper()
			err := s.DB().WithContext(ctx).Model(&store.Event{}).Where("case_id = ? AND seq = ?", caseID, 2).
				Update("hash_version", v).Error
			if err != nil {
				t.Fatal(err)
			}
		}
		setVersion("downgraded", store.HashLegacy)
		assertBroken(t, s, "downgraded", 2, "contents do not match hash")
		setVersion("unknown", 7)
		assertBroken(t, s, "unknown", 2, "unknown hash version 7")
		var ev store.Event
		if err := s.DB().WithContext(ctx).Where("case_id = ? AND seq = ?", "moved", 2).Take(&ev).Error; err != nil {
			t.Fatal(err)
		}
		err := s.DB().WithContext(ctx).Model(&store.Event{}).Where("id = ?", ev.ID).
			Update("recorded_at", ev.RecordedAt.Add(-24*time.Hour)).Error
		if err != nil {
			t.Fatal(err)
		}
		assertBroken(t, s, "moved", 2, "contents do not match hash")

		// A forger who rehashes a v3 event to put it before its
		// predecessor still leaves the times out of order.
		ev = store.Event{}
		if err := s.DB().WithContext(ctx).Where("case_id = ? AND seq = ?", "swapped", 3).Take(&ev).Error; err != nil {
			t.Fatal(err)
		}
		ev.RecordedAt = ev.RecordedAt.Add(-24 * time.Hour)
		err = s.DB().WithContext(ctx).Model(&store.Event{}).Where("id = ?", ev.ID).
			Updates(map[string]any{"recorded_at": ev.RecordedAt, "hash": store.EventHash(&ev)}).Error
		if err != nil {
			t.Fatal(err)
		}
		assertBroken(t, s, "swapped", 3, "recorded_at earlier")
	})
}

func assertBroken(t *testing.T, s *store.Store, caseID string, seq int64, reason string) {
	t.Helper()
	err := s.VerifyChain(t.Context(), caseID)
	var ce *store.ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("VerifyChain(%s) = %v, want a ChainError", caseID, err)
	}
	if ce.Seq != seq || !strings.Contains(ce.Reason, reason) {
		t.Errorf("VerifyChain(%s) = %v, want seq %d: %s", caseID, ce, seq, reason)
	}
}

// A database created before hash versions migrates in place: its trails
// verify by the rule they were written under, new events chain onto them
// under the new one, and tampering with an old event still shows.
func TestLegacyTrailVerifiesAfterUpgrade(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		db := s.DB().WithContext(ctx)
		hashes := storetest.LegacyAuditTrail(t, s)

		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if !db.Migrator().HasColumn("audit_events", "hash_version") {
			t.Fatal("Migrate did not add hash_version")
		}
		if err := s.VerifyChain(ctx, "legacy"); err != nil {
			t.Fatalf("legacy trail after upgrade: %v", err)
		}

		e := &store.Event{CaseID: "legacy", Key: "case:completed", Kind: "case.completed", Actor: "system", Detail: "{}"}
		if _, err := s.AppendEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.Seq != 5 || e.PrevHash != hashes[3] || e.HashVersion != store.HashV3 {
			t.Errorf("appended seq %d, prev %s, version %d; want seq 5 after %s, version %d",
				e.Seq, e.PrevHash, e.HashVersion, hashes[3], store.HashV3)
		}
		trail, err := s.Events(ctx, "legacy")
		if err != nil {
			t.Fatal(err)
		}
		for i, ev := range trail[:4] {
			if ev.HashVersion != store.HashLegacy || ev.Hash != hashes[i] {
				t.Errorf("seq %d: version %d hash %s after upgrade, want %d %s", ev.Seq, ev.HashVersion, ev.Hash, store.HashLegacy, hashes[i])
			}
		}
		if broken, err := s.VerifyAll(ctx); err != nil || len(broken) != 0 {
			t.Fatalf("VerifyAll after upgrade and append = %v, %v", broken, err)
		}

		if err := db.Model(&store.Event{}).Where("case_id = ? AND seq = ?", "legacy", 3).
			Update("detail", `{"kind":"extension"}`).Error; err != nil {
			t.Fatal(err)
		}
		assertBroken(t, s, "legacy", 3, "detail does not match")
	})
}

// EventByKey gives the event as Events does: times in UTC, as hashed.
func TestEventByKeyMatchesTrail(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		appended := appendN(t, s, "c1", 2)
		got, err := s.EventByKey(t.Context(), "c1", appended[1].Key)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, appended[1]) {
			t.Errorf("EventByKey =\n%+v\nwant\n%+v", *got, appended[1])
		}
		if got.Hash != store.EventHash(got) {
			t.Errorf("EventByKey's event does not match its hash")
		}
	})
}
