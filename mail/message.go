// Package mail sends notices over SMTP and, for development and tests, runs a
// mailbox that keeps what it receives in memory.
package mail

import (
	"bytes"
	"encoding/base64"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is a plain-text e-mail.
type Message struct {
	From, To  string // "addr@example.com" or "Name <addr@example.com>"
	Subject   string
	Body      string // text/plain, UTF-8
	MessageID string // "<id@domain>"; callers derive it so a retry reuses it
	InReplyTo string // Message-ID of the message this answers, if any
	Headers   map[string]string
}

// reserved headers are written by Bytes; Headers cannot replace them because
// a wrong Content-Transfer-Encoding or a second From would break the message.
var reserved = map[string]bool{
	"Auto-Submitted": true, "Content-Transfer-Encoding": true, "Content-Type": true,
	"Date": true, "From": true, "In-Reply-To": true, "Message-Id": true,
	"Mime-Version": true, "References": true, "Subject": true, "To": true,
	"Bcc": true, "Cc": true,
}

// Bytes returns the message in RFC 5322 form with CRLF line endings, headers
// in sorted order. The same message and time always give the same bytes.
// An empty MessageID is left out, for the submission server to fill in.
func (m Message) Bytes(now time.Time) []byte {
	h := make(map[string]string, len(m.Headers)+12)
	for k, v := range m.Headers {
		k = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k))
		if !validKey(k) || reserved[k] {
			continue
		}
		h[k] = encodeText(k, v)
	}
	h["From"] = formatAddress("From", m.From)
	h["To"] = formatAddress("To", m.To)
	h["Subject"] = encodeText("Subject", m.Subject)
	h["Date"] = now.Format(time.RFC1123Z)
	if id := msgID(m.MessageID); id != "" {
		h["Message-ID"] = id
	}
	if id := msgID(m.InReplyTo); id != "" {
		// References as well, because some clients thread only on it.
		h["In-Reply-To"] = id
		h["References"] = id
	}
	h["MIME-Version"] = "1.0"
	h["Content-Type"] = "text/plain; charset=UTF-8"
	h["Content-Transfer-Encoding"] = "quoted-printable"
	// Tells auto-responders (out-of-office and the like) not to answer, so
	// they do not land on the case as replies.
	h["Auto-Submitted"] = "auto-generated"

	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })

	var buf bytes.Buffer
	for _, k := range keys {
		writeHeader(&buf, k, h[k])
	}
	buf.WriteString("\r\n")

	qp := quotedprintable.NewWriter(&buf)
	// The writer turns bare LF into CRLF; CRLF first becomes LF so it is not
	// doubled.
	qp.Write([]byte(strings.ReplaceAll(m.Body, "\r\n", "\n")))
	qp.Close()
	if !bytes.HasSuffix(buf.Bytes(), []byte("\r\n")) {
		buf.WriteString("\r\n")
	}
	return buf.Bytes()
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

// oneLine keeps a value on its header line: a line break in it would start
// a new header (header injection) or end the header block.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// encodeText returns s as RFC 2047 encoded words if it is not plain ASCII.
// The words are cut so the first fits on the line after key and each other
// on a continuation line of its own; mime.BEncoding's words are too long
// for that once "Subject: " is in front.
func encodeText(key, s string) string {
	s = oneLine(s)
	if !needsEncoding(s) {
		return s
	}
	const prefix, suffix = "=?UTF-8?B?", "?="
	room := lineWidth - len(key) - len(": ")
	var words []string
	for s != "" {
		maxRaw := max((room-len(prefix)-len(suffix))/4*3, utf8.UTFMax)
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n+size > maxRaw {
				break
			}
			n += size
		}
		words = append(words, prefix+base64.StdEncoding.EncodeToString([]byte(s[:n]))+suffix)
		s = s[n:]
		room = lineWidth - len(" ")
	}
	return strings.Join(words, " ")
}

func needsEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c > '~' {
			return true
		}
	}
	return false
}

func formatAddress(key, s string) string {
	s = oneLine(s)
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return encodeText(key, s)
	}
	if needsEncoding(a.Name) {
		return encodeText(key, a.Name) + " <" + a.Address + ">"
	}
	return a.String()
}

func msgID(s string) string {
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return ""
	}
	if !strings.HasPrefix(s, "<") {
		s = "<" + s + ">"
	}
	return s
}

// lineWidth is the line length RFC 5322 asks headers to keep to.
const lineWidth = 78

// writeHeader folds long values at spaces so lines stay within lineWidth
// where the words allow it.
func writeHeader(buf *bytes.Buffer, key, value string) {
	line := key + ":"
	for i, word := range strings.Split(value, " ") {
		if i > 0 && len(line)+1+len(word) > lineWidth {
			buf.WriteString(line + "\r\n")
			line = " " + word
			continue
		}
		line += " " + word
	}
	buf.WriteString(line + "\r\n")
}
