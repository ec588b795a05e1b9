package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"gorm.io/gorm"
)

// eachBackend runs fn in a parallel subtest per backend, each with a fresh
// store.
func eachBackend(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, backend)
			if s.Backend() != backend {
				t.Fatalf("Backend() = %q, want %q", s.Backend(), backend)
			}
			fn(t, s)
		})
	}
}

var cst = time.FixedZone("CST", 8*3600)

func ptr[T any](v T) *T { return &v }

func sampleCase(id string, revision int64) *store.Case {
	// Nanoseconds and a non-UTC zone on purpose: the store must round and
	// normalise them the same way on both backends.
	received := time.Date(2025, 3, 1, 9, 30, 0, 123456789, cst)
	return &store.Case{
		ID:                 id,
		Reference:          "DSR-" + id,
		Tenant:             "acme",
		Type:               string(request.Access),
		Channel:            string(request.ChannelPortal),
		Status:             string(request.Received),
		PolicyID:           "pipl-2025",
		RequesterName:      "Li Lei",
		RequesterEmail:     "li.lei@example.com",
		RequesterPhone:     "+86 138 0000 0000",
		RequesterAccountID: "acct-1",
		Language:           string(request.Chinese),
		ActingFor:          string(request.Self),
		ReceivedAt:         received,
		VerifiedAt:         ptr(received.Add(time.Hour)),
		DueAt:              ptr(received.Add(15 * 24 * time.Hour)),
		DueDate:            "2025-03-16",
		Summary:            "wants a copy",
		Revision:           revision,
	}
}

func TestMigrateTwice(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		for range 2 {
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		m := s.DB().Migrator()
		for _, idx := range []struct {
			model any
			name  string
		}{
			{&store.Case{}, "idx_cases_reference"},
			{&store.Case{}, "idx_cases_status_due"},
			{&store.Case{}, "idx_cases_tenant_due"},
			{&store.Case{}, "idx_cases_received_at"},
			{&store.Case{}, "idx_cases_type_due"},
			{&store.Case{}, "idx_cases_channel_due"},
			{&store.Case{}, "idx_cases_overdue_due"},
			{&store.Case{}, "idx_cases_assignee_due"},
			{&store.Event{}, "idx_audit_events_case_seq"},
			{&store.Event{}, "idx_audit_events_case_key"},
		} {
			if !m.HasIndex(idx.model, idx.name) {
				t.Errorf("index %s missing", idx.name)
			}
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSaveAndGetCase(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		c := sampleCase("c1", 1)
		if err := s.SaveCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		if c.ReceivedAt.Location() != time.UTC || c.ReceivedAt.Nanosecond()%1000 != 0 {
			t.Errorf("ReceivedAt not normalised: %v", c.ReceivedAt)
		}
		got, err := s.Case(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("Case() =\n%+v\nwant\n%+v", got, c)
		}
		if got.ClosedAt != nil {
			t.Errorf("ClosedAt = %v, want nil", got.ClosedAt)
		}
	})
}

func TestCaseNotFound(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		_, err := s.Case(t.Context(), "nope")
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestSaveCaseRevisions(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		first := sampleCase("c1", 2)
		first.Status = string(request.InProgress)
		if err := s.SaveCase(ctx, first); err != nil {
			t.Fatal(err)
		}
		created := first.CreatedAt

		status := func() (string, int64) {
			t.Helper()
			c, err := s.Case(ctx, "c1")
			if err != nil {
				t.Fatal(err)
			}
			if !c.CreatedAt.Equal(created) {
				t.Errorf("CreatedAt changed from %v to %v", created, c.CreatedAt)
			}
			return c.Status, c.Revision
		}

		// Older and equal revisions arrive after a retry: ignored, no error.
		for _, rev := range []int64{1, 2} {
			stale := sampleCase("c1", rev)
			stale.Status = string(request.Received)
			if err := s.SaveCase(ctx, stale); err != nil {
				t.Fatalf("stale revision %d: %v", rev, err)
			}
			if st, r := status(); st != string(request.InProgress) || r != 2 {
				t.Fatalf("after stale revision %d: status %s rev %d, want in_progress rev 2", rev, st, r)
			}
		}

		newer := sampleCase("c1", 3)
		newer.Status = string(request.Completed)
		newer.ClosedAt = ptr(time.Now())
		newer.Outcome = "fulfilled"
		if err := s.SaveCase(ctx, newer); err != nil {
			t.Fatal(err)
		}
		if st, r := status(); st != string(request.Completed) || r != 3 {
			t.Fatalf("after newer revision: status %s rev %d, want completed rev 3", st, r)
		}
		got, err := s.Case(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Outcome != "fulfilled" || got.ClosedAt == nil || !got.ClosedAt.Equal(*newer.ClosedAt) {
			t.Errorf("newer revision not fully applied: outcome %q closed %v", got.Outcome, got.ClosedAt)
		}
	})
}

func TestSaveCaseRejectsDuplicateReference(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		if err := s.SaveCase(ctx, sampleCase("c1", 1)); err != nil {
			t.Fatal(err)
		}
		other := sampleCase("c2", 1)
		other.Reference = "DSR-c1"
		err := s.SaveCase(ctx, other)
		if err == nil {
			t.Fatal("second case with the same reference saved")
		}
		// AppendEvent's retry depends on recognising this on each backend.
		if !store.IsUniqueViolation(err) {
			t.Errorf("unique violation not recognised: %v", err)
		}
		if err := s.SaveCase(ctx, &store.Case{ID: "c3", Revision: 1}); err == nil {
			t.Fatal("case without reference saved")
		}
	})
}

func appendN(t *testing.T, s *store.Store, caseID string, n int) []store.Event {
	t.Helper()
	var out []store.Event
	for i := 1; i <= n; i++ {
		e := &store.Event{
			CaseID:     caseID,
			Key:        fmt.Sprintf("step:%d", i),
			Kind:       "case.note",
			Actor:      "system",
			Detail:     fmt.Sprintf(`{"i":%d}`, i),
			OccurredAt: time.Date(2025, 3, 1, 10, 0, i, 987654321, cst),
		}
		ok, err := s.AppendEvent(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Fatalf("event %d not appended", i)
		}
		out = append(out, *e)
	}
	return out
}

func TestAppendEventsChain(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		// No case row: the audit trail may run ahead of the projection.
		appended := appendN(t, s, "c1", 5)
		prev := ""
		for i, e := range appended {
			if e.Seq != int64(i+1) {
				t.Errorf("event %d: seq %d", i, e.Seq)
			}
			if e.PrevHash != prev {
				t.Errorf("seq %d: prev_hash %q, want %q", e.Seq, e.PrevHash, prev)
			}
			if e.Hash != store.EventHash(&e) || len(e.Hash) != 64 {
				t.Errorf("seq %d: hash %q does not match contents", e.Seq, e.Hash)
			}
			if e.ID == 0 || e.RecordedAt.IsZero() {
				t.Errorf("seq %d: ID or RecordedAt not set", e.Seq)
			}
			prev = e.Hash
		}

		got, err := s.Events(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, appended) {
			t.Errorf("Events() =\n%+v\nwant\n%+v", got, appended)
		}
		if err := s.VerifyChain(ctx, "c1"); err != nil {
			t.Errorf("intact chain: %v", err)
		}
		if other, err := s.Events(ctx, "c2"); err != nil || len(other) != 0 {
			t.Errorf("Events(other case) = %v, %v", other, err)
		}
	})
}

func TestAppendEventIdempotent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		orig := &store.Event{CaseID: "c1", Key: "notice:extension:1", Kind: "notice.sent", Actor: "system", Detail: `{"n":1}`}
		if ok, err := s.AppendEvent(ctx, orig); err != nil || !ok {
			t.Fatalf("first append: %v, %v", ok, err)
		}
		again := &store.Event{CaseID: "c1", Key: "notice:extension:1", Kind: "notice.sent", Actor: "system", Detail: `{"n":2}`}
		ok, err := s.AppendEvent(ctx, again)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			t.Fatal("second append with the same key reported appended")
		}
		if !reflect.DeepEqual(again, orig) {
			t.Errorf("duplicate append filled\n%+v\nwant\n%+v", again, orig)
		}
		events, err := s.Events(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 {
			t.Fatalf("%d events stored, want 1", len(events))
		}

		// The same key on another case is a different event.
		other := &store.Event{CaseID: "c2", Key: "notice:extension:1", Kind: "notice.sent", Actor: "system"}
		if ok, err := s.AppendEvent(ctx, other); err != nil || !ok || other.Seq != 1 {
			t.Fatalf("same key, other case: %v, %v, seq %d", ok, err, other.Seq)
		}
	})
}

func TestAppendEventValidates(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		for _, e := range []store.Event{
			{Key: "k", Kind: "k", Actor: "system"},
			{CaseID: "c1", Kind: "k", Actor: "system"},
			{CaseID: "c1", Key: "k", Kind: "k", Actor: "system", Detail: "{not json"},
		} {
			if _, err := s.AppendEvent(t.Context(), &e); err == nil {
				t.Errorf("%+v accepted", e)
			}
		}
	})
}

func TestConcurrentAppends(t *testing.T) {
	const writers, each = 20, 10
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				for i := range each {
					e := &store.Event{CaseID: "c1", Key: fmt.Sprintf("w%d:%d", w, i), Kind: "case.note", Actor: "system"}
					if _, err := s.AppendEvent(ctx, e); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}

		events, err := s.Events(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != writers*each {
			t.Fatalf("%d events, want %d", len(events), writers*each)
		}
		for i, e := range events {
			if e.Seq != int64(i+1) {
				t.Fatalf("position %d has seq %d", i, e.Seq)
			}
		}
		if err := s.VerifyChain(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConcurrentSameKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			appended int
			seqs     = map[int64]bool{}
		)
		for range 10 {
			wg.Go(func() {
				e := &store.Event{CaseID: "c1", Key: "case:opened", Kind: "case.opened", Actor: "system"}
				ok, err := s.AppendEvent(ctx, e)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					appended++
				}
				seqs[e.Seq] = true
			})
		}
		wg.Wait()
		if appended != 1 || len(seqs) != 1 || !seqs[1] {
			t.Fatalf("appended %d times, seqs %v; want once, seq 1", appended, seqs)
		}
	})
}

func TestVerifyChainDetectsTampering(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		events := func() *gorm.DB { return s.DB().WithContext(ctx).Model(&store.Event{}) }
		for _, id := range []string{"intact", "edited", "rehashed", "deleted", "swapped"} {
			appendN(t, s, id, 5)
		}

		if err := events().Where("case_id = ? AND seq = ?", "edited", 3).Update("detail", `{"i":33}`).Error; err != nil {
			t.Fatal(err)
		}
		// A forger who also fixes the edited event's own hash is caught by
		// the next event's link.
		var ev store.Event
		if err := s.DB().Where("case_id = ? AND seq = ?", "rehashed", 2).Take(&ev).Error; err != nil {
			t.Fatal(err)
		}
		ev.Detail = `{"i":22}`
		sum := sha256.Sum256([]byte(ev.Detail))
		ev.DetailHash = hex.EncodeToString(sum[:])
		if err := events().Where("id = ?", ev.ID).Updates(map[string]any{"detail": ev.Detail, "detail_hash": ev.DetailHash,
			"hash": store.EventHash(&ev)}).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.DB().WithContext(ctx).Where("case_id = ? AND seq = ?", "deleted", 3).Delete(&store.Event{}).Error; err != nil {
			t.Fatal(err)
		}
		for _, step := range [][2]int64{{2, -1}, {3, 2}, {-1, 3}} {
			if err := events().Where("case_id = ? AND seq = ?", "swapped", step[0]).Update("seq", step[1]).Error; err != nil {
				t.Fatal(err)
			}
		}

		want := map[string]struct {
			seq    int64
			reason string
		}{
			"edited":   {3, "detail"},
			"rehashed": {3, "prev_hash"},
			"deleted":  {3, "missing"},
			"swapped":  {2, "contents"},
		}
		if err := s.VerifyChain(ctx, "intact"); err != nil {
			t.Errorf("intact: %v", err)
		}
		if err := s.VerifyChain(ctx, "no-events"); err != nil {
			t.Errorf("empty trail: %v", err)
		}
		for id, w := range want {
			err := s.VerifyChain(ctx, id)
			var ce *store.ChainError
			if !errors.As(err, &ce) {
				t.Errorf("%s: err = %v, want *ChainError", id, err)
				continue
			}
			if ce.CaseID != id || ce.Seq != w.seq || !strings.Contains(ce.Reason, w.reason) {
				t.Errorf("%s: got %+v, want seq %d and reason mentioning %q", id, ce, w.seq, w.reason)
			}
		}

		// Small pages so that VerifyAll has to cross page and case
		// boundaries.
		s.SetScanPage(3)
		broken, err := s.VerifyAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, ce := range broken {
			if _, dup := got[ce.CaseID]; dup {
				t.Errorf("case %s reported twice", ce.CaseID)
			}
			got[ce.CaseID] = ce.Seq
		}
		if len(got) != len(want) {
			t.Errorf("VerifyAll reported %v, want %d broken cases", broken, len(want))
		}
		for id, w := range want {
			if got[id] != w.seq {
				t.Errorf("VerifyAll: case %s at seq %d, want %d", id, got[id], w.seq)
			}
		}
		if err := s.VerifyChain(ctx, "intact"); err != nil {
			t.Errorf("intact with small pages: %v", err)
		}
	})
}

func TestOpenRejectsWithoutLeakingPassword(t *testing.T) {
	for _, u := range []string{
		"mysql://admin:s3cret@db:3306/dsr",
		"postgres://admin:s3cret@db:notaport/dsr",
		"postgres://admin:s3cret%zz@db/dsr",
		"host=db user=admin password=s3cret",
		"admin:s3cret@db",
		"",
		"sqlite://",
	} {
		_, err := store.Open(t.Context(), u)
		if err == nil {
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q) error leaks the password: %v", u, err)
		}
	}
	_, err := store.Open(t.Context(), "mysql://admin:s3cret@db:3306/dsr")
	if err == nil || !strings.Contains(err.Error(), `"mysql"`) {
		t.Errorf("error %v does not name the scheme", err)
	}
}

func TestOpenSQLiteURLForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, u := range []string{
		"sqlite://" + filepath.Join(dir, "nested", "abs.db"), // sqlite:///abs/...
		"sqlite://relative.db",
		"file:" + filepath.Join(dir, "uri.db") + "?cache=private",
		"SQLite://relative2.db",
	} {
		t.Run(u, func(t *testing.T) {
			ctx := t.Context()
			s, err := store.Open(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Backend() != store.SQLite {
				t.Errorf("Backend() = %q", s.Backend())
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			var mode string
			var fk, busy int
			db := s.DB().WithContext(ctx)
			if err := db.Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Raw("PRAGMA foreign_keys").Scan(&fk).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Raw("PRAGMA busy_timeout").Scan(&busy).Error; err != nil {
				t.Fatal(err)
			}
			if mode != "wal" || fk != 1 || busy < 1000 {
				t.Errorf("journal_mode %s, foreign_keys %d, busy_timeout %d", mode, fk, busy)
			}
		})
	}
	for _, name := range []string{"nested/abs.db", "relative.db", "uri.db", "relative2.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

// Two stores on one SQLite file stand for the worker and the API server in
// separate processes; their writes must wait for each other, not fail.
func TestSQLiteTwoWriters(t *testing.T) {
	ctx := t.Context()
	u := "sqlite://" + filepath.Join(t.TempDir(), "shared.db")
	a, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	var wg sync.WaitGroup
	for w, s := range []*store.Store{a, b, a, b} {
		wg.Go(func() {
			for i := range 25 {
				e := &store.Event{CaseID: "c1", Key: fmt.Sprintf("w%d:%d", w, i), Kind: "case.note", Actor: "system"}
				if _, err := s.AppendEvent(ctx, e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := a.VerifyChain(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	events, err := b.Events(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 100 {
		t.Fatalf("%d events, want 100", len(events))
	}
}

func TestKeepBooks(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		c := sampleCase("closed", 7)
		c.Status = string(request.Completed)
		if err := s.SaveCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		tag := func(name string) func(*store.Case) (*store.Event, error) {
			return func(c *store.Case) (*store.Event, error) {
				c.Tags = strings.Trim(c.Tags+","+name, ",")
				return &store.Event{Key: "case.tagged:" + name, Kind: "case.tagged", Actor: "dpo", Detail: `{}`}, nil
			}
		}
		// Concurrent changes each see the other's: none is lost.
		var wg sync.WaitGroup
		for _, name := range []string{"a", "b", "c", "d"} {
			wg.Go(func() {
				if _, err := s.KeepBooks(ctx, "closed", tag(name)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := s.Case(ctx, "closed")
		if err != nil {
			t.Fatal(err)
		}
		if tags := got.TagList(); len(tags) != 4 || got.Revision != 11 {
			t.Errorf("tags %v revision %d, want 4 tags and revision 11", tags, got.Revision)
		}
		// A late projection of the workflow cannot undo them.
		if err := s.SaveCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.Case(ctx, "closed"); again.Tags != got.Tags {
			t.Errorf("a stale projection overwrote the tags: %q", again.Tags)
		}
		// A refusal changes nothing and records nothing.
		refusal := errors.New("refused")
		if _, err := s.KeepBooks(ctx, "closed", func(c *store.Case) (*store.Event, error) {
			c.Assignee = "wang"
			return nil, refusal
		}); !errors.Is(err, refusal) {
			t.Errorf("err = %v, want the refusal", err)
		}
		if _, err := s.KeepBooks(ctx, "nope", tag("x")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown case: err = %v", err)
		}
		events, err := s.Events(ctx, "closed")
		if err != nil {
			t.Fatal(err)
		}
		if after, _ := s.Case(ctx, "closed"); len(events) != 4 || after.Assignee != "" {
			t.Errorf("%d events, assignee %q; want the 4 tag events only", len(events), after.Assignee)
		}
		if err := s.VerifyChain(ctx, "closed"); err != nil {
			t.Error(err)
		}
	})
}

func TestCaseMessages(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		if err := s.RememberMessage(ctx, "<n1@dpo.example>", "case-1", store.Outbound); err != nil {
			t.Fatal(err)
		}
		// The first case keeps a Message-ID.
		if err := s.RememberMessage(ctx, "<n1@dpo.example>", "case-2", store.Inbound); err != nil {
			t.Fatal(err)
		}
		m, err := s.MessageCase(ctx, "<unknown@x>", "<n1@dpo.example>")
		if err != nil || m.CaseID != "case-1" || m.Direction != store.Outbound {
			t.Fatalf("MessageCase = %+v, %v", m, err)
		}
		if _, err := s.MessageCase(ctx, "<unknown@x>"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown message: %v", err)
		}
		c := sampleCase("by-ref", 1)
		if err := s.SaveCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		if got, err := s.CaseByReference(ctx, c.Reference); err != nil || got.ID != "by-ref" {
			t.Errorf("CaseByReference = %v, %v", got, err)
		}
		if _, err := s.CaseByReference(ctx, "DSR-NONE"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown reference: %v", err)
		}
	})
}

// Retention removes personal data from audit details and the chain still
// verifies; a detail changed under the name of redaction does not.
func TestRedactionKeepsTheChain(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *store.Store) {
		ctx := t.Context()
		closed := time.Date(2022, 1, 2, 3, 4, 5, 0, time.UTC)
		if err := s.SaveCase(ctx, &store.Case{ID: "old", Reference: "DSR-OLD", Tenant: "shop", Type: "access", Channel: "api",
			Status: "completed", PolicyID: "gdpr", ReceivedAt: closed.Add(-time.Hour), ClosedAt: &closed,
			RequesterEmail: "li.lei@example.test"}); err != nil {
			t.Fatal(err)
		}
		for _, e := range []store.Event{
			{Key: "opened", Kind: "case.opened", Detail: `{"type":"access"}`},
			{Key: "note", Kind: "case.noted", Detail: `{"note":"Li Lei called from +86 138 0000 0000"}`},
			{Key: "done", Kind: "case.completed", Detail: `{"summary":"sent to li.lei@example.test"}`},
		} {
			e.CaseID, e.Actor = "old", "staff"
			if _, err := s.AppendEvent(ctx, &e); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RemovePersonalData(ctx, "old", `{"closed_before":"2023-01-01"}`); err != nil {
			t.Fatal(err)
		}
		evs, err := s.Events(ctx, "old")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			redacted := e.Kind == "case.noted" || e.Kind == "case.completed"
			if redacted != (e.Detail == store.RedactedDetail) || redacted != (e.RedactedAt != nil) {
				t.Errorf("%s: detail %s, redacted at %v", e.Kind, e.Detail, e.RedactedAt)
			}
			if strings.Contains(e.Detail, "li.lei") || strings.Contains(e.Detail, "138") {
				t.Errorf("%s still holds personal data: %s", e.Kind, e.Detail)
			}
		}
		if err := s.VerifyChain(ctx, "old"); err != nil {
			t.Fatalf("the chain broke with redaction: %v", err)
		}
		if err := s.DB().Model(&store.Event{}).Where("case_id = ? AND kind = ?", "old", "case.noted").
			Update("detail", `{"note":"nothing happened"}`).Error; err != nil {
			t.Fatal(err)
		}
		var ce *store.ChainError
		if err := s.VerifyChain(ctx, "old"); !errors.As(err, &ce) || !strings.Contains(ce.Reason, "redaction") {
			t.Errorf("a forged detail passed as redacted: %v", err)
		}
	})
}
