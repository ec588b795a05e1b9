package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/dsrflow/dsrflow/api"
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
	st := storetest.Open(t, store.SQLite)
	srv := httptest.NewServer((&api.Server{Store: st, Temporal: tc, Policies: reg, TaskQueue: "dsr"}).Handler())
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, store: st}
}

type answer struct {
	status  int
	ctype   string
	problem api.Problem
	raw     string
}

func (f *fixture) do(t *testing.T, method, path, ctype, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), raw: string(b)}
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
	if a := f.do(t, "GET", "/v1/requests/6f1c2d4e-0000-4000-8000-000000000001/events", "", ""); a.status != 404 {
		t.Errorf("events of unknown case: %d", a.status)
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
