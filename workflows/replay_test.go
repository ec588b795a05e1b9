package workflows_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/codec"
	"github.com/dsrflow/dsrflow/devserver"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/sms"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/worker"
	"github.com/dsrflow/dsrflow/workflows"
)

// Histories recorded from a real Temporal dev server are replayed against
// today's workflow code: a change that would break running cases fails
// here. A change of the command sequence is guarded with workflow.GetVersion;
// then keep the old histories (rename them with the version they show:
// code-extend-complete.json becomes v0-, v1-…code-extend-complete.json) and
// record the current ones beside them:
//
//	go test ./workflows -run TestRecordHistories -args -record
//
// Recording never overwrites: a scenario whose history exists fails, naming
// the file, and only missing histories are written. Record one new scenario
// alone by naming its subtest:
//
//	go test ./workflows -run 'TestRecordHistories/my-scenario$' -args -record
//
// TestHistorySizes holds each history to an event budget.
var record = flag.Bool("record", false, "run the scenarios on a Temporal dev server and write the histories missing from testdata/histories")

const historyDir = "testdata/histories"

// historyCodec seals the recorded histories as production does. The key is
// a test key that protects nothing.
func historyCodec(t *testing.T) *codec.Codec {
	t.Helper()
	c, err := codec.New([]codec.Key{{ID: "replay-test", Secret: bytes.Repeat([]byte("k"), 32)}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func presets(t *testing.T) *policy.Registry {
	t.Helper()
	reg, err := policy.NewRegistry(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func replayer(t *testing.T, wf any) sdkworker.WorkflowReplayer {
	t.Helper()
	c := historyCodec(t)
	r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{
		DataConverter: c.DataConverter(), FailureConverter: c.FailureConverter(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: workflows.RequestName})
	r.RegisterWorkflowWithOptions((&workflows.Workflows{}).Retention, workflow.RegisterOptions{Name: workflows.RetentionName})
	r.RegisterWorkflowWithOptions((&workflows.Workflows{}).Erasure, workflow.RegisterOptions{Name: workflows.ErasureName})
	r.RegisterWorkflowWithOptions((&workflows.Workflows{Policies: presets(t)}).Relink, workflow.RegisterOptions{Name: workflows.RelinkName})
	// The fulfilment rounds of cases started after fulfil-children.
	children := &workflows.Workflows{}
	for name, fn := range map[string]any{
		workflows.FulfilAccessName: children.FulfilAccess, workflows.FulfilPortabilityName: children.FulfilPortability,
		workflows.FulfilErasureName: children.FulfilErasure, workflows.FulfilCorrectionName: children.FulfilCorrection,
		workflows.FulfilCancellationName: children.FulfilCancellation,
	} {
		r.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name})
	}
	return r
}

func recordedHistories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(historyDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no histories in %s; record them: go test ./workflows -run TestRecordHistories -args -record", historyDir)
	}
	return files
}

func TestReplayRecordedHistories(t *testing.T) {
	for _, f := range recordedHistories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := replayer(t, (&workflows.Workflows{Policies: presets(t)}).Request)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReplayCatchesChange shows the replay test can fail: a workflow that
// issues other commands than the recorded ones does not replay.
func TestReplayCatchesChange(t *testing.T) {
	changed := func(ctx workflow.Context, in workflows.Input) (workflows.Result, error) {
		if err := workflow.Sleep(ctx, time.Hour); err != nil {
			return workflows.Result{}, err
		}
		return workflows.Result{}, nil
	}
	// A Request history: other workflows' histories (a lone timer) could
	// replay against this change.
	f := filepath.Join(historyDir, "v0-code-extend-complete.json")
	if err := replayer(t, changed).ReplayWorkflowHistoryFromJSONFile(nil, f); err == nil {
		t.Fatalf("a changed workflow replayed %s without error", f)
	}
}

// scenario drives one case through a real server.
type scenario struct {
	name   string
	policy string
	// age is how long before now the request was received: a case opened
	// in the past meets its verification window or deadline at once, so
	// the timer paths run in seconds.
	age     time.Duration
	portal  bool
	noEmail bool
	phone   string
	// email: the request came by e-mail, unclassified.
	email     bool
	drive     func(t *testing.T, rec *recorder, id string)
	wantFinal request.Status
}

var scenarios = []scenario{
	{name: "code-extend-complete", policy: "gdpr", wantFinal: request.Completed,
		drive: func(t *testing.T, rec *recorder, id string) {
			rec.update(t, id, workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: "000000"}, true)
			rec.update(t, id, workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: rec.code(t)}, false)
			rec.update(t, id, workflows.ExtendUpdate, workflows.ExtendInput{Reason: "many systems", Actor: "staff:wang"}, false)
			rec.update(t, id, workflows.ExtendUpdate, workflows.ExtendInput{Reason: "again"}, true)
			rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "copy sent"}, false)
		}},
	{name: "locked-manual-deny", policy: "cn-15d-after-verification", wantFinal: request.Denied,
		drive: func(t *testing.T, rec *recorder, id string) {
			rec.update(t, id, workflows.ResendCodeUpdate, workflows.NoteInput{}, false)
			for range 5 {
				rec.update(t, id, workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: "000000"}, true)
			}
			rec.update(t, id, workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodManual, Note: "ID card checked", Actor: "staff:li"}, false)
			rec.update(t, id, workflows.DenyUpdate, workflows.DenyInput{Reason: request.TradeSecret, Explanation: "the data is a trade secret"}, false)
		}},
	{name: "stop-the-clock-withdraw", policy: "uk-gdpr", portal: true, wantFinal: request.Withdrawn,
		drive: func(t *testing.T, rec *recorder, id string) {
			rec.update(t, id, workflows.RequestInfoUpdate, workflows.NoteInput{Note: "which account?"}, false)
			rec.update(t, id, workflows.InfoReceivedUpdate, workflows.NoteInput{Note: "the shop account"}, false)
			rec.update(t, id, workflows.WithdrawUpdate, workflows.NoteInput{Note: "no longer needed"}, false)
		}},
	{name: "overdue-complete", policy: "gdpr", portal: true, age: 40 * 24 * time.Hour, wantFinal: request.Completed,
		drive: func(t *testing.T, rec *recorder, id string) {
			rec.waitFor(t, id, func(st workflows.State) bool { return st.Overdue })
			rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "late, sorry"}, false)
		}},
	{name: "sms-code-complete", policy: "gdpr", noEmail: true, phone: "+86 138 0000 0000", wantFinal: request.Completed,
		drive: func(t *testing.T, rec *recorder, id string) {
			rec.update(t, id, workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: rec.textedCode(t)}, false)
			rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "sent by post"}, false)
		}},
	{name: "verification-window-expired", policy: "cn-15d-ext45", age: 40 * 24 * time.Hour, noEmail: true, wantFinal: request.Denied},
	{name: "email-classify-complete", policy: "cn-15wd", email: true, wantFinal: request.Completed,
		drive: func(t *testing.T, rec *recorder, id string) {
			rec.update(t, id, workflows.MailUpdate, workflows.MailInput{Email: workflows.Email{MessageID: "<reply-1@mail.example.test>"}, FromRequester: true}, false)
			rec.update(t, id, workflows.VerifyUpdate, workflows.VerifyInput{Method: workflows.MethodCode, Code: rec.code(t)}, false)
			rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "done"}, true)
			rec.update(t, id, workflows.ClassifyUpdate, workflows.ClassifyInput{Type: request.AccountCancellation}, false)
			rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "account closed"}, false)
		}},
	{name: "books-complete", policy: "gdpr", portal: true, wantFinal: request.Completed,
		drive: func(t *testing.T, rec *recorder, id string) {
			rec.update(t, id, workflows.AssignUpdate, workflows.AssignInput{Assignee: "wang", Actor: "staff:lead"}, false)
			rec.update(t, id, workflows.AssignUpdate, workflows.AssignInput{Assignee: "wang"}, true)
			rec.update(t, id, workflows.TagUpdate, workflows.TagInput{Add: []string{"vip"}}, false)
			rec.update(t, id, workflows.NoteUpdate, workflows.NoteInput{Note: "called back"}, false)
			rec.update(t, id, workflows.CompleteUpdate, workflows.CompleteInput{Summary: "copy sent"}, false)
		}},
}

// recorder runs scenarios on a dev server with the real activities.
type recorder struct {
	c     client.Client
	out   *outbox
	texts *sms.Outbox
}

func (rec *recorder) update(t *testing.T, id, name string, arg any, wantErr bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := rec.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(id), UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if (err != nil) != wantErr {
		t.Fatalf("%s: err = %v, want error: %v", name, err, wantErr)
	}
}

func (rec *recorder) state(t *testing.T, id string) workflows.State {
	t.Helper()
	v, err := rec.c.QueryWorkflow(context.Background(), workflows.WorkflowID(id), "", workflows.StateQuery)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.State
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func (rec *recorder) waitFor(t *testing.T, id string, ok func(workflows.State) bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok(rec.state(t, id)) {
			return
		}
	}
	t.Fatalf("case %s never reached the state awaited: %+v", id, rec.state(t, id))
}

// code waits for the newest verification code in the outbox.
func (rec *recorder) code(t *testing.T) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		rec.out.mu.Lock()
		for i := len(rec.out.msgs) - 1; i >= 0; i-- {
			if m := codeRE.FindStringSubmatch(rec.out.msgs[i].Body); m != nil {
				rec.out.mu.Unlock()
				return m[1]
			}
		}
		rec.out.mu.Unlock()
	}
	t.Fatal("no code was sent")
	return ""
}

// textedCode waits for the newest code in the SMS outbox.
func (rec *recorder) textedCode(t *testing.T) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if m := rec.texts.Messages(); len(m) > 0 {
			return regexp.MustCompile(`[0-9]{6}`).FindString(m[len(m)-1].Text)
		}
	}
	t.Fatal("no code was texted")
	return ""
}

// recordingClient starts a Temporal dev server for recording histories and
// returns a client that seals payloads as the engine does; both stop when
// t ends.
func recordingClient(t *testing.T) client.Client {
	t.Helper()
	return recordingClientWith(t, nil)
}

// recordingClientWith is recordingClient on a dev server with the given
// dynamic configuration.
func recordingClientWith(t *testing.T, dynamic map[string]string) client.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv, err := devserver.Start(context.Background(), devserver.Options{Address: addr, Namespace: "default", Log: os.Stderr,
		DynamicConfig: dynamic})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	sealer := historyCodec(t)
	c, err := client.Dial(client.Options{HostPort: addr, DataConverter: sealer.DataConverter(), FailureConverter: sealer.FailureConverter()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestRecordHistories(t *testing.T) {
	if !*record {
		t.Skip("records histories only with -record")
	}
	ctx := context.Background()
	c := recordingClient(t)
	rec := &recorder{c: c, out: &outbox{}, texts: &sms.Outbox{}}
	w := worker.New(c, "replay", &workflows.Workflows{Policies: presets(t)}, &activities.Activities{
		Store: storetest.Open(t, store.SQLite), Mailer: rec.out, Texter: rec.texts, From: "dpo@example.test", DPO: "dpo@example.test",
		CodeKey: bytes.Repeat([]byte("c"), 32),
	})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if err := os.MkdirAll(historyDir, 0o755); err != nil {
		t.Fatal(err)
	}

	t.Run("retention", func(t *testing.T) {
		path := filepath.Join(historyDir, "retention.json")
		refuseExisting(t, path)
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "retention-replay", TaskQueue: "replay"},
			workflows.RetentionName, workflows.RetentionInput{Years: 3})
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Get(ctx, nil); err != nil {
			t.Fatal(err)
		}
		writeHistory(t, c, "retention-replay", path)
	})
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			path := filepath.Join(historyDir, sc.name+".json")
			refuseExisting(t, path)
			id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1)
			in := workflows.Input{
				CaseID: id, Reference: fmt.Sprintf("DSR-REPLAY-%04d", i+1), Tenant: "shop", Type: request.Access,
				Channel: request.ChannelAPI, PolicyID: sc.policy, ReceivedAt: time.Now().Add(-sc.age).UTC().Truncate(time.Second),
				Requester: workflows.Requester{Name: "Test Person", Email: "person@example.test", Language: request.English, ActingFor: request.Self},
			}
			if sc.noEmail {
				in.Requester.Email = ""
			}
			in.Requester.Phone = sc.phone
			if sc.portal {
				in.VerifiedBy = "portal:session-1"
			}
			if sc.email {
				in.Type, in.Channel = request.Unclassified, request.ChannelEmail
				in.Email = &workflows.Email{MessageID: "<req-1@mail.example.test>", Classification: "unclassified",
					Attachments: []workflows.Attachment{{Ref: "sha256:ab", Filename: "id.jpg", ContentType: "image/jpeg", Size: 2}}}
			}
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.WorkflowID(id), TaskQueue: "replay"}, workflows.RequestName, in)
			if err != nil {
				t.Fatal(err)
			}
			if sc.drive != nil {
				sc.drive(t, rec, id)
			}
			awaitClosed(t, run, sc.wantFinal)
			writeHistory(t, c, workflows.WorkflowID(id), path)
		})
	}
}

// writeHistory saves the history of workflowID to path, which must not
// exist yet.
func writeHistory(t *testing.T, c client.Client, workflowID, path string) {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	if err := saveHistory(path, &h); err != nil {
		t.Fatal(err)
	}
}

// refuseExisting fails t before a scenario runs when its history exists,
// rather than after recording it for nothing.
func refuseExisting(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		t.Fatal(existsError(path))
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
}

func existsError(path string) error {
	return fmt.Errorf("%s exists and a recorded history is never overwritten: replaying it is what guards running cases; "+
		"if the workflow changed under a new version, rename it v<N>-%s first", path, filepath.Base(path))
}

// saveHistory writes h to path as the replayer reads it. It refuses to
// replace a file: O_EXCL makes the check and the creation one step.
func saveHistory(path string, h *historypb.History) error {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode history for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return existsError(path)
	}
	if err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write history %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write history %s: %w", path, err)
	}
	return nil
}

// awaitClosed waits (a minute at most) for a recorded case to close, and
// checks how.
func awaitClosed(t *testing.T, run client.WorkflowRun, want request.Status) {
	t.Helper()
	var res workflows.Result
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != want {
		t.Fatalf("closed %s, want %s", res.Status, want)
	}
}
