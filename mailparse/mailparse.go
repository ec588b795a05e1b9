// Package mailparse reads inbound e-mail, a raw RFC 5322 message as an MTA
// delivers it, into plain UTF-8 data for a DPO intake.
//
// Real mail is messy, and a request lost is worse than one read in part:
// the MTA that gets a refusal bounces it, and the requester may never
// learn why. So Parse is lenient about what is common (bare LF line
// endings, raw UTF-8 in headers, Chinese mail that says gb2312 but holds
// GBK, charset labels in the spellings of Python, Java and Outlook,
// quoted-printable with stray '=') and never refuses a message for one
// header or part it cannot decode: an encoded word in an unknown charset
// stays as it was sent, undecodable header bytes become U+FFFD, and a text
// part it cannot read is kept whole as an attachment. C0 controls (NUL
// above all, which PostgreSQL text cannot hold) are dropped from headers
// and text alike, tab and line feed in text excepted. Over-long display
// names, subjects and file names are cut, and Truncated says which and how
// long they were. Parse refuses, with an error that wraps ErrUnreadable,
// only what it cannot take at all: no single From address, a header line
// that is not a field, transfer encodings that do not decode, a multipart
// without boundary or closing delimiter, a message over its Limits, and a
// message with nothing to read at all (no subject, no text, no
// attachment). A message with a subject and an empty text is read: a
// requester may say everything in the subject.
//
// Errors never quote the sender, the subject or the text: they name what was
// wrong, and at most the charset label that was not understood.
package mailparse

import (
	"errors"
	"fmt"
	"net/mail"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrUnreadable is wrapped by every error Parse returns: the message is one
// the intake cannot read and should refuse (SMTP 554, HTTP 422).
var ErrUnreadable = errors.New("mailparse: cannot read message")

// Message is an e-mail as intake reads it.
type Message struct {
	MessageID  string   // normalised "<id@host>", "" if absent
	InReplyTo  []string // normalised message IDs
	References []string
	From       mail.Address // Name decoded to UTF-8
	To         []mail.Address
	Subject    string    // decoded, whitespace folded to one line
	Date       time.Time // zero if absent or unparseable
	// Text is the body as plain text with LF line breaks, trimmed: the
	// text/plain alternative where there is one, else the HTML turned into
	// text. Inline text parts of a multipart/mixed are joined by a blank line.
	Text        string
	Attachments []Attachment
	// Truncated lists the fields Parse cut to their limit, with their
	// length as sent, so that a case can say what was cut.
	Truncated []Truncation
	// AuthResults are the Authentication-Results fields (RFC 8601) at the
	// top of the header, as the receiving MTA wrote them: see
	// TopAuthResults.
	AuthResults []string
	// Auto says why the message was written by a machine, "" if a person
	// wrote it: "bounce" (delivery status report, null Return-Path,
	// MAILER-DAEMON or postmaster), "report" (other multipart/report such as
	// a read receipt), "auto-reply" (Auto-Submitted: auto-replied,
	// X-Autoreply, X-Autorespond, Precedence: auto_reply), "auto-submitted"
	// (any other Auto-Submitted but "no") or "bulk" (Precedence: bulk or junk).
	Auto string
}

// Truncation is a field Parse cut: "from_name", "subject" or
// "attachment_name", and the length in bytes it had.
type Truncation struct {
	Field  string
	Length int
}

// Bounds of the fields Parse cuts rather than refuses: a long display
// name or file name costs the request nothing when cut, and unbounded it
// would make a case its workflow cannot start (Temporal's payload limit).
const (
	MaxNameRunes     = 200
	MaxSubjectRunes  = 1000
	MaxFilenameBytes = 255
)

// Attachment is a part of the message that is not its text.
type Attachment struct {
	Filename    string // decoded (RFC 2047 and RFC 2231), without any directory
	ContentType string // media type, lower case, without parameters
	Size        int64  // len(Data)
	Data        []byte // transfer encoding undone
}

// Limits bound what Parse accepts. A zero or negative field means the field
// of DefaultLimits, so that a partly filled Limits never accepts nothing.
type Limits struct {
	MaxBytes int64 // size of the raw message
	MaxParts int   // MIME parts in all multiparts together
	MaxDepth int   // multiparts nested in each other
}

// DefaultLimits are generous for mail a person writes, with an ID scan or
// two attached, and small enough that a hostile message costs little.
var DefaultLimits = Limits{MaxBytes: 25 << 20, MaxParts: 100, MaxDepth: 10}

// Parse reads raw within DefaultLimits.
func Parse(raw []byte) (*Message, error) {
	return ParseWithLimits(raw, DefaultLimits)
}

// ParseWithLimits reads raw, refusing it if it is over l.
func ParseWithLimits(raw []byte, l Limits) (*Message, error) {
	l = l.orDefault()
	if int64(len(raw)) > l.MaxBytes {
		return nil, refuse("message larger than the limit")
	}
	h, body, err := readHeader(raw, true)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrUnreadable, err)
	}

	w := walker{limits: l}
	root, err := w.entity(h, body, 0, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}

	m := &Message{Text: strings.TrimSpace(root.text), Attachments: w.attachments}
	if m.From, err = parseFrom(h, w.charset); err != nil {
		return nil, fmt.Errorf("%w: From: %w", ErrUnreadable, err)
	}
	m.Subject = decodeWords(h.get("Subject"), w.charset)
	if s, cut := truncateRunes(m.Subject, MaxSubjectRunes); cut {
		m.Truncated = append(m.Truncated, Truncation{"subject", len(m.Subject)})
		m.Subject = s
	}
	if s, cut := truncateRunes(m.From.Name, MaxNameRunes); cut {
		m.Truncated = append(m.Truncated, Truncation{"from_name", len(m.From.Name)})
		m.From.Name = s
	}
	for i, a := range w.attachments {
		if len(a.Filename) > MaxFilenameBytes {
			m.Truncated = append(m.Truncated, Truncation{"attachment_name", len(a.Filename)})
			w.attachments[i].Filename = truncateFilename(a.Filename)
		}
	}
	m.AuthResults = topAuthResults(h)
	m.To = parseAddressList(h.all("To"), w.charset)
	m.MessageID = messageID(h.get("Message-Id"))
	m.InReplyTo = messageIDs(h.get("In-Reply-To"))
	m.References = messageIDs(strings.Join(h.all("References"), " "))
	if d, err := mail.ParseDate(strings.TrimSpace(h.get("Date"))); err == nil {
		m.Date = d
	}
	m.Auto = autoReason(h, m.From)

	// A subject, a text or a file: with none of them there is nothing a
	// person could have asked for.
	if m.Subject == "" && m.Text == "" && len(m.Attachments) == 0 {
		return nil, refuse("nothing to read")
	}
	return m, nil
}

func (l Limits) orDefault() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultLimits.MaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	return l
}

// refuse returns an error wrapping ErrUnreadable. reason must be a fixed
// phrase: never anything taken from the message.
func refuse(reason string) error {
	return fmt.Errorf("%w: %s", ErrUnreadable, reason)
}

// truncateRunes cuts s to n runes and an ellipsis, reporting whether it did.
func truncateRunes(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + "…", true
}

// truncateFilename cuts a file name to MaxFilenameBytes, keeping a short
// extension so the file still opens with the right program.
func truncateFilename(name string) string {
	ext := path.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	room := MaxFilenameBytes - len(ext) - len("…")
	stem := strings.ToValidUTF8(name[:room], "")
	return stem + "…" + ext
}
