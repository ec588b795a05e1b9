// Package activities holds the side effects of the request workflow: writing
// the case to the store, the audit trail, notices by e-mail and one-time
// codes. Every activity is safe to retry.
package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow/blob"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/mail"
	"github.com/dsrflow/dsrflow/notice"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/sms"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/verification"
)

// Mailer sends one message; *mail.Sender is the real one.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Texter sends one text message; *sms.Gateway is the real one.
type Texter interface {
	Send(ctx context.Context, m sms.Message) error
}

// Activities are the workflow's side effects and what they need.
type Activities struct {
	Store  *store.Store
	Mailer Mailer
	// Texter sends one-time codes by SMS; nil when no gateway is configured.
	Texter Texter
	// From is the sender of notices; DPO receives staff reminders and
	// escalations.
	From string
	DPO  string
	// CodeKey keys the hashes of one-time codes.
	CodeKey []byte
	// Blobs holds e-mail attachments, which retention removes.
	Blobs blob.Store
	// Registry holds the data systems fulfilment reaches.
	Registry *connector.Registry
	// Exports keeps access and portability packages; nil without one.
	Exports *Exports
}

// Case is the case row the workflow projects.
type Case = store.Case

// NoticeData is what a notice template is filled with.
type NoticeData = notice.Data

// Event is an audit event as the workflow records it; the store gives it
// its place in the case's hash chain.
type Event struct {
	Key        string            `json:"key"`
	Kind       string            `json:"kind"`
	Actor      string            `json:"actor"`
	Detail     map[string]string `json:"detail,omitempty"`
	OccurredAt time.Time         `json:"occurred_at"`
}

// Projection is the state of a case after a change, and the audit events of
// that change.
type Projection struct {
	Case   Case    `json:"case"`
	Events []Event `json:"events,omitempty"`
}

// Record writes a projection: events first, so a case row never shows a
// state whose audit trail is missing.
func (a *Activities) Record(ctx context.Context, p Projection) error {
	for _, e := range p.Events {
		if err := a.appendEvent(ctx, p.Case.ID, e); err != nil {
			return refusal(err)
		}
	}
	c := p.Case
	if err := a.Store.SaveCase(ctx, &c); err != nil {
		return refusal(fmt.Errorf("save case %s: %w", c.ID, err))
	}
	return nil
}

// AppendEvents adds events to a case's audit trail without touching the
// case row: for work that goes on after the case closed.
func (a *Activities) AppendEvents(ctx context.Context, caseID string, events []Event) error {
	for _, e := range events {
		if err := a.appendEvent(ctx, caseID, e); err != nil {
			return err
		}
	}
	return nil
}

func (a *Activities) appendEvent(ctx context.Context, caseID string, e Event) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", e.Key, err)
	}
	ev := store.Event{CaseID: caseID, Key: e.Key, Kind: e.Kind, Actor: e.Actor,
		Detail: string(detail), OccurredAt: e.OccurredAt}
	if _, err := a.Store.AppendEvent(ctx, &ev); err != nil {
		return fmt.Errorf("append event %s to case %s: %w", e.Key, caseID, err)
	}
	return nil
}

// Recipient says who a notice is for.
type Recipient string

const (
	ToRequester Recipient = "requester"
	ToDPO       Recipient = "dpo"
	// ToOwner is the owner of a manual task, at the address in To.
	ToOwner Recipient = "owner"
)

// Notice is one message to send. Key is unique within the case: a notice
// whose key is already in the audit trail is not sent again.
type Notice struct {
	CaseID    string           `json:"case_id"`
	Kind      string           `json:"kind"`
	Key       string           `json:"key"`
	Recipient Recipient        `json:"recipient"`
	To        string           `json:"to,omitempty"`
	Language  request.Language `json:"language,omitempty"`
	Data      NoticeData       `json:"data"`
	// InReplyTo threads the notice under the requester's e-mail.
	InReplyTo string `json:"in_reply_to,omitempty"`
}

// Notify renders and sends a notice once, and records it in the audit trail.
func (a *Activities) Notify(ctx context.Context, n Notice) error {
	sent, err := a.alreadySent(ctx, n)
	if err != nil || sent {
		return err
	}
	return a.mail(ctx, n)
}

// mail sends a notice by e-mail and records it as sent.
func (a *Activities) mail(ctx context.Context, n Notice) error {
	m, err := a.message(n)
	if err != nil {
		return err
	}
	if err := a.Mailer.Send(ctx, m); err != nil {
		// Relays quote the address they refuse; errors end up in logs.
		return fmt.Errorf("send %s notice %s of case %s: %s", n.Kind, n.Key, n.CaseID, redact(err, m.To))
	}
	return a.recordSent(ctx, n, ByEmail, m.MessageID)
}

// redact is err's message with each of the personal values replaced.
func redact(err error, personal ...string) string {
	msg := err.Error()
	for _, p := range personal {
		if p != "" {
			msg = strings.ReplaceAll(msg, p, "<redacted>")
		}
	}
	return msg
}

func (a *Activities) alreadySent(ctx context.Context, n Notice) (bool, error) {
	_, err := a.Store.EventByKey(ctx, n.CaseID, sentKey(n))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up notice %s of case %s: %w", n.Key, n.CaseID, err)
	}
	return true, nil
}

func sentKey(n Notice) string { return "notice:" + n.Key }

func (a *Activities) message(n Notice) (mail.Message, error) {
	to, lang := n.To, n.Language
	switch n.Recipient {
	case ToDPO:
		to, lang = a.DPO, request.English
	case ToOwner:
		lang = request.English
	}
	if to == "" {
		return mail.Message{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s notice %s of case %s has no recipient", n.Kind, n.Key, n.CaseID), "NoRecipient", nil)
	}
	if lang == "" {
		lang = request.English
	}
	subject, body, err := notice.Render(notice.Kind(n.Kind), lang, n.Data)
	if err != nil {
		// A template that cannot render will not render on retry either.
		return mail.Message{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("render %s notice of case %s: %v", n.Kind, n.CaseID, err), "BadNotice", err)
	}
	return mail.Message{
		From: a.From, To: to, Subject: subject, Body: body,
		MessageID: notice.MessageID(n.CaseID, n.Key, domainOf(a.From)), InReplyTo: n.InReplyTo,
	}, nil
}

// recordSent puts a sent notice in the audit trail under its key, which is
// what keeps a retry from sending it again.
func (a *Activities) recordSent(ctx context.Context, n Notice, channel, messageID string) error {
	detail := map[string]string{"kind": n.Kind, "recipient": string(n.Recipient), "channel": channel,
		"attempt": fmt.Sprint(activity.GetInfo(ctx).Attempt)}
	if messageID != "" {
		detail["message_id"] = messageID
		// A reply to this notice finds its case by this ID.
		if err := a.Store.RememberMessage(ctx, messageID, n.CaseID, store.Outbound); err != nil {
			return err
		}
	}
	return a.appendEvent(ctx, n.CaseID, Event{
		Key: sentKey(n), Kind: "notice.sent", Actor: "system", OccurredAt: time.Now().UTC(), Detail: detail})
}

// Channels a one-time code can go out on.
const (
	ByEmail = "email"
	BySMS   = "sms"
)

// CodeRequest asks for a new one-time code to be made and sent to
// Notice.To: an e-mail address, or a phone number when Channel is sms.
type CodeRequest struct {
	Notice    Notice    `json:"notice"`
	Channel   string    `json:"channel"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SendCode makes a one-time code, sends it and returns only its keyed hash.
// A retry after a send that went out makes and sends a new code under a new
// Message-ID; the workflow keeps the hash of the last one, and the message
// says that a newer code replaces older ones.
func (a *Activities) SendCode(ctx context.Context, in CodeRequest) (string, error) {
	if len(a.CodeKey) == 0 {
		return "", temporal.NewNonRetryableApplicationError("no verification key configured", "NoCodeKey", nil)
	}
	// The code is derived, not drawn: a retry (after a crash between the
	// send and its record, say) sends the same code under the same
	// Message-ID, or nothing if the send was recorded.
	n := in.Notice
	code := verification.DeriveCode(a.CodeKey, n.CaseID, n.Key)
	hash := verification.Hash(a.CodeKey, n.CaseID, code)
	sent, err := a.alreadySent(ctx, n)
	if err != nil || sent {
		return hash, err
	}
	n.Data.Code = code
	n.Data.CodeExpires = in.ExpiresAt.UTC().Format("2006-01-02 15:04 MST")
	if in.Channel == BySMS {
		err = a.textCode(ctx, n)
	} else {
		err = a.mail(ctx, n)
	}
	if err != nil {
		return "", err
	}
	return hash, nil
}

func (a *Activities) textCode(ctx context.Context, n Notice) error {
	if a.Texter == nil {
		return temporal.NewNonRetryableApplicationError("no SMS gateway configured (sms.gateway_url)", "NoSMSGateway", nil)
	}
	if n.To == "" {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("code for case %s has no phone number", n.CaseID), "NoRecipient", nil)
	}
	text, err := notice.RenderSMS(notice.Kind(n.Kind), n.Language, n.Data)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("render code text of case %s: %v", n.CaseID, err), "BadNotice", err)
	}
	if err := a.Texter.Send(ctx, sms.Message{To: n.To, Text: text}); err != nil {
		msg := fmt.Sprintf("text code of case %s: %s", n.CaseID, redact(err, n.To))
		if errors.Is(err, sms.ErrRejected) {
			return temporal.NewNonRetryableApplicationError(msg, "SMSRejected", nil)
		}
		return errors.New(msg)
	}
	return a.recordSent(ctx, n, BySMS, "")
}

// CodeCheck is a code the requester typed and the hash it must match.
type CodeCheck struct {
	CaseID string `json:"case_id"`
	Code   string `json:"code"`
	Hash   string `json:"hash"`
}

// CheckCode compares in constant time.
func (a *Activities) CheckCode(ctx context.Context, c CodeCheck) (bool, error) {
	if len(a.CodeKey) == 0 {
		return false, temporal.NewNonRetryableApplicationError("no verification key configured", "NoCodeKey", nil)
	}
	return verification.Match(a.CodeKey, c.CaseID, c.Code, c.Hash), nil
}

func domainOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == '@' {
			return addr[i+1:]
		}
	}
	return "dsrflow.localhost"
}
