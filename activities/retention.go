package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
)

// RetentionInput names the cases that lose their requester's personal
// data: those closed before ClosedBefore.
type RetentionInput struct {
	ClosedBefore time.Time `json:"closed_before"`
}

// retentionPage is how many cases one query hands over.
const retentionPage = 100

// RemovePersonalData removes the requester's personal data and attachments
// from every case closed before in.ClosedBefore, a page at a time, and
// returns how many cases it cleared. A case's attachments go first, then
// its data, so a retry after a crash finds the case again and finishes it.
func (a *Activities) RemovePersonalData(ctx context.Context, in RetentionInput) (int, error) {
	cleared := 0
	for {
		cases, err := a.Store.CasesDueForRemoval(ctx, in.ClosedBefore, retentionPage)
		if err != nil {
			return cleared, err
		}
		if len(cases) == 0 {
			return cleared, nil
		}
		for _, c := range cases {
			removed, err := a.removeAttachments(ctx, c.ID)
			if err != nil {
				return cleared, err
			}
			detail, _ := json.Marshal(map[string]string{
				"fields":      "requester name, e-mail, phone, account id; summary",
				"attachments": fmt.Sprint(removed),
				"closed_at":   c.ClosedAt.UTC().Format(time.RFC3339),
			})
			if err := a.Store.RemovePersonalData(ctx, c.ID, string(detail)); err != nil {
				return cleared, err
			}
			cleared++
			activity.RecordHeartbeat(ctx, cleared)
		}
	}
}

// removeAttachments deletes a case's attachments, except those another
// case that still holds its data received too.
func (a *Activities) removeAttachments(ctx context.Context, caseID string) (int, error) {
	refs, err := a.Store.Attachments(ctx, caseID)
	if err != nil || len(refs) == 0 {
		return 0, err
	}
	if a.Blobs == nil {
		return 0, errors.New("case has attachments but no blob store is configured (attachments.dir)")
	}
	removed := 0
	for _, ref := range refs {
		held, err := a.Store.AttachmentHeldElsewhere(ctx, ref, caseID)
		if err != nil {
			return removed, err
		}
		if held {
			continue
		}
		if err := a.Blobs.Delete(ctx, ref); err != nil {
			return removed, err
		}
		removed++
	}
	return removed, nil
}
