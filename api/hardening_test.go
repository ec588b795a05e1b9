package api_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/converter"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// openBody is a valid request to open with the given extra fields.
func openBody(extra string) string {
	return `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"}` + extra + `}`
}

// fieldAt reports whether a is a 422 problem naming field.
func fieldAt(a answer, field string) bool {
	return a.status == 422 && a.ctype == "application/problem+json" &&
		slices.ContainsFunc(a.problem.Errors, func(e api.FieldError) bool { return e.Field == field })
}

// Issue 15 item 1: a NUL in a name was answered 201, and the case was
// lost when PostgreSQL refused to project it.
func TestOpenRefusesControlCharacters(t *testing.T) {
	f := newEngineFixture(t)
	for body, field := range map[string]string{
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"name":"a\u0000b","email":"a@example.test"}}`: "requester.name",
		`{"tenant":"shop","type":"correction","policy_id":"gdpr","requester":{"email":"a@example.test"},` +
			`"corrections":[{"field":"customers.name","value":"Li"},{"field":"customers.city","value":"x\u0007"}]}`: "corrections[1].value",
		openBody(`,"details":"ok\u007f"`):              "details",
		openBody(`,"actor":"desk\n2"`):                 "actor",
		openBody(`,"verified_by":"sso\u2028"`):         "verified_by",
		openBody(`,"details":"line\nline\ttab\u0000"`): "details",
	} {
		if a := f.do(t, "POST", "/v1/requests", "application/json", body); !fieldAt(a, field) {
			t.Errorf("%s: %d %s, want 422 naming %s", body, a.status, a.raw, field)
		}
	}
	if len(f.engine.calls) != 0 {
		t.Errorf("refused bodies reached the engine: %v", f.engine.calls)
	}
	// Free text keeps its lines and tabs.
	if a := f.do(t, "POST", "/v1/requests", "application/json", openBody(`,"details":"line one\nline\ttwo"`)); a.status != 201 {
		t.Errorf("details with a newline and a tab: %d %s", a.status, a.raw)
	}
}

func TestActionsRefuseControlCharacters(t *testing.T) {
	f := newEngineFixture(t)
	id := f.openCase(t, "shop", auth.Portal)
	for path, tc := range map[string]struct{ body, field string }{
		"note":               {`{"note":"called\u0000"}`, "note"},
		"tag":                {`{"add":["vip","a\u001fb"]}`, "add[1]"},
		"assign":             {`{"assignee":"li\tlei"}`, "assignee"},
		"deny":               {`{"reason":"out_of_scope","explanation":"no\u0000"}`, "explanation"},
		"complete":           {`{"summary":"sent\u0008"}`, "summary"},
		"complete-task":      {`{"task_id":"t1","evidence":"\u0000"}`, "evidence"},
		"decide-corrections": {`{"decisions":[{"field":"customers.name","approve":false,"reason":"\u0000"}]}`, "decisions[0].reason"},
		"extend":             {`{"reason":"big\u001b[31m"}`, "reason"},
		"verify":             {`{"method":"code","code":"12345\u0000"}`, "code"},
	} {
		a := f.do(t, "POST", "/v1/requests/"+id+"/"+path, "application/json", tc.body)
		if !fieldAt(a, tc.field) {
			t.Errorf("%s %s: %d %s, want 422 naming %s", path, tc.body, a.status, a.raw, tc.field)
		}
	}
	if len(f.engine.calls) != 0 {
		t.Errorf("refused bodies reached the engine: %v", f.engine.calls)
	}
	if a := f.do(t, "POST", "/v1/requests/"+id+"/note", "application/json", `{"note":"called twice:\n1\n2"}`); a.status != 200 {
		t.Errorf("a note of several lines: %d %s", a.status, a.raw)
	}
}

// Issue 15 item 12: tenant names have a grammar, at every door.
func TestTenantGrammar(t *testing.T) {
	f := newEngineFixture(t)
	for _, tenant := range []string{" shop ", "Shop", "-shop", "sh op", "shop,bank", "", strings.Repeat("a", 64), strings.Repeat("a", 100_000), "*"} {
		body := `{"tenant":"` + tenant + `","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"}}`
		if a := f.do(t, "POST", "/v1/requests", "application/json", body); !fieldAt(a, "tenant") {
			t.Errorf("tenant %.40q: %d %.300s", tenant, a.status, a.raw)
		}
		if tenant == "" || strings.Contains(tenant, ",") {
			continue // the queue takes a comma-separated list
		}
		if a := f.do(t, "GET", "/v1/requests?tenant="+url.QueryEscape(tenant), "", ""); !fieldAt(a, "tenant") {
			t.Errorf("queue ?tenant=%.40q: %d %.300s", tenant, a.status, a.raw)
		}
	}
	for _, tenant := range []string{"shop", "catch-all", "a", strings.Repeat("a", 63), "shop-2"} {
		body := `{"tenant":"` + tenant + `","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"}}`
		if a := f.do(t, "POST", "/v1/requests", "application/json", body); a.status != 201 {
			t.Errorf("tenant %q: %d %s", tenant, a.status, a.raw)
		}
	}
	// Other queue parameters go to the database too.
	for _, q := range []string{"assignee=li%00", "reference=DSR%0A1", "assignee=%FF"} {
		field, _, _ := strings.Cut(q, "=")
		if a := f.do(t, "GET", "/v1/requests?"+q, "", ""); !fieldAt(a, field) {
			t.Errorf("queue ?%s: %d %s", q, a.status, a.raw)
		}
	}
}

// Issue 15 item 12: received_at in year 1 opened a case that was denied at
// once. It is bounded by the clock and by the policy's own timers.
func TestReceivedAtBounded(t *testing.T) {
	f := newEngineFixture(t)
	now := time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)
	f.api.Now = func() time.Time { return now }
	f.srv.Config.Handler = f.api.Handler()
	at := func(t time.Time) string { return `,"received_at":"` + t.Format(time.RFC3339) + `"` }
	portal := func(extra string) string {
		return `{"tenant":"shop","type":"access","channel":"portal","verified_by":"sso","policy_id":"gdpr","requester":{"email":"a@example.test"}` + extra + `}`
	}
	for name, tc := range map[string]struct {
		body string
		ok   bool
	}{
		"year 1":                       {openBody(`,"received_at":"0001-01-01T00:00:00Z"`), false},
		"year 1, verified":             {portal(`,"received_at":"0001-01-01T00:00:00Z"`), false},
		"ten minutes ahead":            {openBody(at(now.Add(10 * time.Minute))), false},
		"four minutes ahead (skew)":    {openBody(at(now.Add(4 * time.Minute))), true},
		"a week ago":                   {openBody(at(now.AddDate(0, 0, -7))), true},
		"past the verification window": {openBody(at(now.AddDate(0, 0, -25))), false},
		"25 days ago, verified":        {portal(at(now.AddDate(0, 0, -25))), true},
		"3 months ago, verified":       {portal(at(now.AddDate(0, -3, 0))), true},
		"5 months ago, verified":       {portal(at(now.AddDate(0, -5, 0))), false},
	} {
		a := f.do(t, "POST", "/v1/requests", "application/json", tc.body)
		switch {
		case tc.ok && a.status != 201:
			t.Errorf("%s: %d %s", name, a.status, a.raw)
		case !tc.ok && !fieldAt(a, "received_at"):
			t.Errorf("%s: %d %s, want 422 naming received_at", name, a.status, a.raw)
		case !tc.ok:
			t.Logf("%s: %s", name, a.problem.Errors[0].Reason)
		}
	}
}

// queryingEngine records the workflows the API queries.
type queryingEngine struct {
	*fakeEngine
	queried []string
}

func (e *queryingEngine) QueryWorkflow(ctx context.Context, id, run, name string, args ...any) (converter.EncodedValue, error) {
	e.queried = append(e.queried, id)
	return e.fakeEngine.QueryWorkflow(ctx, id, run, name, args...)
}

// Issue 15 item 13: another tenant's case answered 404 from the store row
// alone, a case that does not exist only after asking the engine too; the
// time told them apart. Both now take the same way: one store read, one
// query of that case's workflow, the same answer.
func TestInvisibleCaseTakesTheWayOfNoCase(t *testing.T) {
	f := newEngineFixture(t)
	qe := &queryingEngine{fakeEngine: f.engine}
	f.api.Temporal = qe
	f.srv.Config.Handler = f.api.Handler()
	bank := f.openCase(t, "bank", auth.Admin)
	unknown := "6f1c2d4e-0000-4000-8000-00000000abcd"
	f.key = f.keys[auth.DPO] // tenant shop
	for _, route := range []string{"", "/note"} {
		var answers []answer
		var queries [][]string
		for _, id := range []string{bank, unknown} {
			qe.queried = nil
			method, body := "GET", ""
			if route != "" {
				method, body = "POST", `{"note":"x"}`
			}
			answers = append(answers, f.do(t, method, "/v1/requests/"+id+route, "application/json", body))
			queries = append(queries, qe.queried)
		}
		if answers[0].status != 404 || answers[0].raw != answers[1].raw {
			t.Errorf("%q: other tenant's case %d %s, no case %d %s", route, answers[0].status, answers[0].raw, answers[1].status, answers[1].raw)
		}
		if len(queries[0]) != 1 || len(queries[1]) != 1 || !strings.HasSuffix(queries[0][0], bank) || !strings.HasSuffix(queries[1][0], unknown) {
			t.Errorf("%q: engine queries for another tenant's case %v, for no case %v; want one each", route, queries[0], queries[1])
		}
	}
}

// Why the door must refuse NUL: PostgreSQL cannot store it, so a case
// holding one fails its projection on every retry. The API answers 422
// before any of that, on the store the review found it on.
func TestNULNeverReachesPostgres(t *testing.T) {
	st := storetest.Open(t, store.Postgres)
	id := uuid.NewString()
	err := st.SaveCase(context.Background(), &store.Case{ID: id, Reference: "DSR-NUL", Tenant: "shop", Type: "access",
		Channel: "api", Status: "received", PolicyID: "gdpr", Language: "en", ActingFor: "self",
		RequesterName: "a\x00b", ReceivedAt: time.Now().UTC(), Revision: 1})
	if err == nil || !strings.Contains(err.Error(), "0x00") {
		t.Fatalf("PostgreSQL on a NUL: %v; want its invalid byte sequence error", err)
	}
	f := newEngineFixture(t)
	a := f.do(t, "POST", "/v1/requests", "application/json",
		`{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"name":"a\u0000b","email":"a@example.test"}}`)
	if !fieldAt(a, "requester.name") || len(f.engine.calls) != 0 {
		t.Fatalf("NUL in requester.name: %d %s, engine %v", a.status, a.raw, f.engine.calls)
	}
}
