package mailparse

import (
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
