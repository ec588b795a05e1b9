package activities_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/mail"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// outbox records sends; fail makes the next sends fail.
type outbox struct {
	mu   sync.Mutex
	msgs []mail.Message
	fail error
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return o.fail
	}
	o.msgs = append(o.msgs, m)
	return nil
}

const caseID = "3b0e4c1a-0000-4000-8000-000000000001"

func setup(t *testing.T, backend string) (*testsuite.TestActivityEnvironment, *activities.Activities, *outbox) {
	t.Helper()
	st := storetest.Open(t, backend)
	out := &outbox{}
	a := &activities.Activities{Store: st, Mailer: out, From: "dpo@shop.example", DPO: "dpo@shop.example",
		CodeKey: []byte("0123456789abcdef0123456789abcdef")}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	rec := activities.Projection{Case: activities.Case{ID: caseID, Reference: "DSR-ACT-0001", Tenant: "shop",
		Type: "access", Channel: "api", Status: "pending_verification", PolicyID: "gdpr", Language: "en",
		ActingFor: "self", ReceivedAt: time.Now().UTC(), Revision: 1}}
	if _, err := env.ExecuteActivity(a.Record, rec); err != nil {
		t.Fatal(err)
	}
	return env, a, out
}

func ack() activities.Notice {
	return activities.Notice{CaseID: caseID, Kind: "acknowledgement", Key: "acknowledgement:1",
		Recipient: activities.ToRequester, To: "li.lei@example.test", Language: request.Chinese,
		Data: activities.NoticeData{Reference: "DSR-ACT-0001", Type: request.Access}}
}

func kinds(t *testing.T, st *store.Store) []string {
	t.Helper()
	evs, err := st.Events(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	var k []string
	for _, e := range evs {
		k = append(k, e.Kind)
	}
	return k
}

// A retried Notify, or a replayed one, finds its key in the audit trail and
// does not send again.
func TestNotifySendsOnce(t *testing.T) {
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			env, a, out := setup(t, backend)
			for range 3 {
				if _, err := env.ExecuteActivity(a.Notify, ack()); err != nil {
					t.Fatal(err)
				}
			}
			if len(out.msgs) != 1 {
				t.Fatalf("sent %d messages, want 1", len(out.msgs))
			}
			m := out.msgs[0]
			if m.To != "li.lei@example.test" || !regexp.MustCompile(`^<[0-9a-f]+@shop\.example>$`).MatchString(m.MessageID) {
				t.Errorf("message to %q with id %q", m.To, m.MessageID)
			}
			if got := kinds(t, a.Store); len(got) != 1 || got[0] != "notice.sent" {
				t.Errorf("events %v, want one notice.sent", got)
			}
		})
	}
}

// A relay that fails leaves no trace of a sent notice, so the retry sends.
func TestNotifyRetriesAfterRelayFailure(t *testing.T) {
	env, a, out := setup(t, store.SQLite)
	out.fail = errors.New("451 4.7.1 <li.lei@example.test>: try later")
	_, err := env.ExecuteActivity(a.Notify, ack())
	if err == nil {
		t.Fatal("Notify succeeded although the relay failed")
	}
	// The error is logged by the worker: the relay's words stay, the
	// address does not.
	if strings.Contains(err.Error(), "li.lei@example.test") || !strings.Contains(err.Error(), "try later") {
		t.Errorf("error %q", err)
	}
	if got := kinds(t, a.Store); len(got) != 0 {
		t.Fatalf("events after a failed send: %v", got)
	}
	out.fail = nil
	if _, err := env.ExecuteActivity(a.Notify, ack()); err != nil {
		t.Fatal(err)
	}
	if len(out.msgs) != 1 {
		t.Fatalf("sent %d messages, want 1", len(out.msgs))
	}
}

// A notice that can never go out fails for good instead of retrying for a
// day.
func TestNotifyPermanentFailures(t *testing.T) {
	env, a, _ := setup(t, store.SQLite)
	noAddress := ack()
	noAddress.To = ""
	badData := ack()
	badData.Kind, badData.Key = "extension", "extension:1" // no reason, no new date
	for name, n := range map[string]activities.Notice{"no address": noAddress, "missing fields": badData} {
		_, err := env.ExecuteActivity(a.Notify, n)
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || !appErr.NonRetryable() {
			t.Errorf("%s: err = %v, want a non-retryable error", name, err)
		}
	}
}

var codeRE = regexp.MustCompile(`(?m)^\s+([0-9]{6})\s*$`)

// Only the hash of a code leaves SendCode, and it matches the mailed code
// alone.
func TestSendCodeAndCheck(t *testing.T) {
	env, a, out := setup(t, store.SQLite)
	n := ack()
	n.Kind, n.Key = "verification_code", "verification_code:1"
	v, err := env.ExecuteActivity(a.SendCode, activities.CodeRequest{Notice: n, ExpiresAt: time.Now().Add(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var hash string
	if err := v.Get(&hash); err != nil {
		t.Fatal(err)
	}
	m := codeRE.FindStringSubmatch(out.msgs[0].Body)
	if m == nil {
		t.Fatalf("no code in %q", out.msgs[0].Body)
	}
	code := m[1]
	if hash == "" || regexp.MustCompile(code).MatchString(hash) {
		t.Fatalf("hash %q is empty or shows the code", hash)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for c, want := range map[string]bool{code: true, wrong: false} {
		v, err := env.ExecuteActivity(a.CheckCode, activities.CodeCheck{CaseID: caseID, Code: c, Hash: hash})
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		if err := v.Get(&ok); err != nil {
			t.Fatal(err)
		}
		if ok != want {
			t.Errorf("CheckCode(%s) = %v, want %v", c, ok, want)
		}
	}
	// Another case's hash does not accept this case's code.
	v, _ = env.ExecuteActivity(a.CheckCode, activities.CodeCheck{CaseID: "other", Code: code, Hash: hash})
	var ok bool
	if err := v.Get(&ok); err != nil || ok {
		t.Errorf("code accepted for another case: %v %v", ok, err)
	}

	// Run again, as after a worker crash: the same code, not sent twice.
	v, err = env.ExecuteActivity(a.SendCode, activities.CodeRequest{Notice: n, ExpiresAt: time.Now().Add(30 * time.Minute)})
	var again string
	if err != nil || v.Get(&again) != nil || again != hash || len(out.msgs) != 1 {
		t.Errorf("SendCode again: hash %q (want %q), %d messages, %v", again, hash, len(out.msgs), err)
	}
	// A resend (the next key) is a new code.
	n.Key = "verification_code:2"
	v, _ = env.ExecuteActivity(a.SendCode, activities.CodeRequest{Notice: n, ExpiresAt: time.Now().Add(30 * time.Minute)})
	if v.Get(&again); again == hash || len(out.msgs) != 2 {
		t.Errorf("resend: same hash or %d messages", len(out.msgs))
	}
}

// Record is idempotent: a retried projection appends its events once, and
// an older projection arriving late does not roll the case back.
func TestRecordIsIdempotent(t *testing.T) {
	env, a, _ := setup(t, store.SQLite)
	c, err := a.Store.Case(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	newer := activities.Projection{Case: *c, Events: []activities.Event{{Key: "case.verified", Kind: "case.verified",
		Actor: "requester", OccurredAt: time.Now().UTC()}}}
	newer.Case.Status, newer.Case.Revision = "in_progress", 3
	older := activities.Projection{Case: *c}
	older.Case.Status, older.Case.Revision = "pending_verification", 2
	for _, p := range []activities.Projection{newer, newer, older} {
		if _, err := env.ExecuteActivity(a.Record, p); err != nil {
			t.Fatal(err)
		}
	}
	if got := kinds(t, a.Store); len(got) != 1 {
		t.Errorf("events %v, want one case.verified", got)
	}
	c, err = a.Store.Case(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != "in_progress" || c.Revision != 3 {
		t.Errorf("case is %s at revision %d, want in_progress at 3", c.Status, c.Revision)
	}
}
