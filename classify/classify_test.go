package classify

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/mailparse"
	"github.com/dsrflow/dsrflow/request"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name, subject, body string
		want                request.Type // "" when it must stay below Threshold
		matched             []string
	}{
		{"zh deletion", "请删除我的个人信息", "谢谢", request.Deletion, []string{"删除"}},
		{"en deletion in body", "", "Please delete everything you have on me.", request.Deletion, []string{"delet*"}},
		{"delete my account is a cancellation", "Delete my account", "Please delete my account.",
			request.AccountCancellation, []string{"delete my account"}},
		{"删除我的账号 is a cancellation", "", "请删除我的账号。", request.AccountCancellation, []string{"删除…账号"}},
		{"traditional characters", "申請註銷帳號", "", request.AccountCancellation, []string{"注销"}},
		{"traditional deletion", "", "請刪除我的個人資料", request.Deletion, []string{"删除"}},
		{"full-width English", "ＤＥＬＥＴＥ ｍｙ ｄａｔａ", "", request.Deletion, []string{"delet*"}},
		{"English inside Chinese", "", "请delete我的数据", request.Deletion, []string{"delet*"}},
		{"stem", "Rectification", "", request.Correction, []string{"rectif*"}},
		{"gap phrase", "", "我拒绝接收任何营销短信", request.Objection, []string{"拒绝…营销"}},
		{"gap too wide", "", "我拒绝了你们昨天打来的电话，但是我喜欢营销", "", nil},
		{"complaint stem", "Complaining", "I complain.", request.Complaint, []string{"complain*"}},
		{"consent", "", "I withdraw my consent.", request.ConsentWithdrawal, []string{"withdraw my consent"}},
		{"phrase wrapped over lines", "", "I want to withdraw\nmy consent now", request.ConsentWithdrawal, []string{"withdraw my consent"}},
		{"Chinese wrapped over lines", "", "请撤回\n同意", request.ConsentWithdrawal, []string{"撤回同意"}},
		{"unsubscribe alone is weak", "", "unsubscribe", "", []string{"unsubscribe"}},
		{"one weak word", "", "我想查询订单", "", []string{"查询"}},
		{"two types equally", "", "Please delete my data and give me a copy of my data.", "", nil},
		{"word boundary", "", "Sarah undeleted the sarcasm in the objectives", "", nil},
		{"Hong Kong SAR is no request", "", "Flat 1, Central, Hong Kong SAR", "", nil},
		{"login trouble is no access request", "", "I cannot access my account", "", nil},
		{"nothing", "Hello", "How are you?", "", nil},
		{"reply subject alone", "Re: We have received your deletion request", "Thanks!", "", nil},
		{"forward subject alone", "Fwd: 删除请求", "", "", nil},
		{"reply subject confirms", "Re: delete my data", "Yes, please delete it.", request.Deletion, []string{"delet*"}},
		{"reply that asks anew", "回复：我们已收到您的访问请求", "另外，请删除我的手机号码。", request.Deletion, []string{"删除"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Classify(c.subject, c.body)
			got := r.Type
			if r.Confidence < Threshold {
				got = ""
			}
			if got != c.want {
				t.Errorf("Classify = %+v, want %q", r, c.want)
			}
			if c.matched != nil && !slices.Equal(r.Matched, c.matched) {
				t.Errorf("Matched = %q, want %q", r.Matched, c.matched)
			}
		})
	}
}

func TestConfidence(t *testing.T) {
	for _, c := range []struct {
		subject, body string
		want          float64
	}{
		{"", "", 0},
		{"", "我想查询", 1 / 2.5},          // weak body word
		{"", "请删除", 3 / 4.5},           // strong body word
		{"删除", "", 6 / 7.5},            // strong subject word
		{"删除", "删除", 9 / 10.5},         // counted once per field
		{"", "删除 删除 删除", 3 / 4.5},      // repeats add nothing
		{"", "请删除，并提供副本", 0},           // strong against strong
		{"", "请删除，查阅", (3 - 2) / 4.5},  // strong against medium
		{"Re: 删除", "", 0},              // a reply subject alone counts nothing
		{"Re: 删除", "删除", 6 / 7.5},      // but confirms the body
		{"删除", "> 投诉 quoted", 6 / 7.5}, // quoted lines count nothing
	} {
		r := Classify(c.subject, c.body)
		if math.Abs(r.Confidence-c.want) > 1e-9 {
			t.Errorf("Classify(%q, %q).Confidence = %v, want %v (%+v)", c.subject, c.body, r.Confidence, c.want, r)
		}
	}
	if r := Classify("", ""); r.Type != "" || r.Matched != nil {
		t.Errorf("empty message: %+v", r)
	}
}

func TestQuotedTextIgnored(t *testing.T) {
	for name, body := range map[string]string{
		"> lines":  "Thanks.\n> Please delete my data\n>> erase everything",
		"On wrote": "Thanks.\n\nOn Mon, 2 Jun 2025, DPO <dpo@example.com> wrote:\nWe received your deletion request.",
		"On wrote wrapped": "Thanks.\n\nOn Mon, 2 Jun 2025 at 10:00, DPO Team <\ndpo@example.com> wrote:\n" +
			"We received your deletion request.",
		"写道":               "好的。\n\n在 2025年6月2日周一 10:00，DPO 团队 <dpo@example.com> 写道：\n我们已收到您的删除请求。",
		"Original Message": "OK\n-----Original Message-----\nWe received your deletion request.",
		"原始邮件":             "好的\n------------------ 原始邮件 ------------------\n我们已收到您的删除请求。",
		"原始郵件 (Big5)":      "好的\n-----原始郵件-----\n我們已收到您的刪除請求。",
		"发件人 block":        "好的\n\n发件人：DPO 团队\n我们已收到您的删除请求。",
		"Outlook From block": "OK\n________________________________\nFrom: DPO <dpo@example.com>\nSent: Monday\nTo: me\n" +
			"Subject: deletion\nWe received your deletion request.",
		"signature": "Thanks\n-- \nAcme Corp | delete this e-mail if you are not the addressee",
	} {
		if r := Classify("", body); r.Type != "" {
			t.Errorf("%s: classified %+v", name, r)
		}
	}
	// A "From:" line the sender wrote, with no header fields after it, is
	// not a quote.
	if r := Classify("", "From: me, please delete my data.\nThanks"); r.Type != request.Deletion {
		t.Errorf("From: line cut the text: %+v", r)
	}
}

// TestCorpus checks the classification expectations of the mailparse
// corpus: every message Parse accepts is classified as expected.json says.
func TestCorpus(t *testing.T) {
	dir := filepath.Join("..", "mailparse", "testdata", "corpus")
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]struct {
		Error      bool    `json:"error"`
		Type       *string `json:"type"`
		Classified *bool   `json:"classified"`
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	classified := 0
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			e, ok := exp[name]
			if !ok {
				t.Fatal("no expectation in expected.json")
			}
			if e.Error {
				return
			}
			if e.Type == nil || e.Classified == nil {
				t.Fatal("expectation has no type or classified")
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := mailparse.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			r := Classify(m.Subject, m.Text)
			got := r.Type
			if r.Confidence < Threshold {
				got = ""
			}
			if string(got) != *e.Type || (r.Confidence >= Threshold) != *e.Classified {
				t.Errorf("Classify = %+v, want type %q classified %v", r, *e.Type, *e.Classified)
			}
			if *e.Classified {
				classified++
			}
		})
	}
	// Every type must be recognised in both languages somewhere in it.
	if classified < 2*len(request.Types) {
		t.Errorf("only %d corpus messages are classified", classified)
	}
}

func TestKeywords(t *testing.T) {
	for _, k := range keywords {
		if k.term != fold(k.term) && !strings.Contains(k.term, "…") {
			t.Errorf("keyword %q is not folded", k.term)
		}
		if k.typ != "" && !slices.Contains(request.Types, k.typ) {
			t.Errorf("keyword %q has unknown type %q", k.term, k.typ)
		}
		if k.typ != "" && k.weight <= 0 || k.typ == "" && k.weight != 0 {
			t.Errorf("keyword %q weight %v", k.term, k.weight)
		}
	}
	for _, typ := range request.Types {
		zh, en := false, false
		for _, k := range keywords {
			if k.typ == typ && k.weight == strong {
				zh = zh || k.term[0] >= 0x80
				en = en || k.term[0] < 0x80
			}
		}
		if !zh || !en {
			t.Errorf("%s lacks a strong keyword in Chinese (%v) or English (%v)", typ, zh, en)
		}
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("请删除我的账号", "> 投诉\n删除")
	f.Add("Re: delete my account", "On x wrote:\nerase")
	f.Add("拒绝", "营销拒绝…营销")
	f.Add("\xff\xfe", "ＤＥＬＥＴＥ\u200b删\n除")
	f.Fuzz(func(t *testing.T, subject, body string) {
		r := Classify(subject, body)
		if !(r.Confidence >= 0 && r.Confidence <= 1) {
			t.Fatalf("Confidence %v", r.Confidence)
		}
		if r.Type == "" && (r.Confidence != 0 || r.Matched != nil) {
			t.Fatalf("no type but %+v", r)
		}
		if r.Type != "" && (!slices.Contains(request.Types, r.Type) || len(r.Matched) == 0) {
			t.Fatalf("type without evidence: %+v", r)
		}
	})
}

func TestOwnWords(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"own words only":  {"我的验证码是 123456", "我的验证码是 123456"},
		"full-width code": {"验证码 １２３４５６", "验证码 123456"},
		"quoted lines":    {"my code is 123456\n> your code: 654321", "my code is 123456"},
		"english client":  {"here: 123456\n\nOn Mon, 23 Nov 2026 at 10:00, DPO <dpo@shop.example> wrote:\nyour code 654321", "here: 123456"},
		"chinese client":  {"验证码 123456\n\n-----原始邮件-----\n发件人: dpo@shop.example\n您的验证码 654321", "验证码 123456"},
		"outlook":         {"123456\r\nFrom: DPO\r\nSent: Monday\r\n654321", "123456"},
		"only a quote":    {"> 654321", ""},
	} {
		if got := OwnWords(tc.in); got != tc.want {
			t.Errorf("%s: OwnWords = %q, want %q", name, got, tc.want)
		}
	}
}
