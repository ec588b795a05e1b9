package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/workflows"
)

// mailboxMessage is a message in the dev mailbox, as GET /dev/mailbox lists it.
type mailboxMessage struct {
	To        []string `json:"to"`
	Subject   string   `json:"subject"`
	Body      string   `json:"body"`
	MessageID string   `json:"message_id"`
	InReplyTo string   `json:"in_reply_to"`
}

// awaitMail waits for a message in the dev mailbox that ok accepts.
func (e *devEngine) awaitMail(what string, ok func(mailboxMessage) bool) mailboxMessage {
	e.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var box struct{ Messages []mailboxMessage }
		if err := json.Unmarshal([]byte(e.get("/dev/mailbox").raw), &box); err != nil {
			e.t.Fatal(err)
		}
		for _, m := range box.Messages {
			if ok(m) {
				return m
			}
		}
	}
	e.t.Fatalf("no %s in the dev mailbox", what)
	return mailboxMessage{}
}

// sendMail delivers raw over SMTP as an MTA would, logged in with key.
func (e *devEngine) sendMail(key, from, to string, raw string) error {
	e.t.Helper()
	return e.sendMailTo(key, from, []string{to}, raw)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// An e-mail to the DPO mailbox, over real SMTP, opens a case: classified,
// attachment kept, acknowledged in its thread. The same message again opens
// nothing; a bounce opens nothing; a reply carrying the code verifies the
// case; a message nobody can classify waits for staff to classify it.
func TestEmailIntakeEndToEnd(t *testing.T) {
	needTemporal(t)
	e := startDev(t, t.TempDir(), storetest.PostgresURL(t), "DSR_INTAKE_TRUSTED_AUTHSERV_IDS=mx.dsr.test")
	intakeKey := e.apiKey("--role", "intake", "--tenant", "shop")
	portalKey := e.apiKey("--role", "portal", "--tenant", "shop")

	// A key of another role cannot deliver mail.
	if err := e.sendMail(portalKey, "x@example.test", "dpo@shop.example", "Subject: x\n\nx\n"); err == nil || !strings.Contains(err.Error(), "535") {
		t.Errorf("portal key delivered mail: %v", err)
	}

	request := `From: =?UTF-8?B?` + b64("王芳") + `?= <wang.fang@example.test>
To: dpo@shop.example
Subject: =?UTF-8?B?` + b64("请删除我的个人信息") + `?=
Message-ID: <req-1@mail.example.test>
Date: Mon, 23 Nov 2026 10:00:00 +0800
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

` + b64("您好，我不再使用你们的服务，请删除我的全部个人信息。附件是我的身份证扫描件。\n王芳") + `
--b1
Content-Type: image/jpeg; name="id.jpg"
Content-Disposition: attachment; filename="id.jpg"
Content-Transfer-Encoding: base64

` + b64("\xff\xd8\xff\xe0 not really a jpeg") + `
--b1--
`
	if err := e.sendMail(intakeKey, "wang.fang@example.test", "dpo@shop.example", request); err != nil {
		t.Fatalf("send request: %v", err)
	}
	ack := e.awaitMail("acknowledgement", func(m mailboxMessage) bool {
		return m.InReplyTo == "<req-1@mail.example.test>" && strings.Contains(m.Subject, "已收到")
	})
	ref := referenceIn(t, ack.Subject)
	if !strings.Contains(ack.Subject, "删除") || len(ack.To) != 1 || ack.To[0] != "wang.fang@example.test" {
		t.Errorf("acknowledgement %q to %v", ack.Subject, ack.To)
	}
	c := e.awaitCase(ref, func(c map[string]any) bool { return c["status"] == "pending_verification" })
	if c["type"] != "deletion" || c["channel"] != "email" {
		t.Fatalf("case from e-mail: %v", c)
	}
	id := c["id"].(string)
	events := e.get("/v1/requests/" + id + "/events").raw
	for _, want := range []string{`"kind":"email.received"`, `"attachments":"1"`, `id.jpg`, `image/jpeg`, `sha256:`} {
		if !strings.Contains(events, want) {
			t.Errorf("events lack %s: %s", want, events)
		}
	}

	// The same message again, now by the webhook: the same case, no other.
	r := e.send(map[string]string{"Authorization": "Bearer " + intakeKey, "Content-Type": "message/rfc822"},
		"POST", "/v1/intake/email", request)
	expect(t, "the same message again", r, http.StatusOK)
	if r.body["action"] != "duplicate" || r.body["case_id"] != id {
		t.Errorf("redelivery: %s", r.raw)
	}
	// A bounce and an auto-reply open nothing.
	for name, raw := range map[string]string{
		"bounce":     "From: MAILER-DAEMON@mx.example.test\nTo: dpo@shop.example\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <b-1@mx.example.test>\nAuto-Submitted: auto-replied\n\nDelivery failed.\n",
		"auto-reply": "From: li@example.test\nTo: dpo@shop.example\nSubject: Out of office: delete my data\nMessage-ID: <ooo-1@example.test>\nAuto-Submitted: auto-replied\n\nI am away.\n",
	} {
		r := e.send(map[string]string{"Authorization": "Bearer " + intakeKey, "Content-Type": "message/rfc822"},
			"POST", "/v1/intake/email", raw)
		expect(t, name, r, http.StatusAccepted)
	}
	// Unreadable mail is refused for good (the MTA bounces it rather than
	// retry), over SMTP and by the webhook, and the refusal is listed for
	// staff without its text.
	broken := "From: someone@example.test\nTo: dpo@shop.example\nSubject: x\nContent-Type: multipart/mixed\n\nno boundary\n"
	if err := e.sendMail(intakeKey, "someone@example.test", "dpo@shop.example", broken); err == nil || !strings.Contains(err.Error(), "554") {
		t.Errorf("unreadable message over SMTP: %v", err)
	}
	r = e.send(map[string]string{"Authorization": "Bearer " + intakeKey, "Content-Type": "message/rfc822"},
		"POST", "/v1/intake/email", broken)
	expect(t, "unreadable message", r, http.StatusUnprocessableEntity)
	r = e.get("/v1/intake/refused")
	expect(t, "refused e-mail", r, http.StatusOK)
	if !strings.Contains(r.raw, `"tenant":"shop"`) || !strings.Contains(r.raw, "multipart") || strings.Contains(r.raw, "no boundary") {
		t.Errorf("refused e-mail: %s", r.raw)
	}
	if n := len(e.list("/v1/requests?channel=email")); n != 1 {
		t.Errorf("%d e-mail cases, want 1", n)
	}

	// The requester replies to the code notice with the code; the quoted
	// notice below it does not count.
	code := e.code(ref)
	codeMail := e.awaitMail("code notice", func(m mailboxMessage) bool {
		return strings.Contains(m.Subject, ref) && strings.Contains(m.Body, code)
	})
	// First a forged reply: From the requester, a wrong code, no word of
	// the receiving MTA. The code is not tried, the case still waits,
	// and the requester is told to use the link instead.
	forged := "From: wang.fang@example.test\nTo: dpo@shop.example\nSubject: Re: " + codeMail.Subject +
		"\nMessage-ID: <forged-1@attacker.test>\nIn-Reply-To: " + codeMail.MessageID +
		"\nAuthentication-Results: mx.attacker.test; dkim=pass header.d=example.test" +
		"\nContent-Type: text/plain; charset=UTF-8\n\n我的验证码是 999999\n"
	r = e.send(map[string]string{"Authorization": "Bearer " + intakeKey, "Content-Type": "message/rfc822"},
		"POST", "/v1/intake/email", forged)
	expect(t, "a forged reply", r, http.StatusOK)
	if r.body["action"] != "replied" || r.body["case_id"] != id {
		t.Errorf("forged reply: %s", r.raw)
	}
	e.awaitMail("request to use the link", func(m mailboxMessage) bool {
		return m.InReplyTo == "<forged-1@attacker.test>" && len(m.To) == 1 && m.To[0] == "wang.fang@example.test" &&
			strings.Contains(m.Body, "门户")
	})
	e.awaitCase(ref, func(c map[string]any) bool { return c["status"] == "pending_verification" })

	// The receiving MTA (authserv-id mx.dsr.test, trusted) vouches for
	// the real reply: DKIM passed for the From domain.
	reply := "Authentication-Results: mx.dsr.test;\n dkim=pass header.d=example.test header.s=s1;\n spf=pass smtp.mailfrom=wang.fang@example.test" +
		"\nReceived: from mail.example.test by mx.dsr.test; Mon, 23 Nov 2026 10:05:00 +0800" +
		"\nFrom: wang.fang@example.test\nTo: dpo@shop.example\nSubject: Re: " + codeMail.Subject +
		"\nMessage-ID: <reply-1@mail.example.test>\nIn-Reply-To: " + codeMail.MessageID +
		"\nContent-Type: text/plain; charset=UTF-8\n\n我的验证码是 " + code + "\n\n> 000000\n"
	if err := e.sendMail(intakeKey, "wang.fang@example.test", "dpo@shop.example", reply); err != nil {
		t.Fatalf("send reply: %v", err)
	}
	e.awaitCase(ref, func(c map[string]any) bool { return c["status"] == "in_progress" })
	e.awaitMail("acknowledgement of the reply", func(m mailboxMessage) bool {
		return m.InReplyTo == "<reply-1@mail.example.test>" && strings.Contains(m.Subject, ref)
	})

	// Someone else writes about the case, quoting its reference: the
	// message joins the case and its writer is answered in their thread.
	other := "From: lawyer@example.test\nTo: dpo@shop.example\nSubject: About " + ref +
		"\nMessage-ID: <other-1@example.test>\n\nI act for the requester; please copy me.\n"
	r = e.send(map[string]string{"Authorization": "Bearer " + intakeKey, "Content-Type": "message/rfc822"},
		"POST", "/v1/intake/email", other)
	expect(t, "a message from someone else", r, http.StatusOK)
	if r.body["action"] != "replied" || r.body["case_id"] != id {
		t.Errorf("message from someone else: %s", r.raw)
	}
	strangerAck := e.awaitMail("acknowledgement to the other writer", func(m mailboxMessage) bool {
		return m.InReplyTo == "<other-1@example.test>" && len(m.To) == 1 && m.To[0] == "lawyer@example.test"
	})
	// It tells them nothing of the case.
	for _, secret := range []string{ref, "delet", "删除", "shop", fmt.Sprint(c["due_date"])} {
		if strings.Contains(strings.ToLower(strangerAck.Subject+strangerAck.Body), secret) {
			t.Errorf("the answer to a stranger tells %q: %s / %s", secret, strangerAck.Subject, strangerAck.Body)
		}
	}

	// A message that says too little opens an unclassified case for staff.
	vague := "From: chen@example.test\nTo: dpo@shop.example\nSubject: hello\nMessage-ID: <vague-1@example.test>\n\nPlease call me back about my account.\n"
	if err := e.sendMail(intakeKey, "chen@example.test", "dpo@shop.example", vague); err != nil {
		t.Fatal(err)
	}
	ack = e.awaitMail("acknowledgement of the vague message", func(m mailboxMessage) bool { return m.InReplyTo == "<vague-1@example.test>" })
	vagueCase := e.awaitCase(referenceIn(t, ack.Subject), func(map[string]any) bool { return true })
	if vagueCase["type"] != "unclassified" {
		t.Fatalf("vague message: %v", vagueCase)
	}
	r = e.post("/v1/requests/"+vagueCase["id"].(string)+"/classify", `{"type":"access","actor":"staff:li"}`)
	expect(t, "classify", r, http.StatusOK)
	if r.body["type"] != "access" {
		t.Errorf("after classify: %s", r.raw)
	}
	if l := e.list("/v1/requests?type=unclassified"); len(l) != 0 {
		t.Errorf("unclassified queue after triage: %v", l)
	}
	// Nothing of the requesters reached the logs, and the history is sealed.
	assertSealedHistory(t, e.temporal, workflows.WorkflowID(id), "wang.fang@example.test", "王芳", "req-1@mail.example.test")
	e.stop()
	assertNoPersonalDataInLogs(t, e, "wang.fang@example.test", "王芳", "chen@example.test", "身份证")
}

// sendMailTo delivers raw over SMTP to several envelope recipients in one
// session, logged in with key.
func (e *devEngine) sendMailTo(key, from string, to []string, raw string) error {
	e.t.Helper()
	c, err := smtp.Dial(e.intake)
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	host, _, _ := strings.Cut(e.intake, ":")
	if err := c.Auth(smtp.PlainAuth("", "mta", key, host)); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// One e-mail to the mailboxes of two tenants, in one SMTP session, opens a
// case in each, with random IDs; delivered again to one tenant, it names
// that tenant's case only.
func TestEmailIntakeTwoTenants(t *testing.T) {
	needTemporal(t)
	cfg := filepath.Join(t.TempDir(), "dsr.yaml")
	if err := os.WriteFile(cfg, []byte("intake:\n  mailboxes:\n"+
		"    - {address: dpo@shop.example, tenant: shop, policy_id: gdpr}\n"+
		"    - {address: privacy@bank.example, tenant: bank, policy_id: gdpr}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startDev(t, t.TempDir(), storetest.PostgresURL(t), "DSR_CONFIG="+cfg)
	bothKey := e.apiKey("--role", "intake", "--tenant", "shop", "--tenant", "bank")
	bankKey := e.apiKey("--role", "intake", "--tenant", "bank")

	msg := "From: li@example.test\nTo: dpo@shop.example, privacy@bank.example\nSubject: Please delete my personal data" +
		"\nMessage-ID: <both-1@example.test>\n\nPlease delete all my personal data.\n"
	if err := e.sendMailTo(bothKey, "li@example.test", []string{"dpo@shop.example", "privacy@bank.example"}, msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	var cases []map[string]any
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(cases) < 2; time.Sleep(200 * time.Millisecond) {
		cases = e.list("/v1/requests?channel=email")
	}
	tenants := map[string]string{}
	for _, c := range cases {
		tenants[c["tenant"].(string)] = c["id"].(string)
		if id := c["id"].(string); len(id) != 36 || id[14] != '4' {
			t.Errorf("case ID %s is not a random UUID", id)
		}
	}
	if len(cases) != 2 || tenants["shop"] == "" || tenants["bank"] == "" {
		t.Fatalf("cases: %v", cases)
	}
	r := e.send(map[string]string{"Authorization": "Bearer " + bankKey, "Content-Type": "message/rfc822"},
		"POST", "/v1/intake/email?to=privacy@bank.example", msg)
	expect(t, "the same message to the bank again", r, http.StatusOK)
	if r.body["action"] != "duplicate" || r.body["case_id"] != tenants["bank"] {
		t.Errorf("redelivery to the bank: %s (cases %v)", r.raw, tenants)
	}
}

var referenceInSubject = regexp.MustCompile(`DSR-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`)

func referenceIn(t *testing.T, subject string) string {
	t.Helper()
	ref := referenceInSubject.FindString(subject)
	if ref == "" {
		t.Fatalf("no case reference in %q", subject)
	}
	return ref
}

// list returns the items of a queue page.
func (e *devEngine) list(path string) []map[string]any {
	e.t.Helper()
	r := e.get(path)
	expect(e.t, path, r, http.StatusOK)
	var page struct{ Cases []map[string]any }
	if err := json.Unmarshal([]byte(r.raw), &page); err != nil {
		e.t.Fatal(err)
	}
	return page.Cases
}

// awaitCase waits until the case is in the queue and ok accepts it.
func (e *devEngine) awaitCase(ref string, ok func(map[string]any) bool) map[string]any {
	e.t.Helper()
	var items []map[string]any
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if items = e.list("/v1/requests?reference=" + ref); len(items) == 1 && ok(items[0]) {
			return items[0]
		}
	}
	e.t.Fatalf("case %s not as awaited: %v", ref, items)
	return nil
}
