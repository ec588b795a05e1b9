package workflows_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/sms"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/worker"
	"github.com/dsrflow/dsrflow/workflows"
)

// rowsConn is a data system that also gives a copy of the subject's rows,
// which fakeConn does not.
type rowsConn struct{ *fakeConn }

func (c rowsConn) Access(_ context.Context, _ connector.Subject, sink connector.Sink) error {
	for _, d := range []struct {
		name string
		rows [][]any
	}{
		{"customers", [][]any{{"Test Person", "person@example.test"}}},
		{"orders", [][]any{{"A-1", "12.50"}, {"A-2", "3.00"}, {"A-3", nil}}},
	} {
		if err := sink.Dataset(connector.Dataset{Connector: c.name, Name: d.name,
			Columns: []connector.Column{{Name: "a", Category: "identity"}, {Name: "b", Category: "contact"}}}); err != nil {
			return err
		}
		for _, r := range d.rows {
			if err := sink.Row(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// coreRecording is one worker on its own task queue, with the activities a
// group of scenarios needs.
type coreRecording struct {
	c     client.Client
	queue string
	wf    *workflows.Workflows
	rec   *recorder
}

func startCoreWorker(t *testing.T, c client.Client, queue string, wf *workflows.Workflows, acts *activities.Activities) *coreRecording {
	t.Helper()
	rec := &recorder{c: c, out: &outbox{}, texts: &sms.Outbox{}}
	acts.Store = storetest.Open(t, store.SQLite)
	acts.Mailer, acts.Texter, acts.From, acts.DPO = rec.out, rec.texts, "dpo@example.test", "dpo@example.test"
	acts.CodeKey = bytes.Repeat([]byte("c"), 32)
	w := worker.New(c, queue, wf, acts)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return &coreRecording{c: c, queue: queue, wf: wf, rec: rec}
}

// coreScenario is one recording. A scenario whose file exists is not run:
// the corpus only grows, and a recorded history is never replaced.
type coreScenario struct {
	name  string
	input func(in *workflows.Input)
	// drive acts on the case; it returns false when the history is to be
	// written while the case still runs (it waits for years, or a day).
	drive     func(t *testing.T, cr *coreRecording, id string) (closes bool)
	wantFinal request.Status
}

func (cr *coreRecording) record(t *testing.T, n int, sc coreScenario) {
	t.Run(sc.name, func(t *testing.T) {
		path := filepath.Join(historyDir, sc.name+".json")
		if _, err := os.Stat(path); err == nil {
			t.Logf("%s is recorded already; it is kept", path)
			return
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		id := fmt.Sprintf("00000000-0000-4000-8000-2000000000%02d", n)
		in := workflows.Input{
			CaseID: id, Reference: fmt.Sprintf("DSR-REPLAY-C%03d", n), Tenant: "shop", Type: request.Restriction,
			Channel: request.ChannelAPI, PolicyID: "gdpr", ReceivedAt: time.Now().UTC().Truncate(time.Second),
			Requester: workflows.Requester{Name: "Test Person", Email: "person@example.test", Language: request.English, ActingFor: request.Self},
		}
		sc.input(&in)
		ctx := context.Background()
		run, err := cr.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.WorkflowID(id), TaskQueue: cr.queue}, workflows.RequestName, in)
		if err != nil {
			t.Fatal(err)
		}
		if sc.drive(t, cr, id) {
			awaitClosed(t, run, sc.wantFinal)
		}
		writeHistory(t, cr.c, workflows.WorkflowID(id), path)
	})
}

// ref is the reference record gives the case id.
func ref(id string) string { return "DSR-REPLAY-C0" + id[len(id)-2:] }

func portal(in *workflows.Input) {
	in.Channel, in.VerifiedBy = request.ChannelPortal, "portal:session-1"
}

// codeFor waits for the verification code sent for the case ref: the
// outbox is shared by the scenarios of one worker.
func (rec *recorder) codeFor(t *testing.T, ref string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		rec.out.mu.Lock()
		for i := len(rec.out.msgs) - 1; i >= 0; i-- {
			m := rec.out.msgs[i]
			if c := codeRE.FindStringSubmatch(m.Body); c != nil && strings.Contains(m.Subject, ref) {
				rec.out.mu.Unlock()
				return c[1]
			}
		}
		rec.out.mu.Unlock()
	}
	t.Fatalf("no code was sent for %s", ref)
	return ""
}

// mailed waits for a message to addr whose subject contains part.
func (rec *recorder) mailed(t *testing.T, addr, part string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if len(rec.out.mails(addr, part)) > 0 {
			return
		}
	}
	t.Fatalf("no mail to %s about %q; sent: %v", addr, part, rec.out.subjects())
}

// TestRecordCoreHistories records, on a dev server, the paths of the case
// core that TestRecordHistories and TestRecordHistoriesFulfilment do not
// take, so that TestReplayRecordedHistories fails on any change of their
// command sequence not guarded by a version.
func TestRecordCoreHistories(t *testing.T) {
	if !*record {
		t.Skip("records histories only with -record")
	}
	c := recordingClient(t)
	if err := os.MkdirAll(historyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	const person = "person@example.test"
	n := 0
	next := func() int { n++; return n }

	// Cases staff handle: no connectors.
	plain := startCoreWorker(t, c, "core-plain", &workflows.Workflows{Policies: presets(t)}, &activities.Activities{})
	for _, sc := range []coreScenario{
		{name: "deny", wantFinal: request.Denied, input: func(in *workflows.Input) {},
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				cr.rec.codeFor(t, ref(id))
				cr.rec.update(t, id, workflows.DenyUpdate, workflows.DenyInput{Reason: request.UnfoundedOrRepeated, Explanation: "asked last week"}, false)
				return true
			}},
		{name: "deny-in-progress", wantFinal: request.Denied, input: portal,
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				cr.rec.update(t, id, workflows.DenyUpdate, workflows.DenyInput{Reason: request.TradeSecret, Explanation: "the data is a trade secret"}, false)
				return true
			}},
		{name: "withdraw", wantFinal: request.Withdrawn, input: portal,
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				cr.rec.update(t, id, workflows.WithdrawUpdate, workflows.NoteInput{Note: "no longer needed"}, false)
				return true
			}},
		{name: "withdraw-pending-verification", wantFinal: request.Withdrawn, input: func(in *workflows.Input) {},
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				cr.rec.codeFor(t, ref(id))
				cr.rec.update(t, id, workflows.WithdrawUpdate, workflows.NoteInput{Note: "sent by mistake"}, false)
				return true
			}},
		// gdpr does not stop the clock (stop-the-clock-withdraw has uk-gdpr).
		{name: "request-info-received", wantFinal: request.Completed, input: portal,
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				cr.rec.update(t, id, workflows.RequestInfoUpdate, workflows.NoteInput{Note: "which account?"}, false)
				cr.rec.update(t, id, workflows.InfoReceivedUpdate, workflows.NoteInput{Note: "the shop account"}, false)
				cr.rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "processing restricted"}, false)
				return true
			}},
		// A wrong code by e-mail never counts towards the lock: six of them,
		// then the right one.
		{name: "wrong-email-codes", wantFinal: request.Completed, input: func(in *workflows.Input) {},
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				code := cr.rec.codeFor(t, ref(id))
				wrong := "000000"
				if code == wrong {
					wrong = "111111"
				}
				for range 6 {
					cr.rec.update(t, id, workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: wrong, Actor: workflows.ActorEmail}, true)
				}
				if st := cr.rec.state(t, id); st.Verification.Locked || st.Verification.Attempts != 0 {
					t.Fatalf("wrong codes by e-mail counted: %+v", st.Verification)
				}
				cr.rec.update(t, id, workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: code, Actor: workflows.ActorEmail}, false)
				cr.rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "processing restricted"}, false)
				return true
			}},
	} {
		plain.record(t, next(), sc)
	}

	// A reminder is at 09:00 in the policy's zone: the policy is put in
	// the whole-hour zone where 09:00 comes next (within the hour), on a
	// calendar with no rest days so the due date is the next day.
	t.Run("reminder-fires", func(t *testing.T) {
		num := next()
		if _, err := os.Stat(filepath.Join(historyDir, "reminder-fires.json")); err == nil {
			t.Log("reminder-fires.json is recorded already; it is kept")
			return
		}
		now := time.Now()
		var zone string
		var at time.Time
		for off := -12; off <= 14; off++ {
			name := "Etc/GMT"
			if off > 0 {
				name += fmt.Sprintf("-%d", off) // POSIX signs: Etc/GMT-2 is UTC+2
			} else if off < 0 {
				name += fmt.Sprintf("+%d", -off)
			}
			loc, err := time.LoadLocation(name)
			if err != nil {
				t.Fatal(err)
			}
			l := now.In(loc)
			nine := time.Date(l.Year(), l.Month(), l.Day(), 9, 0, 0, 0, loc)
			if nine.After(now.Add(20*time.Second)) && (zone == "" || nine.Before(at)) {
				zone, at = name, nine
			}
		}
		t.Logf("the reminder fires at %s (%s), in %s", at.UTC(), zone, time.Until(at).Round(time.Second))
		cals, err := calendar.Load([]calendar.Spec{{ID: "every-day", Version: "1", TimeZone: "UTC"}})
		if err != nil {
			t.Fatal(err)
		}
		reg, err := policy.NewRegistry(cals, []policy.Spec{{ID: "next-day", Deadline: "1d", ClockStart: string(policy.OnReceipt),
			VerificationWindow: "1d", Reminders: []string{"1d"}, Calendar: "every-day", TimeZone: zone}})
		if err != nil {
			t.Fatal(err)
		}
		cr := startCoreWorker(t, c, "core-reminder", &workflows.Workflows{Policies: reg}, &activities.Activities{})
		cr.record(t, num, coreScenario{name: "reminder-fires", wantFinal: request.Completed,
			input: func(in *workflows.Input) { portal(in); in.PolicyID = "next-day" },
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				if st := cr.rec.state(t, id); len(st.Reminders) != 1 || !st.Reminders[0].Equal(at) {
					t.Fatalf("reminders %v, want one at %v", st.Reminders, at)
				}
				time.Sleep(time.Until(at))
				cr.rec.mailed(t, "dpo@example.test", "Reminder")
				cr.rec.waitFor(t, id, func(st workflows.State) bool { return len(st.Reminders) == 0 })
				cr.rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "processing restricted"}, false)
				return true
			}})
	})

	// A deadline past the years the cn calendar covers (2025-2026): the
	// case has no due date and retries daily; written while it waits.
	t.Run("replan", func(t *testing.T) {
		num := next()
		reg, err := policy.NewRegistry(nil, []policy.Spec{{ID: "cn-60d", Deadline: "60d", ClockStart: string(policy.OnReceipt),
			VerificationWindow: "10d", Reminders: []string{"7d"}, Calendar: "cn", TimeZone: "Asia/Shanghai"}})
		if err != nil {
			t.Fatal(err)
		}
		cr := startCoreWorker(t, c, "core-replan", &workflows.Workflows{Policies: reg}, &activities.Activities{})
		cr.record(t, num, coreScenario{name: "replan-deadline-unknown",
			input: func(in *workflows.Input) { portal(in); in.PolicyID = "cn-60d" },
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				cr.rec.waitFor(t, id, func(st workflows.State) bool { return st.DeadlineProblem != "" && st.Due == nil })
				cr.rec.mailed(t, "dpo@example.test", "")
				time.Sleep(2 * time.Second) // the projection of sla.unknown
				return false
			}})
	})

	// repin: a holiday proclaimed on the due date moves the deadline.
	t.Run("repin", func(t *testing.T) {
		num := next()
		shopCal := calendar.Spec{ID: "shop-cal", Version: "1", TimeZone: "UTC", Weekend: []string{"saturday", "sunday"},
			FirstYear: 2025, LastYear: 2030}
		spec := policy.Spec{ID: "shop-15d", Deadline: "15d", ClockStart: string(policy.OnReceipt),
			VerificationWindow: "10d", Reminders: []string{"3d"}, Calendar: "shop-cal", TimeZone: "UTC"}
		registry := func(cal calendar.Spec) *policy.Registry {
			cals, err := calendar.Load([]calendar.Spec{cal})
			if err != nil {
				t.Fatal(err)
			}
			reg, err := policy.NewRegistry(cals, []policy.Spec{spec})
			if err != nil {
				t.Fatal(err)
			}
			return reg
		}
		cr := startCoreWorker(t, c, "core-repin", &workflows.Workflows{Policies: registry(shopCal)}, &activities.Activities{})
		cr.record(t, num, coreScenario{name: "repin", wantFinal: request.Completed,
			input: func(in *workflows.Input) { portal(in); in.PolicyID = "shop-15d" },
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				before := cr.rec.state(t, id).Due
				if before == nil {
					t.Fatal("no due date")
				}
				proclaimed := shopCal
				proclaimed.Version = "2"
				proclaimed.Holidays = []calendar.HolidaySpec{{Name: "Founders' Day", From: before.Date.String(), To: before.Date.String()}}
				// The worker reads the registry only in the SideEffect of a
				// pin; nothing runs on the case while it is swapped.
				cr.wf.Policies = registry(proclaimed)
				cr.rec.update(t, id, workflows.RepinUpdate, workflows.NoteInput{Note: "holiday proclaimed", Actor: "staff:ops"}, false)
				if after := cr.rec.state(t, id).Due; after == nil || !after.Date.After(before.Date) {
					t.Fatalf("due %v after the repin, want after %v", after, before.Date)
				}
				cr.rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "processing restricted"}, false)
				return true
			}})
	})

	// Fulfilment through a connector that gives rows, into a real export
	// store, with and without download links.
	keys := []export.Key{{ID: "replay", Secret: bytes.Repeat([]byte("e"), 32)}}
	dir, err := export.NewDir(t.TempDir(), keys)
	if err != nil {
		t.Fatal(err)
	}
	received := make(chan int64, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received <- n
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `{"accepted":true}`)
	}))
	t.Cleanup(receiver.Close)
	newRegistry := func(accounts *fakeConn) *connector.Registry {
		reg := &connector.Registry{}
		if err := reg.Add(connector.Info{Name: "shop-db", Kind: connector.KindSQL, Owner: "shop@example.test"},
			rowsConn{newFake("shop-db").holds(person, "customers", 1, time.Time{}, "")}); err != nil {
			t.Fatal(err)
		}
		if accounts != nil {
			if err := reg.Add(connector.Info{Name: "accounts", Kind: connector.KindSQL, Owner: "accounts@example.test"}, accounts); err != nil {
				t.Fatal(err)
			}
		}
		return reg
	}
	accounts := newFake("accounts").holds(person, "users", 1, time.Time{}, "")
	accounts.obstacles = []connector.Obstacle{balance}
	fulfils := startCoreWorker(t, c, "core-fulfil", &workflows.Workflows{Policies: presets(t), BackupRotation: 35 * 24 * time.Hour},
		&activities.Activities{Registry: newRegistry(accounts), Exports: &activities.Exports{
			Store: dir, Links: &export.Signer{Key: bytes.Repeat([]byte("l"), 32)}, PublicURL: "http://dsr.test",
			Controllers: map[string]export.Destination{"receiver": {URL: receiver.URL, Secret: bytes.Repeat([]byte("s"), 32), AllowHTTP: true}},
		}})
	completedItself := func(t *testing.T, cr *coreRecording, id string) bool { return true }
	for _, sc := range []coreScenario{
		{name: "fulfil-access", wantFinal: request.Completed, drive: completedItself,
			input: func(in *workflows.Input) { portal(in); in.Type = request.Access; in.Requester.Email = person }},
		{name: "fulfil-portability", wantFinal: request.Completed,
			input: func(in *workflows.Input) {
				portal(in)
				in.Type, in.Controller = request.Portability, "receiver"
			},
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				select {
				case n := <-received:
					if n == 0 {
						t.Fatal("the receiver got an empty package")
					}
				case <-time.After(30 * time.Second):
					t.Fatal("nothing was transferred")
				}
				return true
			}},
		// Settled after a staff recheck, confirmed, written while the
		// cooling-off period (7 days) runs.
		{name: "fulfil-cancellation-cooling-off",
			input: func(in *workflows.Input) {
				portal(in)
				in.Type, in.PolicyID = request.AccountCancellation, "cn-15d-ext45"
			},
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				cr.rec.waitFor(t, id, func(st workflows.State) bool {
					return st.Status == request.AwaitingRequester && st.Fulfilment != nil && st.Fulfilment.Cancellation != nil &&
						len(st.Fulfilment.Cancellation.Obstacles) == 1
				})
				accounts.settle()
				cr.rec.update(t, id, workflows.RecheckUpdate, workflows.NoteInput{Note: "the requester says it is spent", Actor: "staff:li"}, false)
				cr.rec.waitFor(t, id, func(st workflows.State) bool {
					return st.Status == request.AwaitingRequester && len(st.Fulfilment.Cancellation.Obstacles) == 0
				})
				cr.rec.update(t, id, workflows.ConfirmCancellationUpdate, workflows.NoteInput{Note: "replied confirm", Actor: "requester"}, false)
				cr.rec.waitFor(t, id, func(st workflows.State) bool { return st.Fulfilment.Cancellation.CoolingOffUntil != nil })
				cr.rec.mailed(t, person, "change your mind")
				time.Sleep(2 * time.Second) // the projection of cancellation.cooling_off
				return false
			}},
	} {
		fulfils.record(t, next(), sc)
	}

	// Without a link key the package is made but no link can be signed:
	// fulfilment fails for good, is retried, fails again, and staff
	// complete the case with evidence.
	noLinks := startCoreWorker(t, c, "core-nolinks", &workflows.Workflows{Policies: presets(t)},
		&activities.Activities{Registry: newRegistry(nil), Exports: &activities.Exports{Store: dir, PublicURL: "http://dsr.test"}})
	noLinks.record(t, next(), coreScenario{name: "retry-fulfilment", wantFinal: request.Completed,
		input: func(in *workflows.Input) { portal(in); in.Type = request.Access; in.Requester.Email = person },
		drive: func(t *testing.T, cr *coreRecording, id string) bool {
			failed := func(attempts int) func(workflows.State) bool {
				return func(st workflows.State) bool {
					return st.Fulfilment != nil && st.Fulfilment.Problem != "" && st.Fulfilment.Attempts == attempts
				}
			}
			cr.rec.waitFor(t, id, failed(1))
			if p := cr.rec.state(t, id).Fulfilment.Problem; !strings.Contains(p, "link key") {
				t.Fatalf("problem %q", p)
			}
			cr.rec.update(t, id, workflows.RetryFulfilmentUpdate, workflows.NoteInput{Note: "trying again", Actor: "staff:ops"}, false)
			cr.rec.waitFor(t, id, failed(2))
			cr.rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "copy sent by registered post, ticket OPS-7", Actor: "staff:ops"}, false)
			return true
		}})
}

// TestRecordContinueAsNew records a case that continues as new: a dev
// server suggests it after a few events, notes are added until the case
// does it at a quiet moment, and the second run is completed. Both runs
// are written (-run1, -run2).
func TestRecordContinueAsNew(t *testing.T) {
	if !*record {
		t.Skip("records histories only with -record")
	}
	const name = "continue-as-new"
	run1, run2 := filepath.Join(historyDir, name+"-run1.json"), filepath.Join(historyDir, name+"-run2.json")
	for _, p := range []string{run1, run2} {
		if _, err := os.Stat(p); err == nil {
			t.Logf("%s is recorded already; it is kept", p)
			return
		}
	}
	c := recordingClientWith(t, map[string]string{"limit.historyCount.suggestContinueAsNew": "60"})
	cr := startCoreWorker(t, c, "core-can", &workflows.Workflows{Policies: presets(t)}, &activities.Activities{})

	ctx := context.Background()
	id := "00000000-0000-4000-8000-300000000001"
	in := workflows.Input{
		CaseID: id, Reference: "DSR-REPLAY-N001", Tenant: "shop", Type: request.Restriction,
		Channel: request.ChannelPortal, PolicyID: "gdpr", ReceivedAt: time.Now().UTC().Truncate(time.Second), VerifiedBy: "portal:session-1",
		Requester: workflows.Requester{Name: "Test Person", Email: "person@example.test", Language: request.English, ActingFor: request.Self},
	}
	first, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.WorkflowID(id), TaskQueue: cr.queue}, workflows.RequestName, in)
	if err != nil {
		t.Fatal(err)
	}
	latest := func() string {
		d, err := c.DescribeWorkflowExecution(ctx, workflows.WorkflowID(id), "")
		if err != nil {
			t.Fatal(err)
		}
		return d.WorkflowExecutionInfo.Execution.RunId
	}
	notes := 0
	for ; latest() == first.GetRunID(); notes++ {
		if notes == 60 {
			t.Fatal("the case never continued as new")
		}
		cr.rec.update(t, id, workflows.NoteUpdate, workflows.NoteInput{Note: fmt.Sprintf("called back, %d", notes)}, false)
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("continued as new after %d notes", notes)
	cr.rec.update(t, id, workflows.NoteUpdate, workflows.NoteInput{Note: "in the new run"}, false)
	cr.rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "processing restricted"}, false)
	var res workflows.Result
	if err := c.GetWorkflow(ctx, workflows.WorkflowID(id), "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != request.Completed {
		t.Fatalf("closed %s", res.Status)
	}
	writeRun(t, c, workflows.WorkflowID(id), first.GetRunID(), run1)
	writeHistory(t, c, workflows.WorkflowID(id), run2)
}

// writeRun is writeHistory for one run of a workflow.
func writeRun(t *testing.T, c client.Client, workflowID, runID, path string) {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
