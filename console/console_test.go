package console

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/connector/sqldb"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/workflows"
)

// These tests run the console on a real API and store with the workflow
// engine down: everything the console and the API decide without it. The
// end-to-end test in cmd/dsr drives the console in Chromium against a live
// engine.

// now is a Wednesday; 2026-03-04 in Shanghai.
var now = time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC)

type fixture struct {
	srv   *httptest.Server
	store *store.Store
	keys  map[auth.Role]string
	// cases by name: "overdue", "soon", "later", "closed", "pending".
	cases map[string]string
}

func newKey(t *testing.T, st *store.Store, role auth.Role, tenants string) string {
	t.Helper()
	plain, hash, err := auth.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAPIKey(context.Background(), &store.APIKey{ID: uuid.NewString(), Name: string(role) + "-desk",
		Hash: hash, Role: string(role), Tenants: tenants}); err != nil {
		t.Fatal(err)
	}
	return plain
}

func newFixture(t *testing.T, opts ...func(*Options)) *fixture {
	t.Helper()
	reg, err := policy.NewRegistry(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String() // nothing listens here once closed
	ln.Close()
	tc, err := client.NewLazyClient(client.Options{HostPort: down,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	st := storetest.Open(t, store.SQLite)
	a := &api.Server{Store: st, Temporal: tc, Policies: reg, TaskQueue: "dsr", Now: func() time.Time { return now }}
	h := a.Handler()
	o := Options{Authenticate: a.Principal, Routes: a.Routes(), Policies: reg, Sessions: st,
		Secret: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return now }}
	for _, opt := range opts {
		opt(&o)
	}
	con, err := New(h, o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/console/", con)
	mux.Handle("/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f := &fixture{srv: srv, store: st, keys: map[auth.Role]string{}, cases: map[string]string{}}
	for _, r := range auth.Roles {
		f.keys[r] = newKey(t, st, r, "shop")
	}
	// cn-15wd counts working days on the PRC calendar.
	day := func(s string) *time.Time {
		d, _ := time.ParseInLocation("2006-01-02 15:04:05", s+" 23:59:59", time.FixedZone("CST", 8*3600))
		return &d
	}
	for _, c := range []struct {
		name, status, due string
		overdue           bool
	}{
		{"overdue", "in_progress", "2026-03-02", true},
		{"soon", "in_progress", "2026-03-06", false},
		{"later", "in_progress", "2026-04-10", false},
		{"closed", "completed", "2026-03-03", false},
		{"pending", "pending_verification", "", false},
	} {
		id := uuid.NewString()
		row := &store.Case{ID: id, Reference: "DSR-TEST-" + strings.ToUpper(c.name), Tenant: "shop", Type: "access",
			Channel: "phone", Status: c.status, PolicyID: "cn-15wd", Overdue: c.overdue, RequesterName: "王小明",
			Language: "zh-CN", ActingFor: "self", ReceivedAt: now.Add(-72 * time.Hour), DueDate: c.due}
		if c.due != "" {
			row.DueAt = day(c.due)
		}
		if err := st.SaveCase(context.Background(), row); err != nil {
			t.Fatal(err)
		}
		f.cases[c.name] = id
	}
	ev := &store.Event{CaseID: f.cases["soon"], Key: "case.opened", Kind: "case.opened", Actor: "key:dpo-desk",
		Detail: `{"channel":"phone"}`, OccurredAt: now.Add(-72 * time.Hour)}
	if _, err := st.AppendEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	ev = &store.Event{CaseID: f.cases["soon"], Key: "notice.sent:ack", Kind: "notice.sent", Actor: "system",
		Detail: `{"kind":"acknowledgement","recipient":"requester","channel":"sms"}`, OccurredAt: now.Add(-71 * time.Hour)}
	if _, err := st.AppendEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	return f
}

// browser is a client with a cookie jar that does not follow redirects.
type browser struct {
	t    *testing.T
	f    *fixture
	c    *http.Client
	lang string
}

func (f *fixture) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, headers ...string) answer {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.f.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.f.srv.URL)
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func (b *browser) get(path string) answer { return b.do(http.MethodGet, path, nil) }

var signinField = regexp.MustCompile(`name="signin_csrf" value="([^"]+)"`)

// signinForm posts the sign-in form as a browser does: the page first,
// which sets the pre-session cookie, then the form with its token.
func (b *browser) signinForm(form url.Values, headers ...string) answer {
	b.t.Helper()
	m := signinField.FindStringSubmatch(b.get("/console/signin").body)
	if m == nil {
		b.t.Fatal("no sign-in token on the sign-in page")
	}
	form.Set("signin_csrf", m[1])
	return b.do(http.MethodPost, "/console/signin", form, headers...)
}

func (b *browser) signIn(role auth.Role) {
	b.t.Helper()
	p := b.signinForm(url.Values{"key": {b.f.keys[role]}, "actor": {"Wang"}})
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: %d\n%s", role, p.status, p.body)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token of the signed-in session, as its pages carry it.
func (b *browser) csrf() string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.get("/console/").body)
	if m == nil {
		b.t.Fatal("no CSRF token on the queue page")
	}
	return m[1]
}

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	if p := b.get("/console/"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/console/signin") {
		t.Fatalf("queue without a session: %d %s", p.status, p.header.Get("Location"))
	}
	if p := b.signinForm(url.Values{"key": {"dsr_nope"}}); p.status != http.StatusUnauthorized ||
		!strings.Contains(p.body, "unknown or revoked") {
		t.Errorf("unknown key: %d\n%s", p.status, p.body)
	}
	if p := b.signinForm(url.Values{"key": {f.keys[auth.Portal]}}); p.status != http.StatusForbidden ||
		!strings.Contains(p.body, "may not use the console") {
		t.Errorf("portal key: %d\n%s", p.status, p.body)
	}

	p := b.signinForm(url.Values{"key": {f.keys[auth.DPO]}, "actor": {"Wang"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", p.status, p.body)
	}
	cookie := p.header.Get("Set-Cookie")
	for _, want := range []string{"dsr_console=", "HttpOnly", "SameSite=Strict", "Path=/console/", "Max-Age="} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	// The key is sealed: neither it nor its base64 shows in the cookie.
	if strings.Contains(cookie, f.keys[auth.DPO]) || strings.Contains(cookie, base64.RawURLEncoding.EncodeToString([]byte(f.keys[auth.DPO]))[:12]) {
		t.Errorf("the cookie carries the key in clear: %s", cookie)
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("cookie over plain HTTP marked Secure: %s", cookie)
	}

	q := b.get("/console/")
	if q.status != http.StatusOK {
		t.Fatalf("queue: %d\n%s", q.status, q.body)
	}
	for _, want := range []string{"DSR-TEST-OVERDUE", "DSR-TEST-SOON", "DSR-TEST-PENDING", "王小明", "dpo-desk", "<svg"} {
		if !strings.Contains(q.body, want) {
			t.Errorf("queue lacks %q", want)
		}
	}
	if strings.Contains(q.body, "DSR-TEST-CLOSED") {
		t.Error("the default queue shows a closed case")
	}
	if !strings.Contains(b.get("/console/?status=any").body, "DSR-TEST-CLOSED") {
		t.Error("status=any hides the closed case")
	}

	// A forged or foreign cookie is no session.
	u, _ := url.Parse(f.srv.URL + "/console/")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: "AAAA" + strings.Repeat("x", 60), Path: "/console/"}})
	if p := b.get("/console/"); p.status != http.StatusSeeOther {
		t.Errorf("forged cookie let in: %d", p.status)
	}
}

func TestSessionExpires(t *testing.T) {
	s, err := newSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.seal(session{Key: "dsr_k", ID: "x", Expires: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.open(v, now); err != nil {
		t.Errorf("fresh session: %v", err)
	}
	if _, err := s.open(v, now.Add(time.Hour)); err == nil {
		t.Error("expired session opened")
	}
	other, _ := newSealer([]byte("another secret, just as long...."))
	if _, err := other.open(v, now); err == nil {
		t.Error("a session sealed under another secret opened")
	}
}

func TestQueueDaysLeft(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(auth.DPO)
	q := b.get("/console/")
	// Wed 4 March (Shanghai): Thu 5 and Fri 6 are working days left; 2
	// March was two working days ago.
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?s)<tr class="soon">.*?DSR-TEST-SOON.*?2 working days`),
		regexp.MustCompile(`(?s)<tr class="overdue overdue">.*?DSR-TEST-OVERDUE.*?-2 working days`),
		regexp.MustCompile(`(?s)DSR-TEST-PENDING.*?not started`),
	} {
		if !want.MatchString(q.body) {
			t.Errorf("queue does not match %s", want)
		}
	}
	if !strings.Contains(q.body, `<span class="n">1</span>Overdue`) {
		t.Error("overdue count missing")
	}
	// A filter the API refuses shows the API's words.
	p := b.get("/console/?due_before=yesterday")
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "due_before: an RFC 3339 time") {
		t.Errorf("bad filter: %d", p.status)
	}
}

func TestCSRF(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(auth.DPO)
	token := b.csrf()
	path := "/console/cases/" + f.cases["soon"] + "/act/note"

	if p := b.do(http.MethodPost, path, url.Values{"note": {"called back"}}); p.status != http.StatusForbidden ||
		!strings.Contains(p.body, "not sent from this console") {
		t.Errorf("POST without a token: %d\n%s", p.status, p.body)
	}
	if p := b.do(http.MethodPost, path, url.Values{"note": {"x"}, "csrf": {"forged"}}); p.status != http.StatusForbidden {
		t.Errorf("POST with a forged token: %d", p.status)
	}
	if p := b.do(http.MethodPost, path, url.Values{"note": {"x"}, "csrf": {token}}, "Origin", "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("POST from another origin: %d", p.status)
	}
	// Another session's token does not fit this one.
	other := f.browser(t)
	other.signIn(auth.DPO)
	if p := b.do(http.MethodPost, path, url.Values{"note": {"x"}, "csrf": {other.csrf()}}); p.status != http.StatusForbidden {
		t.Errorf("POST with another session's token: %d", p.status)
	}
	// With the token the request reaches the API (which, the engine being
	// down here, cannot apply it and says so).
	p := b.do(http.MethodPost, path, url.Values{"note": {"called back"}, "csrf": {token}})
	if p.status == http.StatusForbidden || !strings.Contains(p.body, `class="problem"`) {
		t.Errorf("POST with the token: %d\n%s", p.status, p.body)
	}
}

func TestRefusalsInPlainWords(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(auth.DPO)
	token := b.csrf()

	// The API's validator refuses a phone number; the form keeps what was typed.
	p := b.do(http.MethodPost, "/console/new", url.Values{"csrf": {token}, "tenant": {"shop"}, "policy_id": {"cn-15wd"},
		"type": {"access"}, "channel": {"phone"}, "name": {"李雷"}, "phone": {"call me"}, "language": {"zh-CN"},
		"acting_for": {"self"}, "op": {"open"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad phone: %d\n%s", p.status, p.body)
	}
	for _, want := range []string{"Some fields are not right:", "requester.phone: not a phone number", `value="李雷"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	// The deadline preview comes from the API's policy route.
	p = b.do(http.MethodPost, "/console/new", url.Values{"csrf": {token}, "policy_id": {"cn-15wd"}, "type": {"access"},
		"received_at": {"2026-03-04T10:00"}, "op": {"preview"}})
	if p.status != http.StatusOK || !regexp.MustCompile(`class="due">2026-03-25<`).MatchString(p.body) {
		t.Errorf("preview: %d, want due 2026-03-25 (15 working days)\n%s", p.status, p.body)
	}
	if p := b.get("/console/deadline?policy_id=cn-15wd&type=access&received_at=2026-03-04T10:00"); !strings.Contains(p.body, "2026-03-25") {
		t.Errorf("deadline fragment: %s", p.body)
	}

	// A local mistake is named before the API is asked.
	p = b.do(http.MethodPost, "/console/cases/"+f.cases["soon"]+"/act/extend", url.Values{"csrf": {token},
		"reason": {"many systems"}, "amount": {"ten"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "amount: a whole number") ||
		!strings.Contains(p.body, "many systems") {
		t.Errorf("bad amount: %d", p.status)
	}

	// An auditor sees no action forms, and a forged one is refused by the
	// API's role check, in plain words.
	a := f.browser(t)
	a.signIn(auth.Auditor)
	c := a.get("/console/cases/" + f.cases["soon"])
	if c.status != http.StatusOK {
		t.Fatalf("auditor case page: %d\n%s", c.status, c.body)
	}
	if strings.Contains(c.body, `id="act-extend"`) || strings.Contains(c.body, `id="act-note"`) || strings.Contains(c.body, `id="nav-new"`) {
		t.Error("an auditor is offered actions")
	}
	p = a.do(http.MethodPost, "/console/cases/"+f.cases["soon"]+"/act/extend", url.Values{"csrf": {a.csrf()}, "reason": {"x"}})
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "Your key&#39;s role may not do this.") ||
		!strings.Contains(p.body, "the auditor role may not call POST /v1/requests/:id/extend") {
		t.Errorf("auditor extends: %d\n%s", p.status, p.body)
	}

	// A DPO sees the forms, the case from the store, and its trail.
	c = b.get("/console/cases/" + f.cases["soon"])
	for _, want := range []string{`id="act-extend"`, `id="act-complete"`, `id="act-note"`, "DSR-TEST-SOON",
		"Case opened", "acknowledgement", "store&#39;s last copy"} {
		if !strings.Contains(c.body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
}

var missingLabel = regexp.MustCompile(`\[[a-z_-]+\.[a-z_.-]+\]`)

func TestBothLanguages(t *testing.T) {
	for key, m := range messages {
		if strings.TrimSpace(m.en) == "" || strings.TrimSpace(m.zh) == "" {
			t.Errorf("message %q lacks a language: %+v", key, m)
		}
	}
	// Every word of the API's vocabulary has a label.
	vocab := map[string][]string{
		"status": names(request.Statuses), "type": append(names(request.Types), string(request.Unclassified)),
		"channel": names(request.Channels), "deny": names(request.DenialReasons), "acting": names(request.ActingFors),
		"language": names(request.Languages),
		"ground":   names(request.DeletionGrounds),
		"op":       {workflows.OpAccess, workflows.OpErase, workflows.OpCorrect, workflows.OpCheck, workflows.OpDeactivate},
		"stepstatus": {workflows.StepRunning, workflows.StepDone, workflows.StepFailed, workflows.StepManual,
			workflows.StepHeld, workflows.StepSkipped},
		"taskstatus": {workflows.TaskOpen, workflows.TaskDone},
		"decision":   {workflows.DecisionPending, workflows.DecisionApproved, workflows.DecisionRejected},
		"vmethod":    {workflows.MethodCode, workflows.MethodPortal, workflows.MethodManual},
		"strategy":   {sqldb.EraseDelete, sqldb.EraseMask, sqldb.ColumnNull, sqldb.ColumnHash, sqldb.ColumnFixed},
		"act": {"verify", "resend-code", "request-info", "info-received", "extend", "deny", "complete", "withdraw",
			"classify", "assign", "note", "complete-task", "decide-corrections", "issue-link", "recheck",
			"confirm-cancellation", "revoke-cancellation"},
	}
	for prefix, words := range vocab {
		for _, w := range words {
			if _, ok := messages[prefix+"."+w]; !ok {
				t.Errorf("no label for %s.%s", prefix, w)
			}
		}
	}
	for _, j := range jurisdictions {
		if _, ok := messages["jur."+j]; !ok {
			t.Errorf("no label for jurisdiction %s", j)
		}
	}

	f := newFixture(t)
	b := f.browser(t)
	b.lang = "zh-CN,zh;q=0.9,en;q=0.5"
	if p := b.get("/console/signin"); !strings.Contains(p.body, "员工 API 密钥") || !strings.Contains(p.body, `lang="zh-CN"`) {
		t.Errorf("sign-in page in Chinese:\n%s", p.body)
	}
	b.signIn(auth.DPO)
	pages := []string{"/console/", "/console/new", "/console/cases/" + f.cases["soon"], "/console/cases/" + f.cases["closed"]}
	for _, path := range pages {
		p := b.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d\n%s", path, p.status, p.body)
		}
		if m := missingLabel.FindString(p.body); m != "" {
			t.Errorf("%s (zh-CN) shows a missing label %s", path, m)
		}
		if !strings.Contains(p.body, "案件队列") {
			t.Errorf("%s is not in Chinese", path)
		}
	}
	// The switch beats the browser's preference, and takes the user back.
	p := b.get("/console/lang/en?back=" + url.QueryEscape("/console/new"))
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/new" {
		t.Fatalf("switch: %d %s", p.status, p.header.Get("Location"))
	}
	if p := b.get("/console/lang/en?back=" + url.QueryEscape("https://evil.example/")); p.header.Get("Location") != "/console/" {
		t.Errorf("switch redirects off the console: %s", p.header.Get("Location"))
	}
	for _, path := range pages {
		p := b.get(path)
		if m := missingLabel.FindString(p.body); m != "" {
			t.Errorf("%s (en) shows a missing label %s", path, m)
		}
		if !strings.Contains(p.body, "Queue") || strings.Contains(p.body, "案件队列") {
			t.Errorf("%s is not in English after the switch", path)
		}
	}
}

func TestClosedChart(t *testing.T) {
	since := weekStart(now).AddDate(0, 0, -7*(closedWeeks-1))
	at := func(days int) *time.Time { t := now.AddDate(0, 0, days); return &t }
	item := func(closed, due *time.Time, overdue bool) queueItem {
		return queueItem{QueueItem: api.QueueItem{DueAt: due, Overdue: overdue, ClosedAt: closed}}
	}
	// This week: two closed, one late; the week before: one, on time.
	svg, byDue := closedChart(English, []queueItem{
		item(at(0), at(30), false), item(at(0), at(-3), true), item(at(-7), at(20), false),
	}, since)
	if byDue {
		t.Error("closing dates given, yet counted by due date")
	}
	for _, want := range []string{">50% on time<", ">100% on time<", `<title>` + weekStart(now).Format("01-02") + `: 2</title>`} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("chart lacks %q:\n%s", want, svg)
		}
	}
	// Without closing dates the due date's week counts, and the page says so.
	svg, byDue = closedChart(Chinese, []queueItem{item(nil, at(0), false)}, since)
	if !byDue || !strings.Contains(string(svg), "100% 按时") {
		t.Errorf("by due date: %v\n%s", byDue, svg)
	}
	if svg := string(openChart(English, nil)); !strings.Contains(svg, "No cases yet.") {
		t.Errorf("empty chart says nothing:\n%s", svg)
	}
}
