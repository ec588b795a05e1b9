package mailparse

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// field is one header field, its value unfolded but otherwise as sent.
type field struct {
	name  string // canonical, as textproto spells it
	value string
}

// header keeps the fields in order: net/mail's map would lose which of two
// From fields came first.
type header []field

func (h header) get(name string) string {
	for _, f := range h {
		if f.name == name {
			return strings.TrimSpace(f.value)
		}
	}
	return ""
}

func (h header) has(name string) bool {
	for _, f := range h {
		if f.name == name {
			return true
		}
	}
	return false
}

func (h header) all(name string) []string {
	var vs []string
	for _, f := range h {
		if f.name == name {
			vs = append(vs, strings.TrimSpace(f.value))
		}
	}
	return vs
}

var (
	errFieldLine    = errors.New("line is not a header field")
	errFieldName    = errors.New("invalid field name")
	errContinuation = errors.New("continuation line before any field")
)

// readHeader splits an entity into its header fields and its body. Lines may
// end in CRLF or LF. A header without a blank line after it has no body.
// top allows the "From " line an mbox delivery puts before the header.
func readHeader(b []byte, top bool) (header, []byte, error) {
	if top && bytes.HasPrefix(b, []byte("From ")) {
		_, b = cutLine(b)
	}
	var h header
	for len(b) > 0 {
		line, rest := cutLine(b)
		switch {
		case len(line) == 0:
			return h, rest, nil
		case line[0] == ' ' || line[0] == '\t':
			if len(h) == 0 {
				return nil, nil, errContinuation
			}
			// Unfolding removes only the line break (RFC 5322 2.2.3).
			h[len(h)-1].value += string(line)
		default:
			i := bytes.IndexByte(line, ':')
			if i < 0 {
				return nil, nil, errFieldLine
			}
			// RFC 5322 obsolete syntax allows blanks before the colon.
			name := bytes.TrimRight(line[:i], " \t")
			if len(name) == 0 {
				return nil, nil, errFieldName
			}
			for _, c := range name {
				if c < '!' || c > '~' {
					return nil, nil, errFieldName
				}
			}
			h = append(h, field{textproto.CanonicalMIMEHeaderKey(string(name)), string(line[i+1:])})
		}
		b = rest
	}
	return h, nil, nil
}

// cutLine returns the first line of b without its line ending, and the rest.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.TrimSuffix(b, []byte("\r")), nil
	}
	return bytes.TrimSuffix(b[:i], []byte("\r")), b[i+1:]
}

var errHeaderBytes = errors.New("8-bit header is neither UTF-8 nor in the charset of the text")

// raw8bit returns a header value as UTF-8. RFC 6532 allows raw UTF-8; some
// Chinese clients still send raw GBK, which the charset of the text
// (fallback) usually names.
func raw8bit(v, fallback string) (string, error) {
	if utf8.ValidString(v) {
		return v, nil
	}
	if fallback != "" {
		if s, err := decodeText([]byte(v), fallback); err == nil {
			return s, nil
		}
	}
	return "", errHeaderBytes
}

// wordDecoder decodes RFC 2047 encoded words with the same charsets, and
// the same strictness, as bodies.
var wordDecoder = &mime.WordDecoder{
	CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		s, err := decodeText(b, charset)
		if err != nil {
			return nil, err
		}
		return strings.NewReader(s), nil
	},
}

var errNotUTF8 = errors.New("not valid UTF-8 after decoding")

// decodeWords decodes raw 8-bit bytes and encoded words in v, and folds
// it to one line.
func decodeWords(v, fallback string) (string, error) {
	v, err := raw8bit(v, fallback)
	if err != nil {
		return "", err
	}
	if strings.Contains(v, "=?") {
		if v, err = wordDecoder.DecodeHeader(v); err != nil {
			return "", err
		}
	}
	if !utf8.ValidString(v) {
		// An encoded word in utf-8 is copied as it is, valid or not.
		return "", errNotUTF8
	}
	return foldSpace(v), nil
}

// foldSpace turns every run of white space and control characters into one
// space, so that a header value is one line a UI can show.
func foldSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

var (
	errNoFrom    = errors.New("missing")
	errManyFrom  = errors.New("more than one")
	errFromParse = errors.New("not a mailbox")
)

// parseFrom returns the one author of the message. Two From fields, or two
// mailboxes in one, are refused: the intake must know whose request it is.
func parseFrom(h header, fallback string) (mail.Address, error) {
	vs := h.all("From")
	switch {
	case len(vs) == 0 || vs[0] == "":
		return mail.Address{}, errNoFrom
	case len(vs) > 1:
		return mail.Address{}, errManyFrom
	}
	v, err := raw8bit(vs[0], fallback)
	if err != nil {
		return mail.Address{}, err
	}
	// The errors of net/mail quote the address; they are not passed on.
	list, err := addressParser.ParseList(v)
	if err != nil {
		return mail.Address{}, errFromParse
	}
	if len(list) == 0 {
		return mail.Address{}, errNoFrom
	}
	if len(list) > 1 {
		return mail.Address{}, errManyFrom
	}
	a, err := cleanAddress(list[0])
	if err != nil {
		return mail.Address{}, err
	}
	return a, nil
}

// cleanAddress checks what net/mail leaves to the caller and decodes the
// encoded words it leaves in quoted display names, which many clients send.
func cleanAddress(a *mail.Address) (mail.Address, error) {
	if !strings.Contains(a.Address, "@") || !utf8.ValidString(a.Address) {
		return mail.Address{}, errFromParse
	}
	for _, r := range a.Address {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return mail.Address{}, errFromParse
		}
	}
	name, err := decodeWords(a.Name, "")
	if err != nil {
		return mail.Address{}, err
	}
	return mail.Address{Name: name, Address: a.Address}, nil
}

// parseAddressList reads the To fields. The intake needs to know who wrote,
// not whom else they wrote to, so a To it cannot read is left out rather
// than refused.
func parseAddressList(vs []string, fallback string) []mail.Address {
	var out []mail.Address
	for _, v := range vs {
		v, err := raw8bit(v, fallback)
		if err != nil {
			continue
		}
		list, err := addressParser.ParseList(v)
		if err != nil {
			continue
		}
		for _, a := range list {
			if c, err := cleanAddress(a); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// messageID returns the first message ID in v in angle brackets, or "".
// Case is kept: message IDs are case sensitive.
func messageID(v string) string {
	if ids := bracketed(v); len(ids) > 0 {
		return ids[0]
	}
	if f := strings.Fields(v); len(f) > 0 {
		return normalID(f[0])
	}
	return ""
}

// messageIDs returns the message IDs in an In-Reply-To or References value.
// Without angle brackets only words with an "@" count, so that the phrase
// of an old-style In-Reply-To ("Your message of ...") is left out.
func messageIDs(v string) []string {
	ids := bracketed(v)
	if len(ids) == 0 {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") {
				if id := normalID(f); id != "" {
					ids = append(ids, id)
				}
			}
		}
	}
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func bracketed(v string) []string {
	var ids []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return ids
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return ids
		}
		if id := normalID(v[i+1 : i+j]); id != "" {
			ids = append(ids, id)
		}
		v = v[i+j+1:]
	}
}

// normalID puts id in angle brackets with the white space folding may have
// left inside it removed; an ID that is not printable text is dropped.
func normalID(id string) string {
	id = strings.Trim(id, "<>")
	id = strings.Join(strings.Fields(id), "")
	if id == "" || !utf8.ValidString(id) {
		return ""
	}
	for _, r := range id {
		if unicode.IsControl(r) || r == '<' || r == '>' {
			return ""
		}
	}
	return "<" + id + ">"
}
