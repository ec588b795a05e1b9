package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/request"
)

// RelinkName is the workflow that sends a fresh download link for the
// export of a closed case, whose own workflow has ended.
const RelinkName = "Relink"

// RelinkInput names the case and whom to send the link to.
type RelinkInput struct {
	CaseID    string       `json:"case_id"`
	Reference string       `json:"reference"`
	Tenant    string       `json:"tenant"`
	Type      request.Type `json:"type"`
	PolicyID  string       `json:"policy_id"`
	Requester Requester    `json:"requester"`
	Actor     string       `json:"actor"`
	// Key makes the notice and its audit event unique to this request.
	Key string `json:"key"`
}

// Relink signs a fresh link, mails it to the requester and records it in
// the case's audit trail.
func (w *Workflows) Relink(ctx workflow.Context, in RelinkInput) error {
	expires := workflow.Now(ctx).Add(DownloadLifetime)
	var link string
	if err := workflow.ExecuteActivity(recordOptions(ctx), a.Link,
		activities.LinkInput{ExportID: in.CaseID, ExpiresAt: expires}).Get(ctx, &link); err != nil {
		return err
	}
	day := expires.UTC().Format("2006-01-02")
	if p, ok := w.Policies.Get(in.PolicyID); ok {
		day = expires.In(p.Location).Format("2006-01-02")
	}
	n := activities.Notice{CaseID: in.CaseID, Kind: "export_ready", Key: "export_ready:relink:" + in.Key,
		Recipient: activities.ToRequester, To: in.Requester.Email, Language: in.Requester.Language,
		Data: noticeData{Reference: in.Reference, Type: in.Type, Tenant: in.Tenant, RequesterName: in.Requester.Name,
			Link: link, LinkExpires: day}}
	if err := workflow.ExecuteActivity(noticeOptions(ctx), a.Notify, n).Get(ctx, nil); err != nil {
		return err
	}
	ev := activities.Event{Key: "export.link:relink:" + in.Key, Kind: "export.link_issued", Actor: actorOr(in.Actor),
		Detail: map[string]string{"export": in.CaseID, "expires_at": expires.UTC().Format(time.RFC3339)}, OccurredAt: workflow.Now(ctx)}
	return workflow.ExecuteActivity(recordOptions(ctx), a.AppendEvents, in.CaseID, []activities.Event{ev}).Get(ctx, nil)
}
