package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"github.com/dsrflow/dsrflow/store/storetest"
)

// awaitOnPage reloads url until sel is on the page: the engine works in
// the background, and the console shows a case as it stands when asked.
func awaitOnPage(t *testing.T, ctx context.Context, url, sel, what string) {
	t.Helper()
	var found bool
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		browse(t, ctx, "reload for "+what,
			chromedp.Navigate(url),
			chromedp.WaitReady(`body`),
			chromedp.Evaluate(`!!document.querySelector(`+jsString(sel)+`)`, &found),
		)
		if found {
			return
		}
		if time.Now().After(deadline) {
			var text string
			browse(t, ctx, "page text", chromedp.Text(`main`, &text))
			t.Fatalf("the case page never showed %s (%s):\n%s", what, sel, text)
		}
	}
}

// act submits an action's form on the case page and waits for the page
// that says it was done; a form on a page that already says "done" (the
// one that opened the case) would otherwise seem done at once.
func act(t *testing.T, ctx context.Context, action string, fill ...chromedp.Action) {
	t.Helper()
	steps := append(fill,
		chromedp.Submit(`#act-`+action),
		chromedp.WaitVisible(`#done[data-action="`+action+`"]`, chromedp.ByQuery),
	)
	browse(t, ctx, action, steps...)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// openByPhone fills the console's new-request form as a DPO taking a call;
// fill adds the type's own parts.
func openByPhone(t *testing.T, ctx context.Context, console, typ, name, email string, fill ...chromedp.Action) {
	t.Helper()
	steps := []chromedp.Action{
		chromedp.Navigate(console + "new"),
		chromedp.WaitVisible(`#new-request`),
		chromedp.SetValue(`#jurisdiction`, "eu"),
		chromedp.Evaluate(`document.getElementById("jurisdiction").dispatchEvent(new Event("change"))`, nil),
		chromedp.SetValue(`#type`, typ),
		// The script shows the type's own parts of the form on change.
		chromedp.Evaluate(`document.getElementById("type").dispatchEvent(new Event("change"))`, nil),
		chromedp.SetValue(`#channel`, "phone"),
		chromedp.SendKeys(`#name`, name),
		chromedp.SendKeys(`#email`, email),
		chromedp.SetValue(`#language`, "en"),
	}
	browse(t, ctx, "fill the "+typ+" form", append(steps, fill...)...)
}

// openAndVerify opens the case the form holds and verifies the caller by
// hand. It returns the case page's URL.
func openAndVerify(t *testing.T, ctx context.Context, typ string) string {
	t.Helper()
	var status, caseURL string
	browse(t, ctx, "open the "+typ+" case",
		chromedp.Click(`#open-button`),
		chromedp.WaitVisible(`#case-status`),
		chromedp.Text(`#case-status`, &status),
		chromedp.Location(&caseURL),
	)
	if status != "Pending verification" {
		t.Fatalf("new %s case is %q", typ, status)
	}
	caseURL, _, _ = strings.Cut(caseURL, "?")
	act(t, ctx, "verify", chromedp.SendKeys(`#act-verify textarea[name=note]`, "Called back on the number on file"))
	return caseURL
}

// The console drives fulfilment in a real browser against `dsr dev` with
// the example shop: a correction taken by phone, decided one way and the
// other, applied and summarised; then an account cancellation that waits
// for a wallet to be emptied, is rechecked, and is confirmed on the
// requester's word, into its cooling-off period.
func TestConsoleFulfilmentInBrowser(t *testing.T) {
	needTemporal(t)
	ctx := browser(t)
	shots := artifactsDir(t)
	dataDir := t.TempDir()
	e := startDev(t, dataDir, storetest.PostgresURL(t), "DSR_DEV_EXAMPLE=true")
	key := e.apiKey("--role", "dpo", "--tenant", "shop", "--name", "dpo-office")
	console := e.base + "/console/"
	browse(t, ctx, "sign in",
		chromedp.Navigate(console),
		chromedp.WaitVisible(`#signin`),
		chromedp.SendKeys(`#key`, key),
		chromedp.SendKeys(`#actor`, "Wang Fang"),
		chromedp.Submit(`#signin`),
		chromedp.WaitVisible(`#queue`),
	)

	// --- a correction by phone ---
	openByPhone(t, ctx, console, "correction", "李娜", "li.na@example.com",
		chromedp.WaitVisible(`#corr-field-0`),
		chromedp.SendKeys(`#corr-field-0`, "phone"),
		chromedp.SendKeys(`#corr-value-0`, "+8613900000000"),
		chromedp.SendKeys(`#corr-field-1`, "customers.full_name"),
		chromedp.SendKeys(`#corr-value-1`, "Li Na"),
	)
	// The API refuses a field that is not dataset.column; the console says
	// so next to the row, keeping what was typed.
	var refusal, kept string
	browse(t, ctx, "open with a bad field",
		chromedp.Click(`#open-button`),
		chromedp.WaitVisible(`#corr-field-0 + .field-error`, chromedp.ByQuery),
		chromedp.Text(`#corr-field-0 + .field-error`, &refusal, chromedp.ByQuery),
		chromedp.Value(`#corr-value-1`, &kept),
	)
	if !strings.Contains(refusal, `want dataset.column`) || kept != "Li Na" {
		t.Errorf("refusal next to the row: %q; row 1 kept %q", refusal, kept)
	}
	screenshot(t, ctx, shots, "console-new-correction-refused.png")
	browse(t, ctx, "fix the field",
		chromedp.Clear(`#corr-field-0`),
		chromedp.SendKeys(`#corr-field-0`, "customers.phone"),
	)
	var hidden bool
	browse(t, ctx, "the form shows the correction rows only",
		chromedp.Evaluate(`document.getElementById("part-grounds").hidden && document.getElementById("part-controller").hidden`, &hidden))
	if !hidden {
		t.Error("a correction's form offers grounds or a receiving controller")
	}
	screenshot(t, ctx, shots, "console-new-correction.png")
	caseURL := openAndVerify(t, ctx, "correction")

	// Once verified, the engine asks staff to decide each correction.
	awaitOnPage(t, ctx, caseURL, `#act-decide-corrections button[type=submit]`, "the corrections to decide")
	reason := "The ID card says 李娜"
	browse(t, ctx, "approve one, reject the other",
		chromedp.Click(`input[name="decision.customers.phone"][value="approve"]`, chromedp.ByQuery),
		chromedp.Click(`input[name="decision.customers.full_name"][value="reject"]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name="reason.customers.full_name"]`, reason, chromedp.ByQuery),
	)
	screenshot(t, ctx, shots, "console-correction-decide.png")
	act(t, ctx, "decide-corrections")
	awaitOnPage(t, ctx, caseURL, `#case-status.s-completed`, "the completed correction")
	var summary, corrections string
	browse(t, ctx, "read the outcome",
		chromedp.Text(`#case-summary`, &summary),
		chromedp.Text(`#corrections`, &corrections),
	)
	if !strings.Contains(summary, "customers.phone") || !strings.Contains(summary, reason) {
		t.Errorf("summary: %q", summary)
	}
	for _, w := range []string{"approved", "applied · rows changed: 1", "rejected", reason, "Wang Fang via key:dpo-office"} {
		if !strings.Contains(corrections, w) {
			t.Errorf("corrections read %q, lacking %q", corrections, w)
		}
	}
	screenshot(t, ctx, shots, "console-correction-completed.png")

	shopDB := openShop(t, filepath.Join(dataDir, "shop.db"))
	var liNa struct{ Phone, FullName string }
	if err := shopDB.Raw(`SELECT phone, full_name FROM customers WHERE id = 3`).Scan(&liNa).Error; err != nil {
		t.Fatal(err)
	}
	if liNa.Phone != "+8613900000000" || liNa.FullName != "李娜" {
		t.Errorf("li na's row after the decisions: %+v", liNa)
	}

	// --- an account cancellation by phone ---
	openByPhone(t, ctx, console, "account_cancellation", "Alice Smith", "alice@example.com",
		chromedp.WaitVisible(`#grounds`),
		chromedp.SetValue(`#grounds`, "no_longer_using_service"),
	)
	caseURL = openAndVerify(t, ctx, "account cancellation")
	// Alice has 25.50 GBP in her wallet: the engine waits for her to get it
	// back, and staff see what is in the way.
	awaitOnPage(t, ctx, caseURL, `#act-recheck`, "the obstacle and the recheck")
	var status, cancellation, requester string
	browse(t, ctx, "read the obstacle",
		chromedp.Text(`#case-status`, &status),
		chromedp.Text(`#cancellation`, &cancellation),
		chromedp.Text(`#requester`, &requester),
	)
	if status != "Awaiting requester" || !strings.Contains(cancellation, "25.5") {
		t.Errorf("waiting for the wallet: status %q, cancellation %q", status, cancellation)
	}
	if !strings.Contains(requester, "No longer uses the service") {
		t.Errorf("grounds not shown: %q", requester)
	}
	screenshot(t, ctx, shots, "console-cancellation-obstacle.png")

	// The shop refunds her; the caller says so, and staff ask for a recheck.
	if err := shopDB.Exec(`UPDATE wallets SET balance = 0 WHERE customer_id = 2`).Error; err != nil {
		t.Fatal(err)
	}
	act(t, ctx, "recheck", chromedp.SendKeys(`#act-recheck input[name=note]`, "Refunded to her card"))
	awaitOnPage(t, ctx, caseURL, `#act-confirm-cancellation`, "the confirmation on the requester's behalf")
	act(t, ctx, "confirm-cancellation",
		chromedp.SendKeys(`#act-confirm-cancellation input[name=note]`, "Confirmed on the phone after the recheck"))
	awaitOnPage(t, ctx, caseURL, `#cooling-off`, "the cooling-off period")
	var cooling string
	browse(t, ctx, "read the cooling-off end",
		chromedp.Text(`#cooling-off`, &cooling),
		chromedp.Text(`#cancellation`, &cancellation),
	)
	// gdpr gives 7 days; the date is Brussels', and an end on a weekend
	// may move to the next working day.
	day := regexp.MustCompile(`\d{4}-\d{2}-\d{2}`).FindString(cooling)
	ends, err := time.Parse("2006-01-02", day)
	brussels, _ := time.LoadLocation("Europe/Brussels")
	today, _ := time.Parse("2006-01-02", time.Now().In(brussels).Format("2006-01-02"))
	if days := int(ends.Sub(today).Hours() / 24); err != nil || days < 7 || days > 9 {
		t.Errorf("cooling-off ends %q: %d days from today", cooling, days)
	}
	if strings.Contains(cancellation, "waiting for the requester to confirm") {
		t.Errorf("still waiting for the confirmation: %q", cancellation)
	}
	var offered bool
	browse(t, ctx, "revocation offered", chromedp.Evaluate(`!!document.querySelector("#act-revoke-cancellation")`, &offered))
	if !offered {
		t.Error("no revocation offered during the cooling-off period")
	}
	screenshot(t, ctx, shots, "console-cancellation-cooling-off.png")
	var text string
	browse(t, ctx, "the same in Chinese",
		chromedp.Click(`#lang-switch`),
		chromedp.WaitVisible(`#cooling-off`),
		chromedp.Text(`#fulfilment`, &text),
	)
	for _, w := range []string{"冷静期结束", "代请求人撤销注销", "检查账号"} {
		if !strings.Contains(text, w) {
			t.Errorf("the Chinese page lacks %q:\n%s", w, text)
		}
	}
	screenshot(t, ctx, shots, "console-cancellation-cooling-off-zh.png")

	e.stop()
	assertNoPersonalDataInLogs(t, e, "li.na@example.com", "alice@example.com", "+8613900000000", "Alice Smith", reason)
}

// openShop opens the example shop's SQLite file as the shop's own staff
// would, next to the engine's connection.
func openShop(t *testing.T, path string) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(sqlite.Open(path+"?_pragma=busy_timeout(10000)"), &gorm.Config{Logger: gormlogger.Discard})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	return db
}
