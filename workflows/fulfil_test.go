package workflows_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/mail"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/sms"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/worker"
	"github.com/dsrflow/dsrflow/workflows"
)

// fakeConn is a data system in memory. It keeps what it was asked, with
// the idempotency key of each call, so a test can tell a retry of one
// operation (same key) from the operation run twice.
type fakeConn struct {
	name string

	mu   sync.Mutex
	data map[string]map[string]*rows // subject e-mail -> dataset -> rows
	// failLeft is how many more calls of an operation fail; -1 fails them all.
	failLeft    map[string]int
	unsupported map[string]bool
	// obstacles are reported by Check until settle is called.
	obstacles   []connector.Obstacle
	settled     bool
	deactivated map[string]bool
	corrected   map[string]string // field -> value
	calls       []call
}

// rows are one dataset's rows of one subject; a hold keeps them until.
type rows struct {
	n     int64
	until time.Time
	hold  string
}

type call struct {
	op, key, subject string
	now              time.Time // what Erase was told "now" is
	corrections      []connector.Correction
	err              error
}

func newFake(name string) *fakeConn {
	return &fakeConn{name: name, data: map[string]map[string]*rows{}, failLeft: map[string]int{},
		unsupported: map[string]bool{}, deactivated: map[string]bool{}, corrected: map[string]string{}}
}

// holds gives the subject n rows in dataset, kept until `until` if not zero.
func (f *fakeConn) holds(email, dataset string, n int64, until time.Time, hold string) *fakeConn {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.data[email] == nil {
		f.data[email] = map[string]*rows{}
	}
	f.data[email][dataset] = &rows{n: n, until: until, hold: hold}
	return f
}

func (f *fakeConn) fail(op string, times int) *fakeConn {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failLeft[op] = times
	return f
}

func (f *fakeConn) settle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settled = true
}

var errDown = errors.New("connection refused")

// begin records a call and says whether it fails.
func (f *fakeConn) begin(ctx context.Context, op string, s connector.Subject, c call) error {
	c.op, c.key, c.subject = op, connector.RequestID(ctx), s.Email
	switch n := f.failLeft[op]; {
	case f.unsupported[op]:
		c.err = connector.ErrUnsupported
	case n < 0:
		c.err = errDown
	case n > 0:
		f.failLeft[op] = n - 1
		c.err = errDown
	}
	f.calls = append(f.calls, c)
	return c.err
}

func (f *fakeConn) Name() string                  { return f.name }
func (f *fakeConn) Datasets() []connector.Dataset { return nil }
func (f *fakeConn) Access(context.Context, connector.Subject, connector.Sink) error {
	return connector.ErrUnsupported
}

func (f *fakeConn) Erase(ctx context.Context, s connector.Subject, now time.Time) ([]connector.Erasure, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, "erase", s, call{now: now}); err != nil {
		return nil, err
	}
	var out []connector.Erasure
	sets := f.data[s.Email]
	for _, name := range slices.Sorted(maps.Keys(sets)) {
		r := sets[name]
		e := connector.Erasure{Dataset: name, Strategy: "delete"}
		if r.until.After(now) {
			until := r.until
			e.Held, e.HeldUntil, e.Hold = r.n, &until, r.hold
		} else {
			e.Erased = r.n
			delete(sets, name)
		}
		out = append(out, e)
	}
	return out, nil
}

func (f *fakeConn) Correct(ctx context.Context, s connector.Subject, cs []connector.Correction) ([]connector.Applied, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, "correct", s, call{corrections: cs}); err != nil {
		return nil, err
	}
	var out []connector.Applied
	for _, c := range cs {
		ds, _, err := c.Split()
		if err != nil {
			return nil, &connector.PermanentError{Err: err}
		}
		if r, ok := f.data[s.Email][ds]; ok {
			f.corrected[c.Field] = c.Value
			out = append(out, connector.Applied{Field: c.Field, Rows: r.n})
		}
	}
	return out, nil
}

func (f *fakeConn) Check(ctx context.Context, s connector.Subject) ([]connector.Obstacle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, "check", s, call{}); err != nil {
		return nil, err
	}
	if f.settled {
		return nil, nil
	}
	return slices.Clone(f.obstacles), nil
}

func (f *fakeConn) Deactivate(ctx context.Context, s connector.Subject) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(ctx, "deactivate", s, call{}); err != nil {
		return err
	}
	f.deactivated[s.Email] = true
	return nil
}

// callsTo lists the calls of op, failed ones included.
func (f *fakeConn) callsTo(op string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.op == op {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeConn) ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.op)
	}
	return out
}

// succeeded counts the calls of op that did the work.
func succeeded(calls []call) int {
	n := 0
	for _, c := range calls {
		if c.err == nil {
			n++
		}
	}
	return n
}

// keys lists the distinct idempotency keys of calls.
func keys(calls []call) []string {
	var out []string
	for _, c := range calls {
		if !slices.Contains(out, c.key) {
			out = append(out, c.key)
		}
	}
	return out
}

// plug adds a connector to the worker's registry; c is nil for a manual one.
func (h *harness) plug(info connector.Info, c connector.Connector) {
	h.t.Helper()
	if h.acts.Registry == nil {
		h.acts.Registry = &connector.Registry{}
	}
	if err := h.acts.Registry.Add(info, c); err != nil {
		h.t.Fatal(err)
	}
}

const requester = "li.lei@example.test"

// fulfilHarness is a case the portal verified, so fulfilment starts as
// soon as it opens. Notices are in English so summaries can be read.
func fulfilHarness(t *testing.T, policyID string, received time.Time, typ request.Type) *harness {
	h := newHarness(t, policyID, received)
	h.in.Type = typ
	h.in.Channel, h.in.VerifiedBy = request.ChannelPortal, "portal:session-1"
	h.in.Requester.Language = request.English
	return h
}

// mails lists the messages to addr whose subject contains part.
func (o *outbox) mails(addr, part string) []mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []mail.Message
	for _, m := range o.msgs {
		if m.To == addr && strings.Contains(m.Subject, part) {
			out = append(out, m)
		}
	}
	return out
}

func (h *harness) eventsOf(kind string) []store.Event {
	h.t.Helper()
	evs, err := h.store.Events(context.Background(), h.in.CaseID)
	if err != nil {
		h.t.Fatal(err)
	}
	return slices.DeleteFunc(evs, func(e store.Event) bool { return e.Kind != kind })
}

func refusedWith(t *testing.T, name string, o *outcome, part string) {
	t.Helper()
	if o == nil || !o.done {
		t.Fatalf("%s: update never finished", name)
	}
	if o.rejected == nil {
		t.Fatalf("%s: accepted (err=%v), want refused with %q", name, o.err, part)
	}
	if !strings.Contains(o.rejected.Error(), part) {
		t.Errorf("%s: refused with %q, want it to say %q", name, o.rejected, part)
	}
}

func stepsOf(st workflows.State, conn, op string) []workflows.Step {
	var out []workflows.Step
	for _, s := range st.Fulfilment.Steps {
		if s.Connector == conn && s.Operation == op {
			out = append(out, s)
		}
	}
	return out
}

// A deletion runs on every system at once and closes the case itself,
// telling the requester what was erased, what the law keeps and until
// when; the held rows are erased when their hold ends.
func TestDeletionErasesEverywhereAndCompletesItself(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "gdpr", received, request.Deletion)
	h.wf.BackupRotation = 35 * 24 * time.Hour
	kept := received.AddDate(3, 0, 0)
	shop := newFake("shop-db").holds(requester, "customers", 1, time.Time{}, "").
		holds(requester, "orders", 3, time.Time{}, "").fail("erase", 1)
	ledger := newFake("ledger").holds(requester, "contacts", 1, time.Time{}, "").
		holds(requester, "invoices", 2, kept, "transaction records, 3 years").fail("erase", 1)
	// Both fail once and are retried an hour later: run one after the
	// other, the second would finish an hour after the first.
	h.plug(connector.Info{Name: "shop-db", Kind: connector.KindSQL, Owner: "shop@example.test", Attempts: 3, Backoff: time.Hour}, shop)
	h.plug(connector.Info{Name: "ledger", Kind: connector.KindHTTP, Owner: "finance@example.test", Attempts: 3, Backoff: time.Hour}, ledger)

	var staffComplete *outcome
	var during workflows.State
	h.at(received.Add(30*time.Minute), func() {
		during = h.state()
		staffComplete = h.update(workflows.CompleteUpdate, workflows.CompleteInput{Summary: "erased", Actor: "staff:wang"})
	})
	h.run()

	refusedWith(t, "complete by staff", staffComplete, "completes the case itself")
	if during.Status != request.InProgress || during.Fulfilment == nil || len(during.Fulfilment.Steps) != 2 {
		t.Fatalf("while erasing: status %s, fulfilment %+v", during.Status, during.Fulfilment)
	}
	st := h.state()
	if r := h.result(); r.Status != request.Completed || st.Outcome != "completed" {
		t.Fatalf("result %+v, outcome %q", r, st.Outcome)
	}
	done := received.Add(time.Hour)
	for _, name := range []string{"shop-db", "ledger"} {
		steps := stepsOf(st, name, workflows.OpErase)
		if len(steps) != 1 || steps[0].Status != workflows.StepDone || !steps[0].At.Equal(done) {
			t.Errorf("%s erase steps %+v, want one done at %v (both retried in parallel)", name, steps, done)
		}
	}
	wantSummary := []string{
		"shop-db/customers (1)", "shop-db/orders (3)", "ledger/contacts (1)",
		"ledger/invoices: 2 records, kept until 2029-03-02 under transaction records, 3 years",
		// Erased at 10:00 UTC on 2 March, plus 35 days.
		"roll off by 2026-04-06",
	}
	for _, w := range wantSummary {
		if !strings.Contains(st.Summary, w) {
			t.Errorf("summary %q lacks %q", st.Summary, w)
		}
	}
	if st.Fulfilment.BackupsClearBy == nil || !st.Fulfilment.BackupsClearBy.Equal(done.Add(35*24*time.Hour)) {
		t.Errorf("backups clear by %v", st.Fulfilment.BackupsClearBy)
	}
	completion := h.out.mails(requester, "is complete")
	if len(completion) != 1 || !strings.Contains(completion[0].Body, "kept until 2029-03-02") {
		t.Errorf("completion notices to the requester: %+v", completion)
	}
	if got := h.out.mails("dpo@example.test", ""); len(got) != 0 {
		t.Errorf("staff were mailed %d times; nothing needed them", len(got))
	}

	kinds := h.events()
	if !inOrder(kinds, []string{"case.opened", "case.verified", "erasure.scheduled", "case.completed"}) {
		t.Errorf("events %v", kinds)
	}
	if count(kinds, "fulfilment.done") != 2 || count(kinds, "case.completed") != 1 {
		t.Errorf("events %v: want both erasures and one completion", kinds)
	}
	if evs := h.eventsOf("erasure.scheduled"); len(evs) != 1 || !strings.Contains(evs[0].Detail, `"connectors":"ledger"`) ||
		!strings.Contains(evs[0].Detail, "2029-03-02T09:00:00Z") {
		t.Errorf("erasure.scheduled %+v", evs)
	}
	if c := h.eventsOf("case.completed"); len(c) != 1 || !c[0].OccurredAt.Equal(done) || c[0].Actor != "system" {
		t.Errorf("case.completed %+v, want by the system at %v", c, done)
	}

	// The retry reuses the operation's key; the held rows are erased on
	// the day their hold ends, under a key of their own.
	caseKey := h.in.CaseID + ":erase:"
	if k := keys(shop.callsTo("erase")); !slices.Equal(k, []string{caseKey + "shop-db:0"}) {
		t.Errorf("shop-db erase keys %v", k)
	}
	lc := ledger.callsTo("erase")
	if len(lc) != 3 || lc[0].key != lc[1].key || lc[0].key != caseKey+"ledger:0" {
		t.Fatalf("ledger erase calls %+v: want a failure, its retry, and the held rows' erasure", lc)
	}
	if later := lc[2]; later.key != h.in.CaseID+":erase-held:ledger:1" || !later.now.Equal(kept) {
		t.Errorf("held rows erased with key %q as of %v, want as of %v", later.key, later.now, kept)
	}
	if ev := h.eventsOf("erasure.held_erased"); len(ev) != 1 || !strings.Contains(ev[0].Detail, `"erased":"2"`) {
		t.Errorf("erasure.held_erased %+v", ev)
	}
	if len(shop.callsTo("erase")) != 2 {
		t.Errorf("shop-db erased %d times; nothing was held there", len(shop.callsTo("erase")))
	}
}

// The Erasure workflow sleeps until the hold ends, erases, and carries on
// as a new run while a later hold still keeps rows.
func TestErasureRepeatsWhileHeld(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, "gdpr", start)
	first, second := start.AddDate(3, 0, 0), start.AddDate(5, 0, 0)
	ledger := newFake("ledger").
		holds(requester, "invoices", 2, first, "transaction records, 3 years").
		holds(requester, "contracts", 1, second, "contracts, 5 years")
	info := connector.Info{Name: "ledger", Kind: connector.KindHTTP, Owner: "finance@example.test"}
	h.plug(info, ledger)
	in := workflows.ErasureInput{CaseID: h.in.CaseID, Subject: connector.Subject{Email: requester},
		Connectors: []connector.Info{info}, Until: first, Round: 1}

	h.env.ExecuteWorkflow(workflows.ErasureName, in)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("first round ended with %v, want continue-as-new while contracts are held", err)
	}
	var next workflows.ErasureInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if can.WorkflowType.Name != workflows.ErasureName || next.Round != 2 || !next.Until.Equal(second) ||
		len(next.Connectors) != 1 || next.Connectors[0].Name != "ledger" || next.Subject.Email != requester {
		t.Fatalf("continued as %s with %+v", can.WorkflowType.Name, next)
	}
	calls := ledger.callsTo("erase")
	if len(calls) != 1 || !calls[0].now.Equal(first) || calls[0].key != h.in.CaseID+":erase-held:ledger:1" {
		t.Fatalf("first round calls %+v, want one as of %v", calls, first)
	}

	// The next run, as Temporal would start it.
	var s testsuite.WorkflowTestSuite
	h.env = s.NewTestWorkflowEnvironment()
	h.env.SetStartTime(first)
	worker.Register(h.env, h.wf, h.acts)
	h.env.ExecuteWorkflow(workflows.ErasureName, next)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("second round: %v, want done: nothing is held any more", err)
	}
	calls = ledger.callsTo("erase")
	if len(calls) != 2 || !calls[1].now.Equal(second) || calls[1].key != h.in.CaseID+":erase-held:ledger:2" {
		t.Fatalf("calls %+v, want the second as of %v", calls, second)
	}
	evs := h.eventsOf("erasure.held_erased")
	if len(evs) != 2 {
		t.Fatalf("erasure.held_erased events %+v", evs)
	}
	if !strings.Contains(evs[0].Detail, `"erased":"2"`) || !strings.Contains(evs[0].Detail, `"held_until":"2031-03-02T09:00:00Z"`) ||
		!evs[0].OccurredAt.Equal(first) {
		t.Errorf("first round event %+v", evs[0])
	}
	if !strings.Contains(evs[1].Detail, `"erased":"1"`) || strings.Contains(evs[1].Detail, "held_until") || !evs[1].OccurredAt.Equal(second) {
		t.Errorf("second round event %+v", evs[1])
	}
	h.events() // the appended events keep the chain
}

// A system that keeps failing becomes a task for its owner; the case waits
// for it, chases it, and says in the end that staff did it by hand.
func TestFailingConnectorBecomesManualTask(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "gdpr", received, request.Deletion)
	shop := newFake("shop-db").holds(requester, "customers", 1, time.Time{}, "")
	crm := newFake("crm").holds(requester, "contacts", 4, time.Time{}, "").fail("erase", -1)
	h.plug(connector.Info{Name: "shop-db", Kind: connector.KindSQL, Owner: "shop@example.test"}, shop)
	h.plug(connector.Info{Name: "crm", Kind: connector.KindHTTP, Owner: "crm-team@example.test",
		Instructions: "Use the admin console's GDPR tool.", Attempts: 3, Backoff: time.Minute, RemindEvery: 24 * time.Hour}, crm)

	var open workflows.State
	var noEvidence, unknown, done, twice *outcome
	h.at(received.Add(2*time.Hour), func() {
		open = h.state()
		noEvidence = h.update(workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "  "})
		unknown = h.update(workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-9", Evidence: "done"})
	})
	h.at(received.Add(30*time.Hour), func() {
		done = h.update(workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "ticket CRM-42", Actor: "staff:zhao"})
		twice = h.update(workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "again"})
	})
	h.run()

	refusedWith(t, "task without evidence", noEvidence, "evidence")
	refusedWith(t, "unknown task", unknown, "task-9")
	mustNotFail(t, "complete task", done)
	if twice.rejected == nil {
		t.Error("a task was completed twice")
	}
	if open.Status != request.InProgress || len(open.Fulfilment.Tasks) != 1 {
		t.Fatalf("while the task is open: %s %+v", open.Status, open.Fulfilment)
	}
	task := open.Fulfilment.Tasks[0]
	// Attempts at 0, 1 and 3 minutes (backoff doubling); then the owner.
	if task.Status != workflows.TaskOpen || task.Connector != "crm" || task.Owner != "crm-team@example.test" ||
		!strings.Contains(task.Reason, errDown.Error()) || !task.OpenedAt.Equal(received.Add(3*time.Minute)) {
		t.Errorf("task %+v", task)
	}
	if s := stepsOf(open, "crm", workflows.OpErase); len(s) != 1 || s[0].Status != workflows.StepFailed {
		t.Errorf("crm step while open %+v", s)
	}

	st := h.state()
	if st.Status != request.Completed || !strings.Contains(st.Summary, "Staff handled these systems by hand: crm.") ||
		!strings.Contains(st.Summary, "shop-db/customers (1)") {
		t.Errorf("closed %s with summary %q", st.Status, st.Summary)
	}
	if c := h.eventTimes("case.completed"); len(c) != 1 || !c[0].Equal(received.Add(30*time.Hour)) {
		t.Errorf("completed at %v, want when the task was done", c)
	}
	if got := st.Fulfilment.Tasks[0]; got.Status != workflows.TaskDone || got.Evidence != "ticket CRM-42" || got.DoneBy != "staff:zhao" {
		t.Errorf("task after completion %+v", got)
	}
	if s := stepsOf(st, "crm", workflows.OpErase); len(s) != 1 || s[0].Status != workflows.StepManual || !strings.Contains(s[0].Detail, "ticket CRM-42") {
		t.Errorf("crm step %+v", s)
	}

	assigned := h.out.mails("crm-team@example.test", "Task task-1")
	if len(assigned) != 1 || !strings.Contains(assigned[0].Body, "GDPR tool") || !strings.Contains(assigned[0].Body, errDown.Error()) {
		t.Errorf("task mail to the owner %+v", assigned)
	}
	// Opened at 0:03, chased a day later, done at 30:00: one reminder.
	if r := h.out.mails("crm-team@example.test", "Reminder"); len(r) != 1 {
		t.Errorf("%d reminders to the owner, want 1", len(r))
	}

	kinds := h.events()
	if !inOrder(kinds, []string{"fulfilment.failed", "task.opened", "task.completed", "fulfilment.manual", "case.completed"}) {
		t.Errorf("events %v", kinds)
	}
	if c := crm.callsTo("erase"); len(c) != 3 || len(keys(c)) != 1 {
		t.Errorf("crm erase calls %+v: want 3 attempts under one key", c)
	}
	if c := shop.callsTo("erase"); succeeded(c) != 1 || len(c) != 1 || c[0].key != h.in.CaseID+":erase:shop-db:0" {
		t.Errorf("shop-db erase calls %+v: want one", c)
	}
}

// A system with no API is a task from the start, and the case stays open
// until its owner has done it.
func TestManualConnectorHoldsTheCase(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "gdpr", received, request.Deletion)
	shop := newFake("shop-db").holds(requester, "customers", 1, time.Time{}, "")
	h.plug(connector.Info{Name: "shop-db", Kind: connector.KindSQL, Owner: "shop@example.test"}, shop)
	h.plug(connector.Info{Name: "paper-archive", Kind: connector.KindManual, Owner: "archive@example.test",
		Instructions: "Shred the file in cabinet 3.", RemindEvery: 48 * time.Hour}, nil)

	var waiting workflows.State
	var done *outcome
	h.at(received.Add(24*time.Hour), func() { waiting = h.state() })
	h.at(received.Add(3*24*time.Hour), func() {
		done = h.update(workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "shredded, witnessed by Wang"})
	})
	h.run()

	mustNotFail(t, "complete task", done)
	if waiting.Status != request.InProgress || len(waiting.Fulfilment.Tasks) != 1 {
		t.Fatalf("a day in: %s %+v", waiting.Status, waiting.Fulfilment)
	}
	if task := waiting.Fulfilment.Tasks[0]; task.Status != workflows.TaskOpen || task.Connector != "paper-archive" ||
		!task.OpenedAt.Equal(received) || task.Reason != "the system has no API" {
		t.Errorf("task %+v", task)
	}
	if s := stepsOf(waiting, "shop-db", workflows.OpErase); len(s) != 1 || s[0].Status != workflows.StepDone {
		t.Errorf("shop-db step %+v; the API system need not wait for the manual one", s)
	}
	if c := h.eventTimes("case.completed"); len(c) != 1 || !c[0].Equal(received.Add(3*24*time.Hour)) {
		t.Errorf("completed at %v, want when the task was done", c)
	}
	st := h.state()
	if !strings.Contains(st.Summary, "Staff handled these systems by hand: paper-archive.") {
		t.Errorf("summary %q", st.Summary)
	}
	if m := h.out.mails("archive@example.test", "Task task-1"); len(m) != 1 || !strings.Contains(m[0].Body, "cabinet 3") {
		t.Errorf("task mail %+v", m)
	}
	// Reminded after 48 hours; done at 72, before the second.
	if r := h.out.mails("archive@example.test", "Reminder"); len(r) != 1 {
		t.Errorf("%d reminders, want 1", len(r))
	}
	if kinds := h.events(); !inOrder(kinds, []string{"fulfilment.manual", "task.opened", "task.completed", "case.completed"}) {
		t.Errorf("events %v", kinds)
	}
}

// Corrections wait for staff to decide each one; only the approved ones
// reach the systems, and the requester is told why the others were not.
func TestCorrectionAppliesOnlyApproved(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "gdpr", received, request.Correction)
	h.in.Corrections = []connector.Correction{
		{Field: "profile.name", Value: "Li Lei"},
		{Field: "profile.birthday", Value: "1990-01-01"},
	}
	shop := newFake("shop-db").holds(requester, "profile", 1, time.Time{}, "")
	ledger := newFake("ledger").holds(requester, "invoices", 2, time.Time{}, "")
	h.plug(connector.Info{Name: "shop-db", Kind: connector.KindSQL, Owner: "shop@example.test"}, shop)
	h.plug(connector.Info{Name: "ledger", Kind: connector.KindHTTP, Owner: "finance@example.test"}, ledger)

	var pending workflows.State
	var unknownField, noReason, sameTwice, approve, again, reject *outcome
	h.at(received.Add(time.Hour), func() {
		pending = h.state()
		unknownField = h.update(workflows.DecideCorrectionsUpdate, workflows.DecideInput{
			Decisions: []workflows.Decision{{Field: "profile.phone", Approve: true}}})
		noReason = h.update(workflows.DecideCorrectionsUpdate, workflows.DecideInput{
			Decisions: []workflows.Decision{{Field: "profile.birthday", Reason: " "}}})
		sameTwice = h.update(workflows.DecideCorrectionsUpdate, workflows.DecideInput{
			Decisions: []workflows.Decision{{Field: "profile.name", Approve: true}, {Field: "profile.name", Approve: true}}})
	})
	h.at(received.Add(2*time.Hour), func() {
		approve = h.update(workflows.DecideCorrectionsUpdate, workflows.DecideInput{
			Decisions: []workflows.Decision{{Field: "profile.name", Approve: true}}, Actor: "staff:wang"})
	})
	h.at(received.Add(3*time.Hour), func() {
		again = h.update(workflows.DecideCorrectionsUpdate, workflows.DecideInput{
			Decisions: []workflows.Decision{{Field: "profile.name", Reason: "changed my mind"}}})
		reject = h.update(workflows.DecideCorrectionsUpdate, workflows.DecideInput{
			Decisions: []workflows.Decision{{Field: "profile.birthday", Reason: "the ID card shows another date"}}, Actor: "staff:wang"})
	})
	h.run()

	refusedWith(t, "unknown field", unknownField, "profile.phone")
	refusedWith(t, "rejection without reason", noReason, "reason")
	refusedWith(t, "same field twice", sameTwice, "decided twice")
	mustNotFail(t, "approve", approve)
	refusedWith(t, "decide again", again, "already approved")
	mustNotFail(t, "reject", reject)

	if pending.Status != request.InProgress || len(pending.Fulfilment.Corrections) != 2 ||
		pending.Fulfilment.Corrections[0].Decision != workflows.DecisionPending {
		t.Fatalf("before the decisions: %+v", pending.Fulfilment)
	}
	// Nothing is changed until every correction is decided.
	if c := h.eventTimes("fulfilment.done"); len(c) != 2 || !c[0].Equal(received.Add(3*time.Hour)) {
		t.Errorf("corrections applied at %v, want once both were decided", c)
	}
	for _, f := range []*fakeConn{shop, ledger} {
		c := f.callsTo("correct")
		if len(c) != 1 || !slices.Equal(c[0].corrections, h.in.Corrections[:1]) || c[0].key != h.in.CaseID+":correct:"+f.name+":0" {
			t.Errorf("%s correct calls %+v, want one with the approved correction only", f.name, c)
		}
	}
	if !maps.Equal(shop.corrected, map[string]string{"profile.name": "Li Lei"}) || len(ledger.corrected) != 0 {
		t.Errorf("corrected shop-db %v ledger %v", shop.corrected, ledger.corrected)
	}

	st := h.state()
	want := "Corrected: profile.name. Not corrected: profile.birthday (the ID card shows another date)."
	if st.Status != request.Completed || st.Summary != want {
		t.Errorf("closed %s with %q, want %q", st.Status, st.Summary, want)
	}
	name, birthday := st.Fulfilment.Corrections[0], st.Fulfilment.Corrections[1]
	if name.Decision != workflows.DecisionApproved || !name.Applied || name.Rows != 1 || name.DecidedBy != "staff:wang" {
		t.Errorf("name %+v", name)
	}
	if birthday.Decision != workflows.DecisionRejected || birthday.Applied || birthday.Reason != "the ID card shows another date" {
		t.Errorf("birthday %+v", birthday)
	}
	if m := h.out.mails("dpo@example.test", "Corrections to review"); len(m) != 1 {
		t.Errorf("%d corrections_pending notices to the DPO, want 1", len(m))
	}
	if m := h.out.mails(requester, "is complete"); len(m) != 1 || !strings.Contains(m[0].Body, "another date") {
		t.Errorf("completion notice %+v", m)
	}
	kinds := h.events()
	if !inOrder(kinds, []string{"corrections.requested", "correction.approved", "correction.rejected", "fulfilment.done", "case.completed"}) {
		t.Errorf("events %v", kinds)
	}
}

var balance = connector.Obstacle{Check: "balance", Message: "Your wallet holds 12.50 CNY; spend or withdraw it."}

// cancellationHarness: an account with a balance to settle in "accounts",
// and a ledger that has no accounts to deactivate.
func cancellationHarness(t *testing.T) (h *harness, accounts, ledger *fakeConn) {
	received := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
	h = fulfilHarness(t, "cn-15d-ext45", received, request.AccountCancellation)
	accounts = newFake("accounts").holds(requester, "users", 1, time.Time{}, "")
	accounts.obstacles = []connector.Obstacle{balance}
	ledger = newFake("ledger").holds(requester, "invoices", 2, time.Time{}, "")
	ledger.unsupported["deactivate"] = true
	h.plug(connector.Info{Name: "accounts", Kind: connector.KindSQL, Owner: "accounts@example.test"}, accounts)
	h.plug(connector.Info{Name: "ledger", Kind: connector.KindHTTP, Owner: "finance@example.test"}, ledger)
	return h, accounts, ledger
}

// An account cancellation waits for the requester to settle what they
// would lose, then for their confirmation and the cooling-off period; only
// then is the account deactivated and the data erased.
func TestAccountCancellation(t *testing.T) {
	h, accounts, ledger := cancellationHarness(t)
	received := h.in.ReceivedAt
	var blocked, confirming, cooling workflows.State
	var earlyConfirm, recheck, staleRecheck, confirm *outcome
	h.at(received.Add(time.Hour), func() {
		blocked = h.state()
		earlyConfirm = h.update(workflows.ConfirmCancellationUpdate, workflows.NoteInput{})
		accounts.settle()
	})
	h.at(received.Add(2*time.Hour), func() {
		recheck = h.update(workflows.RecheckUpdate, workflows.NoteInput{Note: "the requester says it is spent", Actor: "staff:li"})
	})
	h.at(received.Add(3*time.Hour), func() {
		confirming = h.state()
		staleRecheck = h.update(workflows.RecheckUpdate, workflows.NoteInput{})
	})
	confirmed := received.Add(24 * time.Hour)
	h.at(confirmed, func() {
		confirm = h.update(workflows.ConfirmCancellationUpdate, workflows.NoteInput{Note: "replied confirm", Actor: "requester"})
	})
	h.at(received.Add(5*24*time.Hour), func() { cooling = h.state() })
	h.run()

	if blocked.Status != request.AwaitingRequester || blocked.InfoNeeded != "- "+balance.Message {
		t.Errorf("with a balance: %s, info needed %q", blocked.Status, blocked.InfoNeeded)
	}
	refusedWith(t, "confirm before the account is clear", earlyConfirm, "not waiting")
	mustNotFail(t, "recheck", recheck)
	refusedWith(t, "recheck with nothing to settle", staleRecheck, "not waiting")
	mustNotFail(t, "confirm", confirm)
	if confirming.Status != request.AwaitingRequester || confirming.InfoNeeded != "" || len(confirming.Fulfilment.Cancellation.Obstacles) != 0 {
		t.Errorf("awaiting confirmation: %s %q %+v", confirming.Status, confirming.InfoNeeded, confirming.Fulfilment.Cancellation)
	}
	// Confirmed on 3 March: seven days, to the end of 10 March, Shanghai.
	coolingEnd := time.Date(2026, 3, 10, 23, 59, 59, 0, shanghai)
	c := cooling.Fulfilment.Cancellation
	if cooling.Status != request.InProgress || c.ConfirmedAt == nil || !c.ConfirmedAt.Equal(confirmed) ||
		c.CoolingOffUntil == nil || !c.CoolingOffUntil.Equal(coolingEnd) || c.DeactivatedAt != nil {
		t.Errorf("during cooling-off: %s %+v", cooling.Status, c)
	}
	// Checked at opening and on recheck; deactivated, then erased, after
	// the cooling-off period.
	if ops := accounts.ops(); !slices.Equal(ops, []string{"check", "check", "deactivate", "erase"}) {
		t.Errorf("accounts calls %v", ops)
	}
	if !accounts.deactivated[requester] {
		t.Error("account not deactivated")
	}
	if ops := ledger.ops(); !slices.Equal(ops, []string{"check", "check", "deactivate", "erase"}) {
		t.Errorf("ledger calls %v", ops)
	}
	if k := keys(accounts.callsTo("check")); len(k) != 2 || k[0] == k[1] {
		t.Errorf("check keys %v: each round is a new operation", k)
	}
	if d := h.eventTimes("account.deactivated"); len(d) != 1 || !d[0].Equal(coolingEnd) {
		t.Errorf("deactivated at %v, want at the end of cooling-off %v", d, coolingEnd)
	}

	st := h.state()
	if st.Status != request.Completed || !strings.HasPrefix(st.Summary, "Your account has been cancelled. Erased or anonymised:") ||
		!strings.Contains(st.Summary, "accounts/users (1)") || !strings.Contains(st.Summary, "ledger/invoices (2)") {
		t.Errorf("closed %s: %q", st.Status, st.Summary)
	}
	if s := stepsOf(st, "ledger", workflows.OpDeactivate); len(s) != 1 || s[0].Status != workflows.StepSkipped {
		t.Errorf("ledger deactivate step %+v, want skipped", s)
	}
	if m := h.out.mails(requester, "Before we can close your account"); len(m) != 1 || !strings.Contains(m[0].Body, balance.Message) {
		t.Errorf("obstacle notices %+v", m)
	}
	if m := h.out.mails(requester, "Please confirm"); len(m) != 1 {
		t.Errorf("%d confirmation requests, want 1", len(m))
	}
	if m := h.out.mails(requester, "is complete"); len(m) != 1 {
		t.Errorf("%d completion notices, want 1", len(m))
	}
	kinds := h.events()
	if !inOrder(kinds, []string{"fulfilment.awaiting_requester", "cancellation.recheck", "fulfilment.awaiting_requester",
		"cancellation.confirmed", "account.deactivated", "case.completed"}) {
		t.Errorf("events %v", kinds)
	}
}

// A requester who revokes during the cooling-off period keeps their
// account: nothing is deactivated or erased.
func TestAccountCancellationRevoked(t *testing.T) {
	h, accounts, ledger := cancellationHarness(t)
	accounts.settle()
	received := h.in.ReceivedAt
	var confirm, revoke *outcome
	h.at(received.Add(time.Hour), func() {
		confirm = h.update(workflows.ConfirmCancellationUpdate, workflows.NoteInput{})
	})
	h.at(received.Add(3*24*time.Hour), func() {
		revoke = h.update(workflows.RevokeCancellationUpdate, workflows.NoteInput{Note: "changed my mind", Actor: "requester"})
	})
	h.run()

	mustNotFail(t, "confirm", confirm)
	mustNotFail(t, "revoke", revoke)
	if r := h.result(); r.Status != request.Withdrawn {
		t.Errorf("result %+v", r)
	}
	if st := h.state(); !st.Fulfilment.Cancellation.Revoked || st.Fulfilment.Cancellation.DeactivatedAt != nil {
		t.Errorf("cancellation %+v", st.Fulfilment.Cancellation)
	}
	for _, f := range []*fakeConn{accounts, ledger} {
		if ops := f.ops(); !slices.Equal(ops, []string{"check"}) {
			t.Errorf("%s calls %v, want only the check", f.name, ops)
		}
	}
	if m := h.out.mails(requester, "withdrawn"); len(m) != 1 {
		t.Errorf("%d withdrawal notices, want 1", len(m))
	}
	kinds := h.events()
	if !inOrder(kinds, []string{"cancellation.confirmed", "case.withdrawn"}) || count(kinds, "account.deactivated") != 0 {
		t.Errorf("events %v", kinds)
	}
}

// Once systems are being changed, the case can be neither denied nor
// withdrawn: the requester would be told nothing happened when it did.
func TestNoDenyOrWithdrawWhileErasing(t *testing.T) {
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := fulfilHarness(t, "gdpr", received, request.Deletion)
	// Three failures, retried hourly (a backoff over the 30-minute cap
	// is the cap): erasing until 12:00.
	shop := newFake("shop-db").holds(requester, "customers", 1, time.Time{}, "").fail("erase", 3)
	h.plug(connector.Info{Name: "shop-db", Kind: connector.KindSQL, Owner: "shop@example.test", Attempts: 5, Backoff: time.Hour}, shop)
	var deny, withdraw *outcome
	h.at(received.Add(30*time.Minute), func() {
		deny = h.update(workflows.DenyUpdate, workflows.DenyInput{Reason: request.UnfoundedOrRepeated, Explanation: "repeat"})
		withdraw = h.update(workflows.WithdrawUpdate, workflows.NoteInput{Note: "requester called"})
	})
	h.run()

	refusedWith(t, "deny while erasing", deny, "being changed")
	refusedWith(t, "withdraw while erasing", withdraw, "being changed")
	if c := h.eventTimes("case.completed"); len(c) != 1 || !c[0].Equal(received.Add(3*time.Hour)) {
		t.Errorf("completed at %v", c)
	}
	if kinds := h.events(); count(kinds, "case.denied")+count(kinds, "case.withdrawn") != 0 {
		t.Errorf("events %v", kinds)
	}
	if c := shop.callsTo("erase"); len(c) != 4 || succeeded(c) != 1 || len(keys(c)) != 1 {
		t.Errorf("erase calls %+v", c)
	}
}

// TestRecordHistoriesFulfilment records, like TestRecordHistories (whose
// -run pattern also matches it), histories of fulfilment through
// connectors, which that test's worker has none of. TestReplayRecordedHistories
// replays them with the rest, so a change of fulfilment's command sequence
// that is not guarded by a version fails there.
func TestRecordHistoriesFulfilment(t *testing.T) {
	if !*record {
		t.Skip("records histories only with -record")
	}
	ctx := context.Background()
	c := recordingClient(t)

	const person = "person@example.test"
	kept := time.Now().AddDate(3, 0, 0).UTC().Truncate(time.Second)
	reg := &connector.Registry{}
	for _, add := range []struct {
		info connector.Info
		conn connector.Connector
	}{
		{connector.Info{Name: "shop-db", Kind: connector.KindSQL, Owner: "shop@example.test"},
			newFake("shop-db").holds(person, "customers", 1, time.Time{}, "").holds(person, "profile", 1, time.Time{}, "")},
		{connector.Info{Name: "ledger", Kind: connector.KindHTTP, Owner: "finance@example.test"},
			newFake("ledger").holds(person, "invoices", 2, kept, "transaction records, 3 years")},
		{connector.Info{Name: "paper-archive", Kind: connector.KindManual, Owner: "archive@example.test"}, nil},
	} {
		if err := reg.Add(add.info, add.conn); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{c: c, out: &outbox{}, texts: &sms.Outbox{}}
	w := worker.New(c, "replay-fulfil", &workflows.Workflows{Policies: presets(t), BackupRotation: 35 * 24 * time.Hour},
		&activities.Activities{
			Store: storetest.Open(t, store.SQLite), Mailer: rec.out, Texter: rec.texts, From: "dpo@example.test", DPO: "dpo@example.test",
			CodeKey: bytes.Repeat([]byte("c"), 32), Registry: reg,
			Exports: &activities.Exports{Links: &export.Signer{Key: bytes.Repeat([]byte("l"), 32)}, PublicURL: "http://dsr.test"},
		})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	taskOpen := func(st workflows.State) bool {
		return st.Fulfilment != nil && len(st.Fulfilment.Tasks) == 1
	}
	correctionsAsked := func(st workflows.State) bool {
		return st.Fulfilment != nil && len(st.Fulfilment.Corrections) == 2
	}
	for i, sc := range []struct {
		name        string
		typ         request.Type
		corrections []connector.Correction
		drive       func(t *testing.T, id string)
	}{
		// Erased in two systems, held in one (the Erasure child is started),
		// done by hand in the manual one.
		{name: "fulfil-deletion-held", typ: request.Deletion, drive: func(t *testing.T, id string) {
			rec.waitFor(t, id, taskOpen)
			rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "done"}, true)
			rec.update(t, id, workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "shredded"}, false)
		}},
		{name: "fulfil-correction", typ: request.Correction,
			corrections: []connector.Correction{{Field: "profile.name", Value: "Test Person"}, {Field: "profile.birthday", Value: "1990-01-01"}},
			drive: func(t *testing.T, id string) {
				rec.waitFor(t, id, correctionsAsked)
				rec.update(t, id, workflows.DecideCorrectionsUpdate, workflows.DecideInput{
					Decisions: []workflows.Decision{{Field: "profile.name", Approve: true}}}, false)
				rec.update(t, id, workflows.DecideCorrectionsUpdate, workflows.DecideInput{
					Decisions: []workflows.Decision{{Field: "profile.birthday", Reason: "no evidence"}}}, false)
				// The manual system applies its share by hand too.
				rec.waitFor(t, id, taskOpen)
				rec.update(t, id, workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "corrected on file"}, false)
			}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			id := fmt.Sprintf("00000000-0000-4000-8000-1000000000%02d", i+1)
			in := workflows.Input{
				CaseID: id, Reference: fmt.Sprintf("DSR-REPLAY-F%03d", i+1), Tenant: "shop", Type: sc.typ,
				Channel: request.ChannelPortal, PolicyID: "gdpr", ReceivedAt: time.Now().UTC().Truncate(time.Second),
				Requester:  workflows.Requester{Name: "Test Person", Email: person, Language: request.English, ActingFor: request.Self},
				VerifiedBy: "portal:session-1", Corrections: sc.corrections,
			}
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.WorkflowID(id), TaskQueue: "replay-fulfil"}, workflows.RequestName, in)
			if err != nil {
				t.Fatal(err)
			}
			sc.drive(t, id)
			var res workflows.Result
			wctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			if err := run.Get(wctx, &res); err != nil {
				t.Fatal(err)
			}
			if res.Status != request.Completed {
				t.Fatalf("closed %s, want completed", res.Status)
			}
			writeHistory(t, c, workflows.WorkflowID(id), filepath.Join(historyDir, sc.name+".json"))
			if sc.typ == request.Deletion {
				// The erasure of what the hold keeps waits for years: its
				// history so far is its first command, the timer.
				writeHistory(t, c, "dsr-erasure:"+id, filepath.Join(historyDir, "erasure-waiting.json"))
			}
		})
	}
	t.Run("relink", func(t *testing.T) {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "dsr-relink:replay", TaskQueue: "replay-fulfil"},
			workflows.RelinkName, workflows.RelinkInput{CaseID: "00000000-0000-4000-8000-100000000001", Reference: "DSR-REPLAY-F001",
				Tenant: "shop", Type: request.Access, PolicyID: "gdpr", Actor: "staff", Key: "k1",
				Requester: workflows.Requester{Email: person, Language: request.English}})
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Get(ctx, nil); err != nil {
			t.Fatal(err)
		}
		writeHistory(t, c, "dsr-relink:replay", filepath.Join(historyDir, "relink.json"))
	})
}
