package intake

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/blob"
	"github.com/dsrflow/dsrflow/codec"
	"github.com/dsrflow/dsrflow/mail"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/workflows"
)

func TestMailbox(t *testing.T) {
	in := &Intake{Mailboxes: []Mailbox{
		{Address: "dpo@shop.example", Tenant: "shop", PolicyID: "gdpr"},
		{Address: "privacy@bank.example", Tenant: "bank", PolicyID: "cn-15wd"},
	}}
	all := auth.Principal{Tenants: []string{auth.AllTenants}}
	if mbs, err := in.mailboxes(all, []string{"<PRIVACY@bank.example>"}, nil); err != nil || len(mbs) != 1 || mbs[0].Tenant != "bank" {
		t.Errorf("envelope recipient: %+v %v", mbs, err)
	}
	if mbs, err := in.mailboxes(all, nil, []netmail.Address{{Address: "dpo@shop.example"}}); err != nil || len(mbs) != 1 || mbs[0].Tenant != "shop" {
		t.Errorf("To header: %+v %v", mbs, err)
	}
	if mbs, err := in.mailboxes(all, []string{"dpo@shop.example", "privacy@bank.example", "DPO@shop.example"}, nil); err != nil || len(mbs) != 2 {
		t.Errorf("two tenants: %+v %v", mbs, err)
	}
	shopKey := auth.Principal{Tenants: []string{"shop"}}
	if mbs, err := in.mailboxes(shopKey, []string{"dpo@shop.example", "privacy@bank.example"}, nil); err != nil || len(mbs) != 1 || mbs[0].Tenant != "shop" {
		t.Errorf("a key of one tenant: %+v %v", mbs, err)
	}
	if _, err := in.mailboxes(shopKey, []string{"privacy@bank.example"}, nil); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("another tenant's mailbox: %v", err)
	}
	if _, err := in.mailboxes(all, []string{"someone@else.example"}, nil); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("unknown recipient: %v", err)
	}
	in.Mailboxes = append(in.Mailboxes, Mailbox{Tenant: "catch-all", PolicyID: "gdpr"})
	if mbs, err := in.mailboxes(all, []string{"someone@else.example"}, nil); err != nil || len(mbs) != 1 || mbs[0].Tenant != "catch-all" {
		t.Errorf("catch-all: %+v %v", mbs, err)
	}
}

func TestLanguage(t *testing.T) {
	if language("Please delete my data") != "en" || language("Re: 请删除") != "zh-CN" {
		t.Error("language guessed wrong")
	}
}

// fakeTemporal stands in for the Temporal client: it records workflow
// starts and updates, and, as the Request workflow's first step does,
// saves the case it opens. Temporal itself is exercised end to end in
// cmd/dsr (TestEmailIntakeEndToEnd).
type fakeTemporal struct {
	client.Client
	store *store.Store

	mu       sync.Mutex
	started  map[string]workflows.Input
	updates  []client.UpdateWorkflowOptions
	startErr error
}

func (f *fakeTemporal) ExecuteWorkflow(ctx context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.startErr != nil {
		return nil, f.startErr
	}
	if _, ok := f.started[o.ID]; ok {
		return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("started", "", "")
	}
	in := args[0].(workflows.Input)
	f.started[o.ID] = in
	c := &store.Case{ID: in.CaseID, Reference: in.Reference, Tenant: in.Tenant, Type: string(in.Type),
		Channel: string(in.Channel), Status: string(request.PendingVerification), PolicyID: in.PolicyID,
		RequesterName: in.Requester.Name, RequesterEmail: in.Requester.Email, Language: string(in.Requester.Language),
		ActingFor: string(request.Self), ReceivedAt: in.ReceivedAt, DueDate: "2026-12-20", Summary: in.Details}
	return nil, f.store.SaveCase(ctx, c)
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, o)
	return doneUpdate{}, nil
}

func (f *fakeTemporal) updated(name string) []client.UpdateWorkflowOptions {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []client.UpdateWorkflowOptions
	for _, u := range f.updates {
		if u.UpdateName == name {
			out = append(out, u)
		}
	}
	return out
}

type doneUpdate struct{ client.WorkflowUpdateHandle }

func (doneUpdate) Get(context.Context, any) error { return nil }

type fakeMailer struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (m *fakeMailer) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

func (m *fakeMailer) to(inReplyTo string) []mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []mail.Message
	for _, msg := range m.sent {
		if msg.InReplyTo == inReplyTo {
			out = append(out, msg)
		}
	}
	return out
}

type fixture struct {
	in     *Intake
	store  *store.Store
	tmp    *fakeTemporal
	mailer *fakeMailer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s := storetest.Open(t, store.Postgres)
	tmp := &fakeTemporal{store: s, started: map[string]workflows.Input{}}
	mailer := &fakeMailer{}
	sealer, err := codec.New([]codec.Key{{ID: "k1", Secret: make([]byte, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	in := &Intake{Store: s, Temporal: tmp, TaskQueue: "q", Blobs: &blob.Dir{Path: t.TempDir(), Sealer: sealer},
		Mailboxes: []Mailbox{
			{Address: "dpo@shop.example", Tenant: "shop", PolicyID: "gdpr"},
			{Address: "privacy@bank.example", Tenant: "bank", PolicyID: "gdpr"},
		},
		Mailer: mailer, From: "dpo@dsr.example", TrustedAuthservIDs: []string{"mx.dsr.example"},
		Now: func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }}
	return &fixture{in: in, store: s, tmp: tmp, mailer: mailer}
}

var (
	shopKey = auth.Principal{Role: auth.Intake, Tenants: []string{"shop"}}
	bankKey = auth.Principal{Role: auth.Intake, Tenants: []string{"bank"}}
	admin   = auth.Principal{Role: auth.Admin, Tenants: []string{auth.AllTenants}}
)

func rawMail(lines ...string) []byte {
	return []byte(strings.ReplaceAll(strings.Join(lines, "\n"), "\n", "\r\n"))
}

var request1 = rawMail("From: Wang Fang <wang.fang@example.cn>", "To: dpo@shop.example, privacy@bank.example",
	"Subject: Please delete my personal data", "Message-ID: <req-1@example.cn>", "",
	"I no longer use your service. Please delete all my personal data.")

// The same e-mail sent to two tenants' mailboxes opens a case in each,
// and neither tenant's answer names the other's case; a key can claim no
// Message-ID of another tenant.
func TestDedupePerTenant(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	bank, err := f.in.Receive(ctx, bankKey, request1, []string{"privacy@bank.example"})
	if err != nil || bank.Action != Opened {
		t.Fatalf("bank: %+v %v", bank, err)
	}
	shop, err := f.in.Receive(ctx, shopKey, request1, []string{"dpo@shop.example"})
	if err != nil || shop.Action != Opened || shop.CaseID == bank.CaseID || shop.Reference == bank.Reference {
		t.Fatalf("shop after bank: %+v %v (bank %+v)", shop, err, bank)
	}
	// Redelivered: each tenant finds its own case.
	for key, want := range map[string]Outcome{"shop": shop, "bank": bank} {
		p, rcpt := shopKey, "dpo@shop.example"
		if key == "bank" {
			p, rcpt = bankKey, "privacy@bank.example"
		}
		again, err := f.in.Receive(ctx, p, request1, []string{rcpt})
		if err != nil || again.Action != Duplicate || again.CaseID != want.CaseID || again.Reference != want.Reference {
			t.Errorf("%s again: %+v %v, want case %s", key, again, err, want.CaseID)
		}
	}
	for _, wi := range f.tmp.started {
		c, err := f.store.Case(ctx, wi.CaseID)
		if err != nil || c.Tenant != wi.Tenant {
			t.Errorf("case %s: %+v %v", wi.CaseID, c, err)
		}
	}
}

// One SMTP session (one delivery) with recipients in two tenants opens a
// case for each.
func TestOneCasePerMailbox(t *testing.T) {
	f := newFixture(t)
	out, err := f.in.Receive(t.Context(), admin, request1, []string{"dpo@shop.example", "privacy@bank.example"})
	if err != nil || out.Action != Opened || len(out.More) != 1 || out.More[0].Action != Opened {
		t.Fatalf("%+v %v", out, err)
	}
	tenants := map[string]bool{}
	for _, wi := range f.tmp.started {
		tenants[wi.Tenant] = true
	}
	if len(f.tmp.started) != 2 || !tenants["shop"] || !tenants["bank"] {
		t.Errorf("started %v", f.tmp.started)
	}
}

// Case IDs of e-mail cases are random, not derived from the tenant and
// Message-ID; a delivery that finds a claim of a delivery that failed
// opens the claimed case.
func TestRandomCaseIDs(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	old := uuid.NewSHA1(uuid.MustParse("5d0b6b0e-8f0e-4d3c-9a55-64737266c0de"), []byte("shop\x00<req-1@example.cn>")).String()
	out, err := f.in.Receive(ctx, shopKey, request1, []string{"dpo@shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := uuid.Parse(out.CaseID)
	if err != nil || id.Version() != 4 || out.CaseID == old {
		t.Errorf("case ID %s (version %d), derivable %s", out.CaseID, id.Version(), old)
	}

	// A crash between claim and start: the next delivery starts the
	// claimed case.
	claimed := uuid.NewString()
	if _, err := f.store.ClaimInbound(ctx, "bank", "<req-1@example.cn>", claimed); err != nil {
		t.Fatal(err)
	}
	out, err = f.in.Receive(ctx, bankKey, request1, []string{"privacy@bank.example"})
	if err != nil || out.Action != Opened || out.CaseID != claimed {
		t.Errorf("after a failed delivery: %+v %v, want case %s", out, err, claimed)
	}
}

// NUL and other C0 controls in headers and body never reach the case.
func TestControlsNeverReachTheCase(t *testing.T) {
	f := newFixture(t)
	raw := rawMail("From: \"Wang\x00 Fang\x01\" <wang.fang\x00@example.cn>", "To: dpo@shop.example",
		"Subject: Please delete\x00 my data\x1b", "Message-ID: <nul\x00-1@example.cn>", "",
		"Please delete\x00 all my personal data.\x07\tThanks")
	out, err := f.in.Receive(t.Context(), shopKey, raw, nil)
	if err != nil || out.Action != Opened {
		t.Fatalf("%+v %v", out, err)
	}
	wi := f.tmp.started[workflows.WorkflowID(out.CaseID)]
	for what, v := range map[string]string{"name": wi.Requester.Name, "email": wi.Requester.Email,
		"details": wi.Details, "message id": wi.Email.MessageID} {
		if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\n' && r != '\t' || r == 0x7f }) {
			t.Errorf("%s holds a control: %q", what, v)
		}
	}
	if wi.Requester.Email != "wang.fang@example.cn" {
		t.Errorf("requester %q", wi.Requester.Email)
	}
}

// A header in a charset nobody knows costs the message nothing.
func TestUnknownCharsetOpensCase(t *testing.T) {
	f := newFixture(t)
	raw := rawMail("From: a@example.org", "To: dpo@shop.example", "Subject: =?x-euc-tw?B?s6+kaqTl?= delete my data",
		"Content-Type: text/plain; charset=x-unknown", "", "Please delete my data.")
	if out, err := f.in.Receive(t.Context(), shopKey, raw, nil); err != nil || out.Action != Opened {
		t.Fatalf("%+v %v", out, err)
	}
}

// A message that can never make a case is refused for good, and the
// refusal is recorded for the DPO without its text; a message with an
// oversized display name and attachment names is taken, cut.
func TestPoisonMail(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	name := strings.Repeat("Wang Fang ", 300<<10)
	var parts strings.Builder
	for i := range 99 {
		fmt.Fprintf(&parts, "--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"%03d%s.pdf\"\n\n%%PDF\n", i, strings.Repeat("n", 30<<10))
	}
	parts.WriteString("--b--\n")
	raw := rawMail("From: \""+name+"\" <wang.fang@example.cn>", "To: dpo@shop.example", "Subject: delete my data",
		"Message-ID: <big-1@example.cn>", "Content-Type: multipart/mixed; boundary=b", "", parts.String())
	out, err := f.in.Receive(ctx, shopKey, raw, nil)
	if err != nil || out.Action != Opened {
		t.Fatalf("oversized names: %+v %v", out, err)
	}
	wi := f.tmp.started[workflows.WorkflowID(out.CaseID)]
	if len(wi.Requester.Name) > 1000 || len(wi.Email.Attachments) != 99 || !strings.Contains(wi.Details, "from name cut, it had") {
		t.Errorf("name of %d bytes, %d attachments, details %q", len(wi.Requester.Name), len(wi.Email.Attachments), wi.Details[:min(len(wi.Details), 200)])
	}

	// Temporal refuses the input: refused for good, and recorded.
	f.tmp.startErr = serviceerror.NewInvalidArgument("Blob data size exceeds limit.")
	raw = rawMail("From: li@example.cn", "To: dpo@shop.example", "Subject: secret subject", "Message-ID: <poison-1@example.cn>", "", "secret body")
	if _, err := f.in.Receive(ctx, shopKey, raw, nil); !errors.Is(err, ErrRefused) {
		t.Fatalf("poison: %v", err)
	}
	// An unreadable message, over the envelope, is recorded too.
	if _, err := f.in.Receive(ctx, shopKey, rawMail("Subject: secret", "Message-ID: <nofrom@example.cn>", "", "secret"), []string{"dpo@shop.example"}); !errors.Is(err, ErrUnreadable) {
		t.Fatalf("unreadable: %v", err)
	}
	// By the webhook, without envelope recipients: the key's one tenant.
	if _, err := f.in.Receive(ctx, shopKey, rawMail("Subject: secret", "Message-ID: <nofrom-2@example.cn>", "", "secret"), nil); !errors.Is(err, ErrUnreadable) {
		t.Fatalf("unreadable: %v", err)
	}
	refused, err := f.store.RefusedMessages(ctx, []string{"shop"}, 10)
	if err != nil || len(refused) != 3 {
		t.Fatalf("refused: %+v %v", refused, err)
	}
	for _, r := range refused {
		if strings.Contains(r.Reason, "secret") || r.Size == 0 || r.MessageID == "" {
			t.Errorf("refusal %+v", r)
		}
	}
	if other, _ := f.store.RefusedMessages(ctx, []string{"bank"}, 10); len(other) != 0 {
		t.Errorf("bank sees %+v", other)
	}
}

// pending opens a case from request1 and returns it, waiting for
// verification.
func (f *fixture) pending(t *testing.T) *store.Case {
	t.Helper()
	out, err := f.in.Receive(t.Context(), shopKey, request1, []string{"dpo@shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.store.Case(t.Context(), out.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func codeReply(c *store.Case, id string, extra ...string) []byte {
	lines := append(extra, "From: wang.fang@example.cn", "To: dpo@shop.example",
		"Subject: Re: [DSR] "+c.Reference, "Message-ID: "+id, "", "123456")
	return rawMail(lines...)
}

// A reply with a code verifies only when the receiving MTA, under a
// trusted authserv-id, vouches for the sender; otherwise the code is not
// tried, the mail is recorded, and the requester is asked to use the link.
func TestSpoofedReplyDoesNotVerify(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.pending(t)
	spoofs := map[string][]string{
		"no results":       nil,
		"untrusted id":     {"Authentication-Results: mx.attacker.example; dkim=pass header.d=example.cn", "Received: from x by mx.dsr.example"},
		"below Received":   {"Received: from x by mx.dsr.example", "Authentication-Results: mx.dsr.example; dkim=pass header.d=example.cn"},
		"unaligned dkim":   {"Authentication-Results: mx.dsr.example; dkim=pass header.d=attacker.example", "Received: from x by mx.dsr.example"},
		"failed spf":       {"Authentication-Results: mx.dsr.example; spf=fail smtp.mailfrom=wang.fang@example.cn", "Received: from x by mx.dsr.example"},
		"comment mailfrom": {"Authentication-Results: mx.dsr.example; spf=pass (smtp.mailfrom=wang.fang@example.cn) smtp.mailfrom=x@attacker.example", "Received: from x by mx.dsr.example"},
	}
	i := 0
	for name, headers := range spoofs {
		i++
		id := fmt.Sprintf("<spoof-%d@attacker.example>", i)
		out, err := f.in.Receive(ctx, shopKey, codeReply(c, id, headers...), nil)
		if err != nil || out.Action != Replied || out.CaseID != c.ID {
			t.Errorf("%s: %+v %v", name, out, err)
		}
		asked := f.mailer.to(id)
		if len(asked) != 1 || asked[0].To != c.RequesterEmail || !strings.Contains(asked[0].Body, "link") {
			t.Errorf("%s: answered %+v", name, asked)
		}
	}
	if v := f.tmp.updated(workflows.VerifyUpdate); len(v) != 0 {
		t.Fatalf("spoofed replies tried %d codes", len(v))
	}
	if m := f.tmp.updated(workflows.MailUpdate); len(m) != len(spoofs) {
		t.Errorf("%d mail updates, want %d", len(m), len(spoofs))
	}

	for name, headers := range map[string][]string{
		"dkim":  {"Authentication-Results: MX.dsr.example; dkim=pass header.d=mail.example.cn header.s=s1", "Received: from x by mx.dsr.example"},
		"spf":   {"Authentication-Results: mx.dsr.example 1; spf=pass smtp.mailfrom=bounce@example.cn", "Received: from x by mx.dsr.example"},
		"dmarc": {"X-Spam: no", "Authentication-Results: mx.dsr.example; dmarc=pass header.from=example.cn", "Received: from x by mx.dsr.example"},
	} {
		before := len(f.tmp.updated(workflows.VerifyUpdate))
		out, err := f.in.Receive(ctx, shopKey, codeReply(c, "<auth-"+name+"@example.cn>", headers...), nil)
		if err != nil || out.Action != Verified || len(f.tmp.updated(workflows.VerifyUpdate)) != before+1 {
			t.Errorf("%s: %+v %v", name, out, err)
		}
	}
}

// Someone other than the requester who writes about a case is answered
// with nothing of the case: no type, due date, tenant or requester.
func TestStrangerGetsNeutralAnswer(t *testing.T) {
	f := newFixture(t)
	c := f.pending(t)
	raw := rawMail("From: nosy@example.org", "To: dpo@shop.example", "Subject: About "+c.Reference,
		"Message-ID: <nosy-1@example.org>", "", "What is this case about?")
	out, err := f.in.Receive(t.Context(), shopKey, raw, nil)
	if err != nil || out.Action != Replied {
		t.Fatalf("%+v %v", out, err)
	}
	answers := f.mailer.to("<nosy-1@example.org>")
	if len(answers) != 1 || answers[0].To != "nosy@example.org" {
		t.Fatalf("answers %+v", answers)
	}
	text := answers[0].Subject + answers[0].Body
	for _, secret := range []string{c.Reference, c.DueDate, "2026", c.Tenant, "shop", "Wang", "delet", "eras"} {
		if strings.Contains(strings.ToLower(text), strings.ToLower(secret)) {
			t.Errorf("the answer tells %q: %s", secret, text)
		}
	}
}

// The cancellation-confirmation notice asks the requester to reply
// "confirm": an authenticated reply saying so confirms the cancellation;
// a forged one, or one that says the opposite, is only recorded (and, as
// any reply to a waiting case, handed to staff).
func TestReplyConfirmsCancellation(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.pending(t)
	c.Status, c.Revision = string(request.AwaitingRequester), c.Revision+1
	if err := f.store.SaveCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	authentic := []string{"Authentication-Results: mx.dsr.example; dkim=pass header.d=example.cn", "Received: from x by mx.dsr.example"}
	reply := func(id, words string, headers ...string) []byte {
		lines := append(headers, "From: wang.fang@example.cn", "To: dpo@shop.example",
			"Subject: Re: [DSR] "+c.Reference, "Message-ID: "+id, "", words, "", "> Please confirm that you want to go ahead")
		return rawMail(lines...)
	}
	for name, raw := range map[string][]byte{
		"forged":  reply("<forged@attacker.example>", "确认"),
		"negated": reply("<negated@example.cn>", "我不确认，请先不要注销", authentic...),
		"quoted":  reply("<quoted@example.cn>", "Thanks", authentic...),
	} {
		out, err := f.in.Receive(ctx, shopKey, raw, nil)
		if err != nil || out.Action == Confirmed {
			t.Errorf("%s: %+v %v", name, out, err)
		}
	}
	if n := len(f.tmp.updated(workflows.ConfirmCancellationUpdate)); n != 0 {
		t.Fatalf("%d confirmations from replies that do not confirm", n)
	}
	for _, words := range []string{"确认", "Yes, I confirm."} {
		out, err := f.in.Receive(ctx, shopKey, reply(fmt.Sprintf("<yes-%d@example.cn>", len(words)), words, authentic...), nil)
		if err != nil || out.Action != Confirmed {
			t.Errorf("%q: %+v %v", words, out, err)
		}
	}
	confirmed := f.tmp.updated(workflows.ConfirmCancellationUpdate)
	if len(confirmed) != 2 {
		t.Fatalf("%d confirmations, want 2", len(confirmed))
	}
	if in := confirmed[0].Args[0].(workflows.NoteInput); in.Actor != workflows.ActorEmail {
		t.Errorf("confirmed by %q", in.Actor)
	}
}

// The cooling-off notice says a reply withdraws a confirmed cancellation:
// an authenticated reply saying so revokes it; a forged one does not.
func TestReplyRevokesCancellation(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.pending(t)
	c.Status, c.Revision = string(request.InProgress), c.Revision+1
	if err := f.store.SaveCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	reply := func(id string, headers ...string) []byte {
		lines := append(headers, "From: wang.fang@example.cn", "To: dpo@shop.example",
			"Subject: Re: [DSR] "+c.Reference, "Message-ID: "+id, "", "我改变主意了，请撤回注销。")
		return rawMail(lines...)
	}
	if out, err := f.in.Receive(ctx, shopKey, reply("<forged-revoke@attacker.example>"), nil); err != nil || out.Action == Revoked {
		t.Errorf("forged: %+v %v", out, err)
	}
	out, err := f.in.Receive(ctx, shopKey, reply("<revoke@example.cn>",
		"Authentication-Results: mx.dsr.example; dkim=pass header.d=example.cn", "Received: from x by mx.dsr.example"), nil)
	if err != nil || out.Action != Revoked {
		t.Errorf("authenticated: %+v %v", out, err)
	}
	if n := len(f.tmp.updated(workflows.RevokeCancellationUpdate)); n != 1 {
		t.Errorf("%d revocations, want 1", n)
	}
}

// A reply from the requester is recorded on its case for staff, and one to
// a case waiting for information resumes it: the notices that say "reply
// to this message" are answered by a person who sees the reply.
func TestReplyReachesTheCase(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.pending(t)
	c.Status, c.Revision = string(request.AwaitingRequester), c.Revision+1
	if err := f.store.SaveCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	raw := rawMail("From: wang.fang@example.cn", "To: dpo@shop.example", "Subject: Re: [DSR] "+c.Reference,
		"Message-ID: <answer-1@example.cn>", "", "My account number is 12345.")
	out, err := f.in.Receive(ctx, shopKey, raw, nil)
	if err != nil || out.Action != Replied || out.CaseID != c.ID {
		t.Fatalf("%+v %v", out, err)
	}
	if n := len(f.tmp.updated(workflows.InfoReceivedUpdate)); n != 1 {
		t.Errorf("%d info_received updates, want 1", n)
	}
	mails := f.tmp.updated(workflows.MailUpdate)
	if len(mails) != 1 || !mails[0].Args[0].(workflows.MailInput).FromRequester {
		t.Errorf("mail updates %+v", mails)
	}
}
