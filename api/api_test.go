package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/google/uuid"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/api/apitest"
	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// These tests run the API against a real store and a Temporal client whose
// server is down: everything the API must decide by itself, and how it
// behaves when the workflow engine is unreachable. The end-to-end test in
// cmd/dsr covers the way through a live engine.

type fixture struct {
	srv   *httptest.Server
	store *store.Store
	api   *api.Server
	// keys holds a key per role, acting for tenant "shop" (admin: all).
	keys map[auth.Role]string
	// key is the one requests carry unless told otherwise: admin.
	key string
	// contract checks every answer against the OpenAPI document.
	contract *apitest.Contract
}

// newKey stores a key and returns it.
func newKey(t testing.TB, st *store.Store, role auth.Role, tenants string) string {
	t.Helper()
	plain, hash, err := auth.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAPIKey(context.Background(), &store.APIKey{ID: uuid.NewString(), Name: string(role) + "-test",
		Hash: hash, Role: string(role), Tenants: tenants}); err != nil {
		t.Fatal(err)
	}
	return plain
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	reg, err := policy.NewRegistry(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	tc, err := client.NewLazyClient(client.Options{HostPort: down,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	return newFixtureWith(t, reg, tc)
}

// newFixtureWith is newFixture with the given workflow engine.
func newFixtureWith(t *testing.T, reg *policy.Registry, tc client.Client) *fixture {
	t.Helper()
	st := storetest.Open(t, store.SQLite)
	a := &api.Server{Store: st, Temporal: tc, Policies: reg, TaskQueue: "dsr"}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	f := &fixture{srv: srv, store: st, api: a, keys: map[auth.Role]string{}, contract: apitest.Load(t)}
	for _, r := range auth.Roles {
		tenants := "shop"
		if r == auth.Admin {
			tenants = auth.AllTenants
		}
		f.keys[r] = newKey(t, st, r, tenants)
	}
	f.key = f.keys[auth.Admin]
	return f
}

type answer struct {
	status  int
	header  http.Header
	ctype   string
	problem api.Problem
	raw     string
}

func (f *fixture) do(t *testing.T, method, path, ctype, body string) answer {
	t.Helper()
	return f.doWith(t, map[string]string{"Authorization": "Bearer " + f.key, "Content-Type": ctype}, method, path, body)
}

// doWith sends a request with exactly the given headers (empty ones left out).
func (f *fixture) doWith(t *testing.T, headers map[string]string, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	f.contract.Check(t, req, resp.StatusCode, resp.Header, b)
	a := answer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), raw: string(b)}
	a.header = resp.Header
	if a.ctype == "application/problem+json" {
		if err := json.Unmarshal(b, &a.problem); err != nil {
			t.Fatalf("problem body %q: %v", b, err)
		}
	}
	return a
}

const valid = `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"}}`

func TestOpenRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		ctype  string
		body   string
		status int
		field  string
	}{
		{"no content type", "", valid, 415, ""},
		{"text", "text/plain", valid, 415, ""},
		{"empty", "application/json", "", 400, "body"},
		{"malformed", "application/json", `{"tenant":`, 400, "body"},
		{"two objects", "application/json", valid + valid, 400, "body"},
		{"unknown field", "application/json", `{"tenant":"shop","colour":"red"}`, 400, "colour"},
		{"wrong JSON type", "application/json", `{"tenant":7}`, 400, "tenant"},
		{"nested wrong type", "application/json", `{"requester":{"email":["a"]}}`, 400, "requester.email"},
		{"broken UTF-8", "application/json", "{\"tenant\":\"sh\xffop\"}", 400, "body"},
		{"too large", "application/json", `{"details":"` + strings.Repeat("x", 2<<20) + `"}`, 413, ""},
		{"no tenant", "application/json", `{"type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"}}`, 422, "tenant"},
		{"unknown type", "application/json", `{"tenant":"shop","type":"erasure","policy_id":"gdpr","requester":{"email":"a@example.test"}}`, 422, "type"},
		{"unknown channel", "application/json", `{"tenant":"shop","type":"access","channel":"fax","policy_id":"gdpr","requester":{"email":"a@example.test"}}`, 422, "channel"},
		{"unknown policy", "application/json", `{"tenant":"shop","type":"access","policy_id":"gdpr2","requester":{"email":"a@example.test"}}`, 422, "policy_id"},
		{"no contact", "application/json", `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"name":"Li"}}`, 422, "requester"},
		{"bad e-mail", "application/json", `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"Li <li@example.test>"}}`, 422, "requester.email"},
		{"bad phone", "application/json", `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"phone":"call me"}}`, 422, "requester.phone"},
		{"unknown language", "application/json", `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test","language":"fr"}}`, 422, "requester.language"},
		{"unknown acting_for", "application/json", `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test","acting_for":"friend"}}`, 422, "requester.acting_for"},
		{"future receipt", "application/json", `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"},"received_at":"2999-01-01T00:00:00Z"}`, 422, "received_at"},
		{"sms without phone", "application/json", `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"},"verification_channel":"sms"}`, 422, "verification_channel"},
		{"unknown verification channel", "application/json", `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"},"verification_channel":"fax"}`, 422, "verification_channel"},
		{"verified_by off the portal", "application/json", `{"tenant":"shop","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"},"verified_by":"me"}`, 422, "verified_by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.do(t, "POST", "/v1/requests", tt.ctype, tt.body)
			if a.status != tt.status || a.ctype != "application/problem+json" {
				t.Fatalf("status %d %s, want %d problem: %s", a.status, a.ctype, tt.status, a.raw)
			}
			if tt.field == "" {
				return
			}
			for _, e := range a.problem.Errors {
				if e.Field == tt.field && e.Reason != "" {
					return
				}
			}
			t.Errorf("problem does not name field %q with a reason: %s", tt.field, a.raw)
		})
	}
}

// Every fault in a request is reported at once, not one per round trip.
func TestOpenReportsAllFields(t *testing.T) {
	f := newFixture(t)
	a := f.do(t, "POST", "/v1/requests", "application/json", `{"type":"x","policy_id":"y","requester":{}}`)
	var fields []string
	for _, e := range a.problem.Errors {
		fields = append(fields, e.Field)
	}
	if a.status != 422 || strings.Join(fields, ",") != "tenant,type,policy_id,requester" {
		t.Fatalf("status %d, fields %v", a.status, fields)
	}
}

// Intake never answers 201 for a case the workflow engine did not take.
func TestOpenWithTemporalDown(t *testing.T) {
	f := newFixture(t)
	a := f.do(t, "POST", "/v1/requests", "application/json", valid)
	if a.status != http.StatusServiceUnavailable || a.ctype != "application/problem+json" {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	var n int64
	if err := f.store.DB().WithContext(context.Background()).Table("cases").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d cases in the store after a refused intake", n)
	}
}

func TestReadyzNamesTheFailingPart(t *testing.T) {
	f := newFixture(t)
	a := f.do(t, "GET", "/readyz", "", "")
	if a.status != http.StatusServiceUnavailable || len(a.problem.Errors) != 1 || a.problem.Errors[0].Field != "temporal" {
		t.Fatalf("readyz: %d %s", a.status, a.raw)
	}
	if a := f.do(t, "GET", "/healthz", "", ""); a.status != http.StatusOK {
		t.Errorf("healthz: %d", a.status)
	}
}

func TestActionsRefuseBadInputBeforeTheEngine(t *testing.T) {
	f := newFixture(t)
	const id = "/v1/requests/6f1c2d4e-0000-4000-8000-000000000001"
	for _, tt := range []struct {
		path, ctype, body string
		status            int
	}{
		{"/v1/requests/not-a-case/verify", "application/json", `{}`, 404},
		{id + "/verify", "text/plain", `{}`, 415},
		{id + "/verify", "application/json", `{"method":"code","pin":"1"}`, 400},
		{id + "/extend", "application/json", `{"reason":"x","amount":"ten"}`, 400},
		{id + "/escalate", "application/json", `{}`, 404},
		// Well-formed, but the engine is down.
		{id + "/complete", "application/json", `{"summary":"done"}`, 503},
	} {
		a := f.do(t, "POST", tt.path, tt.ctype, tt.body)
		if a.status != tt.status || a.ctype != "application/problem+json" {
			t.Errorf("POST %s %s: %d %s, want %d problem", tt.path, tt.body, a.status, a.raw, tt.status)
		}
	}
}

func TestCaseUnknown(t *testing.T) {
	f := newFixture(t)
	// The engine is down and the store has no such case: 503, not a
	// misleading 404, since the case may exist in the engine.
	if a := f.do(t, "GET", "/v1/requests/6f1c2d4e-0000-4000-8000-000000000001", "", ""); a.status != 503 {
		t.Errorf("unknown case with the engine down: %d %s", a.status, a.raw)
	}
	if a := f.do(t, "GET", "/v1/requests/nope", "", ""); a.status != 404 {
		t.Errorf("malformed id: %d", a.status)
	}
	if a := f.do(t, "GET", "/v1/requests/6f1c2d4e-0000-4000-8000-000000000001/events", "", ""); a.status != 503 {
		t.Errorf("events of unknown case with the engine down: %d", a.status)
	}
}

func TestPolicies(t *testing.T) {
	f := newFixture(t)
	a := f.do(t, "GET", "/v1/policies", "", "")
	var list struct {
		Policies []struct {
			ID       string `json:"id"`
			Deadline string `json:"deadline"`
		} `json:"policies"`
	}
	if err := json.Unmarshal([]byte(a.raw), &list); err != nil || a.status != 200 {
		t.Fatalf("%d %v %s", a.status, err, a.raw)
	}
	var ids []string
	for _, p := range list.Policies {
		ids = append(ids, p.ID)
	}
	for _, want := range []string{"cn-15d-ext45", "cn-15d-after-verification", "cn-15wd", "1m-ext45", "gdpr", "uk-gdpr", "ccpa", "lgpd"} {
		if !strings.Contains(","+strings.Join(ids, ",")+",", ","+want+",") {
			t.Errorf("preset %s missing from %v", want, ids)
		}
	}
	if a := f.do(t, "GET", "/v1/policies/gdpr2", "", ""); a.status != 404 || a.ctype != "application/problem+json" {
		t.Errorf("unknown policy: %d %s", a.status, a.ctype)
	}
}

func TestPolicyDeadline(t *testing.T) {
	f := newFixture(t)
	a := f.do(t, "GET", "/v1/policies/cn-15wd/deadline?from=2026-09-18T10:00:00%2B08:00", "", "")
	var got struct {
		Schedule struct {
			Due struct {
				Date string `json:"date"`
			} `json:"due"`
			Reminders []string `json:"reminders"`
		} `json:"schedule"`
	}
	if err := json.Unmarshal([]byte(a.raw), &got); err != nil || a.status != 200 {
		t.Fatalf("%d %v %s", a.status, err, a.raw)
	}
	if got.Schedule.Due.Date != "2026-10-15" || len(got.Schedule.Reminders) != 3 {
		t.Errorf("schedule %+v, want due 2026-10-15 with 3 reminders", got.Schedule)
	}
	for _, tt := range []struct{ query, field, reason string }{
		{"", "from", "RFC 3339"},
		{"?from=yesterday", "from", "RFC 3339"},
		{"?from=2026-09-18T10:00:00Z&type=erasure", "type", "erasure"},
		{"?from=2026-09-18T10:00:00Z&verified=soon", "verified", "RFC 3339"},
		// Beyond the calendar: an error naming the date, never a guess.
		{"?from=2026-12-20T10:00:00Z", "from", "2027"},
	} {
		a := f.do(t, "GET", "/v1/policies/cn-15wd/deadline"+tt.query, "", "")
		if a.status != 422 || len(a.problem.Errors) == 0 || a.problem.Errors[0].Field != tt.field ||
			!strings.Contains(a.problem.Errors[0].Reason, tt.reason) {
			t.Errorf("deadline%s: %d %s", tt.query, a.status, a.raw)
		}
	}
}

// Every route, called with a key of every role: the roles it declares get
// past authorisation, the others get 403; without a key, 401.
func TestRoleMatrix(t *testing.T) {
	f := newFixture(t)
	const id = "6f1c2d4e-0000-4000-8000-000000000001"
	for _, rt := range f.api.Routes() {
		path := strings.ReplaceAll(strings.ReplaceAll(rt.Path, ":id", id), "/v1/policies/"+id, "/v1/policies/gdpr")
		body := ""
		if rt.Method == http.MethodPost {
			body = "{}"
		}
		send := func(key string) answer {
			return f.doWith(t, map[string]string{"Authorization": key, "Content-Type": "application/json"}, rt.Method, path, body)
		}
		if rt.Roles == nil {
			if a := send(""); a.status == 401 || a.status == 403 {
				t.Errorf("%s %s is public but answered %d", rt.Method, rt.Path, a.status)
			}
			continue
		}
		if a := send(""); a.status != 401 || a.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s without a key: %d", rt.Method, rt.Path, a.status)
		}
		if a := send("Bearer dsr_notakey"); a.status != 401 {
			t.Errorf("%s %s with a wrong key: %d", rt.Method, rt.Path, a.status)
		}
		for _, role := range auth.Roles {
			a := send("Bearer " + f.keys[role])
			allowed := slices.Contains(rt.Roles, role)
			if allowed && (a.status == 401 || a.status == 403) {
				t.Errorf("%s %s as %s: %d, want it allowed: %s", rt.Method, rt.Path, role, a.status, a.raw)
			}
			if !allowed && a.status != 403 {
				t.Errorf("%s %s as %s: %d, want 403", rt.Method, rt.Path, role, a.status)
			}
		}
	}
}

func TestRevokedKeyStopsWorking(t *testing.T) {
	f := newFixture(t)
	keys, err := f.store.APIKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Role == string(auth.Admin) {
			if err := f.store.RevokeAPIKey(context.Background(), k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if a := f.do(t, "GET", "/v1/policies", "", ""); a.status != 401 {
		t.Errorf("revoked key: %d", a.status)
	}
}

// A key acts only for its tenants: it may not open a case elsewhere.
func TestOpenForAnotherTenant(t *testing.T) {
	f := newFixture(t)
	f.key = f.keys[auth.Portal] // tenant shop
	a := f.do(t, "POST", "/v1/requests", "application/json",
		`{"tenant":"bank","type":"access","policy_id":"gdpr","requester":{"email":"a@example.test"}}`)
	if a.status != 403 || len(a.problem.Errors) != 1 || a.problem.Errors[0].Field != "tenant" {
		t.Errorf("open for bank with a shop key: %d %s", a.status, a.raw)
	}
}

func TestPortalMayNotVerifyManually(t *testing.T) {
	f := newFixture(t)
	f.key = f.keys[auth.Portal]
	a := f.do(t, "POST", "/v1/requests/6f1c2d4e-0000-4000-8000-000000000001/verify", "application/json",
		`{"method":"manual","note":"looked at it"}`)
	if a.status != 403 {
		t.Errorf("manual verification by a portal key: %d %s", a.status, a.raw)
	}
}

// The same Idempotency-Key and body give the stored answer again; another
// body under the key is refused; an answer of 5xx is not kept.
func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	send := func(key, body string) answer {
		return f.doWith(t, map[string]string{"Authorization": "Bearer " + f.key, "Content-Type": "application/json",
			"Idempotency-Key": key}, "POST", "/v1/requests", body)
	}
	bad := `{"tenant":"shop","type":"erasure","policy_id":"gdpr","requester":{"email":"a@example.test"}}`
	first := send("k-1", bad)
	again := send("k-1", bad)
	if first.status != 422 || again.status != 422 || again.raw != first.raw || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %q, then %d %q (replayed %q)", first.status, first.raw, again.status, again.raw, again.header.Get("Idempotent-Replayed"))
	}
	if a := send("k-1", valid); a.status != 409 || len(a.problem.Errors) != 1 || a.problem.Errors[0].Field != "Idempotency-Key" {
		t.Errorf("same key, other body: %d %s", a.status, a.raw)
	}
	// The engine is down: 503, not kept, so the retry is tried again.
	for range 2 {
		if a := send("k-2", valid); a.status != 503 || a.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("503 answer: %d, replayed %q", a.status, a.header.Get("Idempotent-Replayed"))
		}
	}
	if a := send(strings.Repeat("k", 256), valid); a.status != 400 {
		t.Errorf("overlong key: %d", a.status)
	}
}

// seedCases stores cases as the workflow would project them.
func seedCases(t *testing.T, f *fixture, n int, tenant, openedBy string) {
	t.Helper()
	for i := range n {
		due := time.Date(2026, 3, 1+i, 15, 59, 59, 0, time.UTC)
		id := uuid.NewString()
		c := &store.Case{ID: id, Reference: "DSR-" + id[:8], Tenant: tenant, Type: "access", Channel: "api",
			Status: "in_progress", PolicyID: "gdpr", Language: "en", ActingFor: "self", ReceivedAt: due.AddDate(0, -1, 0),
			DueAt: &due, DueDate: due.Format("2006-01-02"), Revision: 1, OpenedBy: openedBy, Overdue: i == 0}
		if err := f.store.SaveCase(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
}

func keyID(t *testing.T, f *fixture, role auth.Role) string {
	t.Helper()
	k, err := f.store.APIKeyByHash(context.Background(), auth.Hash(f.keys[role]))
	if err != nil {
		t.Fatal(err)
	}
	return k.ID
}

type queuePage struct {
	Cases []struct {
		ID, Tenant string
		DueAt      time.Time `json:"due_at"`
	} `json:"cases"`
	NextCursor string `json:"next_cursor"`
}

func (f *fixture) queue(t *testing.T, role auth.Role, query string) (answer, queuePage) {
	t.Helper()
	f.key = f.keys[role]
	a := f.do(t, "GET", "/v1/requests"+query, "", "")
	var p queuePage
	if a.status == 200 {
		if err := json.Unmarshal([]byte(a.raw), &p); err != nil {
			t.Fatal(err)
		}
	}
	return a, p
}

func TestQueueSeesOnlyWhatTheKeyMay(t *testing.T) {
	f := newFixture(t)
	seedCases(t, f, 12, "shop", keyID(t, f, auth.Portal))
	seedCases(t, f, 5, "shop", "someone-else")
	seedCases(t, f, 7, "bank", "")

	// A DPO of shop pages through 17 shop cases, soonest due first.
	var seen int
	query := "?limit=5"
	var last time.Time
	for range 10 {
		a, p := f.queue(t, auth.DPO, query)
		if a.status != 200 {
			t.Fatalf("queue: %d %s", a.status, a.raw)
		}
		for _, c := range p.Cases {
			if c.Tenant != "shop" || c.DueAt.Before(last) {
				t.Fatalf("case %+v after due %s", c, last)
			}
			last = c.DueAt
			seen++
		}
		if p.NextCursor == "" {
			break
		}
		query = "?limit=5&cursor=" + p.NextCursor
	}
	if seen != 17 {
		t.Errorf("dpo saw %d cases, want the 17 of shop", seen)
	}
	if _, p := f.queue(t, auth.Portal, "?limit=500"); len(p.Cases) != 12 {
		t.Errorf("portal saw %d cases, want the 12 it opened", len(p.Cases))
	}
	if _, p := f.queue(t, auth.DPO, "?tenant=bank"); len(p.Cases) != 0 {
		t.Errorf("shop dpo asking for bank saw %d cases", len(p.Cases))
	}
	if _, p := f.queue(t, auth.Admin, "?tenant=bank&limit=500"); len(p.Cases) != 7 {
		t.Errorf("admin saw %d bank cases, want 7", len(p.Cases))
	}
	if _, p := f.queue(t, auth.Admin, "?overdue=true&limit=500"); len(p.Cases) != 3 {
		t.Errorf("admin saw %d overdue cases, want 3", len(p.Cases))
	}

	f.key = f.keys[auth.DPO]
	a := f.do(t, "GET", "/v1/requests/summary", "", "")
	var sum store.CaseSummary
	if err := json.Unmarshal([]byte(a.raw), &sum); err != nil || sum.Open != 17 || sum.Overdue != 2 || sum.ByStatus["in_progress"] != 17 {
		t.Errorf("summary %d %s", a.status, a.raw)
	}
}

func TestQueueRefusesBadParameters(t *testing.T) {
	f := newFixture(t)
	for query, field := range map[string]string{
		"?status=open":           "status",
		"?type=erasure":          "type",
		"?overdue=maybe":         "overdue",
		"?due_before=tomorrow":   "due_before",
		"?limit=0":               "limit",
		"?limit=501":             "limit",
		"?cursor=xyz":            "cursor",
		"?sort=reference":        "sort",
		"?received_from=2026-01": "received_from",
	} {
		a, _ := f.queue(t, auth.Admin, query)
		if a.status != 422 || len(a.problem.Errors) == 0 || a.problem.Errors[0].Field != field {
			t.Errorf("%s: %d %s", query, a.status, a.raw)
		}
	}
}
