package workflows_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/workflows"
)

// registryOf is the presets and the given policy specs.
func registryOf(t *testing.T, extra ...policy.Spec) *policy.Registry {
	t.Helper()
	cals, err := calendar.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := policy.NewRegistry(cals, extra)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func acmePolicy(deadline string) policy.Spec {
	return policy.Spec{ID: "acme", Deadline: deadline, Extension: "30d", VerificationWindow: "30d", Calendar: "weekends",
		Reminders: []string{"3d"}}
}

// A case decides every date from the policy it opened under: editing the
// policy in configuration, or removing it, changes nothing in a running
// case, and the case goes on to its close.
func TestPinnedPolicyIgnoresConfigChanges(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "acme", received)
	h.wf.Policies = registryOf(t, acmePolicy("20d"))
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal:session-1"
	var opened, extended workflows.State
	var extend, complete *outcome
	h.at(received.Add(time.Hour), func() {
		opened = h.state()
		h.wf.Policies = registryOf(t) // removed
	})
	h.at(received.Add(48*time.Hour), func() {
		h.wf.Policies = registryOf(t, acmePolicy("2d")) // and back, much shorter
		extend = h.update(workflows.ExtendUpdate, workflows.ExtendInput{Reason: "three systems to search"})
	})
	h.at(received.Add(72*time.Hour), func() {
		extended = h.state()
		complete = h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "sent"})
	})
	h.run()
	mustNotFail(t, "extend", extend)
	mustNotFail(t, "complete", complete)
	// 03-02 + 20 days = Sun 03-22, rolled to Mon 03-23; + 30 days = 04-22.
	if opened.Due == nil || opened.Due.Date.String() != "2026-03-23" {
		t.Fatalf("due at opening %v, want 2026-03-23", opened.Due)
	}
	if extended.Due == nil || extended.Due.Date.String() != "2026-04-22" {
		t.Errorf("due after extending under a changed configuration %v, want 2026-04-22 from the pinned policy", extended.Due)
	}
	if r := h.result(); r.Status != request.Completed || r.Outcome != "completed" {
		t.Errorf("result %+v", r)
	}
}

// On a stop-the-clock policy, fulfilment's wait for the requester is a
// recorded pause and the due date moves by it; the reminders of the paused
// days are not sent.
func TestCancellationWaitStopsTheClockWhereThePolicySays(t *testing.T) {
	received := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "uk-gdpr", received, request.AccountCancellation)
	accounts := newFake("accounts").holds(requester, "users", 1, time.Time{}, "")
	accounts.obstacles = []connector.Obstacle{balance}
	h.plug(connector.Info{Name: "accounts", Kind: connector.KindSQL, Owner: "accounts@example.test"}, accounts)
	var waiting, resumed workflows.State
	var recheck *outcome
	h.at(received.Add(time.Hour), func() { waiting = h.state() })
	h.at(received.Add(10*24*time.Hour), func() {
		accounts.settle()
		recheck = h.update(workflows.RecheckUpdate, workflows.NoteInput{Note: "settled"})
	})
	h.at(received.Add(10*24*time.Hour+time.Hour), func() {
		resumed = h.state()
		h.update(workflows.WithdrawUpdate, workflows.NoteInput{Note: "done testing"})
	})
	h.run()
	mustNotFail(t, "recheck", recheck)
	if waiting.Status != request.AwaitingRequester || len(waiting.Pauses) != 1 || waiting.Pauses[0].To != nil {
		t.Fatalf("while waiting: %s, pauses %+v; want one open pause", waiting.Status, waiting.Pauses)
	}
	// Settled: that pause closed; the case now waits for the requester's
	// confirmation, which is a pause of its own.
	if resumed.Status != request.AwaitingRequester || len(resumed.Pauses) != 2 || resumed.Pauses[0].To == nil || resumed.Pauses[1].To != nil {
		t.Fatalf("after settling: %s, pauses %+v; want the first closed and the confirmation's open", resumed.Status, resumed.Pauses)
	}
	if !resumed.Due.At.After(waiting.Due.At) {
		t.Errorf("due %s after a ten-day pause, was %s: it did not move", resumed.Due.Date, waiting.Due.Date)
	}
}

// Elsewhere the clock runs on while fulfilment waits: reminders go out and
// the due date stands.
func TestCancellationWaitKeepsTheClockElsewhere(t *testing.T) {
	h, accounts, _ := cancellationHarness(t) // cn-15d-ext45, no stop-the-clock
	received := h.in.ReceivedAt
	var waiting, later workflows.State
	h.at(received.Add(time.Hour), func() { waiting = h.state() })
	h.at(received.Add(20*24*time.Hour), func() {
		later = h.state()
		accounts.settle()
		h.update(workflows.WithdrawUpdate, workflows.NoteInput{})
	})
	h.run()
	if len(waiting.Pauses) != 0 || later.Due.Date != waiting.Due.Date {
		t.Errorf("pauses %+v, due %s then %s: the clock must run on", waiting.Pauses, waiting.Due.Date, later.Due.Date)
	}
	if !later.Overdue || len(h.out.mails("dpo@example.test", "Reminder")) == 0 {
		t.Errorf("overdue %v, reminders %d: reminders and the breach timer must run while the case waits",
			later.Overdue, len(h.out.mails("dpo@example.test", "Reminder")))
	}
}

// Staff's own question during the account checks is answered by
// info_received, and its pause closes; fulfilment's wait comes after it.
func TestStaffQuestionDuringCancellationChecks(t *testing.T) {
	received := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "uk-gdpr", received, request.AccountCancellation)
	accounts := newFake("accounts").holds(requester, "users", 1, time.Time{}, "")
	h.plug(connector.Info{Name: "accounts", Kind: connector.KindManual, Owner: "accounts@example.test"}, nil)
	h.plug(connector.Info{Name: "ledger", Kind: connector.KindSQL, Owner: "finance@example.test"}, accounts.fail("check", -1))
	var ask, answer *outcome
	var answered workflows.State
	h.at(received.Add(time.Minute), func() {
		ask = h.update(workflows.RequestInfoUpdate, workflows.NoteInput{Note: "which account number?"})
	})
	h.at(received.Add(2*24*time.Hour), func() {
		answer = h.update(workflows.InfoReceivedUpdate, workflows.NoteInput{Note: "12345"})
	})
	h.at(received.Add(2*24*time.Hour+time.Hour), func() {
		answered = h.state()
		h.update(workflows.WithdrawUpdate, workflows.NoteInput{})
	})
	h.run()
	mustNotFail(t, "request info", ask)
	mustNotFail(t, "info received", answer)
	if len(answered.Pauses) == 0 || answered.Pauses[0].To == nil {
		t.Errorf("pauses %+v: staff's pause must close when the answer comes", answered.Pauses)
	}
}

// A fulfilment that fails for good is on the case, the DPO is told, staff
// can retry it and, when it still fails, complete the case with evidence;
// the trail says who did what.
func TestFulfilmentFailureIsVisible(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "gdpr", received, request.Access)
	h.plug(connector.Info{Name: "shop-db", Kind: connector.KindSQL, Owner: "shop@example.test"}, newFake("shop-db"))
	dir, err := export.NewDir(t.TempDir(), []export.Key{{ID: "k1", Secret: bytes.Repeat([]byte("s"), 32)}})
	if err != nil {
		t.Fatal(err)
	}
	h.acts.Exports = &activities.Exports{Store: dir} // no link key: the link fails for good
	var failed, retried workflows.State
	var earlyRetry, retry, complete *outcome
	h.at(received.Add(time.Minute), func() {
		failed = h.state()
		retry = h.update(workflows.RetryFulfilmentUpdate, workflows.NoteInput{Note: "store configured"})
	})
	h.at(received.Add(2*time.Minute), func() {
		retried = h.state()
		complete = h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "sent the data by registered post, ref RP-1"})
		earlyRetry = h.update(workflows.RetryFulfilmentUpdate, workflows.NoteInput{})
	})
	h.run()
	if failed.Fulfilment == nil || !strings.Contains(failed.Fulfilment.Problem, "no link key") || failed.Status != request.InProgress {
		t.Fatalf("after the failure: %s %+v", failed.Status, failed.Fulfilment)
	}
	mustNotFail(t, "retry", retry)
	if retried.Fulfilment.Attempts != 2 || retried.Fulfilment.Problem == "" {
		t.Errorf("after the retry: attempts %d, problem %q; want a second attempt that failed again", retried.Fulfilment.Attempts, retried.Fulfilment.Problem)
	}
	mustNotFail(t, "complete with evidence", complete)
	if earlyRetry.rejected == nil {
		t.Error("retry of a closed case accepted")
	}
	if m := h.out.mails("dpo@example.test", "Needs attention"); len(m) != 2 || !strings.Contains(m[0].Body, "no link key") {
		t.Errorf("DPO attention notices: %d", len(m))
	}
	done := h.eventsOf("case.completed")
	if len(done) != 1 || !strings.Contains(done[0].Detail, "staff after fulfilment failed") {
		t.Errorf("completion %+v", done)
	}
	if n := len(h.eventsOf("fulfilment.failed")); n != 2 {
		t.Errorf("%d fulfilment.failed events, want 2", n)
	}
}

// A case closed while a manual task is open never records the task as
// done by hand.
func TestClosedWithOpenTaskClaimsNothing(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "gdpr", received, request.Access)
	h.plug(connector.Info{Name: "paper-archive", Kind: connector.KindManual, Owner: "archive@example.test",
		RemindEvery: 48 * time.Hour}, nil)
	var deny *outcome
	h.at(received.Add(time.Hour), func() {
		deny = h.update(workflows.DenyUpdate, workflows.DenyInput{Reason: request.UnfoundedOrRepeated, Explanation: "test"})
	})
	h.run()
	mustNotFail(t, "deny", deny)
	st := h.state()
	s := stepsOf(st, "paper-archive", workflows.OpAccess)
	if len(s) == 0 || s[len(s)-1].Status != workflows.StepNotDone {
		t.Errorf("steps %+v, want the last one not_done", s)
	}
	for _, e := range h.eventsOf("fulfilment.manual") {
		if strings.Contains(e.Detail, "done by hand") {
			t.Errorf("the trail claims work that was not done: %s", e.Detail)
		}
	}
}

// Anyone can forge a From: header: wrong codes that arrive by e-mail are
// recorded but never lock the case; the requester's right code still works.
func TestWrongCodesByEmailDoNotLock(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "gdpr", received)
	var forged []*outcome
	var real *outcome
	for i := range 6 {
		h.at(received.Add(time.Duration(i+1)*time.Minute), func() {
			forged = append(forged, h.update(workflows.VerifyUpdate,
				workflows.VerifyInput{Method: workflows.MethodCode, Code: "000000", Actor: workflows.ActorEmail}))
		})
	}
	h.at(received.Add(10*time.Minute), func() {
		real = h.update(workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: h.out.lastCode(t)})
	})
	h.at(received.Add(20*time.Minute), func() { h.update(workflows.WithdrawUpdate, workflows.NoteInput{}) })
	h.run()
	for i, o := range forged {
		if o.err == nil || !strings.Contains(o.err.Error(), "not counted") {
			t.Errorf("forged %d: %v", i, o.err)
		}
	}
	mustNotFail(t, "the requester's code", real)
	if n := len(h.eventsOf("verification.locked")); n != 0 {
		t.Errorf("locked by forged e-mails")
	}
}

// The requester hears when the cooling-off period of a confirmed
// cancellation ends, as the confirmation notice promised, and when it has.
func TestCoolingOffIsTold(t *testing.T) {
	h, accounts, _ := cancellationHarness(t)
	accounts.settle()
	received := h.in.ReceivedAt
	h.at(received.Add(time.Hour), func() { h.update(workflows.ConfirmCancellationUpdate, workflows.NoteInput{}) })
	h.run()
	started := h.out.mails(requester, "you can change your mind until 2026-03-09")
	ended := h.out.mails(requester, "cooling-off period has ended")
	if len(started) != 1 || len(ended) != 1 {
		t.Fatalf("cooling-off notices: %d started, %d ended; subjects %q", len(started), len(ended), h.out.to(requester))
	}
	if !strings.Contains(ended[0].Body, "2026-03-09") {
		t.Errorf("end notice names no date: %s", ended[0].Body)
	}
}

// A year of an account that is never settled: the daily checks stop at
// their cap and staff are told; the case then waits for staff, and still
// closes.
func TestAYearOfRechecksIsBounded(t *testing.T) {
	h, accounts, _ := cancellationHarness(t)
	received := h.in.ReceivedAt
	h.at(received.Add(365*24*time.Hour), func() {
		accounts.settle()
		h.update(workflows.RecheckUpdate, workflows.NoteInput{Note: "settled at last"})
	})
	h.at(received.Add(366*24*time.Hour), func() { h.update(workflows.WithdrawUpdate, workflows.NoteInput{}) })
	h.run()
	// The check at opening, 60 daily ones, and staff's.
	if n := len(accounts.callsTo("check")); n != 62 {
		t.Errorf("%d checks in a year, want 62", n)
	}
	if m := h.out.mails("dpo@example.test", "Needs attention"); len(m) != 1 || !strings.Contains(m[0].Body, "60 daily checks") {
		t.Errorf("DPO told %d times", len(m))
	}
	if m := h.out.mails(requester, "We need more information"); len(m) != 1 || !strings.Contains(m[0].Body, "no longer check daily") {
		t.Errorf("the requester was not told that the daily checks ended: %q", h.out.to(requester))
	}
	if r := h.result(); r.Status != request.Withdrawn {
		t.Errorf("result %+v", r)
	}
}

// A long-lived case continues as new at a quiet moment, carrying what it
// is; the next run answers for the same case and goes on to its close.
func TestContinueAsNewCarriesTheCase(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "gdpr", received)
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal:session-1"
	h.at(received.Add(20*time.Hour+time.Minute), func() { h.env.SetContinueAsNewSuggested(true) })
	for i := range 40 {
		h.at(received.Add(time.Duration(i+1)*time.Hour), func() {
			h.update(workflows.NoteUpdate, workflows.NoteInput{Note: "still looking"})
		})
	}
	h.env.ExecuteWorkflow(workflows.RequestName, h.in)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow ended with %v, want continue-as-new", err)
	}
	var next workflows.Input
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	c := next.Carried
	if c == nil || c.State.Status != request.InProgress || c.State.Due == nil || c.Pin.Policy.ID != "gdpr" || c.Sent["case.noted"] == 0 {
		t.Fatalf("carried %+v", c)
	}

	// The next run answers for the same case and goes on to its close.
	h2 := newHarness(t, "gdpr", received.Add(50*time.Hour))
	h2.in = next
	var resumed workflows.State
	var complete *outcome
	h2.env.RegisterDelayedCallback(func() {
		resumed = h2.state()
		complete = h2.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "sent"})
	}, time.Hour)
	h2.run()
	mustNotFail(t, "complete in the next run", complete)
	if resumed.Reference != h.in.Reference || resumed.Due == nil || !resumed.Due.At.Equal(c.State.Due.At) || resumed.Revision != c.State.Revision {
		t.Errorf("resumed %+v, carried %+v", resumed, c.State)
	}
	if r := h2.result(); r.Status != request.Completed {
		t.Errorf("result %+v", r)
	}
	if kinds := h2.events(); count(kinds, "case.opened") != 0 || count(kinds, "case.completed") != 1 {
		t.Errorf("the next run's events %v: no second opening", kinds)
	}
}

// registryWithCalendar is the presets plus policy acme on calendar acme-cal,
// whose holidays are given.
func registryWithCalendar(t *testing.T, version string, holidays ...calendar.HolidaySpec) *policy.Registry {
	t.Helper()
	cals, err := calendar.Load([]calendar.Spec{{ID: "acme-cal", Version: version, TimeZone: "UTC",
		Weekend: []string{"saturday", "sunday"}, FirstYear: 2025, LastYear: 2027, Holidays: holidays}})
	if err != nil {
		t.Fatal(err)
	}
	spec := acmePolicy("20d")
	spec.Calendar = "acme-cal"
	reg, err := policy.NewRegistry(cals, []policy.Spec{spec})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// A bank holiday proclaimed while a case runs moves its deadline when the
// operator re-pins the case: a recorded step, not a silent change.
func TestRepinAfterAProclaimedHoliday(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "acme", received)
	h.wf.Policies = registryWithCalendar(t, "1")
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal:session-1"
	var before, proclaimed, after workflows.State
	var repin *outcome
	h.at(received.Add(time.Hour), func() {
		before = h.state()
		h.wf.Policies = registryWithCalendar(t, "2", calendar.HolidaySpec{Name: "Proclaimed", From: "2026-03-23", To: "2026-03-23"})
	})
	h.at(received.Add(2*time.Hour), func() {
		proclaimed = h.state()
		repin = h.update(workflows.RepinUpdate, workflows.NoteInput{Note: "holiday proclaimed", Actor: "ops"})
	})
	h.at(received.Add(3*time.Hour), func() {
		after = h.state()
		h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "sent"})
	})
	h.run()
	mustNotFail(t, "repin", repin)
	// 03-02 + 20 days = Sun 03-22, rolled to Mon 03-23; the holiday moves it to Tue 03-24.
	if before.Due.Date.String() != "2026-03-23" || proclaimed.Due.Date.String() != "2026-03-23" {
		t.Fatalf("due %s before, %s after the proclamation but before the repin; want 2026-03-23 both", before.Due.Date, proclaimed.Due.Date)
	}
	if after.Due.Date.String() != "2026-03-24" {
		t.Errorf("due after the repin %s, want 2026-03-24", after.Due.Date)
	}
	ev := h.eventsOf("policy.repinned")
	if len(ev) != 1 || !strings.Contains(ev[0].Detail, `"due_to":"2026-03-24"`) || !strings.Contains(ev[0].Detail, `"calendar_version_to":"2"`) {
		t.Errorf("repin events %+v", ev)
	}
}

// A value PostgreSQL refuses (a NUL byte that reached the workflow some
// way the doors did not stop) becomes a visible problem of the case: the
// case is recorded with the value cleaned, the trail says what happened,
// the DPO is told, and the case goes on; no projection retries for ever.
func TestStoreRefusalIsVisible(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "gdpr", received)
	h.store = storetest.Open(t, store.Postgres)
	h.acts.Store = h.store
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal:session-1"
	h.in.Requester.Name = "Li\x00 Lei"
	var seen workflows.State
	h.at(received.Add(time.Hour), func() {
		seen = h.state()
		h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "sent"})
	})
	h.run()
	if !strings.Contains(seen.StoreProblem, "SQLSTATE 22") {
		t.Fatalf("store problem %q, want the refusal", seen.StoreProblem)
	}
	row, err := h.store.Case(t.Context(), h.in.CaseID)
	if err != nil {
		t.Fatalf("the case is not in the store: %v", err)
	}
	if row.RequesterName != "Li Lei" || row.Status != string(request.Completed) {
		t.Errorf("row: name %q, status %s", row.RequesterName, row.Status)
	}
	if n := len(h.eventsOf("store.refused")); n != 1 {
		t.Errorf("%d store.refused events, want 1: the case is recorded cleaned once it was refused", n)
	}
	if m := h.out.mails("dpo@example.test", "Needs attention"); len(m) != 1 {
		t.Errorf("the DPO was told %d times, want once", len(m))
	}
}

// The acknowledgement of a case whose clock starts on verification
// promises the date once identity is verified; the requester gets it then.
func TestIdentityVerifiedTellsTheDate(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "cn-15d-after-verification", received)
	h.in.Requester.Language = request.English
	var verify *outcome
	h.at(received.Add(10*time.Minute), func() {
		verify = h.update(workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: h.out.lastCode(t)})
	})
	h.at(received.Add(time.Hour), func() { h.update(workflows.WithdrawUpdate, workflows.NoteInput{}) })
	h.run()
	mustNotFail(t, "verify", verify)
	ack := h.out.mails(h.in.Requester.Email, "We have received")
	if len(ack) != 1 || !strings.Contains(ack[0].Body, "we will tell you the date then") {
		t.Fatalf("acknowledgement %+v", ack)
	}
	// Verified 03-02 (Shanghai) + 15 days = 03-17.
	told := h.out.mails(h.in.Requester.Email, "we will respond by 2026-03-17")
	if len(told) != 1 {
		t.Errorf("the requester was not told the due date: %q", h.out.to(h.in.Requester.Email))
	}
}
