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

// charsets are labels looked up before the IANA and WHATWG indexes, either
// because those indexes read them differently from what the mail means or
// because they do not know them at all. Where each comes from:
//
//   - gb2312 and its aliases read as GBK, a superset, since clients label GBK
//     text gb2312 (a name like 喆 is GBK but not GB2312); hz-gb-2312 is a
//     real encoding here, not the WHATWG "replacement".
//   - Python's codecs (Lib/encodings/aliases.py), which Python's email
//     package writes as the label when a program passes a codec name:
//     gb2312 is also spelt euc_cn, eucgb2312_cn, chinese, csiso58gb231280,
//     iso_ir_58; gbk is cp936, ms936, 936; big5 is big5_tw, csbig5; big5hkscs
//     and hkscs; cp950 is ms950; hz is hzgb, hz_gb, hz_gb_2312.
//   - Java's charset names (java.nio.charset, "Supported Encodings"), which
//     JavaMail writes: x-gbk, x-mswin-936, x-windows-950, x-euc-cn,
//     big5-hkscs, big5hk.
//   - Microsoft's code page names (Outlook, .NET Encoding.WebName):
//     windows-936, windows-950, cp-936, ks_c_5601-1987 is Korean and left to
//     the indexes.
//
// Big5-HKSCS reads as Big5: x/text has no HKSCS decoder, and HKSCS is Big5
// with extra characters, so most HKSCS text is Big5 text. Labels are
// normalised (lower case, '_' and ' ' as '-') before the lookup, so
// "euc_cn" and "EUC-CN" are one entry.
var charsets = map[string]encoding.Encoding{
	"gb2312":          simplifiedchinese.GBK,
	"gb-2312":         simplifiedchinese.GBK,
	"gb-2312-80":      simplifiedchinese.GBK,
	"csgb2312":        simplifiedchinese.GBK,
	"euc-cn":          simplifiedchinese.GBK,
	"euccn":           simplifiedchinese.GBK,
	"x-euc-cn":        simplifiedchinese.GBK,
	"eucgb2312-cn":    simplifiedchinese.GBK,
	"chinese":         simplifiedchinese.GBK,
	"csiso58gb231280": simplifiedchinese.GBK,
	"iso-ir-58":       simplifiedchinese.GBK,
	"gbk":             simplifiedchinese.GBK,
	"x-gbk":           simplifiedchinese.GBK,
	"cp936":           simplifiedchinese.GBK,
	"cp-936":          simplifiedchinese.GBK,
	"ms936":           simplifiedchinese.GBK,
	"936":             simplifiedchinese.GBK,
	"windows-936":     simplifiedchinese.GBK,
	"x-mswin-936":     simplifiedchinese.GBK,
	"gb18030":         simplifiedchinese.GB18030,
	"gb18030-2000":    simplifiedchinese.GB18030,
	"hz-gb-2312":      simplifiedchinese.HZGB2312,
	"hz":              simplifiedchinese.HZGB2312,
	"hzgb":            simplifiedchinese.HZGB2312,
	"hz-gb":           simplifiedchinese.HZGB2312,
	"big5":            traditionalchinese.Big5,
	"big-5":           traditionalchinese.Big5,
	"x-big5":          traditionalchinese.Big5,
	"cn-big5":         traditionalchinese.Big5,
	"csbig5":          traditionalchinese.Big5,
	"big5-tw":         traditionalchinese.Big5,
	"big5-hkscs":      traditionalchinese.Big5,
	"big5hkscs":       traditionalchinese.Big5,
	"big5hk":          traditionalchinese.Big5,
	"hkscs":           traditionalchinese.Big5,
	"cp950":           traditionalchinese.Big5,
	"ms950":           traditionalchinese.Big5,
	"windows-950":     traditionalchinese.Big5,
	"x-windows-950":   traditionalchinese.Big5,
}

// normalLabel is the form charsets is keyed by.
func normalLabel(charset string) string {
	name := strings.ToLower(strings.Trim(strings.TrimSpace(charset), `"'`))
	// RFC 2231 lets an encoded word name its language: utf-8*zh.
	name, _, _ = strings.Cut(name, "*")
	return strings.NewReplacer("_", "-", " ", "-").Replace(name)
}

// decodeText converts b from charset to UTF-8. It fails rather than put
// replacement characters in: text the intake cannot read in full is text it
// cannot act on.
func decodeText(b []byte, charset string) (string, error) {
	name := normalLabel(charset)
	switch name {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi-x3.4-1968", "646", "unicode-1-1-utf-8":
		// Mail labelled us-ascii, or not labelled, often holds UTF-8;
		// read as UTF-8 it loses nothing, and anything else is refused.
		if !utf8.Valid(b) {
			return "", errBadBytes
		}
		return string(b), nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "iso-8859-1-1987", "l1", "windows-1252", "cp1252":
		return latin1(b), nil
	}
	enc := charsets[name]
	if enc == nil {
		enc = lookupCharset(name)
	}
	if enc == nil && name != strings.ToLower(strings.TrimSpace(charset)) {
		// The indexes know some labels only with their underscores
		// (iso_8859-1:1987).
		enc = lookupCharset(strings.ToLower(strings.TrimSpace(charset)))
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
