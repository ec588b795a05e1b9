package notice

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A notice that promises something is a promise the engine must keep. Every
// sentence of a template that promises an action ("we will…", "reply…",
// "我们将…", "回复…") is listed here with the test that proves the engine
// keeps it. A template that gains a promise without an entry fails, and so
// does an entry whose test does not exist.
var promises = []struct {
	template string // the template's kind, both languages
	says     string // a part of the promising sentence, as the template writes it
	proof    string // the test that shows it kept
}{
	{"acknowledgement", "We will respond by", "TestRemindersAndBreach"},
	{"acknowledgement", "我们将在", "TestRemindersAndBreach"},
	{"acknowledgement", "we will tell you the date then", "TestIdentityVerifiedTellsTheDate"},
	{"acknowledgement", "届时我们会告知您具体日期", "TestIdentityVerifiedTellsTheDate"},
	{"acknowledgement", "we will contact you", "TestStopTheClock"},
	{"acknowledgement", "我们会另行联系您", "TestStopTheClock"},
	{"acknowledgement", "we will tell you why and by when", "TestExtensionRules"},
	{"message_received", "We will respond by", "TestRemindersAndBreach"},
	{"message_received", "我们将在", "TestRemindersAndBreach"},
	{"message_received", "We will tell you the date", "TestIdentityVerifiedTellsTheDate"},
	{"message_received", "核实您的身份后，我们会告知您答复期限", "TestIdentityVerifiedTellsTheDate"},
	{"identity_verified", "We will respond by", "TestRemindersAndBreach"},
	{"identity_verified", "我们将在", "TestRemindersAndBreach"},
	{"identity_verified", "we will tell you why and by when", "TestExtensionRules"},
	{"identity_verified", "我们会在期限届满前告知您延期的理由", "TestExtensionRules"},
	{"extension", "We will respond by the new due date", "TestRemindersAndBreach"},
	{"extension", "我们将在新的期限前答复您", "TestRemindersAndBreach"},
	{"extension", "reply to this message", "TestReplyReachesTheCase"},
	{"extension", "回复本邮件", "TestReplyReachesTheCase"},
	{"cancellation_confirm", `replying to this message with "confirm"`, "TestReplyConfirmsCancellation"},
	{"cancellation_confirm", "请回复本邮件“确认”", "TestReplyConfirmsCancellation"},
	{"cancellation_confirm", "we will tell you when it ends", "TestCoolingOffIsTold"},
	{"cancellation_confirm", "我们会告知冷静期的截止时间", "TestCoolingOffIsTold"},
	{"cancellation_obstacles", "we will check again (at the latest the next day)", "TestAYearOfRechecksIsBounded"},
	{"cancellation_obstacles", "我们将重新核查（最迟次日）", "TestAYearOfRechecksIsBounded"},
	{"cancellation_obstacles", "reply to this message", "TestReplyReachesTheCase"},
	{"cancellation_obstacles", "回复本邮件", "TestReplyReachesTheCase"},
	{"completion", "reply to this message to reach our data protection officer", "TestReplyReachesTheCase"},
	{"completion", "回复本邮件联系我们的个人信息保护负责人", "TestReplyReachesTheCase"},
	{"cooling_off_started", "withdraw the request by replying to this message", "TestReplyRevokesCancellation"},
	{"cooling_off_started", "您仍可回复本邮件或通过客服撤回请求", "TestReplyRevokesCancellation"},
	{"cooling_off_started", "When the period ends we cancel your account and tell you so", "TestCoolingOffIsTold"},
	{"cooling_off_started", "冷静期结束后，我们将注销您的账户并通知您", "TestCoolingOffIsTold"},
	{"export_ready", "reply to this message and we will send a new one", "TestFulfilAccessEndToEnd"},
	{"export_ready", "请回复本邮件，我们将重新发送", "TestFulfilAccessEndToEnd"},
	{"info_request", "Please reply to this message with the information", "TestReplyReachesTheCase"},
	{"info_request", "We will continue with your request once we have it", "TestReplyReachesTheCase"},
	{"info_request", "请直接回复本邮件提供上述信息", "TestReplyReachesTheCase"},
	{"withdrawn", "we will take no further action on it", "TestAccountCancellationRevoked"},
	{"withdrawn", "我们将不再处理", "TestAccountCancellationRevoked"},
	{"withdrawn", "please reply to this message as soon as possible", "TestReplyReachesTheCase"},
	{"withdrawn", "请尽快回复本邮件", "TestReplyReachesTheCase"},
}

var promising = regexp.MustCompile(`(?i)\bwe will\b|\bwe'll\b|\brepl(y|ying)\b|我们将|我们会|回复`)

func TestEveryPromiseIsListedAndProved(t *testing.T) {
	names, err := fs.Glob(files, "templates/*.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		base := filepath.Base(name)
		kind := strings.SplitN(base, ".", 2)[0]
		if kind == "common" {
			continue
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		body := string(b)
		if i := strings.Index(body, "\n"); strings.HasPrefix(body, "Subject:") && i >= 0 {
			body = body[i+1:]
		}
		for _, sentence := range regexp.MustCompile(`[^.。!！?？]+[.。!！?？]?`).FindAllString(body, -1) {
			if !promising.MatchString(sentence) {
				continue
			}
			listed := false
			for _, p := range promises {
				if p.template == kind && strings.Contains(sentence, p.says) {
					listed = true
				}
			}
			if !listed {
				t.Errorf("%s promises %q without an entry in promises: add it with the test that proves it kept", base, strings.TrimSpace(sentence))
			}
		}
	}

	tests := testNames(t)
	for _, p := range promises {
		if !tests[p.proof] {
			t.Errorf("%s: %q is said to be proved by %s, which does not exist", p.template, p.says, p.proof)
		}
	}
}

// testNames lists the test functions of the whole module.
func testNames(t *testing.T) map[string]bool {
	t.Helper()
	decl := regexp.MustCompile(`(?m)^func (Test\w+)\(`)
	names := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "data") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
			names[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
