// Package intake turns e-mails to a DPO mailbox into case actions: a new
// request opens a case, a reply joins its case (and may carry the
// verification code), mail written by machines is dropped. The SMTP
// listener and the webhook route both hand raw messages to Receive.
package intake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// Errors Receive returns. An unreadable message, one intake can never
// take and one for no mailbox of ours are final (SMTP 5xx, HTTP 422);
// anything else is worth retrying. The first two are recorded as refused
// (store.RefusedMessage) for each tenant whose mailbox the message was for.
var (
	ErrUnreadable = mailparse.ErrUnreadable
	ErrRefused    = errors.New("message cannot be taken")
	ErrNoMailbox  = errors.New("no mailbox for this recipient")
)

// Actions a message leads to.
const (
	Opened    = "opened"    // a new case
	Replied   = "replied"   // added to its case
	Verified  = "verified"  // added to its case, and its code verified the requester
	Confirmed = "confirmed" // added to its case, and it confirmed an account cancellation
	Revoked   = "revoked"   // added to its case, and it withdrew a confirmed cancellation
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
	// More are the outcomes for the other mailboxes the message was
	// addressed to, one case each.
	More []Outcome `json:"more,omitempty"`
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
	// TrustedAuthservIDs are the authserv-ids (RFC 8601) of the MTAs that
	// receive the DPO mailboxes' mail: only their Authentication-Results
	// can make a reply authentic enough for its code to verify. Empty, no
	// code sent by e-mail verifies.
	TrustedAuthservIDs []string
}

// Receive handles one raw RFC 5322 message sent to recipients (the SMTP
// envelope's; empty means the message's own To), delivered by p, who must
// act for the mailboxes' tenants. A message addressed to mailboxes of
// several tenants opens (or joins) one case in each; mailboxes of tenants
// p does not act for are left out.
func (in *Intake) Receive(ctx context.Context, p auth.Principal, raw []byte, recipients []string) (Outcome, error) {
	m, err := mailparse.Parse(raw)
	if err != nil {
		// Only the envelope, or a key of one tenant, can say whose
		// mailbox an unreadable message was for.
		mbs, merr := in.mailboxes(p, recipients, nil)
		if merr != nil && len(recipients) == 0 {
			mbs = in.onlyTenant(p)
		}
		in.refused(ctx, mbs, rawMessageID(raw), reasonOf(err), len(raw))
		return Outcome{}, err
	}
	if m.Auto != "" {
		return Outcome{Action: Ignored, Reason: "written by a machine (" + m.Auto + ")"}, nil
	}
	mbs, err := in.mailboxes(p, recipients, m.To)
	if err != nil {
		return Outcome{}, err
	}
	msgID := m.MessageID
	if msgID == "" || len(msgID) > maxMessageID {
		// Without a usable Message-ID the content names the message.
		sum := sha256.Sum256(raw)
		msgID = "<" + hex.EncodeToString(sum[:16]) + "@no-message-id.invalid>"
	}
	var outs []Outcome
	for _, mb := range mbs {
		out, err := in.receive(ctx, m, mb, msgID)
		if errors.Is(err, ErrRefused) {
			in.refused(ctx, []Mailbox{mb}, msgID, reasonOf(err), len(raw))
		}
		if err != nil {
			return Outcome{}, err
		}
		outs = append(outs, out)
	}
	out := outs[0]
	if len(outs) > 1 {
		out.More = outs[1:]
	}
	return out, nil
}

// maxMessageID bounds the Message-ID intake keys on: RFC 5322 lines are
// at most 998 bytes, and the store's index entries have a size limit.
const maxMessageID = 998

// receive handles m for one mailbox.
func (in *Intake) receive(ctx context.Context, m *mailparse.Message, mb Mailbox, msgID string) (Outcome, error) {
	seen, err := in.Store.Inbound(ctx, mb.Tenant, msgID)
	switch {
	case err == nil && seen.Done:
		return in.duplicate(ctx, mb, seen.CaseID)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return Outcome{}, err
	}
	if seen == nil {
		// Dedupe records from before it was per tenant count only for
		// a case of this tenant.
		if old, err := in.Store.MessageCase(ctx, msgID); err == nil && old.Direction == store.Inbound {
			if c, err := in.Store.Case(ctx, old.CaseID); err == nil && c.Tenant == mb.Tenant {
				return in.duplicate(ctx, mb, c.ID)
			}
		}
	}

	c, err := in.thread(ctx, m, mb)
	if err != nil {
		return Outcome{}, err
	}
	if c == nil && seen != nil {
		// A delivery before this one claimed a case ID and may have
		// opened the case: this one opens the same case, or finds it
		// open.
		c, err = in.Store.Case(ctx, seen.CaseID)
		if errors.Is(err, store.ErrNotFound) {
			c, err = nil, nil
		} else if err != nil {
			return Outcome{}, err
		}
		if c != nil && c.Tenant == mb.Tenant {
			if err := in.Store.FinishInbound(ctx, mb.Tenant, msgID, c.ID); err != nil {
				return Outcome{}, err
			}
			return in.duplicate(ctx, mb, c.ID)
		}
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
	// Last: a failure before this leaves the message unhandled, so the
	// sender's retry does the work again, and each step is idempotent.
	if err := in.Store.FinishInbound(ctx, mb.Tenant, msgID, out.CaseID); err != nil {
		return Outcome{}, err
	}
	slog.Info("e-mail received", "action", out.Action, "case", out.CaseID, "type", out.Type, "truncated", len(m.Truncated))
	return out, nil
}

// mailboxes returns the mailboxes of recipients (or, without envelope
// recipients, of the message's To) whose tenants p acts for, each once.
func (in *Intake) mailboxes(p auth.Principal, recipients []string, to []netmail.Address) ([]Mailbox, error) {
	if len(recipients) == 0 {
		for _, a := range to {
			recipients = append(recipients, a.Address)
		}
	}
	var found []Mailbox
	var fallback *Mailbox
	addressed := false
	for i, mb := range in.Mailboxes {
		if mb.Address == "" {
			fallback = &in.Mailboxes[i]
			continue
		}
		for _, r := range recipients {
			if strings.EqualFold(strings.Trim(r, "<> "), mb.Address) {
				addressed = true
				if p.ActsFor(mb.Tenant) && !slices.ContainsFunc(found, func(f Mailbox) bool { return f.Tenant == mb.Tenant }) {
					found = append(found, mb)
				}
				break
			}
		}
	}
	if !addressed && fallback != nil && p.ActsFor(fallback.Tenant) {
		found = append(found, *fallback)
	}
	if len(found) == 0 {
		if addressed || fallback != nil {
			return nil, fmt.Errorf("%w: the intake key does not act for the mailbox's tenant", ErrNoMailbox)
		}
		return nil, ErrNoMailbox
	}
	return found, nil
}

// onlyTenant returns a mailbox of the one tenant p acts for, if p acts for
// exactly one that has a mailbox.
func (in *Intake) onlyTenant(p auth.Principal) []Mailbox {
	if len(p.Tenants) != 1 || p.Tenants[0] == auth.AllTenants {
		return nil
	}
	for _, mb := range in.Mailboxes {
		if mb.Tenant == p.Tenants[0] {
			return []Mailbox{mb}
		}
	}
	return nil
}

// refused records, for each mailbox, that a message was refused. It keeps
// no text of the message, and a failure to record does not change the
// answer: the sender is told either way.
func (in *Intake) refused(ctx context.Context, mbs []Mailbox, msgID, reason string, size int) {
	for _, mb := range mbs {
		err := in.Store.RecordRefused(ctx, &store.RefusedMessage{Tenant: mb.Tenant, MessageID: msgID,
			Reason: reason, Size: int64(size), CreatedAt: in.now().UTC()})
		if err != nil {
			slog.Error("record refused e-mail", "tenant", mb.Tenant, "error", err)
		}
	}
	slog.Warn("e-mail refused", "reason", reason, "bytes", size, "recorded_for", len(mbs))
}

// reasonOf is the fixed phrase an error of Parse or intake ends in: they
// never quote the message.
func reasonOf(err error) string {
	msg := err.Error()
	for _, prefix := range []string{ErrUnreadable.Error() + ": ", ErrRefused.Error() + ": "} {
		if i := strings.LastIndex(msg, prefix); i >= 0 {
			return msg[i+len(prefix):]
		}
	}
	return msg
}

// rawMessageID finds the Message-ID of a message Parse could not read, for
// the refusal record; "" if it has none that is short and printable.
func rawMessageID(raw []byte) string {
	head, _, _ := bytes.Cut(raw, []byte("\n\r\n"))
	head, _, _ = bytes.Cut(head, []byte("\n\n"))
	for _, line := range bytes.Split(head, []byte("\n")) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !strings.EqualFold(string(bytes.TrimSpace(name)), "Message-ID") {
			continue
		}
		id := strings.TrimSpace(string(value))
		if len(id) > maxMessageID || !utf8.ValidString(id) || strings.ContainsFunc(id, unicode.IsControl) {
			return ""
		}
		return id
	}
	return ""
}

// threadIDs are the Message-IDs m answers, In-Reply-To first, at most
// maxThreadIDs of them (the newest References) and none over maxMessageID.
func threadIDs(m *mailparse.Message) []string {
	refs := m.References
	if len(refs) > maxThreadIDs {
		refs = refs[len(refs)-maxThreadIDs:]
	}
	var ids []string
	for _, id := range append(append([]string{}, m.InReplyTo...), refs...) {
		if len(id) <= maxMessageID && len(ids) < maxThreadIDs+len(m.InReplyTo) {
			ids = append(ids, id)
		}
	}
	return ids
}

const maxThreadIDs = 50

var referenceRE = regexp.MustCompile(`DSR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}`)

// thread finds the case a message answers: by the notice it replies to,
// else by the case reference in its subject. A case of another tenant is
// not this mailbox's.
func (in *Intake) thread(ctx context.Context, m *mailparse.Message, mb Mailbox) (*store.Case, error) {
	var caseID string
	ids := threadIDs(m)
	if sent, err := in.Store.MessageCase(ctx, ids...); err == nil && sent.Direction == store.Outbound {
		caseID = sent.CaseID
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if caseID == "" {
		// A message answering one the mailbox received (the requester
		// writing again in their own thread).
		if got, err := in.Store.Inbound(ctx, mb.Tenant, ids...); err == nil && got.Done {
			caseID = got.CaseID
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
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

// maxInput bounds the workflow input (or update) an e-mail makes, well
// under Temporal's payload limit (2 MB by default): a message that would
// make a larger one is refused for good, not retried for days.
const maxInput = 256 << 10

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
	for _, t := range m.Truncated {
		details += fmt.Sprintf("\n[intake: %s cut, it had %d bytes]", strings.ReplaceAll(t.Field, "_", " "), t.Length)
	}
	// The case ID is random, as for cases opened by the API: one derived
	// from the Message-ID would let anyone who knows the message name
	// the case. The claim keeps a message delivered twice to one case.
	id := uuid.NewString()
	claim, err := in.Store.ClaimInbound(ctx, mb.Tenant, email.MessageID, id)
	if err != nil {
		return Outcome{}, fmt.Errorf("open case from e-mail: %w", err)
	}
	id = claim.CaseID
	wi := workflows.Input{
		CaseID: id, Reference: workflows.NewReference(), Tenant: mb.Tenant, Type: typ,
		Channel: request.ChannelEmail, PolicyID: mb.PolicyID,
		Requester: workflows.Requester{Name: m.From.Name, Email: m.From.Address,
			Language: language(m.Subject + m.Text), ActingFor: request.Self},
		ReceivedAt: in.now().UTC(), Details: details, Actor: "email", Email: &email,
	}
	if err := fits(wi); err != nil {
		return Outcome{}, err
	}
	err = workflows.Start(ctx, in.Temporal, in.TaskQueue, wi)
	if errors.Is(err, workflows.ErrAlreadyOpen) {
		return in.duplicate(ctx, mb, id)
	}
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) {
		// Temporal refuses the input itself (a payload over its limit):
		// the same message will be refused every time.
		return Outcome{}, fmt.Errorf("%w: the case cannot be opened from this message", ErrRefused)
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("open case from e-mail: %w", err)
	}
	return Outcome{Action: Opened, CaseID: id, Reference: wi.Reference, Type: typ, Confidence: guess.Confidence}, nil
}

// fits refuses a workflow argument over maxInput.
func fits(arg any) error {
	b, err := json.Marshal(arg)
	if err != nil {
		return fmt.Errorf("size of the case input: %w", err)
	}
	if len(b) > maxInput {
		return fmt.Errorf("%w: too large for a case", ErrRefused)
	}
	return nil
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
// if the receiving MTA vouches for the sender (authentic); otherwise the
// requester is asked to use the link or the portal. A reply to a request
// for information resumes the case. A case whose workflow has ended keeps
// the message in its audit trail only.
func (in *Intake) reply(ctx context.Context, c *store.Case, m *mailparse.Message, email workflows.Email) (Outcome, error) {
	out := Outcome{Action: Replied, CaseID: c.ID, Reference: c.Reference, Type: request.Type(c.Type)}
	fromRequester := c.RequesterEmail != "" && strings.EqualFold(m.From.Address, c.RequesterEmail)
	text := classify.OwnWords(m.Text)
	askForLink := false
	if fromRequester && c.Status == string(request.PendingVerification) {
		if code := codeRE.FindString(text); code != "" && !authentic(m, in.TrustedAuthservIDs) {
			// Anyone can write the requester's address in From: a code
			// from mail the MTA does not vouch for is not tried, so a
			// stranger can neither guess codes nor lock the case.
			askForLink = true
			out.Reason = "a code sent by e-mail verifies only from an authenticated sender"
		} else if code != "" {
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
	if fromRequester && c.Status == string(request.AwaitingRequester) && confirms(text) && authentic(m, in.TrustedAuthservIDs) {
		// The cancellation-confirmation notice asks for a reply saying
		// "confirm"; by the same rule as codes, only mail the MTA vouches
		// for confirms. A case that waits for something else refuses it,
		// and the reply is taken as an answer below.
		err := in.update(ctx, c.ID, "confirm:"+email.MessageID, workflows.ConfirmCancellationUpdate,
			workflows.NoteInput{Note: "the requester confirmed by e-mail", Actor: workflows.ActorEmail})
		var appErr *temporal.ApplicationError
		switch {
		case err == nil:
			out.Action = Confirmed
		case !errors.As(err, &appErr):
			return Outcome{}, err
		}
	}
	if fromRequester && c.Status == string(request.InProgress) && revokes(text) && authentic(m, in.TrustedAuthservIDs) {
		// The cooling-off notice says a reply withdraws a confirmed
		// cancellation; a case that is no cancellation in its cooling-off
		// period refuses it, and staff read the reply.
		err := in.update(ctx, c.ID, "revoke:"+email.MessageID, workflows.RevokeCancellationUpdate,
			workflows.NoteInput{Note: "the requester withdrew by e-mail", Actor: workflows.ActorEmail})
		var appErr *temporal.ApplicationError
		switch {
		case err == nil:
			out.Action = Revoked
		case !errors.As(err, &appErr):
			return Outcome{}, err
		}
	}
	if fromRequester && c.Status == string(request.AwaitingRequester) && out.Action != Confirmed {
		err := in.update(ctx, c.ID, "info:"+email.MessageID, workflows.InfoReceivedUpdate,
			workflows.NoteInput{Note: "the requester replied by e-mail", Actor: "email"})
		var appErr *temporal.ApplicationError
		if err != nil && !errors.As(err, &appErr) {
			return Outcome{}, err
		}
	}
	mi := workflows.MailInput{Email: email, FromRequester: fromRequester, Actor: "email"}
	if err := fits(mi); err != nil {
		return Outcome{}, err
	}
	err := in.update(ctx, c.ID, "mail:"+email.MessageID, workflows.MailUpdate, mi)
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) {
		// As for a start: Temporal will refuse this update every time.
		return Outcome{}, fmt.Errorf("%w: the message cannot be added to its case", ErrRefused)
	}
	ended := isEnded(err)
	if ended {
		err = in.recordClosed(ctx, c.ID, email, fromRequester)
	}
	if err != nil {
		return Outcome{}, err
	}
	switch {
	case askForLink:
		if err := in.acknowledge(ctx, c, m, email.MessageID, useLink); err != nil {
			return Outcome{}, err
		}
	case !fromRequester:
		// Whoever wrote may know no more than a reference: they learn
		// nothing of the case from the answer.
		if err := in.acknowledge(ctx, c, m, email.MessageID, neutral); err != nil {
			return Outcome{}, err
		}
	case ended:
		// The workflow acknowledges its requester's mail while it runs.
		if err := in.acknowledge(ctx, c, m, email.MessageID, full); err != nil {
			return Outcome{}, err
		}
	}
	return out, nil
}

// Answers intake sends itself.
type answer int

const (
	full    answer = iota // notice.MessageReceived, to the requester
	neutral               // to anyone else: received, nothing of the case
	useLink               // to the requester: codes go in the link or the portal
)

// acknowledge answers a message in its thread, once: the answer's
// Message-ID and audit key derive from the message's. The neutral answer
// goes to whoever wrote; the others to the case's requester.
func (in *Intake) acknowledge(ctx context.Context, c *store.Case, m *mailparse.Message, msgID string, kind answer) error {
	if in.Mailer == nil {
		return nil
	}
	name := string(notice.MessageReceived)
	switch kind {
	case neutral:
		name = "message_received_neutral"
	case useLink:
		name = "code_by_email_refused"
	}
	key := name + ":" + updateHash(msgID)
	if _, err := in.Store.EventByKey(ctx, c.ID, "notice:"+key); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var subject, body string
	to, recipient := m.From.Address, "sender"
	switch kind {
	case full:
		var err error
		subject, body, err = notice.Render(notice.MessageReceived, language(m.Subject+m.Text), notice.Data{Reference: c.Reference,
			Type: request.Type(c.Type), DueDate: c.DueDate, Tenant: c.Tenant})
		if err != nil {
			return fmt.Errorf("acknowledge mail to case %s: %w", c.ID, err)
		}
	case neutral:
		subject, body = neutralText(language(m.Subject + m.Text))
	case useLink:
		lang := request.Language(c.Language)
		if !slices.Contains(request.Languages, lang) {
			lang = language(m.Subject + m.Text)
		}
		subject, body = useLinkText(lang, c.Reference)
		to, recipient = c.RequesterEmail, "requester"
	}
	_, domain, _ := strings.Cut(in.From, "@")
	ack := mail.Message{From: in.From, To: to, Subject: subject, Body: body,
		MessageID: notice.MessageID(c.ID, key, domain), InReplyTo: msgID}
	if err := in.Mailer.Send(ctx, ack); err != nil {
		return fmt.Errorf("acknowledge mail to case %s: send failed", c.ID)
	}
	if err := in.Store.RememberMessage(ctx, ack.MessageID, c.ID, store.Outbound); err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]string{"kind": name, "recipient": recipient,
		"channel": "email", "message_id": ack.MessageID})
	_, err := in.Store.AppendEvent(ctx, &store.Event{CaseID: c.ID, Key: "notice:" + key, Kind: "notice.sent",
		Actor: "email", Detail: string(detail)})
	return err
}

var codeRE = regexp.MustCompile(`\b[0-9]{6}\b`)

// confirmRE and notConfirmRE read a confirmation in the requester's own
// words (quoted text already stripped): "确认" or "confirm", not negated.
var (
	confirmRE    = regexp.MustCompile(`(?i)确认|\bconfirm(ed)?\b`)
	notConfirmRE = regexp.MustCompile(`(?i)不确认|未确认|不要确认|\b(not|don'?t|never|cannot|can'?t)\s+confirm`)
)

func confirms(text string) bool {
	return confirmRE.MatchString(text) && !notConfirmRE.MatchString(text)
}

// revokeRE reads a withdrawal of a confirmed cancellation.
var revokeRE = regexp.MustCompile(`(?i)撤回|撤销|不注销|改变主意|\b(withdraw|revoke)\b|changed my mind`)

func revokes(text string) bool { return revokeRE.MatchString(text) }

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

// duplicate answers a message handled before with its case, which is
// always one of mb's tenant: another tenant's case is never named.
func (in *Intake) duplicate(ctx context.Context, mb Mailbox, caseID string) (Outcome, error) {
	out := Outcome{Action: Duplicate, CaseID: caseID}
	c, err := in.Store.Case(ctx, caseID)
	switch {
	case err == nil && c.Tenant != mb.Tenant:
		return Outcome{}, fmt.Errorf("message recorded for case %s of another tenant", caseID)
	case err == nil:
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
