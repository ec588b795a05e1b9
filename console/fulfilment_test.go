package console

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/workflows"
)

// These tests put the console in front of a stand-in API that answers with
// cases in every state of fulfilment, which the engine-less fixture cannot
// give (the store's copy of a case holds no fulfilment). The live engine's
// side is the Chromium test in cmd/dsr.

// stubAPI serves GET /v1/requests/{id} and its events from cases, and
// records the bodies of the actions posted.
type stubAPI struct {
	mu    sync.Mutex
	cases map[string]workflows.State
	// posted is each action's last body, by action name.
	posted map[string]map[string]any
}

func (s *stubAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/requests/"), "/")
	st, ok := s.cases[parts[0]]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"status":404,"title":"no such case"}`)
		return
	}
	switch {
	case r.Method == http.MethodGet && len(parts) == 1:
		_ = json.NewEncoder(w).Encode(api.CaseView{State: st, Source: "workflow"})
	case r.Method == http.MethodGet && parts[1] == "events":
		_, _ = io.WriteString(w, `{"events":[{"seq":1,"kind":"case.opened","actor":"key:portal","occurred_at":"2026-03-01T02:00:00Z",`+
			`"recorded_at":"2026-03-01T02:00:00Z","hash":"h","detail":{"channel":"phone","controller":"acme-bank"}},`+
			`{"seq":2,"kind":"fulfilment.manual","actor":"system","occurred_at":"2026-03-02T02:00:00Z","recorded_at":"2026-03-02T02:00:00Z","hash":"h2"},`+
			`{"seq":3,"kind":"correction.rejected","actor":"Wang","occurred_at":"2026-03-03T02:00:00Z","recorded_at":"2026-03-03T02:00:00Z","hash":"h3"}]}`)
	case r.Method == http.MethodPost && len(parts) == 2:
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		s.posted[parts[1]] = body
		_ = json.NewEncoder(w).Encode(api.CaseView{State: st, Source: "workflow"})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// fullCase has every part of fulfilment: steps in each status, an open and
// a done task, corrections pending and decided, erasures with a hold, an
// export, a failed transfer and a cancellation with something to settle.
func fullCase() workflows.State {
	return workflows.State{CaseID: "full", Reference: "DSR-FULL", Tenant: "shop", Type: request.AccountCancellation,
		Channel: request.ChannelPhone, PolicyID: "gdpr", Status: request.AwaitingRequester, ReceivedAt: *at("2026-03-01T02:00:00Z"),
		Requester: workflows.Requester{Name: "Alice", Email: "alice@example.com", Language: request.English, ActingFor: request.Self},
		Grounds:   request.NoLongerUsed,
		Fulfilment: &workflows.Fulfilment{
			Steps: []workflows.Step{
				{Connector: "shop", Operation: workflows.OpCheck, Status: workflows.StepDone, Detail: "1 to settle", At: *at("2026-03-02T02:00:00Z")},
				{Connector: "crm", Operation: workflows.OpErase, Status: workflows.StepFailed, Detail: "connection refused", At: *at("2026-03-02T02:00:00Z")},
				{Connector: "crm", Operation: workflows.OpErase, Status: workflows.StepManual, Detail: "done by hand: CRM-1", At: *at("2026-03-02T02:00:00Z")},
				{Connector: "logs", Operation: workflows.OpDeactivate, Status: workflows.StepSkipped, At: *at("2026-03-02T02:00:00Z")},
				{Connector: "shop", Operation: workflows.OpErase, Status: workflows.StepHeld, At: *at("2026-03-02T02:00:00Z")},
				{Connector: "shop", Operation: workflows.OpAccess, Status: workflows.StepRunning, At: *at("2026-03-02T02:00:00Z")},
				{Connector: "shop", Operation: workflows.OpCorrect, Status: workflows.StepDone, At: *at("2026-03-02T02:00:00Z")},
			},
			Tasks: []workflows.Task{
				{ID: "task-1", Connector: "crm", Operation: workflows.OpErase, Owner: "crm-team@shop.example", Reason: "connection refused",
					Instructions: "Cabinet 3.", Status: workflows.TaskOpen, OpenedAt: *at("2026-03-02T02:00:00Z")},
				{ID: "task-2", Connector: "paper", Operation: workflows.OpAccess, Owner: "archive@shop.example", Status: workflows.TaskDone,
					OpenedAt: *at("2026-03-02T02:00:00Z"), DoneAt: at("2026-03-03T02:00:00Z"), DoneBy: "Wang", Evidence: "ticket 4711"},
			},
			Corrections: []workflows.CorrectionItem{
				{Correction: connector.Correction{Field: "customers.phone", Value: "+8613900000000"}, Decision: workflows.DecisionPending},
				{Correction: connector.Correction{Field: "customers.full_name", Value: "Li Na"}, Decision: workflows.DecisionPending},
				{Correction: connector.Correction{Field: "customers.email", Value: "x@example.com"}, Decision: workflows.DecisionApproved,
					DecidedBy: "Wang", Rows: 1, Applied: true},
				{Correction: connector.Correction{Field: "addresses.city", Value: "Shanghai"}, Decision: workflows.DecisionRejected,
					Reason: "the ID card says 上海", DecidedBy: "Wang"},
			},
			Erasures: []workflows.ErasureItem{
				{Connector: "shop", Erasure: connector.Erasure{Dataset: "customers", Strategy: "hash", Erased: 1}},
				{Connector: "shop", Erasure: connector.Erasure{Dataset: "orders", Strategy: "delete", Erased: 2, Held: 1,
					HeldUntil: at("2027-12-24T09:00:00Z"), Hold: "transaction records, 3 years"}},
				{Connector: "shop", Erasure: connector.Erasure{Dataset: "addresses", Strategy: "null", Erased: 1}},
				{Connector: "shop", Erasure: connector.Erasure{Dataset: "login_logs", Strategy: "fixed", Erased: 1}},
			},
			Export: &workflows.Export{ID: "full", Rows: 42, Bytes: 3 << 20, SHA256: strings.Repeat("ab", 32),
				CreatedAt: *at("2026-03-02T02:00:00Z"), Link: "https://dsr.example/x", ExpiresAt: *at("2026-03-09T02:00:00Z")},
			Transfer: &workflows.Transfer{Controller: "acme-bank", Status: 502, Response: "bad gateway", Reason: "the controller answered 502",
				At: *at("2026-03-02T02:00:00Z")},
			Cancellation:   &workflows.Cancellation{Obstacles: []connector.Obstacle{{Check: "wallet", Message: "a balance of 25.50 GBP"}}},
			BackupsClearBy: at("2026-04-01T02:00:00Z"),
		},
	}
}

type stubFixture struct {
	srv *httptest.Server
	api *stubAPI
}

func newStubFixture(t *testing.T, role auth.Role) *stubFixture {
	t.Helper()
	reg, err := policy.NewRegistry(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	confirm := fullCase()
	confirm.CaseID, confirm.Reference = "confirm", "DSR-CONFIRM"
	confirm.Fulfilment = &workflows.Fulfilment{Cancellation: &workflows.Cancellation{}}
	cooling := fullCase()
	cooling.CaseID, cooling.Reference, cooling.Status = "cooling", "DSR-COOLING", request.InProgress
	cooling.Fulfilment = &workflows.Fulfilment{Cancellation: &workflows.Cancellation{
		ConfirmedAt: at("2026-03-04T02:00:00Z"), CoolingOffUntil: at("2026-03-11T22:59:59Z")}}
	closed := fullCase()
	closed.CaseID, closed.Reference, closed.Status, closed.ClosedAt = "closed", "DSR-CLOSED", request.Completed, at("2026-03-04T02:00:00Z")
	stub := &stubAPI{cases: map[string]workflows.State{"full": fullCase(), "confirm": confirm, "cooling": cooling, "closed": closed},
		posted: map[string]map[string]any{}}
	st := storetest.Open(t, store.SQLite)
	if err := st.CreateAPIKey(context.Background(), &store.APIKey{ID: "k1", Name: "desk", Hash: "stub", Role: string(role), Tenants: "shop"}); err != nil {
		t.Fatal(err)
	}
	con, err := New(stub, Options{
		Sessions: st,
		Authenticate: func(context.Context, string) (auth.Principal, error) {
			return auth.Principal{KeyID: "k1", Name: "desk", Role: role, Tenants: []string{"shop"}}, nil
		},
		Routes:   []api.Route{{Method: http.MethodPost, Path: "/v1/requests/:id/recheck", Roles: []auth.Role{auth.Admin, auth.DPO}}},
		Policies: reg, Secret: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(con)
	t.Cleanup(srv.Close)
	return &stubFixture{srv: srv, api: stub}
}

func (f *stubFixture) browser(t *testing.T, role auth.Role) *browser {
	b := (&fixture{srv: f.srv, keys: map[auth.Role]string{role: "dsr_stub"}}).browser(t)
	b.signIn(role)
	return b
}

func TestFulfilmentPartsInBothLanguages(t *testing.T) {
	f := newStubFixture(t, auth.DPO)
	b := f.browser(t, auth.DPO)
	pages := map[string][]string{
		"full": {`id="steps"`, `id="act-complete-task-task-1"`, "ticket 4711", `id="act-decide-corrections"`,
			`name="decision.customers.phone" value="approve"`, `name="reason.customers.full_name"`, "the ID card says 上海",
			`id="erasures"`, "2027-12-24", "transaction records, 3 years", `id="backups"`, "2026-04-01",
			strings.Repeat("ab", 32), "3.0 MiB (3145728 B)", `id="act-issue-link"`, "acme-bank", "HTTP 502",
			"a balance of 25.50 GBP", `id="act-recheck"`, `id="act-revoke-cancellation"`},
		"confirm": {`id="act-confirm-cancellation"`, `id="act-revoke-cancellation"`},
		"cooling": {`id="cooling-off"`, `id="act-revoke-cancellation"`},
		"closed":  {`id="erasures"`},
	}
	absent := map[string][]string{
		// Only one of the cancellation's waits is offered at a time, and
		// "information received" would not end either.
		"full":    {`id="act-confirm-cancellation"`, `id="act-info-received"`},
		"confirm": {`id="act-recheck"`, `id="act-info-received"`},
		// The engine completes a case it fulfils; staff cannot.
		"cooling": {`id="act-recheck"`, `id="act-confirm-cancellation"`, `id="act-complete"`},
		// A closed case takes no fulfilment actions.
		"closed": {`id="act-decide-corrections"`, `id="act-complete-task-task-1"`, `id="act-issue-link"`, `id="act-recheck"`,
			`id="act-revoke-cancellation"`},
	}
	labels := map[string][]string{
		"en":    {"Fulfilment", "by hand", "not offered", "partly held", "Manual tasks", "Mark task done", "pending", "approved", "rejected", "keyed hash", "Data export", "not transferred", "To settle first", "No longer uses the service", "Check the account again", "Manual task", "Correction rejected", "Handled by hand"},
		"zh-CN": {"请求执行情况", "人工处理", "不适用", "部分保留", "人工任务", "标记任务完成", "待审批", "已批准", "已驳回", "密钥哈希", "数据副本", "未传输", "需先处理的事项", "不再使用服务", "重新检查账号", "更正已驳回"},
	}
	for _, lang := range []string{"en", "zh-CN"} {
		b.get("/console/lang/" + lang)
		for id, wants := range pages {
			p := b.get("/console/cases/" + id)
			if p.status != http.StatusOK {
				t.Fatalf("%s (%s): %d\n%s", id, lang, p.status, p.body)
			}
			if m := missingLabel.FindString(p.body); m != "" {
				t.Errorf("%s (%s) shows a missing label %s", id, lang, m)
			}
			for _, w := range wants {
				if !strings.Contains(p.body, w) {
					t.Errorf("%s (%s) lacks %q", id, lang, w)
				}
			}
			for _, w := range absent[id] {
				if strings.Contains(p.body, w) {
					t.Errorf("%s (%s) offers %q", id, lang, w)
				}
			}
			if id == "full" {
				for _, w := range labels[lang] {
					if !strings.Contains(p.body, w) {
						t.Errorf("full case (%s) lacks the label %q", lang, w)
					}
				}
			}
		}
	}
}

func TestFulfilmentActions(t *testing.T) {
	f := newStubFixture(t, auth.DPO)
	b := f.browser(t, auth.DPO)
	token := b.csrf()
	post := func(id, action string, form url.Values) answer {
		form.Set("csrf", token)
		return b.do(http.MethodPost, "/console/cases/"+id+"/act/"+action, form)
	}

	// A rejection without a reason is named by its field, next to the
	// corrections, with the choices kept; the API is not asked.
	p := post("full", "decide-corrections", url.Values{"field": {"customers.phone", "customers.full_name"},
		"decision.customers.phone": {"approve"}, "decision.customers.full_name": {"reject"}})
	if p.status != http.StatusUnprocessableEntity ||
		!regexp.MustCompile(`(?s)id="act-decide-corrections".*customers.full_name: a rejection needs a reason.*</form>`).MatchString(p.body) {
		t.Errorf("reject without a reason: %d\n%s", p.status, p.body)
	}
	if !strings.Contains(p.body, `name="decision.customers.phone" value="approve" checked`) {
		t.Error("the approval typed was lost")
	}
	if _, ok := f.api.posted["decide-corrections"]; ok {
		t.Error("the API was asked despite the missing reason")
	}

	p = post("full", "decide-corrections", url.Values{"field": {"customers.phone", "customers.full_name"},
		"decision.customers.phone": {"approve"}, "decision.customers.full_name": {"reject"},
		"reason.customers.full_name": {" the ID card says 李娜 "}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("decide: %d\n%s", p.status, p.body)
	}
	got, _ := json.Marshal(f.api.posted["decide-corrections"])
	want := `{"actor":"Wang","decisions":[{"approve":true,"field":"customers.phone","reason":""},` +
		`{"approve":false,"field":"customers.full_name","reason":"the ID card says 李娜"}]}`
	if string(got) != want {
		t.Errorf("decide-corrections body:\n got %s\nwant %s", got, want)
	}

	// Undecided rows are left out: the API keeps them pending.
	post("full", "decide-corrections", url.Values{"field": {"customers.phone", "customers.full_name"},
		"decision.customers.full_name": {"approve"}})
	if got, _ := json.Marshal(f.api.posted["decide-corrections"]); !strings.Contains(string(got), `"decisions":[{"approve":true,"field":"customers.full_name"`) {
		t.Errorf("undecided rows sent: %s", got)
	}

	for action, form := range map[string]url.Values{
		"complete-task":        {"task_id": {"task-1"}, "evidence": {"CRM ticket 4711"}},
		"issue-link":           {},
		"recheck":              {"note": {"refunded to card"}},
		"confirm-cancellation": {"note": {"by phone, caller answered the security questions"}},
		"revoke-cancellation":  {"note": {"changed her mind"}},
	} {
		p := post("full", action, form)
		if p.status != http.StatusSeeOther || !strings.Contains(p.header.Get("Location"), "done="+action) {
			t.Errorf("%s: %d %s\n%s", action, p.status, p.header.Get("Location"), p.body)
			continue
		}
		body := f.api.posted[action]
		if body["actor"] != "Wang" {
			t.Errorf("%s: actor %v", action, body["actor"])
		}
		for k, v := range form {
			if k != "csrf" && body[k] != v[0] {
				t.Errorf("%s: %s = %v, want %q", action, k, body[k], v[0])
			}
		}
	}
	// The result reads in plain words.
	if p := b.get("/console/cases/full?done=recheck"); !strings.Contains(p.body, "Check the account again — Done.") {
		t.Errorf("done message:\n%s", p.body)
	}
}

// The route table decides who sees an action: here recheck is admin and
// dpo only, and an auditor sees no fulfilment forms at all.
func TestFulfilmentFormsFollowRoles(t *testing.T) {
	f := newStubFixture(t, auth.Auditor)
	b := f.browser(t, auth.Auditor)
	p := b.get("/console/cases/full")
	if p.status != http.StatusOK {
		t.Fatalf("auditor: %d", p.status)
	}
	for _, form := range []string{`id="act-recheck"`, `id="act-decide-corrections"`, `id="act-complete-task-task-1"`,
		`id="act-issue-link"`, `id="act-revoke-cancellation"`} {
		if strings.Contains(p.body, form) {
			t.Errorf("an auditor is offered %s", form)
		}
	}
	// The auditor still reads it all.
	for _, w := range []string{"a balance of 25.50 GBP", "customers.full_name", "transaction records, 3 years"} {
		if !strings.Contains(p.body, w) {
			t.Errorf("auditor's page lacks %q", w)
		}
	}
}

// The new-request form sends a type's own parts only, and shows the API's
// refusal of a correction row next to that row.
func TestNewRequestTypeParts(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.signIn(auth.DPO)
	token := b.csrf()
	base := url.Values{"csrf": {token}, "tenant": {"shop"}, "policy_id": {"gdpr"}, "channel": {"phone"},
		"name": {"李娜"}, "email": {"li.na@example.com"}, "language": {"zh-CN"}, "acting_for": {"self"}, "op": {"open"},
		"grounds": {"no_consent"}, "controller": {"acme-bank"}}
	with := func(typ string, kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		v.Set("type", typ)
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}

	// Row 0 empty (skipped), row 1 a bad field, row 2 good: the refusal of
	// the API's corrections[0] shows at row 1.
	p := b.do(http.MethodPost, "/console/new", with("correction",
		"corr_field", "", "corr_value", "",
		"corr_field", "phone", "corr_value", "+8613900000000",
		"corr_field", "customers.full_name", "corr_value", "Li Na"))
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad correction field: %d\n%s", p.status, p.body)
	}
	row1 := regexp.MustCompile(`(?s)id="corr-field-1" value="phone"[^>]*><span class="field-error" role="alert">field &#34;phone&#34;: want dataset.column</span>`)
	if !row1.MatchString(p.body) {
		t.Errorf("the refusal is not next to row 1:\n%s", p.body)
	}
	if !strings.Contains(p.body, `id="corr-value-2" value="Li Na"`) {
		t.Error("the rows typed were lost")
	}
	// The grounds and controller typed for other types were not sent: the
	// API would have refused them too.
	if strings.Contains(p.body, "grounds: only") || strings.Contains(p.body, "controller: only") {
		t.Errorf("parts of other types were sent:\n%s", p.body)
	}

	// A bad grounds value is refused next to the select.
	bad := with("deletion")
	bad.Set("grounds", "bored")
	p = b.do(http.MethodPost, "/console/new", bad)
	if p.status != http.StatusUnprocessableEntity ||
		!regexp.MustCompile(`(?s)id="grounds".*?</select><span class="field-error" role="alert">[^<]*bored`).MatchString(p.body) {
		t.Errorf("bad grounds: %d\n%s", p.status, p.body)
	}
	// Valid parts pass the API's validation (and then meet the engine,
	// which is down here).
	for _, v := range []url.Values{
		with("correction", "corr_field", "customers.phone", "corr_value", "+8613900000000"),
		with("account_cancellation"), with("portability"),
		with("access", "corr_field", "customers.phone", "corr_value", "+8613900000000"),
	} {
		if p := b.do(http.MethodPost, "/console/new", v); p.status != http.StatusServiceUnavailable {
			t.Errorf("%s: %d, want the engine's 503\n%s", v.Get("type"), p.status, p.body)
		}
	}
}
