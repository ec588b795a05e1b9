package mailparse

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

var errBadBytes = errors.New("bytes the charset cannot decode")

// charsets are the labels Chinese mail uses, looked up before the IANA and
// WHATWG indexes because those disagree with what the mail means: gb2312
// reads as GBK, a superset, since clients label GBK text gb2312 (a name like
// 喆 is GBK but not GB2312), and hz-gb-2312 is a real encoding here, not the
// WHATWG "replacement".
var charsets = map[string]encoding.Encoding{
	"gb2312":      simplifiedchinese.GBK,
	"gb_2312":     simplifiedchinese.GBK,
	"gb_2312-80":  simplifiedchinese.GBK,
	"csgb2312":    simplifiedchinese.GBK,
	"euc-cn":      simplifiedchinese.GBK,
	"x-euc-cn":    simplifiedchinese.GBK,
	"gbk":         simplifiedchinese.GBK,
	"x-gbk":       simplifiedchinese.GBK,
	"cp936":       simplifiedchinese.GBK,
	"ms936":       simplifiedchinese.GBK,
	"windows-936": simplifiedchinese.GBK,
	"gb18030":     simplifiedchinese.GB18030,
	"hz-gb-2312":  simplifiedchinese.HZGB2312,
	"big5":        traditionalchinese.Big5,
	"big-5":       traditionalchinese.Big5,
	"x-big5":      traditionalchinese.Big5,
	"cn-big5":     traditionalchinese.Big5,
	"big5-hkscs":  traditionalchinese.Big5,
	"cp950":       traditionalchinese.Big5,
	"ms950":       traditionalchinese.Big5,
	"windows-950": traditionalchinese.Big5,
}

// decodeText converts b from charset to UTF-8. It fails rather than put
// replacement characters in: text the intake cannot read in full is text it
// cannot act on.
func decodeText(b []byte, charset string) (string, error) {
	name := strings.ToLower(strings.Trim(strings.TrimSpace(charset), `"'`))
	// RFC 2231 lets an encoded word name its language: utf-8*zh.
	name, _, _ = strings.Cut(name, "*")
	switch name {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "646", "unicode-1-1-utf-8":
		// Mail labelled us-ascii, or not labelled, often holds UTF-8;
		// read as UTF-8 it loses nothing, and anything else is refused.
		if !utf8.Valid(b) {
			return "", errBadBytes
		}
		return string(b), nil
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", "windows-1252", "cp1252":
		return latin1(b), nil
	}
	enc := charsets[name]
	if enc == nil {
		enc = lookupCharset(name)
	}
	if enc == nil {
		return "", unknownCharset(name)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil || !utf8.Valid(out) {
		return "", errBadBytes
	}
	// x/text decoders write U+FFFD for bytes they cannot decode. Only
	// GB18030 can spell U+FFFD itself.
	bad := bytes.Count(out, []byte("\uFFFD"))
	if enc == simplifiedchinese.GB18030 {
		bad -= bytes.Count(b, []byte("\x84\x31\xA4\x37"))
	}
	if bad > 0 {
		return "", errBadBytes
	}
	return string(out), nil
}

func lookupCharset(name string) encoding.Encoding {
	for _, idx := range []*ianaindex.Index{ianaindex.MIME, ianaindex.IANA} {
		if e, err := idx.Encoding(name); err == nil && e != nil {
			return e
		}
	}
	if e, err := htmlindex.Get(name); err == nil && e != nil && e != encoding.Replacement {
		return e
	}
	return nil
}

// latin1 decodes ISO-8859-1 as browsers do, with the printable characters of
// windows-1252 in 0x80-0x9F: mail labelled latin1 that has bytes there was
// written in windows-1252 (curly quotes, the euro sign), never with C1
// controls in mind.
func latin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		r := charmap.Windows1252.DecodeByte(c)
		if r == utf8.RuneError {
			r = rune(c)
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// unknownCharset names the charset in the error when the name is short and
// plain: it helps an operator and says nothing about the sender.
func unknownCharset(name string) error {
	if len(name) > 40 {
		return errors.New("unknown charset")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:+", c)) {
			return errors.New("unknown charset")
		}
	}
	return fmt.Errorf("unknown charset %q", name)
}
