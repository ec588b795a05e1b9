package mailparse

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func isUnreadable(err error) bool { return errors.Is(err, ErrUnreadable) }

// msg builds a message from header lines and a body with CRLF endings.
func msg(body string, header ...string) []byte {
	s := strings.Join(header, "\n") + "\n\n" + body
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

func mustParse(t *testing.T, raw []byte) *Message {
	t.Helper()
	m, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func mustRefuse(t *testing.T, raw []byte) error {
	t.Helper()
	m, err := Parse(raw)
	if err == nil {
		t.Fatalf("accepted: %+v", m)
	}
	if !isUnreadable(err) {
		t.Fatalf("%v does not wrap ErrUnreadable", err)
	}
	return err
}

func TestErrorsHoldNoPersonalData(t *testing.T) {
	for _, raw := range [][]byte{
		msg("Secret Body Text", "From: Wang Secret <secret.sender@example.org", "Subject: x"),
		msg("Secret Body Text", "From: secret.sender@example.org", "Secret Header Line"),
		msg("Secret Body Text", "From: \"Secret\" <secret.sender@example.org>, other@example.org", "Subject: x"),
	} {
		err := mustRefuse(t, raw)
		if s := strings.ToLower(err.Error()); strings.Contains(s, "secret") {
			t.Errorf("error quotes the message: %v", err)
		}
	}
}

func TestFrom(t *testing.T) {
	cases := []struct {
		from, name, addr string
	}{
		{`"=?UTF-8?B?5byg5LiJ?=" <zhang@example.cn>`, "张三", "zhang@example.cn"},
		{`=?UTF-8?B?5byg?= =?UTF-8?B?5LiJ?= <zhang@example.cn>`, "张三", "zhang@example.cn"},
		{`张三 <zhang@example.cn>`, "张三", "zhang@example.cn"},
		{`zhang@example.cn (Zhang San)`, "Zhang San", "zhang@example.cn"},
		{`<zhang@example.cn>`, "", "zhang@example.cn"},
	}
	for _, c := range cases {
		m := mustParse(t, msg("hi", "From: "+c.from))
		if m.From.Name != c.name || m.From.Address != c.addr {
			t.Errorf("From: %s = %q %q, want %q %q", c.from, m.From.Name, m.From.Address, c.name, c.addr)
		}
	}
	for _, bad := range [][]byte{
		msg("hi", "From: a@example.org", "From: b@example.org"),
		msg("hi", "From: a@example.org, b@example.org"),
		msg("hi", "From: undisclosed-recipients:;"),
		msg("hi", "From:"),
		msg("hi", "Subject: no from"),
	} {
		mustRefuse(t, bad)
	}
}

func TestRawHeaderInCharsetOfText(t *testing.T) {
	subject := "\xc7\xeb\xc9\xbe\xb3\xfd" // 请删除 in GBK
	m := mustParse(t, msg("\xc7\xeb\xc9\xbe\xb3\xfd", "From: a@example.org", "Subject: "+subject,
		"Content-Type: text/plain; charset=gbk"))
	if m.Subject != "请删除" || m.Text != "请删除" {
		t.Errorf("Subject %q Text %q", m.Subject, m.Text)
	}
	// Without a charset to read it in, the bytes are marked, not guessed
	// at, and the message is still taken.
	if m := mustParse(t, msg("plain", "From: a@example.org", "Subject: "+subject)); !utf8.ValidString(m.Subject) || !strings.Contains(m.Subject, "\uFFFD") || m.Text != "plain" {
		t.Errorf("Subject %q Text %q", m.Subject, m.Text)
	}
}

func TestCharsets(t *testing.T) {
	for _, c := range []struct {
		charset string
		in      []byte
		want    string
	}{
		{"x-gbk", []byte{0xc4, 0xe3, 0xba, 0xc3}, "你好"},
		{"CP936", []byte{0xc4, 0xe3, 0xba, 0xc3}, "你好"},
		{"GB2312", []byte{0x86, 0xb4}, "喆"}, // not in GB2312, in GBK
		{"gb18030", []byte{0x95, 0x32, 0x82, 0x36}, "𠀀"},
		{"big5", []byte{0xa7, 0x52, 0xb0, 0xa3}, "刪除"},
		{"hz-gb-2312", []byte("~{;6S-~}"), "欢迎"},
		{"utf8", []byte("ok ✓"), "ok ✓"},
		{"us-ascii", []byte("ok ✓"), "ok ✓"},
		{`"ISO-8859-1"`, []byte{'c', 'a', 'f', 0xe9, ' ', 0x93, 'q', 0x94}, "café “q”"},
		{"windows-1251", []byte{0xcf, 0xf0, 0xe8}, "При"},
		{"shift_jis", []byte{0x82, 0xa0}, "あ"},
	} {
		got, err := decodeText(c.in, c.charset)
		if err != nil || got != c.want {
			t.Errorf("decodeText(% x, %s) = %q, %v; want %q", c.in, c.charset, got, err, c.want)
		}
	}
	for _, c := range []struct {
		charset string
		in      []byte
	}{
		{"x-unknown-9", []byte("a")},
		{"replacement", []byte("a")},
		{"iso-2022-cn", []byte("a")},
		{"utf-8", []byte{0xff}},
		{"", []byte{0xe4, 0xbd}},
		{"us-ascii", []byte{0xe9}},
		{"gbk", []byte{0x81, 0x20}},
		{"big5", []byte{0xa7}},
		{"gb18030", []byte{0x81, 0x30, 0x81}},
	} {
		if got, err := decodeText(c.in, c.charset); err == nil {
			t.Errorf("decodeText(% x, %s) = %q, want an error", c.in, c.charset, got)
		}
	}
	if got, err := decodeText([]byte("ok"), "UTF-8*zh"); err != nil || got != "ok" {
		t.Errorf("charset with RFC 2231 language = %q, %v", got, err)
	}
	// GB18030 can spell U+FFFD; that is text, not a decoding failure.
	if got, err := decodeText([]byte("\x84\x31\xa4\x37"), "gb18030"); err != nil || got != "\uFFFD" {
		t.Errorf("GB18030 U+FFFD = %q, %v", got, err)
	}
}

func TestTransferEncodings(t *testing.T) {
	for _, c := range []struct {
		cte, body, want string
	}{
		{"quoted-printable", "caf=C3=A9 a=b =3D=\nsoft   \nnext=\n", "café a=b =soft\nnext"},
		{"quoted-printable", "lower =c3=a9 and =ZZ and =", "lower é and =ZZ and"},
		{"base64", "5L2g5aW9\r\n", "你好"},
		{"base64", "5L2g 5aW9 YQ", "你好a"}, // spaces and no padding
		{"Base64", "5L2g5aW9YQ==", "你好a"}, // case of the CTE
		{"8bit", "你好", "你好"},
		{"binary", "a\x00b", "ab"},
	} {
		m := mustParse(t, msg(c.body, "From: a@example.org", "Content-Type: text/plain; charset=utf-8",
			"Content-Transfer-Encoding: "+c.cte))
		if m.Text != c.want {
			t.Errorf("%s %q = %q, want %q", c.cte, c.body, m.Text, c.want)
		}
	}
	mustRefuse(t, msg("5L2g5aW9=YQ==", "From: a@example.org", "Content-Transfer-Encoding: base64"))
	mustRefuse(t, msg("begin 644 x", "From: a@example.org", "Content-Transfer-Encoding: x-uuencode"))
}

func TestQPAttachmentKeepsCRLF(t *testing.T) {
	m := mustParse(t, msg("--b\nContent-Type: text/plain\n\nsee file\n--b\nContent-Type: text/csv\n"+
		"Content-Disposition: attachment; filename=a.csv\nContent-Transfer-Encoding: quoted-printable\n\na,b\nc,=E4\n--b--\n",
		"From: a@example.org", "Content-Type: multipart/mixed; boundary=b"))
	if len(m.Attachments) != 1 || string(m.Attachments[0].Data) != "a,b\r\nc,\xe4" {
		t.Errorf("attachments %+v", m.Attachments)
	}
}

func TestStructure(t *testing.T) {
	t.Run("text attachment is not the body", func(t *testing.T) {
		m := mustParse(t, msg("--b\nContent-Type: text/plain\n\nthe body\n--b\nContent-Type: text/plain; name=notes.txt\n"+
			"Content-Disposition: attachment; filename=\"../../etc/notes.txt\"\n\nnot the body\n--b--\n",
			"From: a@example.org", "Content-Type: multipart/mixed; boundary=b"))
		if m.Text != "the body" || len(m.Attachments) != 1 || m.Attachments[0].Filename != "notes.txt" ||
			string(m.Attachments[0].Data) != "not the body" || m.Attachments[0].ContentType != "text/plain" {
			t.Errorf("%q %+v", m.Text, m.Attachments)
		}
	})
	t.Run("empty plain alternative loses to HTML", func(t *testing.T) {
		m := mustParse(t, msg("--b\nContent-Type: text/plain\n\n \n--b\nContent-Type: text/html\n\n<b>from html</b>\n--b--\n",
			"From: a@example.org", "Content-Type: multipart/alternative; boundary=b"))
		if m.Text != "from html" {
			t.Errorf("Text %q", m.Text)
		}
	})
	t.Run("inline texts of a mixed are joined", func(t *testing.T) {
		m := mustParse(t, msg("preamble\n--b\n\nfirst\n--b\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lG\n"+
			"--b\nContent-Type: text/plain; charset=utf-8\n\nsecond\n--b--\nepilogue\n",
			"From: a@example.org", "Content-Type: multipart/mixed; boundary=\"b\""))
		if m.Text != "first\n\nsecond" || len(m.Attachments) != 1 || string(m.Attachments[0].Data) != "GIF" {
			t.Errorf("%q %+v", m.Text, m.Attachments)
		}
	})
	t.Run("boundary must stand alone on its line", func(t *testing.T) {
		m := mustParse(t, msg("--b\n\nkeep --b inside and --bx too\n--bx\n--b--\n",
			"From: a@example.org", "Content-Type: multipart/mixed; boundary=b"))
		if m.Text != "keep --b inside and --bx too\n--bx" {
			t.Errorf("Text %q", m.Text)
		}
	})
	t.Run("attachment only", func(t *testing.T) {
		m := mustParse(t, msg("--b\nContent-Type: application/pdf\n\n%PDF\n--b--\n",
			"From: a@example.org", "Content-Type: multipart/mixed; boundary=b"))
		if m.Text != "" || len(m.Attachments) != 1 {
			t.Errorf("%q %+v", m.Text, m.Attachments)
		}
	})
	t.Run("subject only", func(t *testing.T) {
		m := mustParse(t, msg("", "From: a@example.org", "Subject: 删除我的数据"))
		if m.Subject != "删除我的数据" || m.Text != "" {
			t.Errorf("%q %q", m.Subject, m.Text)
		}
	})
	t.Run("lenient parameters", func(t *testing.T) {
		m := mustParse(t, msg("--b\nContent-Type: application/pdf; name=my file.pdf\n\n%PDF\n--b--\n",
			"From: a@example.org", "Content-Type: multipart/mixed; boundary=b;;"))
		if len(m.Attachments) != 1 || m.Attachments[0].Filename != "my file.pdf" {
			t.Errorf("%+v", m.Attachments)
		}
	})
	for name, raw := range map[string][]byte{
		"nothing to read":    msg("", "From: a@example.org"),
		"no parts":           msg("--b--\n", "From: a@example.org", "Content-Type: multipart/mixed; boundary=b"),
		"no delimiter":       msg("text\n", "From: a@example.org", "Content-Type: multipart/mixed; boundary=b"),
		"bad part header":    msg("--b\nno colon here\n\nx\n--b--\n", "From: a@example.org", "Content-Type: multipart/mixed; boundary=b"),
		"bad base64 in pdf":  msg("--b\n\ntext\n--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n***\n--b--\n", "From: a@example.org", "Content-Type: multipart/mixed; boundary=b"),
		"continuation first": msg("x", " folded", "From: a@example.org"),
		"empty multipart":    msg("--b\n\n\n--b--\n", "From: a@example.org", "Content-Type: multipart/mixed; boundary=b"),
	} {
		t.Run(name, func(t *testing.T) {
			mustRefuse(t, raw)
		})
	}
}

func TestLimits(t *testing.T) {
	nested := func(depth int) []byte {
		var b strings.Builder
		for i := range depth {
			fmt.Fprintf(&b, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i, i+1)
		}
		fmt.Fprintf(&b, "--b%d\n\ndeep text\n--b%d--\n", depth, depth)
		for i := depth - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "--b%d--\n", i)
		}
		return msg(b.String(), "From: a@example.org", "Content-Type: multipart/mixed; boundary=b0")
	}
	parts := func(n int) []byte {
		return msg(strings.Repeat("--b\n\nx\n", n)+"--b--\n", "From: a@example.org", "Content-Type: multipart/mixed; boundary=b")
	}
	l := Limits{MaxBytes: 1 << 20, MaxParts: 5, MaxDepth: 3}
	for _, c := range []struct {
		name string
		raw  []byte
		ok   bool
	}{
		{"depth at limit", nested(2), true},
		{"depth over limit", nested(3), false},
		{"parts at limit", parts(5), true},
		{"parts over limit", parts(6), false},
		{"bytes over limit", msg(strings.Repeat("x", 1<<20), "From: a@example.org"), false},
	} {
		m, err := ParseWithLimits(c.raw, l)
		if c.ok && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.ok && (err == nil || !isUnreadable(err)) {
			t.Errorf("%s: accepted %+v", c.name, m)
		}
	}
	// A zero Limits means the defaults, not "accept nothing".
	if _, err := ParseWithLimits(nested(9), Limits{}); err != nil {
		t.Errorf("zero Limits: %v", err)
	}
	if _, err := ParseWithLimits(nested(11), Limits{}); err == nil {
		t.Error("zero Limits accepted 11 levels")
	}
}

func TestMessageIDs(t *testing.T) {
	m := mustParse(t, msg("x", "From: a@example.org",
		"Message-ID:   <Abc.123@Host.Example> (comment)",
		"In-Reply-To: Your message of Monday <p1@x.org>",
		"References: <p0@x.org>\n\t<p1@x.org> <p1@x.org>",
		"References: <p2@x\n .org>"))
	if m.MessageID != "<Abc.123@Host.Example>" {
		t.Errorf("MessageID %q", m.MessageID)
	}
	if fmt.Sprint(m.InReplyTo) != "[<p1@x.org>]" || fmt.Sprint(m.References) != "[<p0@x.org> <p1@x.org> <p2@x.org>]" {
		t.Errorf("InReplyTo %q References %q", m.InReplyTo, m.References)
	}
	for in, want := range map[string]string{
		"abc@host":          "<abc@host>",
		" <abc@host> ":      "<abc@host>",
		"":                  "",
		"<>":                "",
		"plain-id-no-at":    "<plain-id-no-at>",
		"<a@b> <c@d>":       "<a@b>",
		"<a\x01@b>":         "",
		"Your message of x": "<Your>",
	} {
		if got := messageID(in); got != want {
			t.Errorf("messageID(%q) = %q, want %q", in, got, want)
		}
	}
	if got := messageIDs("Your message of Monday"); got != nil {
		t.Errorf("messageIDs of a phrase = %q", got)
	}
}

func TestSubjectAndDate(t *testing.T) {
	m := mustParse(t, msg("x", "From: a@example.org",
		"Subject: =?UTF-8?Q?=E8=AF=B7?= =?GB2312?B?yb6z/Q==?=\n\t and\tmore  ",
		"Date: not a date"))
	if m.Subject != "请删除 and more" {
		t.Errorf("Subject %q", m.Subject)
	}
	if !m.Date.IsZero() {
		t.Errorf("Date %v", m.Date)
	}
}

func TestLineEndings(t *testing.T) {
	lf := "From: a@example.org\nContent-Type: multipart/alternative; boundary=b\n\n--b\n\nline one\nline two\n--b--\n"
	crlf := strings.ReplaceAll(lf, "\n", "\r\n")
	a, b := mustParse(t, []byte(lf)), mustParse(t, []byte(crlf))
	if a.Text != "line one\nline two" || b.Text != a.Text {
		t.Errorf("LF %q, CRLF %q", a.Text, b.Text)
	}
}

func TestHTMLText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a<br>b<br/><br />c", "a\nb\n\nc"},
		{"<p>one</p><p>two</p>", "one\n\ntwo"},
		{"<div>one</div><div>two</div>", "one\ntwo"},
		{"<ul><li>x</li><li>y</li></ul>", "x\ny"},
		{"a &lt;b&gt; &amp; &quot;c&quot; &#21024;&#x9664; &nbsp;d", `a <b> & "c" 删除 d`},
		{"<SCRIPT type=x>if (a > b) {}</SCRIPT>after", "after"},
		{"<style>p{}</style><STYLE>q{}</style >x", "x"},
		{"<head><title>T</title></head><body>x</body>", "x"},
		{"<a href=\"x>y\" title='z>'>link</a> text", "link text"},
		{"one\n   two\t three", "one two three"},
		{"<pre>  keep\n    this</pre>", "keep\n    this"},
		{"mine<blockquote>theirs<br>more</blockquote>end", "mine\n> theirs\n> more\nend"},
		{"a <!-- <p>hidden</p> --> b", "a b"},
		{"1 < 2 and 3 <4", "1 < 2 and 3 <4"},
		{"cut <b", "cut"},
		{"<table><tr><td>a</td><td>b</td></tr></table>", "a b"},
		{"<script>never closed", ""},
	} {
		if got := htmlText(c.in); got != c.want {
			t.Errorf("htmlText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAuto(t *testing.T) {
	for _, c := range []struct {
		header []string
		want   string
	}{
		{[]string{"From: a@example.org"}, ""},
		{[]string{"From: a@example.org", "Auto-Submitted: no"}, ""},
		{[]string{"From: a@example.org", "Auto-Submitted: auto-replied; vacation"}, "auto-reply"},
		{[]string{"From: a@example.org", "Auto-Submitted: Auto-Generated"}, "auto-submitted"},
		{[]string{"From: a@example.org", "Return-Path: <>"}, "bounce"},
		{[]string{"From: a@example.org", "Return-Path:"}, "bounce"},
		{[]string{"From: a@example.org", "Return-Path: <a@example.org>"}, ""},
		{[]string{"From: Mailer-Daemon@mx.example.org"}, "bounce"},
		{[]string{"From: postmaster@example.org"}, "bounce"},
		{[]string{"From: a@example.org", "X-Autoreply: yes"}, "auto-reply"},
		{[]string{"From: a@example.org", "X-Autorespond: on vacation"}, "auto-reply"},
		{[]string{"From: a@example.org", "Precedence: bulk"}, "bulk"},
		{[]string{"From: a@example.org", "Precedence: junk"}, "bulk"},
		{[]string{"From: a@example.org", "Precedence: auto_reply"}, "auto-reply"},
		{[]string{"From: a@example.org", "Precedence: list"}, ""},
		{[]string{"From: a@example.org", "X-Auto-Response-Suppress: All"}, ""},
	} {
		m := mustParse(t, msg("hello", c.header...))
		if m.Auto != c.want {
			t.Errorf("%q: Auto = %q, want %q", c.header, m.Auto, c.want)
		}
	}
	mdn := msg("--b\nContent-Type: text/plain\n\nYour message was displayed.\n--b\nContent-Type: message/disposition-notification\n\nDisposition: manual-action/MDN-sent-manually; displayed\n--b--\n",
		"From: a@example.org", "Return-Path: <>", "Content-Type: multipart/report; report-type=disposition-notification; boundary=b")
	if m := mustParse(t, mdn); m.Auto != "report" {
		t.Errorf("read receipt: Auto = %q", m.Auto)
	}
}

func TestMboxFromLine(t *testing.T) {
	m := mustParse(t, []byte("From a@example.org Mon Jun  2 10:00:00 2025\nFrom: b@example.org\n\nhi\n"))
	if m.From.Address != "b@example.org" {
		t.Errorf("From %q", m.From.Address)
	}
}

func TestFilename(t *testing.T) {
	for _, c := range []struct {
		disposition, contentType, want string
	}{
		{`attachment; filename="=?GBK?B?ye233dakLmpwZw==?="`, "image/jpeg", "身份证.jpg"},
		{`attachment; filename*=UTF-8''%E8%BA%AB%E4%BB%BD%E8%AF%81.jpg`, "image/jpeg", "身份证.jpg"},
		{`attachment`, `image/jpeg; name="scan.jpg"`, "scan.jpg"},
		{`attachment; filename="C:\\Users\\me\\scan.jpg"`, "image/jpeg", "scan.jpg"},
		{`attachment; filename=".."`, "image/jpeg", ""},
		{"attachment; filename=\"bad\xffname.jpg\"", "image/jpeg", "badname.jpg"},
	} {
		m := mustParse(t, msg("--b\n\nsee attached\n--b\nContent-Type: "+c.contentType+"\nContent-Disposition: "+c.disposition+"\n\nJPEG\n--b--\n",
			"From: a@example.org", "Content-Type: multipart/mixed; boundary=b"))
		if len(m.Attachments) != 1 || m.Attachments[0].Filename != c.want {
			t.Errorf("%s: %+v, want %q", c.disposition, m.Attachments, c.want)
		}
	}
}

func TestNeverPanicsOnTruncation(t *testing.T) {
	raw := msg("--b\nContent-Type: multipart/alternative; boundary=c\n\n--c\nContent-Type: text/html\n\n<p>x<b\n--c--\n--b--\n",
		"From: a@example.org", "Subject: =?utf-8?B?5L2g?=", "Content-Type: multipart/mixed; boundary=b")
	for i := range len(raw) {
		_, _ = Parse(raw[:i])
		_, _ = Parse(bytes.ReplaceAll(raw[:i], []byte("\r\n"), []byte("\n")))
	}
}

func TestMessageDoesNotAliasInput(t *testing.T) {
	raw := msg("--b\n\ntext\n--b\nContent-Type: application/pdf\n\n%PDF\n--b--\n",
		"From: a@example.org", "Content-Type: multipart/mixed; boundary=b")
	m := mustParse(t, raw)
	for i := range raw {
		raw[i] = 'X'
	}
	if string(m.Attachments[0].Data) != "%PDF" {
		t.Errorf("attachment changed with the input: %q", m.Attachments[0].Data)
	}
}
