package mailparse

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const corpusDir = "testdata/corpus"

// expectation is what expected.json says about one corpus message. type and
// classified are checked by package classify.
type expectation struct {
	Error        bool     `json:"error"`
	Subject      string   `json:"subject"`
	From         string   `json:"from"`
	FromName     *string  `json:"from_name"`
	To           []string `json:"to"`
	MessageID    *string  `json:"message_id"`
	InReplyTo    []string `json:"in_reply_to"`
	References   []string `json:"references"`
	Date         string   `json:"date"`
	TextContains []string `json:"text_contains"`
	TextExcludes []string `json:"text_excludes"`
	// TextEmpty says the message has no text Parse could read: its only
	// text part is kept as an attachment.
	TextEmpty   bool `json:"text_empty"`
	Attachments []struct {
		Filename    string `json:"filename"`
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
	} `json:"attachments"`
	Auto       string `json:"auto"`
	Type       string `json:"type"`
	Classified bool   `json:"classified"`
}

func readCorpus(t testing.TB) (map[string]expectation, []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var exp map[string]expectation
	if err := dec.Decode(&exp); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 32 {
		t.Fatalf("corpus has %d messages, want at least 32", len(files))
	}
	return exp, files
}

func TestCorpus(t *testing.T) {
	exp, files := readCorpus(t)
	seen := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			e, ok := exp[name]
			if !ok {
				t.Fatal("no expectation in expected.json")
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(raw)
			if e.Error {
				if err == nil {
					t.Fatalf("accepted a message it must refuse: %+v", m)
				}
				if !errors.Is(err, ErrUnreadable) {
					t.Fatalf("error %v does not wrap ErrUnreadable", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkMessage(t, m, e)
		})
	}
	for name := range exp {
		if !seen[name] {
			t.Errorf("expected.json has %s, which is not in the corpus", name)
		}
	}
}

func checkMessage(t *testing.T, m *Message, e expectation) {
	t.Helper()
	if m.Subject != e.Subject {
		t.Errorf("Subject = %q, want %q", m.Subject, e.Subject)
	}
	if m.From.Address != e.From {
		t.Errorf("From = %q, want %q", m.From.Address, e.From)
	}
	if e.FromName != nil && m.From.Name != *e.FromName {
		t.Errorf("From name = %q, want %q", m.From.Name, *e.FromName)
	}
	if e.To != nil {
		var to []string
		for _, a := range m.To {
			to = append(to, a.Address)
		}
		if !slices.Equal(to, e.To) {
			t.Errorf("To = %q, want %q", to, e.To)
		}
	}
	if e.MessageID != nil && m.MessageID != *e.MessageID {
		t.Errorf("MessageID = %q, want %q", m.MessageID, *e.MessageID)
	}
	if e.InReplyTo != nil && !slices.Equal(m.InReplyTo, e.InReplyTo) {
		t.Errorf("InReplyTo = %q, want %q", m.InReplyTo, e.InReplyTo)
	}
	if e.References != nil && !slices.Equal(m.References, e.References) {
		t.Errorf("References = %q, want %q", m.References, e.References)
	}
	if e.Date != "" {
		want, err := time.Parse(time.RFC3339, e.Date)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Date.Equal(want) {
			t.Errorf("Date = %v, want %v", m.Date, want)
		}
	}
	if e.TextEmpty && m.Text != "" {
		t.Errorf("Text = %q, want none", m.Text)
	}
	if len(e.TextContains) == 0 && !e.TextEmpty {
		t.Error("expectation checks nothing of the text")
	}
	for _, s := range e.TextContains {
		if !strings.Contains(m.Text, s) {
			t.Errorf("Text does not contain %q:\n%s", s, m.Text)
		}
	}
	for _, s := range e.TextExcludes {
		if strings.Contains(m.Text, s) {
			t.Errorf("Text contains %q:\n%s", s, m.Text)
		}
	}
	if strings.Contains(m.Text, "\r") || m.Text != strings.TrimSpace(m.Text) {
		t.Errorf("Text not normalised: %q", m.Text)
	}
	if len(m.Attachments) != len(e.Attachments) {
		t.Fatalf("%d attachments, want %d", len(m.Attachments), len(e.Attachments))
	}
	for i, a := range m.Attachments {
		w := e.Attachments[i]
		if a.Filename != w.Filename || a.ContentType != w.ContentType || a.Size != w.Size {
			t.Errorf("attachment %d = %q %q %d, want %q %q %d", i, a.Filename, a.ContentType, a.Size,
				w.Filename, w.ContentType, w.Size)
		}
		if int64(len(a.Data)) != a.Size {
			t.Errorf("attachment %d: Size %d but %d bytes of data", i, a.Size, len(a.Data))
		}
	}
	if m.Auto != e.Auto {
		t.Errorf("Auto = %q, want %q", m.Auto, e.Auto)
	}
}

// TestCorpusAttachmentData checks the decoded bytes, not only their count,
// against what the corpus generator encoded.
func TestCorpusAttachmentData(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(corpusDir, "10-cancellation-en-mixed-pdf.eml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 || !bytes.HasPrefix(m.Attachments[0].Data, []byte("%PDF-1.4\n")) ||
		!bytes.HasSuffix(m.Attachments[0].Data, []byte("%%EOF\n")) {
		t.Errorf("PDF not decoded: %+v", m.Attachments)
	}
	raw, err = os.ReadFile(filepath.Join(corpusDir, "11-consent-zh-nested-jpeg.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if m, err = Parse(raw); err != nil {
		t.Fatal(err)
	}
	d := m.Attachments[0].Data
	if len(d) < 4 || !bytes.Equal(d[:3], []byte{0xFF, 0xD8, 0xFF}) || !bytes.Equal(d[len(d)-2:], []byte{0xFF, 0xD9}) {
		t.Errorf("JPEG not decoded: % x", d)
	}
}
