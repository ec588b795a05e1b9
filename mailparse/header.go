package mailparse

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/mail"
	"net/textproto"
	"regexp"
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
	// The value of the field being read; unfolded into a buffer, since
	// appending to a string would copy a field folded over many lines
	// once per line (a 3 MB display name took minutes).
	var value []byte
	flush := func() {
		if len(h) > 0 {
			h[len(h)-1].value = dropControls(value)
		}
	}
	for len(b) > 0 {
		line, rest := cutLine(b)
		switch {
		case len(line) == 0:
			flush()
			return h, rest, nil
		case line[0] == ' ' || line[0] == '\t':
			if len(h) == 0 {
				return nil, nil, errContinuation
			}
			// Unfolding removes only the line break (RFC 5322 2.2.3).
			value = append(value, line...)
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
			flush()
			h = append(h, field{name: textproto.CanonicalMIMEHeaderKey(string(name))})
			value = append(value[:0], line[i+1:]...)
		}
		b = rest
	}
	flush()
	return h, nil, nil
}

// dropControls returns a header line without its C0 controls (NUL, a bare
// CR, ESC...) and DEL, tab excepted. No header field may hold them (RFC
// 5322 3.2.3, RFC 6532), PostgreSQL text cannot hold NUL, and a field that
// only becomes readable without them (an address with a NUL in it) is
// better read than refused: the request is still the sender's.
func dropControls(line []byte) string {
	if bytes.IndexFunc(line, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) < 0 {
		return string(line)
	}
	out := make([]byte, 0, len(line))
	for _, c := range line {
		if c < ' ' && c != '\t' || c == 0x7f {
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

// cutLine returns the first line of b without its line ending, and the rest.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.TrimSuffix(b, []byte("\r")), nil
	}
	return bytes.TrimSuffix(b[:i], []byte("\r")), b[i+1:]
}

// raw8bit returns a header value as UTF-8. RFC 6532 allows raw UTF-8; some
// Chinese clients still send raw GBK, which the charset of the text
// (fallback) usually names. Bytes neither reads become U+FFFD rather than
// a guess: one damaged header must not cost the request, and a wrong guess
// would put words in the sender's mouth.
func raw8bit(v, fallback string) string {
	if utf8.ValidString(v) {
		return v
	}
	if fallback != "" {
		if s, err := decodeText([]byte(v), fallback); err == nil {
			return s
		}
	}
	return strings.ToValidUTF8(v, "\uFFFD")
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

// decodeWords decodes raw 8-bit bytes and encoded words in v, and folds
// it to one line. It never fails: an encoded word whose charset is unknown,
// or whose bytes the charset cannot read, stays as it was sent (its raw
// text is still something a person can read, and the rest of the field
// is decoded), and invalid UTF-8 becomes U+FFFD.
func decodeWords(v, fallback string) string {
	v = raw8bit(v, fallback)
	if strings.Contains(v, "=?") {
		if d, err := wordDecoder.DecodeHeader(v); err == nil {
			v = d
		} else {
			v = decodeEachWord(v)
		}
	}
	// An encoded word in utf-8 is copied as it is, valid or not.
	return foldSpace(strings.ToValidUTF8(v, "\uFFFD"))
}

var encodedWordRE = regexp.MustCompile(`=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=`)

// decodeEachWord decodes the encoded words of v one by one, keeping those
// that do not decode as they are. White space between two encoded words
// goes, as RFC 2047 6.2 says.
func decodeEachWord(v string) string {
	var sb strings.Builder
	last, prevWord := 0, false
	for _, loc := range encodedWordRE.FindAllStringIndex(v, -1) {
		gap := v[last:loc[0]]
		if !(prevWord && strings.TrimSpace(gap) == "") {
			sb.WriteString(gap)
		}
		word := v[loc[0]:loc[1]]
		if d, err := wordDecoder.Decode(word); err == nil {
			sb.WriteString(d)
		} else {
			sb.WriteString(word)
		}
		last, prevWord = loc[1], true
	}
	sb.WriteString(v[last:])
	return sb.String()
}

// foldSpace turns every run of white space and control characters into one
// space, so that a header value is one line a UI can show.
func foldSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

// addressParser reads address lists. net/mail refuses a whole address
// list when one encoded word in a display name has a charset it cannot
// read, so its word decoder never fails: such a word comes back encoded
// again (as a B word of the same charset), and decodeWords later keeps it
// as raw text.
var addressParser = &mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		if s, err := decodeText(b, charset); err == nil {
			return strings.NewReader(s), nil
		}
		return strings.NewReader("=?" + charset + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="), nil
	},
}}

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
	v := raw8bit(vs[0], fallback)
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
	return mail.Address{Name: decodeWords(a.Name, ""), Address: a.Address}, nil
}

// parseAddressList reads the To fields. The intake needs to know who wrote,
// not whom else they wrote to, so a To it cannot read is left out rather
// than refused.
func parseAddressList(vs []string, fallback string) []mail.Address {
	var out []mail.Address
	for _, v := range vs {
		list, err := addressParser.ParseList(raw8bit(v, fallback))
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

// topAuthResults returns the Authentication-Results fields above the
// first Received field: those the receiving MTA (or its milter) prepended
// as RFC 8601 5 asks, after its own Received field. Fields lower down were
// in the message when it arrived, so the sender may have written them;
// which of the returned fields come from a trusted authserv-id is for the
// caller to judge. A message without a Received field has none.
func topAuthResults(h header) []string {
	var out []string
	for _, f := range h {
		switch f.name {
		case "Authentication-Results":
			out = append(out, strings.TrimSpace(f.value))
		case "Received":
			return out
		}
	}
	// Without a Received field nothing says where the MTA's fields end.
	return nil
}
