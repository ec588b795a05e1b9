package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// SMTPConfig says how to reach the submission server.
type SMTPConfig struct {
	Host               string
	Port               int // 0: 465 for implicit TLS, 587 for STARTTLS, 25 for none
	Username, Password string
	From               string // used when a Message has no From
	TLS                string // "none", "starttls" (the default) or "implicit"
	InsecureSkipVerify bool   // accept any certificate; for development only
	Timeout            time.Duration
}

// TLS modes.
const (
	TLSNone     = "none"
	TLSStartTLS = "starttls"
	TLSImplicit = "implicit"
)

// DefaultTimeout bounds a whole send when SMTPConfig.Timeout is zero.
const DefaultTimeout = time.Minute

// Sender delivers messages to one submission server, one connection per
// message.
type Sender struct {
	cfg SMTPConfig
}

// NewSender returns a Sender; the configuration is checked on each Send.
func NewSender(cfg SMTPConfig) *Sender {
	return &Sender{cfg: cfg}
}

// Send delivers m. Errors name the step that failed (dial, starttls, auth,
// mail, rcpt, data) and never contain the recipient's address, so they can
// be logged. Use Permanent to tell a rejection from a transient failure.
func (s *Sender) Send(ctx context.Context, m Message) error {
	cfg := s.cfg
	mode := cfg.TLS
	if mode == "" {
		mode = TLSStartTLS
	}
	port := cfg.Port
	switch mode {
	case TLSNone:
		port = orDefault(port, 25)
	case TLSStartTLS:
		port = orDefault(port, 587)
	case TLSImplicit:
		port = orDefault(port, 465)
	default:
		return fmt.Errorf("mail: unknown TLS mode %q", cfg.TLS)
	}
	if cfg.Host == "" {
		return errors.New("mail: no SMTP host configured")
	}
	// Credentials must not cross a network in clear; to a local relay it is
	// the relay's own business.
	if cfg.Username != "" && mode == TLSNone && !isLocalhost(cfg.Host) {
		return errors.New("mail: refusing SMTP AUTH without TLS to a remote host")
	}
	if m.From == "" {
		m.From = cfg.From
	}
	from, err := netmail.ParseAddress(m.From)
	if err != nil {
		return fmt.Errorf("mail: invalid sender address: %w", err)
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		// Not wrapped: the parse error quotes the address.
		return errors.New("mail: invalid recipient address")
	}

	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()

	t := &transaction{ctx: ctx, redact: to.Address}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(port))
	tlsConfig := &tls.Config{ServerName: cfg.Host, InsecureSkipVerify: cfg.InsecureSkipVerify}

	var conn net.Conn
	if mode == TLSImplicit {
		d := tls.Dialer{Config: tlsConfig}
		conn, err = d.DialContext(ctx, "tcp", addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return t.fail("dial", err)
	}
	// net/smtp knows nothing of contexts: the deadline bounds each read and
	// write, and cancellation closes the connection under it.
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return t.fail("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(helloName(from.Address)); err != nil {
		return t.fail("hello", err)
	}
	if mode == TLSStartTLS {
		// Required, not opportunistic: a server (or someone in the path)
		// that drops STARTTLS must not get the message in clear.
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return t.fail("starttls", errors.New("server does not offer STARTTLS"))
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return t.fail("starttls", err)
		}
	}
	if cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return t.fail("auth", errors.New("server does not offer AUTH"))
		}
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)); err != nil {
			return t.fail("auth", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return t.fail("mail", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return t.fail("rcpt", err)
	}
	w, err := c.Data()
	if err != nil {
		return t.fail("data", err)
	}
	if _, err := w.Write(m.Bytes(time.Now())); err != nil {
		return t.fail("data", err)
	}
	if err := w.Close(); err != nil {
		return t.fail("data", err)
	}
	// The server has taken the message. A failed QUIT must not be reported
	// as a failed send, or a retry would deliver it twice.
	if err := c.Quit(); err != nil {
		slog.Debug("smtp quit failed after delivery", "host", cfg.Host, "err", err)
	}
	slog.Debug("smtp message sent", "host", cfg.Host, "message_id", m.MessageID,
		"elapsed", time.Since(start))
	return nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// isLocalhost matches what net/smtp's PlainAuth accepts without TLS.
func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// helloName introduces us by the sender's domain: some servers refuse a
// bare "localhost".
func helloName(from string) string {
	_, domain, ok := strings.Cut(from, "@")
	if !ok || domain == "" || strings.ContainsAny(domain, " \t\r\n[]") {
		return "localhost"
	}
	return domain
}

type transaction struct {
	ctx    context.Context
	redact string
}

// fail wraps err with the step. Server replies often echo the address they
// reject, so it is cut out of their text.
func (t *transaction) fail(step string, err error) error {
	ctxErr := t.ctx.Err()
	// The connection's deadline is the context's, and may fire a hair
	// before the context notices.
	var netErr net.Error
	if ctxErr == nil && errors.As(err, &netErr) && netErr.Timeout() {
		ctxErr = context.DeadlineExceeded
	}
	if ctxErr != nil {
		return fmt.Errorf("mail: smtp %s: %w (%v)", step, ctxErr, redact(err.Error(), t.redact))
	}
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) {
		return fmt.Errorf("mail: smtp %s: %w", step, &textproto.Error{Code: tpErr.Code, Msg: redact(tpErr.Msg, t.redact)})
	}
	if msg := redact(err.Error(), t.redact); msg != err.Error() {
		return fmt.Errorf("mail: smtp %s: %s", step, msg)
	}
	return fmt.Errorf("mail: smtp %s: %w", step, err)
}

func redact(s, addr string) string {
	if addr == "" {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+len(addr) <= len(s) && strings.EqualFold(s[i:i+len(addr)], addr) {
			b.WriteString("<recipient>")
			i += len(addr)
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// Permanent reports whether err is a 5xx reply from the server: sending the
// same message again will fail the same way.
func Permanent(err error) bool {
	var tpErr *textproto.Error
	return errors.As(err, &tpErr) && tpErr.Code >= 500 && tpErr.Code < 600
}
