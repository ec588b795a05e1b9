package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/connector/httpapi"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

const callbackSecret = "crm-callback-secret-0123456789abcdef"

type callbackFixture struct {
	url   string
	store *store.Store
	now   time.Time
}

func newCallbackFixture(t *testing.T) *callbackFixture {
	t.Helper()
	st := storetest.Open(t, store.SQLite)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := &api.Server{Store: st, Now: func() time.Time { return now },
		CallbackSecrets: map[string][]byte{"crm": []byte(callbackSecret)}}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &callbackFixture{url: srv.URL, store: st, now: now}
}

// post sends body to connector's callback route with the given signature
// header (none if empty) and returns the status and problem.
func (f *callbackFixture) post(t *testing.T, connector, signature, body string) (int, api.Problem) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+"/v1/connectors/"+connector+"/callbacks", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(httpapi.SignatureHeader, signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var p api.Problem
	if resp.StatusCode != http.StatusNoContent {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%d answered with %s: %s", resp.StatusCode, ct, raw)
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("problem %q: %v", raw, err)
		}
	}
	return resp.StatusCode, p
}

func (f *callbackFixture) sign(body string) string {
	return httpapi.Sign([]byte(callbackSecret), f.now, []byte(body))
}

func TestCallbackStored(t *testing.T) {
	f := newCallbackFixture(t)
	body := `{"job":"j-42","status":"done","result_url":"/results/j-42"}`
	if status, p := f.post(t, "crm", f.sign(body), body); status != http.StatusNoContent {
		t.Fatalf("signed callback: %d %+v", status, p)
	}
	got, err := f.store.Callback(context.Background(), "crm", "j-42")
	if err != nil || string(got) != body {
		t.Fatalf("stored %q %v, want the body as sent", got, err)
	}
	// The service did not hear our 204 and sends it again.
	if status, p := f.post(t, "crm", f.sign(body), body); status != http.StatusNoContent {
		t.Errorf("same callback again: %d %+v", status, p)
	}
	other := `{"job":"j-42","status":"failed","error":"boom"}`
	if status, _ := f.post(t, "crm", f.sign(other), other); status != http.StatusConflict {
		t.Errorf("different callback for a stored job: %d, want 409", status)
	}
	if got, _ := f.store.Callback(context.Background(), "crm", "j-42"); string(got) != body {
		t.Errorf("after a conflict the store holds %q, want the first body", got)
	}
}

func TestCallbackRefused(t *testing.T) {
	f := newCallbackFixture(t)
	good := `{"job":"j-1","status":"done"}`
	stale := httpapi.Sign([]byte(callbackSecret), f.now.Add(-6*time.Minute), []byte(good))
	future := httpapi.Sign([]byte(callbackSecret), f.now.Add(6*time.Minute), []byte(good))
	wrongKey := httpapi.Sign([]byte("another-secret-0123456789abcdefghij"), f.now, []byte(good))
	tests := []struct {
		name, connector, signature, body string
		status                           int
		field                            string
	}{
		{"unknown connector", "billing", f.sign(good), good, 404, ""},
		{"no signature", "crm", "", good, 401, ""},
		{"malformed signature", "crm", "sha256=abc", good, 401, ""},
		{"wrong key", "crm", wrongKey, good, 401, ""},
		{"stale", "crm", stale, good, 401, ""},
		{"from the future", "crm", future, good, 401, ""},
		{"body changed after signing", "crm", f.sign(good), `{"job":"j-2","status":"done"}`, 401, ""},
		{"not JSON", "crm", f.sign("job=j-1"), "job=j-1", 400, "body"},
		{"array", "crm", f.sign(`["j-1"]`), `["j-1"]`, 400, "body"},
		{"no job", "crm", f.sign(`{"status":"done"}`), `{"status":"done"}`, 422, "job"},
		{"empty job", "crm", f.sign(`{"job":"","status":"done"}`), `{"job":"","status":"done"}`, 422, "job"},
		{"job with a space", "crm", f.sign(`{"job":"a b","status":"done"}`), `{"job":"a b","status":"done"}`, 422, "job"},
		{"job too long", "crm", f.sign(`{"job":"` + strings.Repeat("j", 201) + `","status":"done"}`),
			`{"job":"` + strings.Repeat("j", 201) + `","status":"done"}`, 422, "job"},
		{"unknown status", "crm", f.sign(`{"job":"j-1","status":"later"}`), `{"job":"j-1","status":"later"}`, 422, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, p := f.post(t, tt.connector, tt.signature, tt.body)
			if status != tt.status {
				t.Fatalf("%d %+v, want %d", status, p, tt.status)
			}
			if tt.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.field) {
				t.Errorf("problem %+v, want field %s", p, tt.field)
			}
		})
	}
	for _, job := range []string{"j-1", "j-2"} {
		if _, err := f.store.Callback(context.Background(), "crm", job); err == nil {
			t.Errorf("a refused callback for %s was stored", job)
		}
	}
}
