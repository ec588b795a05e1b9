package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/dsrflow/dsrflow/store/storetest"
)

// chromium finds a headless-capable Chromium: $DSR_CHROMIUM, else Debian's
// package. Without one the console test fails under CI (a browser test
// that silently skipped would prove nothing) and skips loudly elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("DSR_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "no Chromium found (apt-get install -y chromium, or set DSR_CHROMIUM)"
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; failing because CI is set", msg)
	}
	fmt.Fprintf(os.Stderr, "\n*** %s: SKIPPING THE CONSOLE BROWSER TEST\n\n", msg)
	t.Skip(msg)
	return ""
}

// artifactsDir is where the browser tests leave screenshots: $DSR_ARTIFACTS,
// else cmd/dsr/testdata/artifacts, which keeps itself out of git.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DSR_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ignore := filepath.Join(dir, ".gitignore")
	if _, err := os.Stat(ignore); os.IsNotExist(err) && os.Getenv("DSR_ARTIFACTS") == "" {
		if err := os.WriteFile(ignore, []byte("*\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// browser starts headless Chromium with a fresh profile. The flags keep it
// from reaching out (updates, sync, QUIC), which a closed network refuses
// slowly.
func browser(t *testing.T) context.Context {
	t.Helper()
	// Not t.TempDir: its removal fails the test when Chromium's helpers
	// still write to the profile for a moment after the browser exits.
	profile, err := os.MkdirTemp("", "dsr-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1400, 1000),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		for try := 0; ; try++ {
			err := os.RemoveAll(profile)
			if err == nil {
				return
			}
			if try == 50 {
				t.Logf("remove the Chromium profile: %v", err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// browse runs browser steps, failing the test with what step failed. After
// an action, wait for #done[data-action=…]: a bare #done may still be the
// previous action's, on the page being left.
func browse(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	var png []byte
	browse(t, ctx, "screenshot "+name, chromedp.FullScreenshot(&png, 100)) // quality 100 is PNG
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// The console in a real browser against `dsr dev`: a DPO signs in, takes a
// request by phone, verifies the caller, extends with a reason (after the
// validator refused one without), completes it, and reads it all back in
// the timeline, in both languages.
func TestConsoleInBrowser(t *testing.T) {
	needTemporal(t)
	ctx := browser(t)
	shots := artifactsDir(t)
	e := startDev(t, t.TempDir(), storetest.PostgresURL(t))
	key := e.apiKey("--role", "dpo", "--tenant", "shop", "--name", "dpo-office")

	// Some other work in the queue, opened through the API.
	for _, body := range []string{
		`{"tenant":"shop","type":"deletion","channel":"email","policy_id":"gdpr","requester":{"name":"Jane Roe","email":"jane@example.test"}}`,
		`{"tenant":"shop","type":"portability","channel":"portal","policy_id":"ccpa","requester":{"name":"John Doe","email":"john@example.test"}}`,
	} {
		expect(t, "open a case", e.as(key, "POST", "/v1/requests", body), 201)
	}

	console := e.base + "/console/"
	var text string
	browse(t, ctx, "sign in",
		chromedp.Navigate(console),
		chromedp.WaitVisible(`#signin`),
		chromedp.SendKeys(`#key`, key),
		chromedp.SendKeys(`#actor`, "Wang Fang"),
		chromedp.Submit(`#signin`),
		chromedp.WaitVisible(`#queue`),
		chromedp.Text(`header.top .who`, &text),
	)
	if !strings.Contains(text, "dpo-office") || !strings.Contains(text, "Wang Fang") {
		t.Errorf("signed in as %q", text)
	}

	// A phone request: the script narrows the policies to the jurisdiction
	// and shows the deadline before the case is opened.
	var policyID, due string
	browse(t, ctx, "fill the new request form",
		chromedp.Navigate(console+"new"),
		chromedp.WaitVisible(`#new-request`),
		chromedp.SetValue(`#jurisdiction`, "eu"),
		chromedp.Evaluate(`document.getElementById("jurisdiction").dispatchEvent(new Event("change"))`, nil),
		chromedp.SetValue(`#type`, "access"),
		chromedp.SetValue(`#channel`, "phone"),
		chromedp.SendKeys(`#name`, "张伟"),
		chromedp.SendKeys(`#phone`, "+86 139 0000 0002"),
		chromedp.SetValue(`#language`, "zh-CN"),
		chromedp.SendKeys(`#details`, "Called the hotline asking for a copy of his order history"),
		chromedp.WaitVisible(`#deadline .due`),
		chromedp.Value(`#policy`, &policyID),
		chromedp.Text(`#deadline .due`, &due),
	)
	if policyID != "gdpr" {
		t.Errorf("policy for the EU is %q, want gdpr", policyID)
	}
	if _, err := time.Parse("2006-01-02", strings.TrimSpace(due)); err != nil {
		t.Errorf("deadline preview shows %q", due)
	}
	screenshot(t, ctx, shots, "console-new-request.png")

	var status, ref string
	browse(t, ctx, "open the case",
		chromedp.Click(`#open-button`),
		chromedp.WaitVisible(`#case-status`),
		chromedp.Text(`#case-status`, &status),
		chromedp.Text(`.case-head h1`, &ref),
	)
	if status != "Pending verification" {
		t.Fatalf("new phone case is %q", status)
	}
	ref = strings.Fields(ref)[0]
	var caseURL string
	browse(t, ctx, "case URL", chromedp.Location(&caseURL))
	caseURL, _, _ = strings.Cut(caseURL, "?") // without the "opened" message

	browse(t, ctx, "the queue shows the case",
		chromedp.Navigate(console),
		chromedp.WaitVisible(`#queue`),
		chromedp.Text(`#queue`, &text),
	)
	if !strings.Contains(text, ref) || !strings.Contains(text, "张伟") || !strings.Contains(text, "Phone") {
		t.Errorf("queue lacks the phone case %s:\n%s", ref, text)
	}
	screenshot(t, ctx, shots, "console-queue.png")

	browse(t, ctx, "verify by staff",
		chromedp.Navigate(caseURL),
		chromedp.WaitVisible(`#act-verify`),
		chromedp.SendKeys(`#act-verify textarea[name=note]`, "Called back on the number on file; confirmed the last order"),
		chromedp.Submit(`#act-verify`),
		chromedp.WaitVisible(`#done[data-action="verify"]`, chromedp.ByQuery),
		chromedp.Text(`#case-status`, &status),
	)
	if status != "In progress" {
		t.Fatalf("after verification the case is %q", status)
	}

	// The validator refuses an extension without a reason; the console says
	// why next to the form.
	browse(t, ctx, "extend without a reason",
		chromedp.Submit(`#act-extend`),
		chromedp.WaitVisible(`#act-extend .problem`),
		chromedp.Text(`#act-extend .problem`, &text),
	)
	if !strings.Contains(text, "The case refused this action") || !strings.Contains(text, "an extension needs a reason") {
		t.Errorf("refusal reads %q", text)
	}
	reason := "The order history sits in three systems"
	browse(t, ctx, "extend with a reason",
		chromedp.SendKeys(`#act-extend textarea[name=reason]`, reason),
		chromedp.Submit(`#act-extend`),
		chromedp.WaitVisible(`#done[data-action="extend"]`, chromedp.ByQuery),
		chromedp.Text(`#extensions`, &text),
	)
	if !strings.Contains(text, reason) || !strings.Contains(text, "Wang Fang via key:dpo-office") {
		t.Errorf("extensions read %q", text)
	}

	screenshot(t, ctx, shots, "console-case-in-progress.png")

	browse(t, ctx, "complete",
		chromedp.SendKeys(`#act-complete textarea[name=summary]`, "Order history sent by post"),
		chromedp.Submit(`#act-complete`),
		chromedp.WaitVisible(`#done[data-action="complete"]`, chromedp.ByQuery),
		chromedp.Text(`#case-status`, &status),
	)
	if status != "Completed" {
		t.Fatalf("after completion the case is %q", status)
	}

	// The trail is written by the worker as it goes: reload until it holds
	// the whole story.
	want := []string{"case.opened", "case.verified", "case.extended", "case.completed"}
	var kinds []string
	for deadline := time.Now().Add(30 * time.Second); ; {
		kinds = nil
		browse(t, ctx, "read the timeline",
			chromedp.Navigate(caseURL),
			chromedp.WaitVisible(`#timeline`),
			chromedp.Evaluate(`Array.from(document.querySelectorAll("#timeline li.ev")).map(li => li.dataset.kind)`, &kinds),
		)
		if inOrder(kinds, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !inOrder(kinds, want) {
		t.Fatalf("timeline %v lacks %v in order", kinds, want)
	}
	browse(t, ctx, "timeline text", chromedp.Text(`#timeline`, &text))
	for _, w := range []string{"Identity verified", "Deadline extended", reason, "Completed", "Wang Fang via key:dpo-office"} {
		if !strings.Contains(text, w) {
			t.Errorf("timeline lacks %q", w)
		}
	}
	screenshot(t, ctx, shots, "console-case.png")

	// The language switch: the same case in Chinese.
	browse(t, ctx, "switch to Chinese",
		chromedp.Click(`#lang-switch`),
		chromedp.WaitVisible(`#timeline`),
		chromedp.Text(`#case-status`, &status),
		chromedp.Text(`#timeline`, &text),
	)
	if status != "已完成" || !strings.Contains(text, "期限已延长") {
		t.Errorf("in Chinese: status %q, timeline %q", status, text)
	}
	screenshot(t, ctx, shots, "console-case-zh.png")
	browse(t, ctx, "queue in Chinese", chromedp.Navigate(console+"?status=any"), chromedp.WaitVisible(`#queue`))
	screenshot(t, ctx, shots, "console-queue-zh.png")

	// Sign-out ends the session on the server: a copy of the cookie taken
	// before it opens nothing afterwards.
	before := sessionCookie(t, ctx, console)
	browse(t, ctx, "sign out", chromedp.Submit(`#signout`), chromedp.WaitVisible(`#signin`))
	expectSignedOut(t, console, before, "after sign-out")

	// `dsr apikey revoke` ends the key's sessions at once.
	browse(t, ctx, "sign in again",
		chromedp.SendKeys(`#key`, key),
		chromedp.Submit(`#signin`),
		chromedp.WaitVisible(`#queue`),
	)
	live := sessionCookie(t, ctx, console)
	expectStatus(t, console, live, http.StatusOK, "a fresh session")
	code, out, stderr := dsr(t, []string{"DSR_DATABASE_URL=" + e.dbURL}, "apikey", "list")
	if code != 0 {
		t.Fatalf("apikey list: %d %s", code, stderr)
	}
	var keyID string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[3] == "dpo-office" {
			keyID = f[0]
		}
	}
	if code, _, stderr := dsr(t, []string{"DSR_DATABASE_URL=" + e.dbURL}, "apikey", "revoke", keyID); code != 0 {
		t.Fatalf("apikey revoke %q: %d %s", keyID, code, stderr)
	}
	expectSignedOut(t, console, live, "after dsr apikey revoke")
	browse(t, ctx, "the browser is signed out", chromedp.Navigate(console), chromedp.WaitVisible(`#signin`))

	// The console logged no personal data either.
	e.stop()
	assertNoPersonalDataInLogs(t, e, "张伟", "+86 139 0000 0002", "Jane Roe")
}

// sessionCookie is the browser's console session cookie (HttpOnly, so
// only the DevTools protocol sees it).
func sessionCookie(t *testing.T, ctx context.Context, console string) string {
	t.Helper()
	var v string
	browse(t, ctx, "read the session cookie", chromedp.ActionFunc(func(ctx context.Context) error {
		cs, err := network.GetCookies().WithURLs([]string{console}).Do(ctx)
		for _, c := range cs {
			if c.Name == "dsr_console" {
				v = c.Value
			}
		}
		return err
	}))
	if v == "" {
		t.Fatal("the browser holds no session cookie")
	}
	return v
}

// expectStatus sends the console's queue page request with only the given
// session cookie, as a copy of it would be used.
func expectStatus(t *testing.T, console, cookie string, want int, what string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, console, nil)
	req.AddCookie(&http.Cookie{Name: "dsr_console", Value: cookie})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != want {
		t.Errorf("%s: %d, want %d", what, res.StatusCode, want)
	}
	return res
}

func expectSignedOut(t *testing.T, console, cookie, what string) {
	t.Helper()
	res := expectStatus(t, console, cookie, http.StatusSeeOther, what)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/console/signin") {
		t.Errorf("%s: sent to %q, not the sign-in page", what, loc)
	}
}
