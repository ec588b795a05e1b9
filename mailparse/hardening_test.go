package mailparse

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// noControls fails if s holds a C0 control other than those allowed.
func noControls(t *testing.T, what, s, allowed string) {
	t.Helper()
	for _, r := range s {
		if (r < ' ' || r == 0x7f) && !strings.ContainsRune(allowed, r) {
			t.Errorf("%s holds control %U: %q", what, r, s)
		}
	}
}

// NUL and other C0 controls never reach a field of the message, wherever
// they were sent: raw in a header, in an encoded word, in the body, in a
// file name. The message is read, not refused.
func TestControlsDropped(t *testing.T) {
	raw := msg("--b\nContent-Type: text/plain; charset=utf-8\n\nPlease\x00 delete\x1b my data.\x07\tThanks\nbye\n"+
		"--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nQUIAQ0QBRQ==\n"+
		"--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"id\x00card\x01.pdf\"\n\n%PDF\n--b--\n",
		"From: \"Wang\x00 Fang\x01\" <wang.fang\x00@example.cn>",
		"To: dpo\x00@example.com",
		"Subject: =?UTF-8?B?"+"6K+35Yig6ZmkAA=="+"?= my\x00 data\x1b[0m",
		"Message-ID: <id\x00-1@example.cn>",
		"Content-Type: multipart/mixed; boundary=b")
	m := mustParse(t, raw)
	noControls(t, "Subject", m.Subject, "")
	noControls(t, "From name", m.From.Name, "")
	noControls(t, "From address", m.From.Address, "")
	noControls(t, "Message-ID", m.MessageID, "")
	noControls(t, "Text", m.Text, "\t\n")
	if m.From.Address != "wang.fang@example.cn" || m.From.Name != "Wang Fang" {
		t.Errorf("From %q %q", m.From.Name, m.From.Address)
	}
	if len(m.To) != 1 || m.To[0].Address != "dpo@example.com" {
		t.Errorf("To %v", m.To)
	}
	if m.MessageID != "<id-1@example.cn>" {
		t.Errorf("Message-ID %q", m.MessageID)
	}
	if !strings.Contains(m.Text, "Please delete my data.\tThanks\nbye") || !strings.Contains(m.Text, "ABCDE") {
		t.Errorf("Text %q", m.Text)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "idcard.pdf" {
		t.Errorf("attachments %+v", m.Attachments)
	}
}

// A 3 MB folded display name and 99 attachments with 30 KB names are read,
// cut to their bounds, and the cut recorded with the length sent.
func TestOversizedNamesCut(t *testing.T) {
	long := strings.Repeat("王芳 very long name ", 3<<20/len("王芳 very long name "))
	folded := strings.ReplaceAll(long, " ", "\n ")
	m := mustParse(t, msg("Please delete my data.", "From: =?UTF-8?B?5L2g?= "+folded+" <a@example.org>", "Subject: delete"))
	if n := utf8.RuneCountInString(m.From.Name); n > MaxNameRunes+1 {
		t.Errorf("display name of %d runes", n)
	}
	if len(m.Truncated) != 1 || m.Truncated[0].Field != "from_name" || m.Truncated[0].Length < 3<<20-100 {
		t.Errorf("Truncated %+v", m.Truncated)
	}

	var body strings.Builder
	for i := range 99 {
		name := fmt.Sprintf("%05d-%s.pdf", i, strings.Repeat("身份证", 30<<10/9))
		fmt.Fprintf(&body, "--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*=UTF-8''%s\n\n%%PDF\n", pctEncode(name))
	}
	body.WriteString("--b--\n")
	m = mustParse(t, msg(body.String(), "From: a@example.org", "Subject: files", "Content-Type: multipart/mixed; boundary=b"))
	if len(m.Attachments) != 99 || len(m.Truncated) != 99 {
		t.Fatalf("%d attachments, %d truncations", len(m.Attachments), len(m.Truncated))
	}
	for i, a := range m.Attachments {
		if len(a.Filename) > MaxFilenameBytes || !utf8.ValidString(a.Filename) || !strings.HasSuffix(a.Filename, ".pdf") ||
			!strings.HasPrefix(a.Filename, fmt.Sprintf("%05d-身份证", i)) {
			t.Fatalf("attachment %d named %q", i, a.Filename)
		}
		if tr := m.Truncated[i]; tr.Field != "attachment_name" || tr.Length < 30<<10 {
			t.Fatalf("truncation %+v", tr)
		}
	}
}

func pctEncode(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&sb, "%%%02X", s[i])
	}
	return sb.String()
}

// An encoded word in a charset nobody knows is kept as sent; the words
// beside it are decoded, and the message is read.
func TestUnknownCharsetWordKept(t *testing.T) {
	m := mustParse(t, msg("Please delete my data.",
		`From: =?x-euc-tw?B?s6+kaqTl?= <a@example.org>`,
		`Subject: =?UTF-8?B?6K+35Yig6Zmk?= =?x-unknown-9?Q?abc?= =?gbk?B?ztK1xA==?= data`))
	if m.Subject != "请删除=?x-unknown-9?Q?abc?=我的 data" {
		t.Errorf("Subject %q", m.Subject)
	}
	if m.From.Address != "a@example.org" || !strings.HasPrefix(m.From.Name, "=?x-euc-tw?") {
		t.Errorf("From %q %q", m.From.Name, m.From.Address)
	}
}

// The labels mail libraries write resolve to their encodings.
func TestCharsetAliases(t *testing.T) {
	gbk := []byte{0xc4, 0xe3, 0xba, 0xc3}  // 你好
	big5 := []byte{0xa7, 0x41, 0xa6, 0x6e} // 你好
	for _, label := range []string{"eucgb2312_cn", "euc_cn", "EUC-CN", "csgb2312", "x-gbk", "cp936", "ms936", "x-mswin-936", "gb_2312-80", "chinese", "GB18030"} {
		if s, err := decodeText(gbk, label); err != nil || s != "你好" {
			t.Errorf("%s: %q %v", label, s, err)
		}
	}
	for _, label := range []string{"big5", "big5_tw", "big5hkscs", "big5-hkscs", "ms950", "cp950", "x-windows-950", "csbig5"} {
		if s, err := decodeText(big5, label); err != nil || s != "你好" {
			t.Errorf("%s: %q %v", label, s, err)
		}
	}
	for _, label := range []string{"latin_1", "iso8859_1", "utf_8", "iso_8859-1:1987", "windows_1252"} {
		if s, err := decodeText([]byte("abc"), label); err != nil || s != "abc" {
			t.Errorf("%s: %q %v", label, s, err)
		}
	}
}

// Only the Authentication-Results fields above the first Received field
// are the receiving MTA's; those further down came with the message.
func TestTopAuthResults(t *testing.T) {
	m := mustParse(t, msg("hi",
		"Authentication-Results: mx.dpo.example; dkim=pass header.d=example.org",
		"X-Spam-Status: No",
		"Authentication-Results: mx.dpo.example; spf=pass smtp.mailfrom=a@example.org",
		"Received: from mail.example.org by mx.dpo.example",
		"Authentication-Results: mx.dpo.example; dkim=pass header.d=forged.example",
		"Received: from laptop by mail.example.org",
		"From: a@example.org", "Subject: x"))
	want := []string{"mx.dpo.example; dkim=pass header.d=example.org", "mx.dpo.example; spf=pass smtp.mailfrom=a@example.org"}
	if !slices.Equal(m.AuthResults, want) {
		t.Errorf("AuthResults %q", m.AuthResults)
	}
	m = mustParse(t, msg("hi", "Authentication-Results: mx.dpo.example; dkim=pass header.d=example.org", "From: a@example.org", "Subject: x"))
	if m.AuthResults != nil {
		t.Errorf("without Received: %q", m.AuthResults)
	}
}
