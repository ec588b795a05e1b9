package workflows_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/mail"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/sms"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/worker"
	"github.com/dsrflow/dsrflow/workflows"
)

// outbox records what the activities send, in order.
type outbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

func (o *outbox) subjects() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var s []string
	for _, m := range o.msgs {
		s = append(s, m.Subject)
	}
	return s
}

// to lists the subjects of what went to addr.
func (o *outbox) to(addr string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var s []string
	for _, m := range o.msgs {
		if m.To == addr {
			s = append(s, m.Subject)
		}
	}
	return s
}

var codeRE = regexp.MustCompile(`(?m)^\s+([0-9]{6})\s*$`)

// lastCode is the code in the newest verification message.
func (o *outbox) lastCode(t *testing.T) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.msgs) - 1; i >= 0; i-- {
		if m := codeRE.FindStringSubmatch(o.msgs[i].Body); m != nil {
			return m[1]
		}
	}
	t.Fatal("no code was sent")
	return ""
}

type harness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	store *store.Store
	out   *outbox
	in    workflows.Input
	wf    *workflows.Workflows
	texts *sms.Outbox
	acts  *activities.Activities
}

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func newHarness(t *testing.T, policyID string, received time.Time) *harness {
	t.Helper()
	cals, err := calendar.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := policy.NewRegistry(cals, nil)
	if err != nil {
		t.Fatal(err)
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(received)
	h := &harness{t: t, env: env, store: storetest.Open(t, store.SQLite), out: &outbox{},
		wf: &workflows.Workflows{Policies: reg}, texts: &sms.Outbox{}}
	h.acts = &activities.Activities{
		Store: h.store, Mailer: h.out, Texter: h.texts, From: "dpo@example.test", DPO: "dpo@example.test",
		CodeKey: []byte("0123456789abcdef0123456789abcdef"),
	}
	worker.Register(env, h.wf, h.acts)
	h.in = workflows.Input{
		CaseID: "6f1c2d4e-0000-4000-8000-000000000001", Reference: "DSR-TEST-0001-AAAA", Tenant: "shop",
		Type: request.Access, Channel: request.ChannelAPI, PolicyID: policyID, ReceivedAt: received,
		Requester: workflows.Requester{Name: "Li Lei", Email: "li.lei@example.test",
			Language: request.Chinese, ActingFor: request.Self},
	}
	return h
}

// at runs f at the given instant of the workflow's clock.
func (h *harness) at(t time.Time, f func()) {
	h.env.RegisterDelayedCallback(f, t.Sub(h.in.ReceivedAt))
}

// update sends an update and records how it ended.
type outcome struct {
	rejected error
	err      error
	state    workflows.State
	done     bool
}

func (h *harness) update(name string, arg any) *outcome {
	o := &outcome{}
	h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { o.rejected = err; o.done = true },
		OnComplete: func(v any, err error) {
			o.err, o.done = err, true
			// An update answers with a small Ack; the case is read with
			// the query, as the API does.
			if _, ok := v.(workflows.Ack); ok {
				o.state = h.state()
			}
		},
	}, arg)
	return o
}

func (h *harness) state() workflows.State {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(workflows.StateQuery)
	if err != nil {
		h.t.Fatalf("query: %v", err)
	}
	var st workflows.State
	if err := v.Get(&st); err != nil {
		h.t.Fatal(err)
	}
	return st
}

func (h *harness) run() {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.RequestName, h.in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
}

func (h *harness) result() workflows.Result {
	var r workflows.Result
	if err := h.env.GetWorkflowResult(&r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

// events lists the kinds in the case's audit trail, in order, and checks
// that the chain holds.
func (h *harness) events() []string {
	h.t.Helper()
	evs, err := h.store.Events(context.Background(), h.in.CaseID)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.VerifyChain(context.Background(), h.in.CaseID); err != nil {
		h.t.Fatalf("audit chain: %v", err)
	}
	kinds := make([]string, len(evs))
	for i, e := range evs {
		kinds[i] = e.Kind
	}
	return kinds
}

func (h *harness) eventTimes(kind string) []time.Time {
	evs, err := h.store.Events(context.Background(), h.in.CaseID)
	if err != nil {
		h.t.Fatal(err)
	}
	var ts []time.Time
	for _, e := range evs {
		if e.Kind == kind {
			ts = append(ts, e.OccurredAt)
		}
	}
	return ts
}

func mustNotFail(t *testing.T, name string, o *outcome) {
	t.Helper()
	if !o.done {
		t.Fatalf("%s: update never finished", name)
	}
	if o.rejected != nil || o.err != nil {
		t.Fatalf("%s: rejected=%v err=%v", name, o.rejected, o.err)
	}
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func TestCodeVerifiedThenCompleted(t *testing.T) {
	received := time.Date(2026, 3, 1, 10, 0, 0, 0, shanghai)
	h := newHarness(t, "cn-15d-ext45", received)
	var verify, complete *outcome
	var beforeVerify workflows.State
	h.at(received.Add(10*time.Minute), func() {
		beforeVerify = h.state()
		verify = h.update(workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: h.out.lastCode(t)})
	})
	h.at(received.Add(48*time.Hour), func() {
		complete = h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "copy sent", Actor: "staff:wang"})
	})
	h.run()
	mustNotFail(t, "verify", verify)
	mustNotFail(t, "complete", complete)
	if beforeVerify.Status != request.PendingVerification {
		t.Errorf("before verification status = %s", beforeVerify.Status)
	}
	if verify.state.Status != request.InProgress || verify.state.Verification.Method != workflows.MethodCode {
		t.Errorf("after verify: %+v", verify.state)
	}
	if got := h.result(); got.Status != request.Completed {
		t.Errorf("result %+v", got)
	}
	// Clock from receipt: 15 days after 2026-03-01 is 2026-03-16 (a Monday).
	if d := complete.state.Due.Date.String(); d != "2026-03-16" {
		t.Errorf("due %s, want 2026-03-16", d)
	}
	want := []string{"case.opened", "notice.sent", "notice.sent", "verification.code_sent", "case.verified", "case.completed", "notice.sent"}
	if got := h.events(); !slices.Equal(sortedKinds(got), sortedKinds(want)) {
		t.Errorf("events %v, want (in any order of notices) %v", got, want)
	}
	subjects := h.out.subjects()
	if len(subjects) != 3 {
		t.Fatalf("sent %d messages %v, want acknowledgement, code, completion", len(subjects), subjects)
	}
	for _, s := range subjects {
		if !strings.Contains(s, h.in.Reference) {
			t.Errorf("subject %q lacks the case reference", s)
		}
	}
	row, err := h.store.Case(context.Background(), h.in.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if row.Status != string(request.Completed) || row.ClosedAt == nil || row.DueDate != "2026-03-16" {
		t.Errorf("stored case %+v", row)
	}
}

func sortedKinds(k []string) []string {
	c := slices.Clone(k)
	slices.Sort(c)
	return c
}

func TestFiveWrongCodesLock(t *testing.T) {
	received := time.Date(2026, 3, 1, 10, 0, 0, 0, shanghai)
	h := newHarness(t, "cn-15d-ext45", received)
	var tries []*outcome
	var sixth, right, manual *outcome
	for i := range 5 {
		h.at(received.Add(time.Duration(i+1)*time.Minute), func() {
			wrong := "000000"
			if h.out.lastCode(t) == wrong {
				wrong = "111111"
			}
			tries = append(tries, h.update(workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: wrong}))
		})
	}
	h.at(received.Add(10*time.Minute), func() {
		right = h.update(workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: h.out.lastCode(t)})
		sixth = h.update(workflows.ResendCodeUpdate, workflows.NoteInput{})
	})
	h.at(received.Add(24*time.Hour), func() {
		manual = h.update(workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodManual, Note: "ID card checked", Actor: "staff:wang"})
	})
	h.at(received.Add(25*time.Hour), func() {
		h.update(workflows.WithdrawUpdate, workflows.NoteInput{Note: "requester called"})
	})
	h.run()
	for i, o := range tries {
		if o.rejected != nil || o.err == nil {
			t.Fatalf("wrong code %d: rejected=%v err=%v; want accepted and failed", i+1, o.rejected, o.err)
		}
	}
	if !strings.Contains(tries[4].err.Error(), "locked") {
		t.Errorf("fifth wrong code: %v", tries[4].err)
	}
	if right.rejected == nil || !strings.Contains(right.rejected.Error(), "locked") {
		t.Errorf("right code after lock: rejected=%v err=%v, want refused as locked", right.rejected, right.err)
	}
	if sixth.rejected == nil {
		t.Error("resend after lock was not refused")
	}
	mustNotFail(t, "manual verify", manual)
	if manual.state.Verification.Method != workflows.MethodManual || manual.state.Verification.Attempts != 5 {
		t.Errorf("after manual: %+v", manual.state.Verification)
	}
	ev := h.events()
	if count(ev, "verification.failed") != 4 || count(ev, "verification.locked") != 1 {
		t.Errorf("events %v", ev)
	}
}

func TestVerificationWindowExpires(t *testing.T) {
	received := time.Date(2026, 3, 1, 10, 0, 0, 0, shanghai)
	h := newHarness(t, "cn-15d-ext45", received)
	h.run()
	r := h.result()
	if r.Status != request.Denied {
		t.Fatalf("result %+v", r)
	}
	denied := h.eventTimes("case.denied")
	// Verification window 10 days: ends 2026-03-11 23:59:59 Shanghai.
	want := time.Date(2026, 3, 11, 23, 59, 59, 0, shanghai)
	if len(denied) != 1 || !denied[0].Equal(want) {
		t.Errorf("denied at %v, want %v", denied, want)
	}
	row, _ := h.store.Case(context.Background(), h.in.CaseID)
	if row.DenialReason != string(request.IdentityUnverified) {
		t.Errorf("denial reason %q", row.DenialReason)
	}
	if got := h.out.to(h.in.Requester.Email); len(got) != 3 || !strings.Contains(got[2], "无法核实") {
		t.Errorf("messages to the requester %v: want acknowledgement, code, identity-unverified notice", got)
	}
}

func TestRemindersAndBreach(t *testing.T) {
	received := time.Date(2026, 3, 1, 10, 0, 0, 0, shanghai)
	h := newHarness(t, "cn-15d-ext45", received)
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal"
	h.at(time.Date(2026, 3, 20, 12, 0, 0, 0, shanghai), func() {
		h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "late but done"})
	})
	h.run()
	// Due Monday 2026-03-16; reminders 7, 3 and 1 days before at 09:00.
	// 1 day before is a Sunday, a rest day: it moves to Friday 03-13 and
	// merges with the 3-day reminder.
	want := []time.Time{
		time.Date(2026, 3, 9, 9, 0, 0, 0, shanghai),
		time.Date(2026, 3, 13, 9, 0, 0, 0, shanghai),
	}
	got := h.eventTimes("sla.reminder")
	if len(got) != len(want) {
		t.Fatalf("reminders at %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("reminder %d at %v, want %v", i, got[i], want[i])
		}
	}
	var left []string
	for _, m := range h.out.msgs {
		if m.To == "dpo@example.test" && strings.Contains(m.Subject, "due in") {
			left = append(left, m.Subject)
		}
	}
	if len(left) != 2 || !strings.Contains(left[0], "7 days") || !strings.Contains(left[1], "3 days") {
		t.Errorf("reminder subjects %v: want 7 and 3 days left", left)
	}
	breach := h.eventTimes("sla.breached")
	if len(breach) != 1 || !breach[0].Equal(time.Date(2026, 3, 16, 23, 59, 59, 0, shanghai)) {
		t.Errorf("breach at %v", breach)
	}
	row, _ := h.store.Case(context.Background(), h.in.CaseID)
	if !row.Overdue || row.Status != string(request.Completed) {
		t.Errorf("stored case overdue=%v status=%s", row.Overdue, row.Status)
	}
}

func TestExtensionRules(t *testing.T) {
	received := time.Date(2026, 3, 1, 10, 0, 0, 0, shanghai)
	h := newHarness(t, "cn-15d-ext45", received)
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal"
	var noReason, tooLong, ok, second *outcome
	h.at(received.Add(24*time.Hour), func() {
		noReason = h.update(workflows.ExtendUpdate, workflows.ExtendInput{})
		tooLong = h.update(workflows.ExtendUpdate, workflows.ExtendInput{Reason: "many systems", Amount: 46})
		ok = h.update(workflows.ExtendUpdate, workflows.ExtendInput{Reason: "data in many systems", Actor: "staff:wang"})
	})
	h.at(received.Add(48*time.Hour), func() {
		second = h.update(workflows.ExtendUpdate, workflows.ExtendInput{Reason: "again", Amount: 1})
		h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "done"})
	})
	h.run()
	if noReason.rejected == nil || tooLong.rejected == nil || second.rejected == nil {
		t.Fatalf("want refusals: no reason %v, 46 days %v, second %v", noReason.rejected, tooLong.rejected, second.rejected)
	}
	mustNotFail(t, "extend", ok)
	// 2026-03-16 + 45 days = 2026-04-30, a Thursday and a working day.
	if d := ok.state.Due.Date.String(); d != "2026-04-30" || !ok.state.Extended || len(ok.state.Extensions) != 1 {
		t.Errorf("after extension due %s extended %v", d, ok.state.Extended)
	}
	var notice *mail.Message
	for i, m := range h.out.msgs {
		if strings.Contains(m.Body, "2026-04-30") {
			notice = &h.out.msgs[i]
		}
	}
	if notice == nil || !strings.Contains(notice.Body, "data in many systems") {
		t.Errorf("no extension notice with the reason and new date; sent %v", h.out.subjects())
	}
	if ev := h.events(); count(ev, "case.extended") != 1 {
		t.Errorf("events %v", ev)
	}
}

func TestExtensionRefusedWithoutPolicyOrAfterDeadline(t *testing.T) {
	received := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
	h := newHarness(t, "cn-15wd", received)
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal"
	var none *outcome
	h.at(received.Add(time.Hour), func() {
		none = h.update(workflows.ExtendUpdate, workflows.ExtendInput{Reason: "busy"})
	})
	h.at(received.Add(60*24*time.Hour), func() {
		h.update(workflows.DenyUpdate, workflows.DenyInput{Reason: request.UnfoundedOrRepeated, Explanation: "same request as DSR-X"})
	})
	h.run()
	if none.rejected == nil || !strings.Contains(none.rejected.Error(), "no extension") {
		t.Errorf("extension on cn-15wd: %v", none.rejected)
	}

	h2 := newHarness(t, "gdpr", time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC))
	h2.in.Channel, h2.in.VerifiedBy = request.ChannelPortal, "portal"
	var late *outcome
	h2.at(time.Date(2026, 2, 17, 9, 0, 0, 0, time.UTC), func() {
		late = h2.update(workflows.ExtendUpdate, workflows.ExtendInput{Reason: "complex"})
		h2.update(workflows.WithdrawUpdate, workflows.NoteInput{})
	})
	h2.run()
	// gdpr: 2026-01-15 + 1 month = 2026-02-15, a Sunday -> Monday 2026-02-16.
	if late.rejected == nil || !strings.Contains(late.rejected.Error(), "2026-02-16") {
		t.Errorf("extension after the deadline: %v", late.rejected)
	}
}

func TestDenyAndWithdraw(t *testing.T) {
	received := time.Date(2026, 3, 1, 10, 0, 0, 0, shanghai)
	h := newHarness(t, "cn-15d-ext45", received)
	var badReason, noExplanation, deny, after *outcome
	h.at(received.Add(time.Hour), func() {
		badReason = h.update(workflows.DenyUpdate, workflows.DenyInput{Reason: "because", Explanation: "x"})
		noExplanation = h.update(workflows.DenyUpdate, workflows.DenyInput{Reason: request.TradeSecret})
		deny = h.update(workflows.DenyUpdate, workflows.DenyInput{Reason: request.TradeSecret, Explanation: "the ranking model is a trade secret", Actor: "staff:wang"})
	})
	h.run()
	if badReason.rejected == nil || noExplanation.rejected == nil {
		t.Fatalf("want refusals, got %v / %v", badReason.rejected, noExplanation.rejected)
	}
	mustNotFail(t, "deny", deny)
	_ = after
	if r := h.result(); r.Status != request.Denied {
		t.Errorf("result %+v", r)
	}
	last := h.out.msgs[len(h.out.msgs)-1]
	if !strings.Contains(last.Body, "the ranking model is a trade secret") {
		t.Errorf("denial notice lacks the explanation:\n%s", last.Body)
	}

	h2 := newHarness(t, "cn-15d-ext45", received)
	var w *outcome
	h2.at(received.Add(time.Hour), func() {
		w = h2.update(workflows.WithdrawUpdate, workflows.NoteInput{Note: "by phone"})
	})
	h2.run()
	mustNotFail(t, "withdraw", w)
	if r := h2.result(); r.Status != request.Withdrawn {
		t.Errorf("result %+v", r)
	}
}

func TestCompleteRefusedBeforeVerification(t *testing.T) {
	received := time.Date(2026, 3, 1, 10, 0, 0, 0, shanghai)
	h := newHarness(t, "cn-15d-after-verification", received)
	var early *outcome
	var pending workflows.State
	h.at(received.Add(time.Hour), func() {
		pending = h.state()
		early = h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "done"})
	})
	var verified workflows.State
	h.at(received.Add(3*24*time.Hour), func() {
		h.update(workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodManual, Note: "passport"})
	})
	h.at(received.Add(4*24*time.Hour), func() {
		verified = h.state()
		h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "done"})
	})
	h.run()
	if early.rejected == nil {
		t.Error("complete before verification was not refused")
	}
	if pending.Due != nil {
		t.Errorf("clock started before verification: due %v", pending.Due)
	}
	// Verified 2026-03-04 10:00 Shanghai: 15 days later is 2026-03-19.
	if verified.Due == nil || verified.Due.Date.String() != "2026-03-19" {
		t.Errorf("due after verification %v", verified.Due)
	}
}

func TestStopTheClock(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "uk-gdpr", received)
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal"
	h.in.Requester.Language = request.English
	var ask, got *outcome
	h.at(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), func() {
		ask = h.update(workflows.RequestInfoUpdate, workflows.NoteInput{Note: "which accounts?"})
	})
	h.at(time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC), func() {
		got = h.update(workflows.InfoReceivedUpdate, workflows.NoteInput{Note: "both"})
	})
	h.at(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC), func() {
		h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "done"})
	})
	h.run()
	mustNotFail(t, "request info", ask)
	mustNotFail(t, "info received", got)
	if ask.state.Status != request.AwaitingRequester {
		t.Errorf("status while waiting %s", ask.state.Status)
	}
	// One month from 2026-03-02 is 2026-04-02 (Thursday); five days stopped
	// (10th to 15th) move it to 2026-04-07 (Tuesday).
	if got.state.Due.Date.String() != "2026-04-07" || got.state.Status != request.InProgress {
		t.Errorf("after resuming: due %s status %s", got.state.Due.Date, got.state.Status)
	}
}

// The clock does not stop under a policy without stop-the-clock.
func TestInfoRequestKeepsClockRunning(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "gdpr", received)
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal"
	var got *outcome
	h.at(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), func() {
		h.update(workflows.RequestInfoUpdate, workflows.NoteInput{Note: "which accounts?"})
	})
	h.at(time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC), func() {
		got = h.update(workflows.InfoReceivedUpdate, workflows.NoteInput{Note: "both"})
		h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "done"})
	})
	h.run()
	mustNotFail(t, "info received", got)
	if got.state.Due.Date.String() != "2026-04-02" {
		t.Errorf("due moved to %s without stop-the-clock", got.state.Due.Date)
	}
}

// An action sent the instant a case opens, before the workflow has even
// recorded it, is judged by the status the intake leads to and lands after
// the opening in the audit trail.
func TestActionRightAfterOpening(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "gdpr", received)
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal"
	var info, withdraw *outcome
	h.at(received, func() {
		info = h.update(workflows.RequestInfoUpdate, workflows.NoteInput{Note: "which accounts?"})
		withdraw = h.update(workflows.WithdrawUpdate, workflows.NoteInput{})
	})
	h.run()
	mustNotFail(t, "request info", info)
	mustNotFail(t, "withdraw", withdraw)
	want := []string{"case.opened", "case.verified", "info.requested", "case.withdrawn"}
	if kinds := h.events(); !inOrder(kinds, want) {
		t.Errorf("events %v, want %v in order", kinds, want)
	}
}

func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// A requester who gave only a phone number gets the code by SMS, and every
// notice that cannot reach them is left in the audit trail for staff.
func TestPhoneOnlyRequesterGetsCodeBySMS(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "gdpr", received)
	h.in.Requester.Email, h.in.Requester.Phone = "", "+86 138 0000 0000"
	var verified *outcome
	h.at(received.Add(5*time.Minute), func() {
		texts := h.texts.Messages()
		if len(texts) != 1 || texts[0].To != "+86 138 0000 0000" {
			t.Fatalf("texts %+v, want one to the requester's phone", texts)
		}
		code := regexp.MustCompile(`[0-9]{6}`).FindString(texts[0].Text)
		verified = h.update(workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: code})
	})
	h.at(received.Add(10*time.Minute), func() {
		h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "sent by post"})
	})
	h.run()
	mustNotFail(t, "verify", verified)
	if verified.state.Verification.Channel != "sms" {
		t.Errorf("code channel %q, want sms", verified.state.Verification.Channel)
	}
	kinds := h.events()
	// acknowledgement and completion could not be sent.
	if count(kinds, "notice.not_sent") != 2 || count(kinds, "verification.code_sent") != 1 {
		t.Errorf("events %v", kinds)
	}
	if len(h.out.subjects()) != 0 {
		t.Errorf("mail sent to a requester without e-mail: %v", h.out.subjects())
	}
}

func TestCodeBySMSOnRequest(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "gdpr", received)
	h.in.Requester.Phone, h.in.CodeChannel = "+44 20 7946 0000", "sms"
	var st workflows.State
	h.at(received.Add(time.Minute), func() {
		st = h.state()
		h.update(workflows.WithdrawUpdate, workflows.NoteInput{})
	})
	h.run()
	if len(h.texts.Messages()) != 1 || st.Verification.Channel != "sms" {
		t.Errorf("texts %d, channel %q; want the code by SMS", len(h.texts.Messages()), st.Verification.Channel)
	}
}

// A code that cannot be sent (no SMS gateway) leaves the case open for
// manual verification; it never fails the case.
func TestCodeSendFailureKeepsCaseOpen(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "gdpr", received)
	h.in.Requester.Email, h.in.Requester.Phone = "", "+44 20 7946 0000"
	h.acts.Texter = nil
	var resent, manual *outcome
	h.at(received.Add(time.Hour), func() {
		resent = h.update(workflows.ResendCodeUpdate, workflows.NoteInput{})
	})
	h.at(received.Add(2*time.Hour), func() {
		manual = h.update(workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodManual, Note: "called back on the number on file"})
	})
	h.at(received.Add(3*time.Hour), func() {
		h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "done"})
	})
	h.run()
	if resent.err == nil || !strings.Contains(resent.err.Error(), "sms.gateway_url") {
		t.Errorf("resend without a gateway: err = %v, want one naming sms.gateway_url", resent.err)
	}
	mustNotFail(t, "manual verify", manual)
	if kinds := h.events(); count(kinds, "verification.code_failed") != 2 || h.result().Status != request.Completed {
		t.Errorf("events %v, result %+v", kinds, h.result())
	}
}

// A deadline the calendar cannot compute (China's 2027 holidays are not
// in it) must neither be guessed nor lose the case: the case opens without a
// due date, staff are told, and once an operator adds the calendar the
// deadline appears on the next daily try.
func TestDeadlineBeyondCalendar(t *testing.T) {
	received := time.Date(2026, 12, 20, 10, 0, 0, 0, shanghai)
	h := newHarness(t, "cn-15d-ext45", received)
	var before, after workflows.State
	var verified, completed *outcome
	h.at(received.Add(10*time.Minute), func() { before = h.state() })
	h.at(received.Add(20*time.Minute), func() {
		verified = h.update(workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: h.out.lastCode(t)})
	})
	h.at(received.Add(30*time.Hour), func() { h.wf.Policies = registryWith2027(t) })
	h.at(received.Add(51*time.Hour), func() {
		after = h.state()
		completed = h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "sent"})
	})
	h.run()
	mustNotFail(t, "verify", verified)
	mustNotFail(t, "complete", completed)

	if before.Due != nil || !strings.Contains(before.DeadlineProblem, "2027-01-04") {
		t.Fatalf("before the calendar: due %v, problem %q; want none, naming 2027-01-04", before.Due, before.DeadlineProblem)
	}
	if before.Status != request.PendingVerification {
		t.Errorf("status %s, want pending_verification", before.Status)
	}
	// 12-20 + 15 days = Mon 2027-01-04, a working day in the added calendar.
	if after.Due == nil || after.Due.Date.String() != "2027-01-04" || after.DeadlineProblem != "" {
		t.Fatalf("after the calendar: due %v, problem %q", after.Due, after.DeadlineProblem)
	}
	kinds := h.events()
	if count(kinds, "sla.unknown") != 1 || count(kinds, "sla.scheduled") != 1 {
		t.Errorf("events %v: want one sla.unknown, one sla.scheduled", kinds)
	}
	want := []string{"Deadline unknown: access request needs a working-day calendar [DSR-TEST-0001-AAAA]"}
	if got := h.out.to("dpo@example.test"); !slices.Equal(got, want) {
		t.Errorf("DPO got %q, want %q", got, want)
	}
}

func registryWith2027(t *testing.T) *policy.Registry {
	cals, err := calendar.Load([]calendar.Spec{{
		ID: "cn", Version: "test-2027", TimeZone: "Asia/Shanghai", Weekend: []string{"saturday", "sunday"},
		FirstYear: 2026, LastYear: 2027,
		Holidays: []calendar.HolidaySpec{{Name: "元旦", From: "2027-01-01", To: "2027-01-03"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := policy.NewRegistry(cals, nil)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestAssignNoteTag(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "gdpr", received)
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal"
	var assigned, again, noted, emptyNote, tagged, badTag, closedNote *outcome
	h.at(received.Add(time.Hour), func() {
		assigned = h.update(workflows.AssignUpdate, workflows.AssignInput{Assignee: "wang", Actor: "lead"})
	})
	h.at(received.Add(2*time.Hour), func() {
		again = h.update(workflows.AssignUpdate, workflows.AssignInput{Assignee: "wang"})
		noted = h.update(workflows.NoteUpdate, workflows.NoteInput{Note: "called the requester"})
		emptyNote = h.update(workflows.NoteUpdate, workflows.NoteInput{Note: "  "})
	})
	h.at(received.Add(3*time.Hour), func() {
		tagged = h.update(workflows.TagUpdate, workflows.TagInput{Add: []string{"vip", "minor"}})
		badTag = h.update(workflows.TagUpdate, workflows.TagInput{Add: []string{"two words"}})
	})
	h.at(received.Add(4*time.Hour), func() {
		h.update(workflows.TagUpdate, workflows.TagInput{Remove: []string{"vip"}})
		h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "done"})
		closedNote = h.update(workflows.NoteUpdate, workflows.NoteInput{Note: "requester thanked us"})
	})
	h.run()
	mustNotFail(t, "note on the closed case", closedNote)
	mustNotFail(t, "assign", assigned)
	mustNotFail(t, "note", noted)
	mustNotFail(t, "tag", tagged)
	for name, o := range map[string]*outcome{"assign twice": again, "empty note": emptyNote, "bad tag": badTag} {
		if o.rejected == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if assigned.state.Assignee != "wang" || !slices.Equal(tagged.state.Tags, []string{"minor", "vip"}) {
		t.Errorf("assignee %q, tags %v", assigned.state.Assignee, tagged.state.Tags)
	}
	c, err := h.store.Case(context.Background(), h.in.CaseID)
	if err != nil || c.Assignee != "wang" || c.Tags != "minor" {
		t.Fatalf("stored case: %+v %v", c, err)
	}
	kinds := h.events()
	if count(kinds, "case.assigned") != 1 || count(kinds, "case.noted") != 2 || count(kinds, "case.tagged") != 2 {
		t.Errorf("events %v", kinds)
	}
}

func TestUnclassifiedEmailRequest(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "cn-15wd", received)
	h.in.Type, h.in.Channel = request.Unclassified, request.ChannelEmail
	h.in.Email = &workflows.Email{MessageID: "<mail-1@mail.example>", Classification: "unclassified (0.30)",
		Attachments: []workflows.Attachment{{Ref: "sha256:00", Filename: "id.jpg", ContentType: "image/jpeg", Size: 4}}}
	var early, bad, classified, verified, complete *outcome
	var before workflows.State
	h.at(received.Add(time.Hour), func() {
		before = h.state()
		bad = h.update(workflows.ClassifyUpdate, workflows.ClassifyInput{Type: "nonsense"})
		h.update(workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodManual, Note: "ID card", Actor: "staff:li"})
	})
	var reply, noID *outcome
	h.at(received.Add(2*time.Hour), func() {
		early = h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "done"})
		reply = h.update(workflows.MailUpdate, workflows.MailInput{Email: workflows.Email{MessageID: "<mail-2@mail.example>"}, FromRequester: true})
		noID = h.update(workflows.MailUpdate, workflows.MailInput{})
	})
	h.at(received.Add(3*time.Hour), func() {
		classified = h.update(workflows.ClassifyUpdate, workflows.ClassifyInput{Type: request.AccountCancellation, Actor: "staff:li"})
		verified = h.update(workflows.ClassifyUpdate, workflows.ClassifyInput{Type: request.AccountCancellation})
		complete = h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "account closed"})
	})
	h.run()
	if before.Due == nil || before.Due.Date.String() != "2026-03-23" {
		t.Errorf("unclassified: due %+v, want 15 working days from receipt, 2026-03-23", before.Due)
	}
	if bad.rejected == nil || early.rejected == nil || verified.rejected == nil {
		t.Errorf("accepted: bad type %v, complete while unclassified %v, same type twice %v", bad.rejected, early.rejected, verified.rejected)
	}
	mustNotFail(t, "classify", classified)
	mustNotFail(t, "mail", reply)
	if noID.rejected == nil {
		t.Error("mail without a Message-ID accepted")
	}
	mustNotFail(t, "complete", complete)
	// Account cancellations count from verification (09:00 + 1h on 2 March).
	if st := classified.state; st.Type != request.AccountCancellation || st.ClockStart != "verification" || st.Due == nil || st.Due.Date.String() != "2026-03-23" {
		t.Errorf("after classify: type %s clock %s due %+v", st.Type, st.ClockStart, st.Due)
	}
	if count(h.events(), "case.classified") != 1 || count(h.events(), "email.received") != 2 {
		t.Errorf("events %v", h.events())
	}
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	i := slices.IndexFunc(h.out.msgs, func(m mail.Message) bool { return strings.Contains(m.Subject, "已收到") })
	if i < 0 {
		t.Fatalf("no acknowledgement among %d messages", len(h.out.msgs))
	}
	if ack := h.out.msgs[i]; !strings.Contains(ack.Subject, "个人信息权利") || ack.InReplyTo != "<mail-1@mail.example>" {
		t.Errorf("acknowledgement %q in reply to %q", ack.Subject, ack.InReplyTo)
	}
	i = slices.IndexFunc(h.out.msgs, func(m mail.Message) bool { return strings.Contains(m.Subject, "来信") })
	if i < 0 || h.out.msgs[i].InReplyTo != "<mail-2@mail.example>" {
		t.Errorf("reply not acknowledged in its thread (message %d)", i)
	}
}
