package intake

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/dsrflow/dsrflow/auth"
)

// SMTP is the listener an MTA forwards the DPO mailbox to. The MTA logs in
// with AUTH PLAIN, any user name and an API key of the intake (or admin)
// role as the password.
type SMTP struct {
	Intake *Intake
	// Authenticate finds the holder of an API key.
	Authenticate func(ctx context.Context, key string) (auth.Principal, error)
	// TLS, when set, is offered by STARTTLS and AUTH requires it;
	// without it the listener must sit on a trusted network.
	TLS *tls.Config
	// Domain is the name the server greets with.
	Domain string

	srv *smtp.Server
}

// roles that may deliver mail.
var roles = []auth.Role{auth.Intake, auth.Admin}

// MaxMessage is the largest message taken, attachments included.
const MaxMessage = 25 << 20

// Serve accepts connections on ln until Close.
func (s *SMTP) Serve(ln net.Listener) error {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s}, nil
	}))
	srv.Domain = s.Domain
	if srv.Domain == "" {
		srv.Domain = "localhost"
	}
	srv.TLSConfig = s.TLS
	srv.AllowInsecureAuth = s.TLS == nil
	srv.EnableSMTPUTF8 = true
	srv.MaxMessageBytes = MaxMessage
	srv.MaxRecipients = 50
	srv.ReadTimeout = 2 * time.Minute
	srv.WriteTimeout = 2 * time.Minute
	srv.ErrorLog = smtpLog{}
	s.srv = srv
	return srv.Serve(ln)
}

// Close stops the listener and drops open connections.
func (s *SMTP) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

type session struct {
	s    *SMTP
	who  *auth.Principal
	rcpt []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, _, password string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, err := ss.s.Authenticate(ctx, password)
		if err != nil || !slices.Contains(roles, p.Role) {
			return smtp.ErrAuthFailed
		}
		ss.who = &p
		return nil
	}), nil
}

func (ss *session) Mail(string, *smtp.MailOptions) error {
	if ss.who == nil {
		return smtp.ErrAuthRequired
	}
	ss.rcpt = nil
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.rcpt = append(ss.rcpt, to)
	return nil
}

// Data answers 250 only once the message is handled (a case opened or the
// reply recorded), 554 or 552 for a message that will never be (the MTA
// bounces it rather than retry for days), 550 for no mailbox of ours, and
// 451 for a failure worth the MTA's retry.
func (ss *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := ss.s.Intake.Receive(ctx, *ss.who, buf.Bytes(), ss.rcpt)
	switch {
	case errors.Is(err, ErrUnreadable):
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "cannot read this message"}
	case errors.Is(err, ErrRefused):
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "message too large for a request; " + reasonOf(err)}
	case errors.Is(err, ErrNoMailbox):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox here"}
	case err != nil:
		slog.Error("e-mail intake failed", "error", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "cannot take the message now; try again later"}
	}
	if out.Reference != "" {
		return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0},
			Message: fmt.Sprintf("%s %s", out.Action, out.Reference)}
	}
	return nil
}

func (ss *session) Reset()        { ss.rcpt = nil }
func (ss *session) Logout() error { return nil }

// smtpLog keeps go-smtp's connection errors in the structured log; they
// carry addresses of peers, not of requesters.
type smtpLog struct{}

func (smtpLog) Printf(format string, v ...any) {
	slog.Warn("smtp intake: " + fmt.Sprintf(format, v...))
}
func (smtpLog) Println(v ...any) { slog.Warn("smtp intake: " + fmt.Sprint(v...)) }
