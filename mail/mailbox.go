package mail

import (
	"bytes"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is a message as the Mailbox got it.
type Received struct {
	From      string   // envelope sender
	To        []string // envelope recipients
	Data      []byte   // the message as sent
	Header    netmail.Header
	Subject   string // RFC 2047 decoded
	Body      string // transfer encoding undone, line endings LF; raw if not single-part text
	MessageID string
	At        time.Time
	TLS       bool   // arrived over TLS, implicit or STARTTLS
	User      string // AUTH username, "" if the client did not authenticate
}

// MailboxConfig describes a Mailbox beyond its address.
type MailboxConfig struct {
	Addr string // "127.0.0.1:0" picks a free port
	// TLS, when set, is offered through STARTTLS, or spoken from the first
	// byte when ImplicitTLS is true.
	TLS         *tls.Config
	ImplicitTLS bool
	// Credentials, when set, are the only accepted AUTH PLAIN logins and a
	// login is required before MAIL. When nil any login is accepted and none
	// is required.
	Credentials map[string]string
	Limit       int // messages kept, oldest dropped first; 0 means 1000
}

// ErrMailboxClosed is returned by Wait once the Mailbox is closed.
var ErrMailboxClosed = errors.New("mail: mailbox closed")

// Mailbox is an SMTP server that keeps what it receives in memory: the dev
// mailbox of `dsr dev`, and the other end of the wire in tests. It accepts
// AUTH PLAIN without TLS so a Sender configured for a real relay works
// against it unchanged.
type Mailbox struct {
	srv   *smtp.Server
	ln    net.Listener
	limit int
	creds map[string]string

	mu      sync.Mutex
	msgs    []Received
	arrived chan struct{} // closed, then replaced, when a message arrives

	closeOnce sync.Once
	closed    chan struct{}
}

// StartMailbox starts a plaintext Mailbox listening on addr.
func StartMailbox(addr string) (*Mailbox, error) {
	return MailboxConfig{Addr: addr}.Start()
}

// Start starts a Mailbox as configured.
func (cfg MailboxConfig) Start() (*Mailbox, error) {
	if cfg.ImplicitTLS && cfg.TLS == nil {
		return nil, errors.New("mail: mailbox: implicit TLS needs a TLS config")
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mail: mailbox: %w", err)
	}
	if cfg.ImplicitTLS {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	mb := &Mailbox{
		ln:      ln,
		limit:   cfg.Limit,
		creds:   cfg.Credentials,
		arrived: make(chan struct{}),
		closed:  make(chan struct{}),
	}
	if mb.limit <= 0 {
		mb.limit = 1000
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{mb: mb, tls: isTLS}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = cfg.TLS
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = true
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = serverLog{}
	mb.srv = srv
	go func() {
		if err := srv.Serve(ln); err != nil {
			slog.Error("dev mailbox stopped", "err", err)
		}
	}()
	return mb, nil
}

// Addr returns the address the Mailbox listens on, as host:port.
func (mb *Mailbox) Addr() string { return mb.ln.Addr().String() }

// Messages returns what has been received, oldest first. The messages are
// shared; do not modify them.
func (mb *Mailbox) Messages() []Received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return slices.Clone(mb.msgs)
}

// Wait returns the first kept message for which match is true, waiting for
// one to arrive if need be. A nil match takes any message.
func (mb *Mailbox) Wait(ctx context.Context, match func(Received) bool) (Received, error) {
	for {
		mb.mu.Lock()
		msgs, arrived := slices.Clone(mb.msgs), mb.arrived
		mb.mu.Unlock()
		// Matched outside the lock, so match may call back into mb.
		for _, r := range msgs {
			if match == nil || match(r) {
				return r, nil
			}
		}
		select {
		case <-arrived:
		case <-mb.closed:
			return Received{}, ErrMailboxClosed
		case <-ctx.Done():
			return Received{}, fmt.Errorf("mail: waiting for a message: %w", ctx.Err())
		}
	}
}

// Close stops the server and drops open connections.
func (mb *Mailbox) Close() error {
	var err error
	mb.closeOnce.Do(func() {
		close(mb.closed)
		err = mb.srv.Close()
	})
	return err
}

func (mb *Mailbox) add(r Received) {
	mb.mu.Lock()
	mb.msgs = append(mb.msgs, r)
	if over := len(mb.msgs) - mb.limit; over > 0 {
		mb.msgs = slices.Delete(mb.msgs, 0, over)
	}
	close(mb.arrived)
	mb.arrived = make(chan struct{})
	mb.mu.Unlock()
	slog.Info("dev mailbox received a message", "message_id", r.MessageID,
		"recipients", len(r.To), "bytes", len(r.Data), "tls", r.TLS)
}

type session struct {
	mb   *Mailbox
	tls  bool
	user string
	from string
	to   []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		if s.mb.creds != nil {
			want, ok := s.mb.creds[username]
			if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1 {
				return smtp.ErrAuthFailed
			}
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.mb.creds != nil && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from, s.to = from, nil
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	rec := parse(data)
	rec.From, rec.To, rec.At, rec.TLS, rec.User = s.from, slices.Clone(s.to), time.Now(), s.tls, s.user
	s.mb.add(rec)
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// parse reads what it can; a malformed message is still kept, with Data
// and whatever fields could be read.
func parse(data []byte) Received {
	r := Received{Data: data}
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return r
	}
	r.Header = msg.Header
	r.MessageID = msg.Header.Get("Message-Id")
	r.Subject = msg.Header.Get("Subject")
	if s, err := new(mime.WordDecoder).DecodeHeader(r.Subject); err == nil {
		r.Subject = s
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return r
	}
	r.Body = decodeBody(msg.Header, body)
	return r
}

func decodeBody(h netmail.Header, body []byte) string {
	text := true
	if ct := h.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		text = err == nil && mt == "text/plain"
	}
	if text {
		var dec io.Reader
		switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
		case "quoted-printable":
			dec = quotedprintable.NewReader(bytes.NewReader(body))
		case "base64":
			dec = base64.NewDecoder(base64.StdEncoding, bytes.NewReader(body))
		}
		if dec != nil {
			if b, err := io.ReadAll(dec); err == nil {
				body = b
			}
		}
	}
	return strings.ReplaceAll(string(body), "\r\n", "\n")
}

// serverLog passes go-smtp's internal errors to slog at debug level: they
// are about connections, of interest only when debugging the mailbox.
type serverLog struct{}

func (serverLog) Printf(format string, v ...any) {
	slog.Debug("dev mailbox", "detail", fmt.Sprintf(format, v...))
}

func (serverLog) Println(v ...any) {
	slog.Debug("dev mailbox", "detail", strings.TrimSpace(fmt.Sprintln(v...)))
}
