package workflows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/blob"
	"github.com/dsrflow/dsrflow/codec"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/worker"
	"github.com/dsrflow/dsrflow/workflows"
)

// Cases closed more than three years ago lose their requester's data and
// attachments; the audit trail and the facts of the case stay; younger and
// open cases, and an attachment a younger case shares, are untouched.
func TestRetentionRemovesPersonalData(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	sealer, err := codec.New([]codec.Key{{ID: "k", Secret: bytes.Repeat([]byte{1}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	blobs := &blob.Dir{Path: t.TempDir(), Sealer: sealer}
	own, _ := blobs.Put(ctx, []byte("passport scan of the old requester"))
	shared, _ := blobs.Put(ctx, []byte("a form both requesters sent"))

	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	save := func(id string, closed *time.Time, attachments ...string) {
		t.Helper()
		c := &store.Case{ID: id, Reference: "DSR-" + id, Tenant: "shop", Type: "access", Channel: "email",
			Status: "completed", PolicyID: "gdpr", RequesterName: "Name " + id, RequesterEmail: id + "@example.test",
			RequesterPhone: "+86 138 0000 0000", Summary: "sent the copy to " + id, ReceivedAt: now.AddDate(-5, 0, 0),
			ClosedAt: closed, Outcome: "completed", Revision: 3}
		if closed == nil {
			c.Status, c.Outcome = "in_progress", ""
		}
		if err := st.SaveCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		var list []workflows.Attachment
		for _, ref := range attachments {
			list = append(list, workflows.Attachment{Ref: ref, Filename: "scan.jpg", ContentType: "image/jpeg", Size: 10})
		}
		detail, _ := json.Marshal(workflows.MailDetail(workflows.Email{MessageID: "<" + id + "@mail>", Attachments: list}, true))
		for _, ev := range []store.Event{{Key: "case.opened", Kind: "case.opened", Detail: "{}"},
			{Key: "email.received", Kind: "email.received", Detail: string(detail)}} {
			ev.CaseID, ev.Actor = id, "system"
			if _, err := st.AppendEvent(ctx, &ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	old, young := now.AddDate(-3, 0, -1), now.AddDate(-1, 0, 0)
	save("old", &old, own, shared)
	save("young", &young, shared)
	save("open", nil)

	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(now)
	worker.Register(env, &workflows.Workflows{}, &activities.Activities{Store: st, Blobs: blobs})
	env.ExecuteWorkflow(workflows.RetentionName, workflows.RetentionInput{Years: 3})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.RetentionResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Cleared != 1 || !res.ClosedBefore.Equal(now.AddDate(-3, 0, 0)) {
		t.Fatalf("result %+v, %v", res, err)
	}

	c, err := st.Case(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	if c.RequesterName != "" || c.RequesterEmail != "" || c.RequesterPhone != "" || c.Summary != "" || c.PersonalDataRemovedAt == nil {
		t.Errorf("old case keeps personal data: %+v", c)
	}
	if c.Type != "access" || c.Outcome != "completed" || c.ClosedAt == nil || !c.ReceivedAt.Equal(now.AddDate(-5, 0, 0)) {
		t.Errorf("old case lost the proof of compliance: %+v", c)
	}
	if _, err := blobs.Get(ctx, own); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("its own attachment remains: %v", err)
	}
	if _, err := blobs.Get(ctx, shared); err != nil {
		t.Errorf("the attachment the young case shares is gone: %v", err)
	}
	if err := st.VerifyChain(ctx, "old"); err != nil {
		t.Error(err)
	}
	if ev, err := st.EventByKey(ctx, "old", "retention:personal_data_removed"); err != nil || ev.Kind != "case.personal_data_removed" {
		t.Errorf("no audit event of the removal: %v %v", ev, err)
	}
	for _, id := range []string{"young", "open"} {
		if c, _ := st.Case(ctx, id); c.RequesterEmail == "" || c.PersonalDataRemovedAt != nil {
			t.Errorf("%s case was cleared", id)
		}
	}

	// A second run finds nothing more to do.
	env = s.NewTestWorkflowEnvironment()
	env.SetStartTime(now)
	worker.Register(env, &workflows.Workflows{}, &activities.Activities{Store: st, Blobs: blobs})
	env.ExecuteWorkflow(workflows.RetentionName, workflows.RetentionInput{Years: 3})
	if err := env.GetWorkflowResult(&res); err != nil || res.Cleared != 0 {
		t.Errorf("second run: %+v, %v", res, err)
	}
}
