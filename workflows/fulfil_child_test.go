package workflows_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/workflows"
)

// round is one fulfilment child as the test environment saw it.
type round struct {
	id, typ string
	done    bool
	result  workflows.FulfilResult
	err     error
}

// watchRounds names the case's workflow as the service would and records
// the fulfilment rounds it starts and how each ended.
func watchRounds(h *harness) *[]*round {
	var rounds []*round
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.WorkflowID(h.in.CaseID)})
	h.env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		rounds = append(rounds, &round{id: info.WorkflowExecution.ID, typ: info.WorkflowType.Name})
	})
	h.env.SetOnChildWorkflowCompletedListener(func(info *workflow.Info, result converter.EncodedValue, err error) {
		for _, r := range rounds {
			if r.id == info.WorkflowExecution.ID {
				r.done, r.err = true, err
				if err == nil && result != nil && result.HasValue() {
					if derr := result.Get(&r.result); derr != nil {
						h.t.Errorf("round %s result: %v", r.id, derr)
					}
				}
			}
		}
	})
	return &rounds
}

// A round that fails for good ends its child with the failure, which the
// case shows (problem, trail, DPO); staff's retry starts a new round, named
// after the case and its number, which does the work and completes the
// case.
func TestChildFailureIsVisibleAndRetried(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "gdpr", received, request.Access)
	h.plug(connector.Info{Name: "shop-db", Kind: connector.KindSQL, Owner: "shop@example.test"}, newFake("shop-db"))
	dir, err := export.NewDir(t.TempDir(), []export.Key{{ID: "k1", Secret: bytes.Repeat([]byte("s"), 32)}})
	if err != nil {
		t.Fatal(err)
	}
	h.acts.Exports = &activities.Exports{Store: dir, PublicURL: "http://dsr.test"} // no link key: the link fails for good
	rounds := watchRounds(h)
	var failed workflows.State
	var retry *outcome
	h.at(received.Add(time.Minute), func() {
		failed = h.state()
		// The cause is mended, then staff retry.
		h.acts.Exports.Links = &export.Signer{Key: bytes.Repeat([]byte("l"), 32)}
		retry = h.update(workflows.RetryFulfilmentUpdate, workflows.NoteInput{Note: "link key configured", Actor: "staff:ops"})
	})
	h.run()

	if failed.Fulfilment == nil || !strings.Contains(failed.Fulfilment.Problem, "no link key") || failed.Status != request.InProgress {
		t.Fatalf("after the failure: %s %+v", failed.Status, failed.Fulfilment)
	}
	mustNotFail(t, "retry", retry)
	rs := *rounds
	base := workflows.WorkflowID(h.in.CaseID) + "/fulfil/"
	if len(rs) != 2 || rs[0].id != base+"1" || rs[1].id != base+"2" ||
		rs[0].typ != workflows.FulfilAccessName || rs[1].typ != workflows.FulfilAccessName {
		t.Fatalf("rounds %+v, want %s1 and %s2 of %s", rs, base, base, workflows.FulfilAccessName)
	}
	var appErr *temporal.ApplicationError
	if !rs[0].done || !errors.As(rs[0].err, &appErr) || !strings.Contains(appErr.Error(), "no link key") {
		t.Errorf("first round ended with %v, want the link failure", rs[0].err)
	}
	if !rs[1].done || rs[1].err != nil || rs[1].result.Summary == "" || rs[1].result.Closed {
		t.Errorf("second round %+v, want done with a summary", rs[1])
	}
	st := h.state()
	if st.Status != request.Completed || st.Fulfilment.Problem != "" || st.Fulfilment.Attempts != 2 || st.Fulfilment.Export == nil ||
		st.Fulfilment.Export.Link == "" {
		t.Fatalf("closed %s with %+v", st.Status, st.Fulfilment)
	}
	if n := len(h.eventsOf("fulfilment.failed")); n != 1 {
		t.Errorf("%d fulfilment.failed events, want 1", n)
	}
	if n := len(h.eventsOf("fulfilment.retried")); n != 1 {
		t.Errorf("%d fulfilment.retried events, want 1", n)
	}
	done := h.eventsOf("case.completed")
	if len(done) != 1 || !strings.Contains(done[0].Detail, `"by":"fulfilment"`) {
		t.Errorf("completion %+v", done)
	}
	if m := h.out.mails("dpo@example.test", "Needs attention"); len(m) != 1 {
		t.Errorf("%d DPO attention notices, want 1", len(m))
	}
	if m := h.out.mails(requester, ""); len(m) == 0 {
		t.Error("the requester heard nothing")
	}
	h.events() // the chain holds
}

// Staff closing the case while its round waits for a manual task stop the
// round cleanly: it ends (not failed, not cancelled) reporting the task's
// step as not done, and the case closes only after it.
func TestClosingStopsTheRunningRound(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var deny *outcome
	// An access round, closed by a denial while its manual task is open.
	h := fulfilHarness(t, "gdpr", received, request.Access)
	h.plug(connector.Info{Name: "shop-db", Kind: connector.KindSQL, Owner: "shop@example.test"}, rowsConn{newFake("shop-db")})
	h.plug(connector.Info{Name: "paper-archive", Kind: connector.KindManual, Owner: "archive@example.test",
		RemindEvery: 48 * time.Hour}, nil)
	dir, err := export.NewDir(t.TempDir(), []export.Key{{ID: "k1", Secret: bytes.Repeat([]byte("s"), 32)}})
	if err != nil {
		t.Fatal(err)
	}
	h.acts.Exports = &activities.Exports{Store: dir, Links: &export.Signer{Key: bytes.Repeat([]byte("l"), 32)}, PublicURL: "http://dsr.test"}
	rounds := watchRounds(h)
	var late *outcome
	h.at(received.Add(time.Hour), func() {
		deny = h.update(workflows.DenyUpdate, workflows.DenyInput{Reason: request.UnfoundedOrRepeated, Explanation: "asked last week"})
	})
	h.at(received.Add(2*time.Hour), func() {
		late = h.update(workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "copied"})
	})
	h.run()
	mustNotFail(t, "deny", deny)
	if late != nil && late.done && late.rejected == nil {
		t.Error("a task of a closed case was completed")
	}
	rs := *rounds
	if len(rs) != 1 || !rs[0].done || rs[0].err != nil || !rs[0].result.Closed {
		t.Fatalf("rounds %+v, want one that ended as closed", rs)
	}
	st := h.state()
	if st.Status != request.Denied {
		t.Fatalf("status %s", st.Status)
	}
	s := stepsOf(st, "paper-archive", workflows.OpAccess)
	if len(s) == 0 || s[len(s)-1].Status != workflows.StepNotDone {
		t.Errorf("steps %+v, want the manual one not_done", s)
	}
	for _, e := range h.eventsOf("fulfilment.manual") {
		if strings.Contains(e.Detail, "done by hand") {
			t.Errorf("the trail claims work that was not done: %s", e.Detail)
		}
	}
	if n := len(h.eventsOf("fulfilment.not_done")); n != 1 {
		t.Errorf("%d fulfilment.not_done events, want 1 (recorded by the case before it ended)", n)
	}
	if n := len(h.eventsOf("case.completed")) + len(h.eventsOf("export.created")); n != 0 {
		t.Errorf("%d completion or export events on a denied case", n)
	}
	h.events()
}

// complete-task stays an update on the case: the case checks it against
// its copy of the work, shows it at once, and passes it on to the round,
// which records the step as done by hand and finishes.
func TestCompleteTaskIsPassedOnToTheRound(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "gdpr", received, request.Deletion)
	h.plug(connector.Info{Name: "paper-archive", Kind: connector.KindManual, Owner: "archive@example.test",
		RemindEvery: 48 * time.Hour}, nil)
	rounds := watchRounds(h)
	var done, twice, withdraw *outcome
	h.at(received.Add(time.Hour), func() {
		// The data systems are being changed: the requester cannot withdraw.
		withdraw = h.update(workflows.WithdrawUpdate, workflows.NoteInput{Note: "changed my mind"})
	})
	h.at(received.Add(5*time.Hour), func() {
		done = h.update(workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "shredded", Actor: "staff:wang"})
		twice = h.update(workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "again"})
	})
	h.run()
	refusedWith(t, "withdraw while erasing", withdraw, "being changed")
	mustNotFail(t, "complete task", done)
	if task := done.state.Fulfilment.Tasks[0]; task.Status != workflows.TaskDone || task.DoneBy != "staff:wang" {
		t.Errorf("task right after the update %+v", task)
	}
	refusedWith(t, "complete twice", twice, "was done by staff:wang")
	if rs := *rounds; len(rs) != 1 || rs[0].typ != workflows.FulfilErasureName || rs[0].err != nil || rs[0].result.Closed {
		t.Fatalf("rounds %+v", rs)
	}
	st := h.state()
	if s := stepsOf(st, "paper-archive", workflows.OpErase); len(s) != 1 || s[0].Status != workflows.StepManual ||
		s[0].Detail != "done by hand: shredded" {
		t.Errorf("step %+v", s)
	}
	if c := h.eventTimes("case.completed"); len(c) != 1 || !c[0].Equal(received.Add(5*time.Hour)) {
		t.Errorf("completed at %v, want when the task was done", c)
	}
	if n := len(h.eventsOf("task.completed")); n != 1 {
		t.Errorf("%d task.completed events", n)
	}
}

// An account cancellation through its round: the round waits for the
// confirmation the case passes on, with the end of the cooling-off period
// the case computed from its pinned policy; it deactivates the account
// only when that period is over.
func TestCancellationCoolingOffThroughTheRound(t *testing.T) {
	h, accounts, _ := cancellationHarness(t)
	accounts.settle()
	received := h.in.ReceivedAt
	rounds := watchRounds(h)
	var waiting, cooling, lastDay workflows.State
	var confirm *outcome
	h.at(received.Add(time.Hour), func() {
		waiting = h.state()
		confirm = h.update(workflows.ConfirmCancellationUpdate, workflows.NoteInput{Actor: "requester"})
	})
	h.at(received.Add(2*time.Hour), func() { cooling = h.state() })
	// The period ends with 9 March (7 days from 2 March) in Shanghai.
	end := time.Date(2026, 3, 9, 23, 59, 59, 0, shanghai)
	h.at(end.Add(-time.Minute), func() { lastDay = h.state() })
	h.run()

	mustNotFail(t, "confirm", confirm)
	if waiting.Status != request.AwaitingRequester || waiting.Fulfilment.Cancellation == nil {
		t.Fatalf("before the confirmation: %s %+v", waiting.Status, waiting.Fulfilment)
	}
	c := cooling.Fulfilment.Cancellation
	if cooling.Status != request.InProgress || c.ConfirmedAt == nil || c.CoolingOffUntil == nil || c.DeactivatedAt != nil {
		t.Fatalf("cooling off: %s %+v", cooling.Status, c)
	}
	if !c.CoolingOffUntil.Equal(end) {
		t.Errorf("cooling off until %v, want %v", c.CoolingOffUntil, end)
	}
	if lastDay.Status != request.InProgress || lastDay.Fulfilment.Cancellation.DeactivatedAt != nil {
		t.Errorf("deactivated before the cooling-off period ended: %+v", lastDay.Fulfilment.Cancellation)
	}
	calls := accounts.callsTo("deactivate")
	if len(calls) != 1 {
		t.Fatalf("deactivate calls %+v", calls)
	}
	st := h.state()
	if st.Status != request.Completed || st.Fulfilment.Cancellation.DeactivatedAt == nil ||
		st.Fulfilment.Cancellation.DeactivatedAt.Before(end) {
		t.Errorf("closed %s, cancellation %+v", st.Status, st.Fulfilment.Cancellation)
	}
	if at := h.eventTimes("account.deactivated"); len(at) != 1 || at[0].Before(end) {
		t.Errorf("account.deactivated at %v, want after %v", at, end)
	}
	if rs := *rounds; len(rs) != 1 || rs[0].typ != workflows.FulfilCancellationName || rs[0].err != nil {
		t.Errorf("rounds %+v", rs)
	}
	if n := len(h.out.mails(requester, "you can change your mind until 2026-03-09")); n != 1 {
		t.Errorf("%d cooling-off notices", n)
	}
}

// A case does not continue as new while a round runs (signals between them
// go by workflow ID, and the round's reports must land in one run): it
// does so at its next quiet moment after the round ended, carrying the
// round's outcome.
func TestNoContinueAsNewWhileARoundRuns(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "gdpr", received, request.Access)
	h.plug(connector.Info{Name: "paper-archive", Kind: connector.KindManual, Owner: "archive@example.test",
		RemindEvery: 48 * time.Hour}, nil)
	dir, err := export.NewDir(t.TempDir(), []export.Key{{ID: "k1", Secret: bytes.Repeat([]byte("s"), 32)}})
	if err != nil {
		t.Fatal(err)
	}
	h.acts.Exports = &activities.Exports{Store: dir} // the round fails once the task is done
	rounds := watchRounds(h)
	h.at(received.Add(time.Minute), func() { h.env.SetContinueAsNewSuggested(true) })
	for i := range 5 {
		h.at(received.Add(time.Duration(i+1)*time.Hour), func() {
			h.update(workflows.NoteUpdate, workflows.NoteInput{Note: "still waiting for the archive"})
		})
	}
	h.at(received.Add(10*time.Hour), func() {
		h.update(workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "scanned"})
	})
	h.env.ExecuteWorkflow(workflows.RequestName, h.in)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow ended with %v, want continue-as-new", err)
	}
	var next workflows.Input
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	rs := *rounds
	if len(rs) != 1 || !rs[0].done || rs[0].err == nil {
		t.Fatalf("rounds %+v, want one that ended (failed) before the case continued", rs)
	}
	c := next.Carried
	if c == nil || !c.Fulfilled || c.State.Fulfilment == nil || c.State.Fulfilment.Problem == "" ||
		len(c.State.Fulfilment.Tasks) != 1 || c.State.Fulfilment.Tasks[0].Status != workflows.TaskDone {
		t.Fatalf("carried %+v", c)
	}
	if s := stepsOf(c.State, "paper-archive", workflows.OpAccess); len(s) != 1 || s[0].Status != workflows.StepManual {
		t.Errorf("carried steps %+v", s)
	}
	if n := len(h.eventsOf("case.noted")); n != 5 {
		t.Errorf("%d notes recorded, want 5", n)
	}
	if c.FulfilPath != "children" {
		t.Errorf("carried fulfilment path %q, want children", c.FulfilPath)
	}

	// The next run retries in a round of its own, numbered on, and the
	// case completes.
	h2 := fulfilHarness(t, "gdpr", received.Add(20*time.Hour), request.Access)
	h2.plug(connector.Info{Name: "paper-archive", Kind: connector.KindManual, Owner: "archive@example.test",
		RemindEvery: 48 * time.Hour}, nil)
	h2.acts.Exports = &activities.Exports{Store: dir, Links: &export.Signer{Key: bytes.Repeat([]byte("l"), 32)}, PublicURL: "http://dsr.test"}
	h2.in = next
	rounds2 := watchRounds(h2)
	var retry *outcome
	h2.env.RegisterDelayedCallback(func() {
		retry = h2.update(workflows.RetryFulfilmentUpdate, workflows.NoteInput{Note: "link key configured"})
	}, time.Hour)
	var task2 *outcome
	h2.env.RegisterDelayedCallback(func() {
		task2 = h2.update(workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-2", Evidence: "scanned again"})
	}, 2*time.Hour)
	h2.run()
	mustNotFail(t, "retry in the next run", retry)
	mustNotFail(t, "the second round's task", task2)
	if rs := *rounds2; len(rs) != 1 || rs[0].id != workflows.WorkflowID(h.in.CaseID)+"/fulfil/2" || rs[0].err != nil {
		t.Fatalf("rounds of the next run %+v", rs)
	}
	st := h2.state()
	if st.Status != request.Completed || st.Fulfilment.Attempts != 2 {
		t.Errorf("next run closed %s after %d attempts", st.Status, st.Fulfilment.Attempts)
	}
	// A retry redoes every system's part, as the inline path does.
	if n := len(stepsOf(st, "paper-archive", workflows.OpAccess)); n != 2 {
		t.Errorf("%d paper-archive steps, want one per round", n)
	}
}
