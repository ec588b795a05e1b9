package intake

import (
	"context"
	"net"
	"net/smtp"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"

	"github.com/dsrflow/dsrflow/auth"
)

// send delivers raw over real SMTP to recipients, as an MTA would.
func send(t *testing.T, addr string, raw []byte, recipients ...string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(smtp.PlainAuth("", "mta", "key", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("sender@example.org"); err != nil {
		t.Fatal(err)
	}
	for _, r := range recipients {
		if err := c.Rcpt(r); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	return w.Close()
}

// Over SMTP: one session with recipients in two tenants opens a case for
// each; a message that can never be taken gets a permanent 5xx, not 451.
func TestSMTPIntake(t *testing.T) {
	f := newFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &SMTP{Intake: f.in, Authenticate: func(context.Context, string) (auth.Principal, error) { return admin, nil }}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	if err := send(t, addr, request1, "dpo@shop.example", "privacy@bank.example"); err != nil {
		t.Fatalf("two tenants: %v", err)
	}
	tenants := map[string]bool{}
	for _, wi := range f.tmp.started {
		tenants[wi.Tenant] = true
	}
	if !tenants["shop"] || !tenants["bank"] {
		t.Errorf("cases opened for %v", tenants)
	}

	unreadable := rawMail("Subject: x", "Content-Type: multipart/mixed", "", "no boundary, no From")
	if err := send(t, addr, unreadable, "dpo@shop.example"); err == nil || !strings.HasPrefix(err.Error(), "554") {
		t.Errorf("unreadable: %v", err)
	}
	f.tmp.startErr = serviceerror.NewInvalidArgument("Blob data size exceeds limit.")
	poison := rawMail("From: li@example.cn", "To: dpo@shop.example", "Subject: delete", "Message-ID: <p@example.cn>", "", "delete my data")
	if err := send(t, addr, poison, "dpo@shop.example"); err == nil || !strings.HasPrefix(err.Error(), "552") {
		t.Errorf("poison: %v", err)
	}
	if refused, err := f.store.RefusedMessages(t.Context(), []string{"shop"}, 10); err != nil || len(refused) != 2 {
		t.Errorf("refused: %+v %v", refused, err)
	}
}
