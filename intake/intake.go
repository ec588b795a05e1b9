// Package intake turns e-mails to a DPO mailbox into case actions: a new
// request opens a case, a reply joins its case (and may carry the
// verification code), mail written by machines is dropped. The SMTP
// listener and the webhook route both hand raw messages to Receive.
package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/blob"
	"github.com/dsrflow/dsrflow/classify"
	"github.com/dsrflow/dsrflow/mail"
	"github.com/dsrflow/dsrflow/mailparse"
	"github.com/dsrflow/dsrflow/notice"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// Mailbox is a DPO address and the tenant and policy of the requests sent
// to it.
type Mailbox struct {
	// Address is the mailbox's e-mail address; empty takes mail for any
	// address no other mailbox claims.
	Address  string
	Tenant   string
	PolicyID string
}

// Errors Receive returns. An unreadable message or one for no mailbox of
// ours is final (SMTP 550, HTTP 4xx); anything else is worth retrying.
var (
	ErrUnreadable = mailparse.ErrUnreadable
	ErrNoMailbox  = errors.New("no mailbox for this recipient")
)

// Actions a message leads to.
const (
	Opened    = "opened"    // a new case
	Replied   = "replied"   // added to its case
	Verified  = "verified"  // added to its case, and its code verified the requester
	Duplicate = "duplicate" // handled before
	Ignored   = "ignored"   // written by a machine
)

// Outcome is what became of a message.
type Outcome struct {
	Action     string       `json:"action"`
	CaseID     string       `json:"case_id,omitempty"`
	Reference  string       `json:"reference,omitempty"`
	Type       request.Type `json:"type,omitempty"`
	Confidence float64      `json:"confidence,omitempty"`
	// Reason says why a message was ignored, or why a code did not verify.
	Reason string `json:"reason,omitempty"`
}

// Intake receives e-mail.
type Intake struct {
	Store     *store.Store
	Temporal  client.Client
	TaskQueue string
	Blobs     blob.Store
	Mailboxes []Mailbox
	Now       func() time.Time
	// Mailer and From acknowledge what the workflows do not: mail from
	// others than the requester, and mail to cases whose workflow has
	// ended. Without a Mailer those go unacknowledged.
	Mailer interface {
		Send(ctx context.Context, m mail.Message) error
	}
	From string
}

// caseNamespace makes case IDs from Message-IDs: the same message always
// names the same case, so a message delivered twice, even concurrently or
// after a crash, opens one case.
var caseNamespace = uuid.MustParse("5d0b6b0e-8f0e-4d3c-9a55-64737266c0de")

// Receive handles one raw RFC 5322 message sent to recipients (the SMTP
// envelope's; empty means the message's own To), delivered by p, who must
// act for the mailbox's tenant.
func (in *Intake) Receive(ctx context.Context, p auth.Principal, raw []byte, recipients []string) (Outcome, error) {
	m, err := mailparse.Parse(raw)
	if err != nil {
		return Outcome{}, err
	}
	if m.Auto != "" {
		return Outcome{Action: Ignored, Reason: "written by a machine (" + m.Auto + ")"}, nil
	}
	mb, err := in.mailbox(recipients, m.To)
	if err != nil {
		return Outcome{}, err
	}
	if !p.ActsFor(mb.Tenant) {
		return Outcome{}, fmt.Errorf("%w: the intake key does not act for the mailbox's tenant", ErrNoMailbox)
	}
	msgID := m.MessageID
	if msgID == "" {
		// Without a Message-ID the content names the message.
		sum := sha256.Sum256(raw)
		msgID = "<" + hex.EncodeToString(sum[:16]) + "@no-message-id.invalid>"
	}
	if seen, err := in.Store.MessageCase(ctx, msgID); err == nil && seen.Direction == store.Inbound {
		return in.duplicate(ctx, seen.CaseID)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Outcome{}, err
	}

	c, err := in.thread(ctx, m, mb)
	if err != nil {
		return Outcome{}, err
	}
	attachments, err := in.keep(ctx, m.Attachments)
	if err != nil {
		return Outcome{}, err
	}
	email := workflows.Email{MessageID: msgID, Attachments: attachments}
	var out Outcome
	if c != nil {
		out, err = in.reply(ctx, c, m, email)
	} else {
		out, err = in.open(ctx, m, mb, email)
	}
	if err != nil {
		return Outcome{}, err
	}
	// Last: a failure before this leaves the message unseen, so the
	// sender's retry does the work again, and each step is idempotent.
	if err := in.Store.RememberMessage(ctx, msgID, out.CaseID, store.Inbound); err != nil {
		return Outcome{}, err
	}
	slog.Info("e-mail received", "action", out.Action, "case", out.CaseID, "type", out.Type)
	return out, nil
}

func (in *Intake) mailbox(recipients []string, to []netmail.Address) (Mailbox, error) {
	if len(recipients) == 0 {
		for _, a := range to {
			recipients = append(recipients, a.Address)
		}
	}
	var fallback *Mailbox
	for i, mb := range in.Mailboxes {
		if mb.Address == "" {
			fallback = &in.Mailboxes[i]
			continue
		}
		for _, r := range recipients {
			if strings.EqualFold(strings.Trim(r, "<> "), mb.Address) {
				return mb, nil
			}
		}
	}
	if fallback != nil {
		return *fallback, nil
	}
	return Mailbox{}, ErrNoMailbox
}

var referenceRE = regexp.MustCompile(`DSR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}`)

// thread finds the case a message answers: by the notice it replies to,
// else by the case reference in its subject. A case of another tenant is
// not this mailbox's.
func (in *Intake) thread(ctx context.Context, m *mailparse.Message, mb Mailbox) (*store.Case, error) {
	var caseID string
	ids := append(append([]string{}, m.InReplyTo...), m.References...)
	if sent, err := in.Store.MessageCase(ctx, ids...); err == nil {
		caseID = sent.CaseID
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var c *store.Case
	var err error
	if caseID != "" {
		c, err = in.Store.Case(ctx, caseID)
	} else if ref := referenceRE.FindString(strings.ToUpper(m.Subject)); ref != "" {
		c, err = in.Store.CaseByReference(ctx, ref)
	} else {
		return nil, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c.Tenant != mb.Tenant {
		return nil, nil
	}
	return c, nil
}

// keep puts the attachments in the blob store; the case keeps references.
func (in *Intake) keep(ctx context.Context, files []mailparse.Attachment) ([]workflows.Attachment, error) {
	var out []workflows.Attachment
	for _, f := range files {
		ref, err := in.Blobs.Put(ctx, f.Data)
		if err != nil {
			return nil, fmt.Errorf("keep attachment: %w", err)
		}
		out = append(out, workflows.Attachment{Ref: ref, Filename: f.Filename, ContentType: f.ContentType, Size: f.Size})
	}
	return out, nil
}

// maxDetails bounds the text the case keeps of the e-mail that opened it.
const maxDetails = 20000

func (in *Intake) open(ctx context.Context, m *mailparse.Message, mb Mailbox, email workflows.Email) (Outcome, error) {
	guess := classify.Classify(m.Subject, m.Text)
	typ := request.Unclassified
	if guess.Confidence >= classify.Threshold && guess.Type != "" {
		typ = guess.Type
	}
	email.Classification = fmt.Sprintf("%s %.2f %s", orNone(string(guess.Type)), guess.Confidence, strings.Join(guess.Matched, ","))
	details := "Subject: " + m.Subject + "\n\n" + m.Text
	if len(details) > maxDetails {
		details = strings.ToValidUTF8(details[:maxDetails], "") + "\n[…]"
	}
	id := uuid.NewSHA1(caseNamespace, []byte(mb.Tenant+"\x00"+email.MessageID)).String()
	wi := workflows.Input{
		CaseID: id, Reference: workflows.NewReference(), Tenant: mb.Tenant, Type: typ,
		Channel: request.ChannelEmail, PolicyID: mb.PolicyID,
		Requester: workflows.Requester{Name: m.From.Name, Email: m.From.Address,
			Language: language(m.Subject + m.Text), ActingFor: request.Self},
		ReceivedAt: in.now().UTC(), Details: details, Actor: "email", Email: &email,
	}
	err := workflows.Start(ctx, in.Temporal, in.TaskQueue, wi)
	if errors.Is(err, workflows.ErrAlreadyOpen) {
		return in.duplicate(ctx, id)
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("open case from e-mail: %w", err)
	}
	return Outcome{Action: Opened, CaseID: id, Reference: wi.Reference, Type: typ, Confidence: guess.Confidence}, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// language answers in Chinese to mail written in Chinese.
func language(text string) request.Language {
	for _, r := range text {
		if unicode.Is(unicode.Han, r) {
			return request.Chinese
		}
	}
	return request.English
}

// reply adds a message to its case. From the requester, a code in its own
// words (not the quoted notice) verifies a case waiting for verification,
// and a reply to a request for information resumes the case. A case whose
// workflow has ended keeps the message in its audit trail only.
func (in *Intake) reply(ctx context.Context, c *store.Case, m *mailparse.Message, email workflows.Email) (Outcome, error) {
	out := Outcome{Action: Replied, CaseID: c.ID, Reference: c.Reference, Type: request.Type(c.Type)}
	fromRequester := c.RequesterEmail != "" && strings.EqualFold(m.From.Address, c.RequesterEmail)
	text := classify.OwnWords(m.Text)
	if fromRequester && c.Status == string(request.PendingVerification) {
		if code := codeRE.FindString(text); code != "" {
			err := in.update(ctx, c.ID, "verify:"+email.MessageID, workflows.VerifyUpdate,
				workflows.VerifyInput{Method: workflows.MethodCode, Code: code, Actor: "email"})
			var appErr *temporal.ApplicationError
			switch {
			case err == nil:
				out.Action = Verified
			case errors.As(err, &appErr):
				out.Reason = appErr.Message()
			default:
				return Outcome{}, err
			}
		}
	}
	if fromRequester && c.Status == string(request.AwaitingRequester) {
		err := in.update(ctx, c.ID, "info:"+email.MessageID, workflows.InfoReceivedUpdate,
			workflows.NoteInput{Note: "the requester replied by e-mail", Actor: "email"})
		var appErr *temporal.ApplicationError
		if err != nil && !errors.As(err, &appErr) {
			return Outcome{}, err
		}
	}
	err := in.update(ctx, c.ID, "mail:"+email.MessageID, workflows.MailUpdate,
		workflows.MailInput{Email: email, FromRequester: fromRequester, Actor: "email"})
	ended := isEnded(err)
	if ended {
		err = in.recordClosed(ctx, c.ID, email, fromRequester)
	}
	if err != nil {
		return Outcome{}, err
	}
	if ended || !fromRequester {
		// The workflow acknowledges its requester's mail; the rest is
		// acknowledged here, to whoever wrote.
		if err := in.acknowledge(ctx, c, m, email.MessageID); err != nil {
			return Outcome{}, err
		}
	}
	return out, nil
}

// acknowledge answers a message in its thread with the case reference,
// once: the answer's Message-ID and audit key derive from the message's.
func (in *Intake) acknowledge(ctx context.Context, c *store.Case, m *mailparse.Message, msgID string) error {
	if in.Mailer == nil {
		return nil
	}
	key := "message_received:" + updateHash(msgID)
	if _, err := in.Store.EventByKey(ctx, c.ID, "notice:"+key); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	lang := language(m.Subject + m.Text)
	subject, body, err := notice.Render(notice.MessageReceived, lang, notice.Data{Reference: c.Reference,
		Type: request.Type(c.Type), DueDate: c.DueDate, Tenant: c.Tenant})
	if err != nil {
		return fmt.Errorf("acknowledge mail to case %s: %w", c.ID, err)
	}
	_, domain, _ := strings.Cut(in.From, "@")
	ack := mail.Message{From: in.From, To: m.From.Address, Subject: subject, Body: body,
		MessageID: notice.MessageID(c.ID, key, domain), InReplyTo: msgID}
	if err := in.Mailer.Send(ctx, ack); err != nil {
		return fmt.Errorf("acknowledge mail to case %s: send failed", c.ID)
	}
	if err := in.Store.RememberMessage(ctx, ack.MessageID, c.ID, store.Outbound); err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]string{"kind": string(notice.MessageReceived), "recipient": "sender",
		"channel": "email", "message_id": ack.MessageID})
	_, err = in.Store.AppendEvent(ctx, &store.Event{CaseID: c.ID, Key: "notice:" + key, Kind: "notice.sent",
		Actor: "email", Detail: string(detail)})
	return err
}

var codeRE = regexp.MustCompile(`\b[0-9]{6}\b`)

// update runs a workflow update once: Temporal drops a second one with the
// same ID, so a message handled again after a crash does not act twice.
func (in *Intake) update(ctx context.Context, caseID, updateID, name string, arg any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := in.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(caseID), UpdateID: updateHash(updateID), UpdateName: name,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// updateHash keeps Message-IDs, which can name the sender's host, out of
// Temporal's update IDs.
func updateHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "email-" + hex.EncodeToString(sum[:16])
}

// recordClosed records a message about a case whose workflow has ended,
// as the workflow would have.
func (in *Intake) recordClosed(ctx context.Context, caseID string, email workflows.Email, fromRequester bool) error {
	detail, err := json.Marshal(workflows.MailDetail(email, fromRequester))
	if err != nil {
		return err
	}
	_, err = in.Store.AppendEvent(ctx, &store.Event{CaseID: caseID, Key: workflows.MailEventKey(email),
		Kind: "email.received", Actor: "email", Detail: string(detail)})
	return err
}

// isEnded reports whether err says the case's workflow has ended.
func isEnded(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

func (in *Intake) duplicate(ctx context.Context, caseID string) (Outcome, error) {
	out := Outcome{Action: Duplicate, CaseID: caseID}
	if c, err := in.Store.Case(ctx, caseID); err == nil {
		out.Reference, out.Type = c.Reference, request.Type(c.Type)
	}
	return out, nil
}

func (in *Intake) now() time.Time {
	if in.Now != nil {
		return in.Now()
	}
	return time.Now()
}
