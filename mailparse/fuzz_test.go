package mailparse

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no corpus: %v", err)
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// NUL and other C0 controls everywhere, oversized names, many
	// recipients.
	f.Add(msg("Please\x00 delete\x1b my data.\x07", "From: \"Wang\x00\" <w\x00@example.cn>", "Subject: x\x00\x01y",
		"Message-ID: <a\x00b@example.cn>", "Content-Type: text/plain; charset=\"utf-8\x00\""))
	f.Add(msg("x", "From: "+strings.Repeat("name ", 400)+"<a@example.org>", "Subject: "+strings.Repeat("s", 5000)))
	f.Add(msg("--b\nContent-Disposition: attachment; filename=\""+strings.Repeat("n", 600)+".pdf\"\n\n%PDF\n--b--\n",
		"From: a@example.org", "Content-Type: multipart/mixed; boundary=b"))
	var to []string
	for i := range 200 {
		to = append(to, fmt.Sprintf("r%d@example.org", i))
	}
	f.Add(msg("x", "From: a@example.org", "To: "+strings.Join(to, ", "), "Cc: "+strings.Join(to, ",\n "), "Subject: many"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			if m != nil {
				t.Fatal("a message and an error")
			}
			if !isUnreadable(err) {
				t.Fatalf("error %v does not wrap ErrUnreadable", err)
			}
			return
		}
		if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Text) || !utf8.ValidString(m.From.Name) {
			t.Fatalf("not UTF-8: %q %q %q", m.Subject, m.From.Name, m.Text)
		}
		if m.From.Address == "" || !strings.Contains(m.From.Address, "@") {
			t.Fatalf("From %q", m.From.Address)
		}
		for _, a := range m.Attachments {
			if !utf8.ValidString(a.Filename) || strings.ContainsAny(a.Filename, `/\`) {
				t.Fatalf("filename %q", a.Filename)
			}
			if a.Size != int64(len(a.Data)) {
				t.Fatalf("Size %d, %d bytes", a.Size, len(a.Data))
			}
		}
		if strings.Contains(m.Text, "\r") {
			t.Fatalf("CR in text %q", m.Text)
		}
		for what, v := range map[string]string{"Subject": m.Subject, "From name": m.From.Name, "From": m.From.Address, "Message-ID": m.MessageID} {
			if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
				t.Fatalf("control in %s: %q", what, v)
			}
		}
		if strings.ContainsFunc(m.Text, func(r rune) bool { return r < ' ' && r != '\n' && r != '\t' || r == 0x7f }) {
			t.Fatalf("control in text %q", m.Text)
		}
		if utf8.RuneCountInString(m.From.Name) > MaxNameRunes+1 || utf8.RuneCountInString(m.Subject) > MaxSubjectRunes+1 {
			t.Fatalf("name or subject over its bound")
		}
		for _, a := range m.Attachments {
			if len(a.Filename) > MaxFilenameBytes || strings.ContainsFunc(a.Filename, func(r rune) bool { return r < ' ' || r == 0x7f }) {
				t.Fatalf("attachment name %q", a.Filename)
			}
		}
		again, err := Parse(raw)
		if err != nil {
			t.Fatalf("second Parse failed: %v", err)
		}
		if !m.Date.Equal(again.Date) {
			t.Fatalf("Date %v then %v", m.Date, again.Date)
		}
		m.Date = again.Date
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("not deterministic:\n%+v\n%+v", m, again)
		}
	})
}
