package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/auth"

	"github.com/dsrflow/dsrflow/store/storetest"
)

// apiKey creates a key with `dsr apikey create` in the engine's database.
func (e *devEngine) apiKey(args ...string) string {
	e.t.Helper()
	code, out, stderr := dsr(e.t, []string{"DSR_DATABASE_URL=" + e.dbURL}, append([]string{"apikey", "create"}, args...)...)
	key, _, _ := strings.Cut(out, "\n")
	if code != 0 || !strings.HasPrefix(key, "dsr_") {
		e.t.Fatalf("apikey create %v: exit %d, %q, %s", args, code, out, stderr)
	}
	return key
}

// as sends a request with another key.
func (e *devEngine) as(key, method, path, body string) response {
	e.t.Helper()
	return e.send(map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json"}, method, path, body)
}

// Keys, roles and tenants on a real engine and Postgres: a key sees only
// its tenants' cases, a portal key only the cases it opened, and a retried
// POST with an Idempotency-Key opens one case.
func TestAPIAccessEndToEnd(t *testing.T) {
	needTemporal(t)
	e := startDev(t, t.TempDir(), storetest.PostgresURL(t))
	portal := e.apiKey("--role", "portal", "--tenant", "shop", "--name", "shop-portal")
	otherPortal := e.apiKey("--role", "portal", "--tenant", "shop", "--name", "shop-app")
	bankDPO := e.apiKey("--role", "dpo", "--tenant", "bank")
	auditor := e.apiKey("--role", "auditor", "--tenant", "shop")

	expect(t, "no key", e.send(nil, "GET", "/v1/policies", ""), http.StatusUnauthorized)

	// One Idempotency-Key, sent twice: one case.
	headers := map[string]string{"Authorization": "Bearer " + portal, "Content-Type": "application/json", "Idempotency-Key": "portal-req-1"}
	first := e.send(headers, "POST", "/v1/requests", openBody)
	again := e.send(headers, "POST", "/v1/requests", openBody)
	expect(t, "open", first, http.StatusCreated)
	expect(t, "open again", again, http.StatusCreated)
	id, _ := first.body["id"].(string)
	if again.body["id"] != id {
		t.Fatalf("a retried POST opened a second case: %s then %s", first.raw, again.raw)
	}
	expect(t, "same key, other body", e.send(headers, "POST", "/v1/requests", strings.Replace(openBody, "access", "deletion", 1)), http.StatusConflict)
	adminCase, _ := e.post("/v1/requests", openBody).body["id"].(string)

	r := e.as(portal, "GET", "/v1/requests/"+id, "")
	expect(t, "portal reads its case", r, http.StatusOK)
	if opener, _ := r.body["opened_by"].(string); opener == "" {
		t.Errorf("case does not record its opener: %s", r.raw)
	}
	expect(t, "portal reads another portal's case", e.as(otherPortal, "GET", "/v1/requests/"+id, ""), http.StatusNotFound)
	expect(t, "portal reads a staff case", e.as(portal, "GET", "/v1/requests/"+adminCase, ""), http.StatusNotFound)
	expect(t, "portal reads the audit trail", e.as(portal, "GET", "/v1/requests/"+id+"/events", ""), http.StatusForbidden)
	expect(t, "other tenant reads", e.as(bankDPO, "GET", "/v1/requests/"+id, ""), http.StatusNotFound)
	expect(t, "other tenant's trail", e.as(bankDPO, "GET", "/v1/requests/"+id+"/events", ""), http.StatusNotFound)
	expect(t, "other tenant acts", e.as(bankDPO, "POST", "/v1/requests/"+id+"/extend", `{"reason":"x"}`), http.StatusNotFound)
	expect(t, "auditor acts", e.as(auditor, "POST", "/v1/requests/"+id+"/complete", `{"summary":"x"}`), http.StatusForbidden)

	r = e.as(portal, "POST", "/v1/requests/"+id+"/verify", `{"method":"code","code":"`+e.code(first.body["reference"].(string))+`"}`)
	expect(t, "portal passes the code", r, http.StatusOK)
	expect(t, "portal completes", e.as(portal, "POST", "/v1/requests/"+id+"/complete", `{"summary":"x"}`), http.StatusForbidden)

	// Staff bookkeeping shows in the queue, which reads the store.
	expect(t, "assign", e.post("/v1/requests/"+id+"/assign", `{"assignee":"wang"}`), http.StatusOK)
	expect(t, "tag", e.post("/v1/requests/"+id+"/tag", `{"add":["vip"]}`), http.StatusOK)
	expect(t, "note", e.post("/v1/requests/"+id+"/note", `{"note":"called back"}`), http.StatusOK)
	r = e.get("/v1/requests?assignee=wang")
	if !strings.Contains(r.raw, id) || !strings.Contains(r.raw, `"tags":["vip"]`) {
		t.Errorf("queue for wang: %s", r.raw)
	}
	if r = e.as(bankDPO, "GET", "/v1/requests", ""); strings.Contains(r.raw, id) {
		t.Errorf("bank's queue shows a shop case: %s", r.raw)
	}

	r = e.as(auditor, "GET", "/v1/requests/"+id+"/events", "")
	expect(t, "auditor reads the trail", r, http.StatusOK)
	if !strings.Contains(r.raw, `"actor":"key:shop-portal"`) || strings.Count(r.raw, `"kind":"case.opened"`) != 1 {
		t.Errorf("trail does not name the portal key once as opener: %s", r.raw)
	}
	walkRoles(t, e, map[string]string{
		"admin": e.key, "portal": portal, "auditor": auditor,
		"dpo":    e.apiKey("--role", "dpo", "--tenant", "shop"),
		"intake": e.apiKey("--role", "intake", "--tenant", "shop"),
	})
	e.stop()
}

// walkRoles calls every route with every role's key on the live engine: the
// roles a route declares get past authorisation, the others get 403. Case
// routes use an ID no case has, so nothing changes.
func walkRoles(t *testing.T, e *devEngine, keys map[string]string) {
	t.Helper()
	const nobody = "6f1c2d4e-0000-4000-8000-00000000dead"
	for _, rt := range (&api.Server{}).Routes() {
		if rt.Roles == nil {
			continue
		}
		path := strings.NewReplacer("/v1/policies/:id", "/v1/policies/gdpr", ":id", nobody, ":op", "decode").Replace(rt.Path)
		body := ""
		if rt.Method == http.MethodPost {
			body = "{}"
		}
		for role, key := range keys {
			r := e.as(key, rt.Method, path, body)
			allowed := slices.Contains(rt.Roles, auth.Role(role))
			if allowed && (r.status == 401 || r.status == 403) || !allowed && r.status != 403 {
				t.Errorf("%s %s as %s: %d (allowed: %v)", rt.Method, rt.Path, role, r.status, allowed)
			}
		}
	}
}
