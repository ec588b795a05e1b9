package workflows

import (
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/activities"
)

// MailUpdate adds an e-mail about the case (a reply to a notice, further
// information, evidence) to it: recorded in the audit trail and, if it came
// from the requester, acknowledged in its thread.
const MailUpdate = "mail"

// Email is an e-mail as a case keeps it: its Message-ID and where its
// attachments are. Neither its text nor its attachments enter the
// workflow: the text stays in the mailbox, the attachments in the blob
// store.
type Email struct {
	MessageID   string       `json:"message_id"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// Classification is how intake read a new request: the type guessed,
	// the confidence and the words that decided it.
	Classification string `json:"classification,omitempty"`
}

// Attachment is a file that came with an e-mail, kept in the blob store.
type Attachment struct {
	Ref         string `json:"ref"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// MailInput is the input of MailUpdate.
type MailInput struct {
	Email Email `json:"email"`
	// FromRequester is set when the sender is the requester's address; only
	// then is the message acknowledged.
	FromRequester bool   `json:"from_requester,omitempty"`
	Actor         string `json:"actor,omitempty"`
}

func (r *run) validateMail(in MailInput) error {
	if in.Email.MessageID == "" {
		return refused("email.message_id: required")
	}
	return nil
}

func (r *run) mail(ctx workflow.Context, in MailInput) (Ack, error) {
	if err := r.validateMail(in); err != nil {
		return r.ack(), err
	}
	if in.FromRequester {
		r.notifyRequester(ctx, "message_received", noticeData{}, in.Email.MessageID)
	}
	return r.acked(r.project(ctx, r.mailEvent(ctx, in.Email, in.FromRequester)))
}

// mailEvent records an e-mail; its key is the Message-ID's, so the same
// message is recorded once.
func (r *run) mailEvent(ctx workflow.Context, e Email, fromRequester bool) activities.Event {
	return r.event(ctx, MailEventKey(e), "email.received", "email", MailDetail(e, fromRequester))
}

// MailEventKey is the audit key of an e-mail's email.received event.
func MailEventKey(e Email) string { return "email.received:" + e.MessageID }

// MailDetail is the detail of an email.received event.
func MailDetail(e Email, fromRequester bool) map[string]string {
	detail := map[string]string{"message_id": e.MessageID, "from_requester": fmt.Sprint(fromRequester),
		"attachments": fmt.Sprint(len(e.Attachments))}
	if len(e.Attachments) > 0 {
		// Marshalling plain structs cannot fail.
		list, _ := json.Marshal(e.Attachments) //workflowcheck:ignore a slice of structs encodes the same every time
		detail["attachment_list"] = string(list)
	}
	if e.Classification != "" {
		detail["classification"] = e.Classification
	}
	return detail
}
