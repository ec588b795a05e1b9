package mail

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

var when = time.Date(2025, 6, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

func chinese() Message {
	return Message{
		From:      "DPO 团队 <dpo@example.com>",
		To:        "requester@example.org",
		Subject:   "关于延长处理期限的通知 [DSR-2025-0042]",
		Body:      "张三，您好：\n\n延期原因：需要从备份中检索数据。\n新的答复期限：2025-07-31\n.\n一行很长的文字" + strings.Repeat("长", 60) + "\n",
		MessageID: "<0123abcd@mail.example.com>",
		InReplyTo: "orig-1@example.org",
		Headers:   map[string]string{"X-Dsr-Case": "DSR-2025-0042", "content-type": "text/html", "Bad Key": "x"},
	}
}

func TestBytes(t *testing.T) {
	m := chinese()
	raw := m.Bytes(when)
	if !bytes.Equal(raw, m.Bytes(when)) {
		t.Fatal("Bytes is not deterministic")
	}
	head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("no blank line between header and body")
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("bare LF in message")
	}
	var keys []string
	for _, line := range strings.Split(string(head), "\r\n") {
		if len(line) > 78 {
			t.Errorf("header line longer than 78: %q", line)
		}
		for _, r := range line {
			if r > 0x7e {
				t.Fatalf("non-ASCII in header line %q", line)
			}
		}
		if !strings.HasPrefix(line, " ") {
			k, _, _ := strings.Cut(line, ":")
			keys = append(keys, strings.ToLower(k))
		}
	}
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			t.Errorf("headers not sorted: %q before %q", keys[i-1], keys[i])
		}
	}

	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("subject = %q, %v; want %q", subject, err, m.Subject)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "DPO 团队" || from[0].Address != "dpo@example.com" {
		t.Errorf("From = %v, %v", from, err)
	}
	for k, want := range map[string]string{
		"Message-Id":                "<0123abcd@mail.example.com>",
		"In-Reply-To":               "<orig-1@example.org>",
		"References":                "<orig-1@example.org>",
		"Date":                      "Sun, 01 Jun 2025 09:30:00 +0800",
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=UTF-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Auto-Submitted":            "auto-generated",
		"X-Dsr-Case":                "DSR-2025-0042",
		"Bad Key":                   "",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != m.Body {
		t.Errorf("body = %q, want %q", got, m.Body)
	}
}

func TestBytesLongHeaders(t *testing.T) {
	m := Message{
		From:    strings.Repeat("个人信息保护", 12) + " <dpo@example.com>",
		To:      "r@example.org",
		Subject: strings.Repeat("关于延长处理期限的通知 ", 15) + "[DSR-2025-0042]",
		Headers: map[string]string{"X-A-Rather-Long-Header-Name-For-Testing": strings.Repeat("é", 100)},
	}
	raw := m.Bytes(when)
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for _, line := range strings.Split(string(head), "\r\n") {
		if len(line) > 78 {
			t.Errorf("header line longer than 78: %q", line)
		}
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	if got, err := dec.DecodeHeader(msg.Header.Get("Subject")); err != nil || got != m.Subject {
		t.Errorf("subject = %q, %v", got, err)
	}
	if got, err := dec.DecodeHeader(msg.Header.Get("X-A-Rather-Long-Header-Name-For-Testing")); err != nil || got != strings.Repeat("é", 100) {
		t.Errorf("extra header = %q, %v", got, err)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || from[0].Name != strings.Repeat("个人信息保护", 12) {
		t.Errorf("from = %v, %v", from, err)
	}
}

func TestBytesHeaderInjection(t *testing.T) {
	m := Message{
		From:    "dpo@example.com",
		To:      "a@example.org\r\nBcc: victim@example.net",
		Subject: "hello\r\nBcc: victim@example.net\r\n\r\nforged body",
		Headers: map[string]string{"X-Note": "a\nCc: victim@example.net"},
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Bytes(when)))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Bcc", "Cc"} {
		if v := msg.Header.Get(k); v != "" {
			t.Errorf("injected %s header: %q", k, v)
		}
	}
	if msg.Header.Get("Message-Id") != "" {
		t.Error("empty MessageID should be left out")
	}
}

func TestSendRoundTrip(t *testing.T) {
	mb := startMailbox(t, MailboxConfig{Addr: "127.0.0.1:0"})
	m := chinese()
	if err := NewSender(config(t, mb, TLSNone)).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := waitFor(t, mb, m.MessageID)
	if got.Subject != m.Subject {
		t.Errorf("subject = %q, want %q", got.Subject, m.Subject)
	}
	if got.Body != m.Body {
		t.Errorf("body = %q, want %q", got.Body, m.Body)
	}
	if got.From != "dpo@example.com" || len(got.To) != 1 || got.To[0] != "requester@example.org" {
		t.Errorf("envelope = %q -> %q", got.From, got.To)
	}
	if got.Header.Get("Auto-Submitted") != "auto-generated" || got.TLS || got.User != "" {
		t.Errorf("received %+v", got)
	}
	if !bytes.Contains(got.Data, []byte("Subject: =?UTF-8?B?")) {
		t.Errorf("subject not RFC 2047 encoded on the wire:\n%s", got.Data)
	}
}

func TestSendUsesConfiguredFrom(t *testing.T) {
	mb := startMailbox(t, MailboxConfig{Addr: "127.0.0.1:0"})
	cfg := config(t, mb, TLSNone)
	cfg.From = "Privacy <privacy@example.com>"
	m := Message{To: "r@example.org", Subject: "Hi [R-1]", Body: "hello", MessageID: "<x1@example.com>"}
	if err := NewSender(cfg).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := waitFor(t, mb, "<x1@example.com>")
	if got.From != "privacy@example.com" || got.Header.Get("From") != `"Privacy" <privacy@example.com>` {
		t.Errorf("from = %q, header %q", got.From, got.Header.Get("From"))
	}
}

func TestStartTLS(t *testing.T) {
	mb := startMailbox(t, MailboxConfig{Addr: "127.0.0.1:0", TLS: serverTLS(t)})
	cfg := config(t, mb, TLSStartTLS)

	// The certificate is self-signed: without InsecureSkipVerify the
	// handshake must fail rather than send in clear.
	err := NewSender(cfg).Send(context.Background(), chinese())
	if err == nil || !strings.Contains(err.Error(), "starttls") {
		t.Fatalf("untrusted certificate: err = %v", err)
	}

	cfg.InsecureSkipVerify = true
	cfg.Username, cfg.Password = "relay", "secret"
	if err := NewSender(cfg).Send(context.Background(), chinese()); err != nil {
		t.Fatal(err)
	}
	got := waitFor(t, mb, chinese().MessageID)
	if !got.TLS || got.User != "relay" {
		t.Errorf("TLS = %v, user = %q; want true, relay", got.TLS, got.User)
	}
}

func TestImplicitTLS(t *testing.T) {
	mb := startMailbox(t, MailboxConfig{Addr: "127.0.0.1:0", TLS: serverTLS(t), ImplicitTLS: true})
	cfg := config(t, mb, TLSImplicit)
	cfg.InsecureSkipVerify = true
	if err := NewSender(cfg).Send(context.Background(), chinese()); err != nil {
		t.Fatal(err)
	}
	if got := waitFor(t, mb, chinese().MessageID); !got.TLS || got.Subject != chinese().Subject {
		t.Errorf("TLS = %v, subject = %q", got.TLS, got.Subject)
	}

	// A plaintext server on the implicit-TLS port is a failed dial.
	plain := startMailbox(t, MailboxConfig{Addr: "127.0.0.1:0"})
	cfg = config(t, plain, TLSImplicit)
	cfg.InsecureSkipVerify = true
	cfg.Timeout = 2 * time.Second
	if err := NewSender(cfg).Send(context.Background(), chinese()); err == nil || !strings.Contains(err.Error(), "dial") {
		t.Errorf("implicit TLS to plaintext server: err = %v", err)
	}
}

func TestStartTLSRequired(t *testing.T) {
	mb := startMailbox(t, MailboxConfig{Addr: "127.0.0.1:0"})
	err := NewSender(config(t, mb, TLSStartTLS)).Send(context.Background(), chinese())
	if err == nil || !strings.Contains(err.Error(), "starttls") {
		t.Fatalf("err = %v, want a starttls error", err)
	}
	if len(mb.Messages()) != 0 {
		t.Fatal("message delivered without STARTTLS")
	}
}

func TestAuth(t *testing.T) {
	mb := startMailbox(t, MailboxConfig{Addr: "127.0.0.1:0", Credentials: map[string]string{"relay": "secret"}})
	cfg := config(t, mb, TLSNone)

	err := NewSender(cfg).Send(context.Background(), chinese())
	if err == nil || !strings.Contains(err.Error(), "smtp mail") || !Permanent(err) {
		t.Errorf("no credentials: err = %v", err)
	}

	cfg.Username, cfg.Password = "relay", "wrong"
	err = NewSender(cfg).Send(context.Background(), chinese())
	if err == nil || !strings.Contains(err.Error(), "smtp auth") {
		t.Errorf("wrong password: err = %v", err)
	}

	cfg.Password = "secret"
	if err := NewSender(cfg).Send(context.Background(), chinese()); err != nil {
		t.Fatal(err)
	}
	if got := waitFor(t, mb, chinese().MessageID); got.User != "relay" {
		t.Errorf("user = %q", got.User)
	}
}

func TestAuthNeverInClear(t *testing.T) {
	cfg := SMTPConfig{Host: "mail.example.com", Port: 25, TLS: TLSNone, Username: "u", Password: "p"}
	err := NewSender(cfg).Send(context.Background(), chinese())
	if err == nil || !strings.Contains(err.Error(), "without TLS") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []SMTPConfig{
		{Host: "localhost", TLS: "ssl"},
		{TLS: TLSNone},
	} {
		if err := NewSender(cfg).Send(context.Background(), chinese()); err == nil {
			t.Errorf("%+v: want error", cfg)
		}
	}
	m := chinese()
	m.To = "not an address"
	err := NewSender(SMTPConfig{Host: "localhost"}).Send(context.Background(), m)
	if err == nil || strings.Contains(err.Error(), "not an address") {
		t.Errorf("bad recipient: err = %v", err)
	}
}

// A server that rejects the recipient and quotes it back: the error must
// say rcpt, be permanent, and not carry the address.
func TestRcptErrorHidesAddress(t *testing.T) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return rejecter{}, nil }))
	srv.Domain = "localhost"
	srv.ErrorLog = serverLog{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	host, port := splitAddr(t, ln.Addr().String())
	m := chinese()
	m.To = "Requester@Example.org"
	err = NewSender(SMTPConfig{Host: host, Port: port, TLS: TLSNone, From: "dpo@example.com"}).Send(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "smtp rcpt") || !Permanent(err) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(strings.ToLower(err.Error()), "requester@example.org") {
		t.Fatalf("error leaks the recipient: %v", err)
	}
}

type rejecter struct{}

func (rejecter) Mail(string, *smtp.MailOptions) error { return nil }
func (rejecter) Rcpt(to string, _ *smtp.RcptOptions) error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + strings.ToLower(to) + ">: no such user"}
}
func (rejecter) Data(io.Reader) error { return nil }
func (rejecter) Reset()               {}
func (rejecter) Logout() error        { return nil }

// A server that accepts and then says nothing must not hold Send past its
// context.
func TestSendRespectsContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	host, port := splitAddr(t, ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = NewSender(SMTPConfig{Host: host, Port: port, TLS: TLSNone, From: "dpo@example.com"}).Send(ctx, chinese())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Send took %v", d)
	}
}

func TestWait(t *testing.T) {
	mb := startMailbox(t, MailboxConfig{Addr: "127.0.0.1:0"})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := mb.Wait(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("empty mailbox: err = %v", err)
	}

	// Wait started before the message exists must see it arrive.
	done := make(chan Received, 1)
	go func() {
		r, err := mb.Wait(context.Background(), func(r Received) bool { return strings.Contains(r.Subject, "[R-2]") })
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	s := NewSender(config(t, mb, TLSNone))
	for _, ref := range []string{"R-1", "R-2"} {
		m := Message{To: "r@example.org", Subject: "Notice [" + ref + "]", Body: ref}
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case r := <-done:
		if r.Body != "R-2\n" {
			t.Errorf("body = %q", r.Body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return")
	}

	go func() { time.Sleep(50 * time.Millisecond); mb.Close() }()
	if _, err := mb.Wait(context.Background(), func(Received) bool { return false }); !errors.Is(err, ErrMailboxClosed) {
		t.Fatalf("closed mailbox: err = %v", err)
	}
}

func TestMailboxLimit(t *testing.T) {
	mb := startMailbox(t, MailboxConfig{Addr: "127.0.0.1:0", Limit: 2})
	s := NewSender(config(t, mb, TLSNone))
	for i := range 3 {
		m := Message{To: "r@example.org", Subject: "n" + strconv.Itoa(i), Body: "x"}
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	msgs := mb.Messages()
	if len(msgs) != 2 || msgs[0].Subject != "n1" || msgs[1].Subject != "n2" {
		t.Fatalf("kept %d messages: %v", len(msgs), subjects(msgs))
	}
}

func TestDecodeBase64Body(t *testing.T) {
	raw := "Subject: =?UTF-8?q?=E4=BD=A0=E5=A5=BD?=\r\nContent-Type: text/plain; charset=UTF-8\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n5L2g5aW9\r\nCuS4lueVjA==\r\n"
	r := parse([]byte(raw))
	if r.Subject != "你好" || r.Body != "你好\n世界" {
		t.Fatalf("subject %q body %q", r.Subject, r.Body)
	}
}

func startMailbox(t *testing.T, cfg MailboxConfig) *Mailbox {
	t.Helper()
	mb, err := cfg.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	return mb
}

func config(t *testing.T, mb *Mailbox, mode string) SMTPConfig {
	host, port := splitAddr(t, mb.Addr())
	return SMTPConfig{Host: host, Port: port, TLS: mode, From: "dpo@example.com", Timeout: 10 * time.Second}
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

func waitFor(t *testing.T, mb *Mailbox, messageID string) Received {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := mb.Wait(ctx, func(r Received) bool { return r.MessageID == messageID })
	if err != nil {
		t.Fatalf("waiting for %s: %v (have %v)", messageID, err, subjects(mb.Messages()))
	}
	return r
}

func subjects(msgs []Received) []string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Subject)
	}
	return s
}

func serverTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "dsrflow test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}
