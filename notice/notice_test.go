package notice

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/dsrflow/dsrflow/request"
)

// full has every field set, so each kind can render from it.
func full() Data {
	return Data{
		Reference:     "DSR-2025-0042",
		Type:          request.Deletion,
		RequesterName: "张三",
		DueDate:       "2025-07-01",
		NewDueDate:    "2025-07-31",
		Reason:        "需要从三个业务系统的备份中检索数据",
		Explanation:   "相关订单数据须依法保存至 2027 年。",
		DenialReason:  request.TradeSecret,
		Code:          "042917",
		CodeExpires:   "2025-06-01 12:30",
		Summary:       "已删除账户资料与订单记录。",
		Info:          "身份证件正面照片",
		DaysLeft:      3,
		Tenant:        "Acme",
		Problem:       "calendar cn: 2027-01-04 is outside the years it covers (2025-2026)",
		Link:          "https://dsr.example.com/v1/exports/c1?expires=1&sig=x",
		LinkExpires:   "2025-06-08",
		Task:          "task-1",
		Connector:     "billing",
		Operation:     "erase",
		CoolingOffEnd: "2025-06-10",
	}
}

func TestEveryKindRendersInEveryLanguage(t *testing.T) {
	d := full()
	for _, k := range Kinds {
		for _, lang := range request.Languages {
			subject, body, err := Render(k, lang, d)
			if err != nil {
				t.Errorf("%s/%s: %v", k, lang, err)
				continue
			}
			if !strings.Contains(subject, "["+d.Reference+"]") {
				t.Errorf("%s/%s: subject %q lacks [reference]", k, lang, subject)
			}
			if strings.ContainsAny(subject, "\r\n") {
				t.Errorf("%s/%s: subject has a line break", k, lang)
			}
			if slices.Contains(required[k], "Type") && !strings.Contains(body, TypeName(lang, d.Type)) {
				t.Errorf("%s/%s: body does not name the request type", k, lang)
			}
			if strings.Contains(subject+body, "<no value>") {
				t.Errorf("%s/%s: unresolved field in output", k, lang)
			}
			if strings.Contains(body, "\n\n\n") {
				t.Errorf("%s/%s: body has stray blank lines:\n%s", k, lang, body)
			}
		}
	}
}

// A template for another language must not slip in: the Chinese notices
// should read as Chinese and the English ones carry no Chinese boilerplate.
func TestLanguageOfNotices(t *testing.T) {
	d := full()
	d.RequesterName, d.Reason, d.Explanation, d.Summary, d.Info = "Ann", "backups", "kept by law", "done", "an ID"
	for _, k := range Kinds {
		_, zh, err := Render(k, request.Chinese, d)
		if err != nil {
			t.Fatal(err)
		}
		_, en, err := Render(k, request.English, d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.ContainsFunc(zh, isHan) {
			t.Errorf("%s zh-CN has no Chinese", k)
		}
		if strings.ContainsFunc(en, isHan) {
			t.Errorf("%s en contains Chinese:\n%s", k, en)
		}
	}
}

func isHan(r rune) bool { return r >= 0x4E00 && r <= 0x9FFF }

func TestExtensionStatesReasonAndNewDate(t *testing.T) {
	d := full()
	for _, lang := range request.Languages {
		_, body, err := Render(Extension, lang, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{d.Reason, d.NewDueDate, d.DueDate} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: extension body lacks %q:\n%s", lang, want, body)
			}
		}
	}
}

func TestDenialReasonsHaveWords(t *testing.T) {
	d := full()
	for _, lang := range request.Languages {
		seen := map[string]request.DenialReason{}
		for _, r := range request.DenialReasons {
			text := DenialText(lang, r)
			if text == "" {
				t.Errorf("%s: no words for %s", lang, r)
				continue
			}
			if other, dup := seen[text]; dup {
				t.Errorf("%s: %s and %s share the same words", lang, r, other)
			}
			seen[text] = r
			d.DenialReason = r
			_, body, err := Render(Denial, lang, d)
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, r, err)
			}
			if !strings.Contains(body, text) || !strings.Contains(body, d.Explanation) {
				t.Errorf("%s/%s: denial lacks reason or explanation:\n%s", lang, r, body)
			}
		}
	}
	_, zh, _ := Render(Denial, request.Chinese, d)
	_, en, _ := Render(Denial, request.English, d)
	if !strings.Contains(zh, "投诉") || !strings.Contains(zh, "个人信息保护负责人") {
		t.Errorf("zh-CN denial does not tell the requester how to complain:\n%s", zh)
	}
	if !strings.Contains(en, "complaint") || !strings.Contains(en, "data protection officer") {
		t.Errorf("en denial does not tell the requester how to complain:\n%s", en)
	}
}

func TestTypesHaveWords(t *testing.T) {
	for _, lang := range request.Languages {
		for _, ty := range request.Types {
			if TypeName(lang, ty) == "" {
				t.Errorf("%s: no words for %s", lang, ty)
			}
		}
	}
}

func TestMissingFields(t *testing.T) {
	tests := []struct {
		kind  Kind
		clear func(*Data)
		field string
	}{
		{Acknowledgement, func(d *Data) { d.Reference = "" }, "Reference"},
		{Acknowledgement, func(d *Data) { d.Type = "" }, "Type"},
		{VerificationCode, func(d *Data) { d.Code = "" }, "Code"},
		{VerificationCode, func(d *Data) { d.CodeExpires = "" }, "CodeExpires"},
		{Extension, func(d *Data) { d.Reason = "" }, "Reason"},
		{Extension, func(d *Data) { d.NewDueDate = "" }, "NewDueDate"},
		{Denial, func(d *Data) { d.DenialReason = "" }, "DenialReason"},
		{Denial, func(d *Data) { d.DenialReason = "because" }, "DenialReason"},
		{Denial, func(d *Data) { d.Explanation = "" }, "Explanation"},
		{IdentityUnverified, func(d *Data) { d.Type = "" }, "Type"},
		{InfoRequest, func(d *Data) { d.Info = "" }, "Info"},
		{Completion, func(d *Data) { d.Summary = "" }, "Summary"},
		{Withdrawn, func(d *Data) { d.Type = "erasure" }, "Type"},
		{Reminder, func(d *Data) { d.DaysLeft = -1 }, "DaysLeft"},
		{Overdue, func(d *Data) { d.DueDate = "" }, "DueDate"},
		{DeadlineUnknown, func(d *Data) { d.Problem = " " }, "Problem"},
	}
	for _, tt := range tests {
		d := full()
		tt.clear(&d)
		for _, lang := range request.Languages {
			_, _, err := Render(tt.kind, lang, d)
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("%s/%s without %s: err = %v", tt.kind, lang, tt.field, err)
			}
		}
	}
}

func TestReferenceWithLineBreak(t *testing.T) {
	d := full()
	d.Reference = "DSR-1\r\nBcc: x@example.com"
	if _, _, err := Render(Acknowledgement, request.English, d); err == nil {
		t.Fatal("want error for a reference with a line break")
	}
}

func TestUnknownKindOrLanguage(t *testing.T) {
	if _, _, err := Render("common", request.English, full()); err == nil {
		t.Error("unknown kind: want error")
	}
	if _, _, err := Render(Acknowledgement, "fr", full()); err == nil {
		t.Error("unknown language: want error")
	}
}

func TestOptionalFields(t *testing.T) {
	d := Data{Reference: "R-1", Type: request.Access, DueDate: "2025-07-01"}
	_, zh, err := Render(Acknowledgement, request.Chinese, d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(zh, "您好：") {
		t.Errorf("anonymous greeting: got %q", strings.SplitN(zh, "\n", 2)[0])
	}
	_, en, err := Render(Acknowledgement, request.English, d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(en, "Hello,") || !strings.Contains(en, "The privacy team") {
		t.Errorf("anonymous English acknowledgement:\n%s", en)
	}
}

func TestReminderAndOverdueDays(t *testing.T) {
	d := full()
	for days, want := range map[int]string{0: "due today", 1: "in 1 day ", 5: "in 5 days"} {
		d.DaysLeft = days
		s, _, err := Render(Reminder, request.English, d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(s, want) {
			t.Errorf("DaysLeft %d: subject %q lacks %q", days, s, want)
		}
	}
	d.DaysLeft = -4
	_, body, err := Render(Overdue, request.Chinese, d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "已超期 4 天") {
		t.Errorf("overdue body lacks days overdue:\n%s", body)
	}
	if strings.Contains(body, d.RequesterName) {
		t.Error("staff notice names the requester")
	}
}

// Every kind in every language has its own template, and every template
// file belongs to a kind or is shared.
func TestTemplateFiles(t *testing.T) {
	for _, k := range Kinds {
		for _, lang := range request.Languages {
			name := fmt.Sprintf("%s.%s.tmpl", k, lang)
			tm := templates.Lookup(name)
			if tm == nil {
				t.Errorf("missing template %s", name)
				continue
			}
			if tm.Tree == nil || len(tm.Tree.Root.Nodes) == 0 || tm.Tree.Root.Nodes[0].Type() != parse.NodeText {
				t.Errorf("%s does not start with text", name)
			}
		}
	}
}

func TestMessageID(t *testing.T) {
	a := MessageID("case-1", "extension", "mail.example.com")
	if a != MessageID("case-1", "extension", "mail.example.com") {
		t.Fatal("MessageID is not stable")
	}
	if !strings.HasPrefix(a, "<") || !strings.HasSuffix(a, "@mail.example.com>") {
		t.Fatalf("MessageID %q is not <id@domain>", a)
	}
	for _, other := range []string{
		MessageID("case-1", "denial", "mail.example.com"),
		MessageID("case-2", "extension", "mail.example.com"),
		MessageID("case-1e", "xtension", "mail.example.com"),
	} {
		if other[:strings.Index(other, "@")] == a[:strings.Index(a, "@")] {
			t.Errorf("%s collides with %s", other, a)
		}
	}
	if strings.Contains(a, "case-1") {
		t.Error("MessageID exposes the case ID")
	}
	if got := MessageID("c", "k", ""); !strings.HasSuffix(got, "@dsrflow.invalid>") {
		t.Errorf("empty domain: %q", got)
	}
	if got := MessageID("c", "k", "a b>"); !strings.HasSuffix(got, "@dsrflow.invalid>") {
		t.Errorf("bad domain: %q", got)
	}
}

// A policy whose clock starts on verification has no due date yet when the
// request is acknowledged; the notice says when the clock starts instead.
func TestAcknowledgementBeforeClockStarts(t *testing.T) {
	d := full()
	d.DueDate = ""
	want := map[request.Language]string{request.English: "once we have verified your identity", request.Chinese: "身份核实完成之日起计算"}
	for lang, phrase := range want {
		_, body, err := Render(Acknowledgement, lang, d)
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		if !strings.Contains(body, phrase) {
			t.Errorf("%s acknowledgement without a due date does not say when the clock starts:\n%s", lang, body)
		}
	}
}

func TestRenderSMS(t *testing.T) {
	d := full()
	for _, lang := range request.Languages {
		text, err := RenderSMS(VerificationCode, lang, d)
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		for _, want := range []string{d.Code, d.Reference, d.CodeExpires, d.Tenant} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: text %q lacks %q", lang, text, want)
			}
		}
		// One SMS holds 70 UCS-2 characters; a code text may use up to
		// three segments, no more.
		if n := len([]rune(text)); n > 3*67 {
			t.Errorf("%s: text is %d characters, too long for three segments", lang, n)
		}
	}
	if _, err := RenderSMS(Extension, request.English, d); err == nil {
		t.Error("an extension notice rendered as a text message")
	}
	d.Code = ""
	if _, err := RenderSMS(VerificationCode, request.English, d); err == nil || !strings.Contains(err.Error(), "Code") {
		t.Errorf("text without a code: err = %v", err)
	}
}
