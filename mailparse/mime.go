package mailparse

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode"
)

var (
	errTooDeep        = errors.New("multiparts nested deeper than the limit")
	errTooManyParts   = errors.New("more MIME parts than the limit")
	errNoBoundary     = errors.New("multipart without boundary")
	errUnterminated   = errors.New("multipart without closing delimiter")
	errNoParts        = errors.New("multipart without parts")
	errBadBase64      = errors.New("invalid base64")
	errUnknownEncoder = errors.New("unknown Content-Transfer-Encoding")
)

// walker collects what the MIME tree holds as it descends it.
type walker struct {
	limits      Limits
	parts       int
	attachments []Attachment
	// charset is the first legacy charset a text part names: the best
	// guess at what raw 8-bit bytes in the header are in.
	charset string
}

// body is the readable text of an entity.
type body struct {
	text string
	html bool // the text came from HTML, so an alternative in plain text is better
}

// entity reads one MIME entity. parent is the media type of the multipart
// it is in, "" at the top.
func (w *walker) entity(h header, raw []byte, depth int, parent string) (body, error) {
	mediaType, params := contentType(h.get("Content-Type"), parent)
	if strings.HasPrefix(mediaType, "multipart/") {
		return w.multipart(mediaType, params, raw, depth)
	}

	disposition, dparams := parseParams(h.get("Content-Disposition"))
	data, err := decodeTransfer(raw, strings.ToLower(h.get("Content-Transfer-Encoding")))
	if err != nil {
		return body{}, err
	}
	isText := mediaType == "text/plain" || mediaType == "text/html"
	if !isText || disposition == "attachment" {
		w.attachments = append(w.attachments, Attachment{
			Filename:    filename(dparams, params, w.charset),
			ContentType: mediaType,
			Size:        int64(len(data)),
			Data:        data,
		})
		return body{}, nil
	}

	charset := params["charset"]
	if charset == "" && mediaType == "text/html" {
		charset = metaCharset(data)
	}
	text, err := decodeText(data, charset)
	if err != nil {
		// A text in a charset nobody here knows, or with bytes its
		// charset cannot read, is kept whole as a file for staff to
		// open, rather than garbled or the message refused for it.
		w.attachments = append(w.attachments, Attachment{
			Filename:    filename(dparams, params, w.charset),
			ContentType: mediaType,
			Size:        int64(len(data)),
			Data:        data,
		})
		return body{}, nil
	}
	if w.charset == "" && !isUnicodeLabel(charset) {
		w.charset = charset
	}
	text = normalizeText(text)
	if mediaType == "text/html" {
		return body{text: htmlText(text), html: true}, nil
	}
	return body{text: text}, nil
}

func (w *walker) multipart(mediaType string, params map[string]string, raw []byte, depth int) (body, error) {
	if depth+1 > w.limits.MaxDepth {
		return body{}, errTooDeep
	}
	boundary := params["boundary"]
	if boundary == "" {
		return body{}, errNoBoundary
	}
	parts, err := splitMultipart(raw, boundary)
	if err != nil {
		return body{}, err
	}
	var bodies []body
	for _, p := range parts {
		w.parts++
		if w.parts > w.limits.MaxParts {
			return body{}, errTooManyParts
		}
		ph, pb, err := readHeader(p, false)
		if err != nil {
			return body{}, fmt.Errorf("part header: %w", err)
		}
		b, err := w.entity(ph, pb, depth+1, mediaType)
		if err != nil {
			return body{}, err
		}
		bodies = append(bodies, b)
	}
	if mediaType == "multipart/alternative" {
		return choose(bodies), nil
	}
	// mixed, related, report, signed and the rest: every inline text is
	// part of what the sender wrote (Apple Mail splits a body around the
	// pictures in it).
	var out body
	var texts []string
	for _, b := range bodies {
		if t := strings.TrimSpace(b.text); t != "" {
			texts = append(texts, t)
			out.html = out.html || b.html
		}
	}
	out.text = strings.Join(texts, "\n\n")
	return out, nil
}

// choose picks the text of a multipart/alternative: plain text where there
// is some, since it is what the sender's client wrote rather than rendered,
// else HTML. Some clients send an empty text/plain beside the real HTML, so
// an empty alternative never wins. Attachments of every alternative are
// kept (the walker has them already): an ID card pasted into the HTML must
// not be lost because the plain text is preferred.
func choose(bodies []body) body {
	var best body
	for _, b := range bodies {
		if strings.TrimSpace(b.text) == "" {
			continue
		}
		if !b.html {
			return b
		}
		if best.text == "" {
			best = b
		}
	}
	return best
}

// contentType returns the media type, lower case, and its parameters. An
// absent or unreadable Content-Type means text/plain (RFC 2045 5.2), or
// message/rfc822 inside a multipart/digest (RFC 2046 5.1.5).
func contentType(v, parent string) (string, map[string]string) {
	mediaType, params := parseParams(v)
	if !strings.Contains(mediaType, "/") {
		if parent == "multipart/digest" {
			return "message/rfc822", params
		}
		return "text/plain", params
	}
	return mediaType, params
}

// parseParams parses a Content-Type or Content-Disposition. It falls back
// to plain name=value pairs where mime.ParseMediaType gives up (an unquoted
// filename with spaces, a charset after a stray semicolon), since those are
// common and their meaning is clear.
func parseParams(v string) (string, map[string]string) {
	if v == "" {
		return "", map[string]string{}
	}
	mediaType, params, err := mime.ParseMediaType(v)
	if err == nil {
		return mediaType, params
	}
	segs := strings.Split(v, ";")
	mediaType = strings.ToLower(strings.TrimSpace(segs[0]))
	if i := strings.IndexFunc(mediaType, unicode.IsSpace); i >= 0 {
		mediaType = mediaType[:i]
	}
	params = map[string]string{}
	for _, s := range segs[1:] {
		k, val, ok := strings.Cut(s, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" || strings.ContainsAny(k, " \t*") {
			continue
		}
		if _, dup := params[k]; !dup {
			params[k] = strings.Trim(strings.TrimSpace(val), `"`)
		}
	}
	return mediaType, params
}

// splitMultipart returns the body parts between the delimiter lines of a
// multipart body (RFC 2046 5.1.1). The line break before a delimiter belongs
// to the delimiter. Without the closing delimiter the message was cut short
// and is refused.
func splitMultipart(b []byte, boundary string) ([][]byte, error) {
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	for pos := 0; pos < len(b); {
		line, rest := cutLine(b[pos:])
		next := len(b) - len(rest)
		if after, ok := bytes.CutPrefix(line, delim); ok {
			closing := bytes.HasPrefix(after, []byte("--"))
			if closing {
				after = after[2:]
			}
			if len(bytes.TrimRight(after, " \t")) == 0 {
				if start >= 0 {
					parts = append(parts, trimLineBreak(b[start:pos]))
				}
				if closing {
					if len(parts) == 0 {
						return nil, errNoParts
					}
					return parts, nil
				}
				start = next
			}
		}
		pos = next
	}
	return nil, errUnterminated
}

func trimLineBreak(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// decodeTransfer undoes the Content-Transfer-Encoding. It always returns
// new bytes, so that a Message does not change when the caller reuses raw.
func decodeTransfer(b []byte, cte string) ([]byte, error) {
	switch strings.TrimSpace(cte) {
	case "", "7bit", "8bit", "binary":
		return bytes.Clone(b), nil
	case "quoted-printable":
		return decodeQP(b), nil
	case "base64":
		return decodeBase64(b)
	}
	return nil, errUnknownEncoder
}

// decodeBase64 ignores line breaks and other white space, which encoders
// put in, and accepts missing padding, which some leave out; any other
// character outside the alphabet makes the part unreadable.
func decodeBase64(b []byte) ([]byte, error) {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			clean = append(clean, c)
		}
	}
	clean = bytes.TrimRight(clean, "=")
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, err := base64.RawStdEncoding.Decode(out, clean)
	if err != nil {
		return nil, errBadBase64
	}
	return out[:n], nil
}

// decodeQP decodes quoted-printable the robust way RFC 2045 6.7 recommends:
// an "=" that starts no escape and no soft line break is kept as it is
// rather than failing the message, since sloppy encoders leave them in.
// Trailing blanks are dropped from each line; hard line breaks become CRLF.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		line, rest := cutLine(b)
		hasBreak := rest != nil
		b = rest
		line = bytes.TrimRight(line, " \t")
		soft := bytes.HasSuffix(line, []byte("="))
		if soft {
			line = line[:len(line)-1]
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' && i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
				out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
				i += 2
				continue
			}
			out = append(out, c)
		}
		if hasBreak && !soft {
			out = append(out, '\r', '\n')
		}
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// filename returns the attachment's name: from Content-Disposition, else the
// Content-Type name parameter; RFC 2231 is undone by mime.ParseMediaType,
// RFC 2047 (which clients use although RFC 2047 5 forbids it) here. The
// directory part is dropped, since callers may store the file under it. A
// name that still does not decode keeps its readable characters: the file
// itself is intact and only its label was damaged.
func filename(dparams, params map[string]string, fallback string) string {
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if name == "" {
		return ""
	}
	// A file name needs no marker of lost bytes: the file is intact.
	name = strings.ReplaceAll(decodeWords(name, fallback), "\uFFFD", "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	if name == "." || name == ".." {
		return ""
	}
	return name
}

var metaCharsetRE = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)`)

// metaCharset returns the charset an HTML part without a charset parameter
// names in its <meta> tag, as a browser would read it.
func metaCharset(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	if m := metaCharsetRE.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}

func isUnicodeLabel(charset string) bool {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(charset), `"'`)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// normalizeText makes line breaks LF and drops what no reader wants: a byte
// order mark, NUL (which PostgreSQL text cannot hold) and the other C0
// controls but tab and line feed.
func normalizeText(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		// Other C0 controls and DEL (a stray ESC, a form feed) mean
		// nothing in a request and have no place in a case's text.
		if r < ' ' && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
