package workflows_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/workflows"
)

// childScenario is a coreScenario whose fulfilment rounds (child
// workflows) are written too, as <name>-round<N>.json.
type childScenario struct {
	coreScenario
	rounds int
}

// recordChildren records sc and its rounds; like record, it runs nothing
// when any of its files exists, and never overwrites one.
func (cr *coreRecording) recordChildren(t *testing.T, n int, sc childScenario) {
	paths := []string{filepath.Join(historyDir, sc.name+".json")}
	for i := 1; i <= sc.rounds; i++ {
		paths = append(paths, filepath.Join(historyDir, fmt.Sprintf("%s-round%d.json", sc.name, i)))
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			t.Logf("%s is recorded already; the scenario %s is kept as it is", p, sc.name)
			return
		}
	}
	cr.record(t, n, sc.coreScenario)
	id := fmt.Sprintf("00000000-0000-4000-8000-2000000000%02d", n)
	for i := 1; i <= sc.rounds; i++ {
		writeHistory(t, cr.c, workflows.FulfilWorkflowID(workflows.WorkflowID(id), i), paths[i])
	}
}

// TestRecordChildHistories records, on a dev server, a case of each
// fulfilment type on the child path (change fulfil-children) with its
// rounds, a round stopped by the case closing and a failed round retried.
func TestRecordChildHistories(t *testing.T) {
	if !*record {
		t.Skip("records histories only with -record")
	}
	c := recordingClient(t)
	const person = "person@example.test"
	n := 40 // apart from TestRecordCoreHistories' case IDs
	next := func() int { n++; return n }

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
	links := &export.Signer{Key: bytes.Repeat([]byte("l"), 32)}

	// Access, portability and cancellation: a system that gives rows and
	// an accounts system with a balance to settle.
	reg := &connector.Registry{}
	accounts := newFake("accounts").holds(person, "users", 1, time.Time{}, "")
	accounts.obstacles = []connector.Obstacle{balance}
	for _, add := range []struct {
		info connector.Info
		conn connector.Connector
	}{
		{connector.Info{Name: "shop-db", Kind: connector.KindSQL, Owner: "shop@example.test"},
			rowsConn{newFake("shop-db").holds(person, "customers", 1, time.Time{}, "")}},
		{connector.Info{Name: "accounts", Kind: connector.KindSQL, Owner: "accounts@example.test"}, accounts},
	} {
		if err := reg.Add(add.info, add.conn); err != nil {
			t.Fatal(err)
		}
	}
	// A policy without a cooling-off period, so a cancellation completes
	// while it is recorded.
	noCooling := policy.Spec{ID: "cn-15d-no-cooling-off", Deadline: "15d", ClockStart: string(policy.OnReceipt),
		VerificationWindow: "10d", Reminders: []string{"3d"}, Calendar: "cn", TimeZone: "Asia/Shanghai"}
	systems := startCoreWorker(t, c, "children-systems",
		&workflows.Workflows{Policies: registryOf(t, noCooling), BackupRotation: 35 * 24 * time.Hour},
		&activities.Activities{Registry: reg, Exports: &activities.Exports{
			Store: dir, Links: links, PublicURL: "http://dsr.test",
			Controllers: map[string]export.Destination{"receiver": {URL: receiver.URL, Secret: bytes.Repeat([]byte("s"), 32), AllowHTTP: true}},
		}})
	completedItself := func(t *testing.T, cr *coreRecording, id string) bool { return true }
	for _, sc := range []childScenario{
		{rounds: 1, coreScenario: coreScenario{name: "children-fulfil-access", wantFinal: request.Completed, drive: completedItself,
			input: func(in *workflows.Input) { portal(in); in.Type = request.Access }}},
		{rounds: 1, coreScenario: coreScenario{name: "children-fulfil-portability", wantFinal: request.Completed,
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
			}}},
		// Settled after a staff recheck, confirmed, written while the
		// cooling-off period (7 days) runs: case and round still open.
		{rounds: 1, coreScenario: coreScenario{name: "children-fulfil-cancellation-cooling-off",
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
			}}},
		// Nothing to settle any more, confirmed, no cooling-off: the account
		// is deactivated and erased, and the case completes.
		{rounds: 1, coreScenario: coreScenario{name: "children-fulfil-cancellation", wantFinal: request.Completed,
			input: func(in *workflows.Input) {
				portal(in)
				in.Type, in.PolicyID = request.AccountCancellation, noCooling.ID
			},
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				cr.rec.waitFor(t, id, func(st workflows.State) bool {
					return st.Status == request.AwaitingRequester && st.Fulfilment != nil && st.Fulfilment.Cancellation != nil
				})
				cr.rec.update(t, id, workflows.ConfirmCancellationUpdate, workflows.NoteInput{Note: "replied confirm", Actor: "requester"}, false)
				return true
			}}},
	} {
		systems.recordChildren(t, next(), sc)
	}

	// Erasure and correction: a system, one that holds invoices for three
	// years (the Erasure workflow is started), and one with no API.
	kept := time.Now().AddDate(3, 0, 0).UTC().Truncate(time.Second)
	reg2 := &connector.Registry{}
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
		if err := reg2.Add(add.info, add.conn); err != nil {
			t.Fatal(err)
		}
	}
	manual := startCoreWorker(t, c, "children-manual",
		&workflows.Workflows{Policies: presets(t), BackupRotation: 35 * 24 * time.Hour},
		&activities.Activities{Registry: reg2, Exports: &activities.Exports{Links: links, PublicURL: "http://dsr.test"}})
	taskOpen := func(st workflows.State) bool { return st.Fulfilment != nil && len(st.Fulfilment.Tasks) == 1 }
	correctionsAsked := func(st workflows.State) bool {
		return st.Fulfilment != nil && len(st.Fulfilment.Corrections) == 2
	}
	corrections := []connector.Correction{{Field: "profile.name", Value: "Test Person"}, {Field: "profile.birthday", Value: "1990-01-01"}}
	for _, sc := range []childScenario{
		{rounds: 1, coreScenario: coreScenario{name: "children-fulfil-erasure", wantFinal: request.Completed,
			input: func(in *workflows.Input) { portal(in); in.Type = request.Deletion },
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				cr.rec.waitFor(t, id, taskOpen)
				cr.rec.update(t, id, workflows.WithdrawUpdate, workflows.NoteInput{Note: "changed my mind"}, true)
				cr.rec.update(t, id, workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "shredded"}, false)
				return true
			}}},
		{rounds: 1, coreScenario: coreScenario{name: "children-fulfil-correction", wantFinal: request.Completed,
			input: func(in *workflows.Input) { portal(in); in.Type, in.Corrections = request.Correction, corrections },
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				cr.rec.waitFor(t, id, correctionsAsked)
				cr.rec.update(t, id, workflows.DecideCorrectionsUpdate, workflows.DecideInput{
					Decisions: []workflows.Decision{{Field: "profile.name", Approve: true}}}, false)
				cr.rec.update(t, id, workflows.DecideCorrectionsUpdate, workflows.DecideInput{
					Decisions: []workflows.Decision{{Field: "profile.birthday", Reason: "no evidence"}}}, false)
				cr.rec.waitFor(t, id, taskOpen)
				cr.rec.update(t, id, workflows.CompleteTaskUpdate, workflows.TaskInput{TaskID: "task-1", Evidence: "corrected on file"}, false)
				return true
			}}},
		// Denied while the round waits for staff's decisions: the round is
		// told the case closed and ends.
		{rounds: 1, coreScenario: coreScenario{name: "children-deny-during-round", wantFinal: request.Denied,
			input: func(in *workflows.Input) { portal(in); in.Type, in.Corrections = request.Correction, corrections },
			drive: func(t *testing.T, cr *coreRecording, id string) bool {
				cr.rec.waitFor(t, id, correctionsAsked)
				cr.rec.update(t, id, workflows.DenyUpdate, workflows.DenyInput{Reason: request.UnfoundedOrRepeated, Explanation: "asked last week"}, false)
				return true
			}}},
	} {
		manual.recordChildren(t, next(), sc)
	}

	// Without a link key no download link can be signed: the round fails
	// for good, staff retry it (a second round), it fails again, and staff
	// complete the case with evidence.
	noLinks := startCoreWorker(t, c, "children-nolinks", &workflows.Workflows{Policies: presets(t)},
		&activities.Activities{Registry: reg, Exports: &activities.Exports{Store: dir, PublicURL: "http://dsr.test"}})
	noLinks.recordChildren(t, next(), childScenario{rounds: 2, coreScenario: coreScenario{name: "children-retry-fulfilment", wantFinal: request.Completed,
		input: func(in *workflows.Input) { portal(in); in.Type = request.Access },
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
		}}})
}
