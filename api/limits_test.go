package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/workflows"
)

// engineFixture is the API with a real store and the fuzz target's fake
// engine (see fakeEngine), which runs the cases it is given: what the
// verification limits need, since only attempts on a visible case count.
type engineFixture struct {
	*fixture
	engine *fakeEngine
}

func newEngineFixture(t *testing.T) *engineFixture {
	t.Helper()
	reg, err := policy.NewRegistry(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &fakeEngine{running: map[string]workflows.State{}, started: map[string]bool{}}
	return &engineFixture{fixture: newFixtureWith(t, reg, e), engine: e}
}

// openCase stores a case awaiting verification, opened by the key of
// role, and runs its workflow.
func (f *engineFixture) openCase(t *testing.T, tenant string, role auth.Role) string {
	t.Helper()
	id := uuid.NewString()
	c := store.Case{ID: id, Reference: "DSR-" + id[:8], Tenant: tenant, Type: "access", Channel: "api",
		Status: string(request.PendingVerification), PolicyID: "gdpr", Language: "en", ActingFor: "self",
		ReceivedAt: time.Now().UTC().Truncate(time.Second), Revision: 1, OpenedBy: keyID(t, f.fixture, role),
		RequesterEmail: "li@example.test"}
	if err := f.store.SaveCase(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	f.engine.running[workflows.WorkflowID(id)] = workflows.State{CaseID: id, Reference: c.Reference,
		Tenant: tenant, Type: request.Access, Channel: request.ChannelAPI, PolicyID: "gdpr",
		Status: request.PendingVerification, ReceivedAt: c.ReceivedAt, Revision: 1, OpenedBy: c.OpenedBy,
		Requester: workflows.Requester{Email: c.RequesterEmail, Language: request.English, ActingFor: request.Self}}
	return id
}

// verify sends a code for case id with the given key and extra headers.
func (f *engineFixture) verify(t *testing.T, key, id, code string, headers map[string]string) answer {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	return f.doWith(t, h, "POST", "/v1/requests/"+id+"/verify", `{"method":"code","code":"`+code+`"}`)
}

func TestVerifyAttemptsLimited(t *testing.T) {
	f := newEngineFixture(t)
	portal := f.keys[auth.Portal]
	id := f.openCase(t, "shop", auth.Portal)
	var last answer
	for range 11 {
		last = f.verify(t, portal, id, "000000", nil)
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" || last.ctype != "application/problem+json" {
		t.Fatalf("11th attempt on one case: %d, Retry-After %q", last.status, last.header.Get("Retry-After"))
	}
	// Other cases from the same client still get through, up to the
	// client's own limit (30, eleven of them spent above).
	var statuses []int
	for range 25 {
		a := f.verify(t, portal, f.openCase(t, "shop", auth.Portal), "000000", nil)
		statuses = append(statuses, a.status)
	}
	if statuses[0] != 422 || statuses[18] != 422 || statuses[19] != 429 {
		t.Errorf("statuses across cases: %v", statuses)
	}
}

// Guessing from many addresses does not help: a forged X-Forwarded-For
// does not make a new client (no proxy is trusted unless configured).
func TestVerifyLimitIgnoresForgedAddresses(t *testing.T) {
	f := newEngineFixture(t)
	var statuses []int
	for i := range 35 {
		a := f.verify(t, f.keys[auth.Portal], f.openCase(t, "shop", auth.Portal), "000000", map[string]string{
			"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i), "X-Real-IP": fmt.Sprintf("198.51.100.%d", i)})
		statuses = append(statuses, a.status)
	}
	if statuses[29] != 422 || statuses[30] != 429 {
		t.Errorf("31st attempt from one address behind forged headers: %d (all: %v)", statuses[30], statuses)
	}
}

// Issue 15 item 6: a key that cannot see a case gets 404 as often as it
// likes, and that spends nothing of the owner's budget.
func TestVerifyTriesOnAnInvisibleCaseDoNotCount(t *testing.T) {
	f := newEngineFixture(t)
	id := f.openCase(t, "shop", auth.Portal)
	// Another portal of the same tenant, and a DPO of another tenant.
	otherPortal := newKey(t, f.store, auth.Portal, "shop")
	bankDPO := newKey(t, f.store, auth.DPO, "bank")
	for i := range 15 {
		for _, key := range []string{otherPortal, bankDPO} {
			if a := f.verify(t, key, id, "123456", nil); a.status != 404 {
				t.Fatalf("try %d by a key that cannot see the case: %d %s", i, a.status, a.raw)
			}
		}
	}
	if a := f.verify(t, f.keys[auth.Portal], id, fuzzCode, nil); a.status != 200 {
		t.Fatalf("the owner's right code after others' 404s: %d %s", a.status, a.raw)
	}
}

// Issue 15 item 9: the end users behind one portal host each have their
// own budget, named by X-Subject-Key; one cannot spend another's.
func TestVerifyBudgetPerSubject(t *testing.T) {
	f := newEngineFixture(t)
	portal := f.keys[auth.Portal]
	alice := map[string]string{api.SubjectKeyHeader: "subj-0b5f1c"}
	var last answer
	for range 3 {
		id := f.openCase(t, "shop", auth.Portal)
		for range 10 {
			last = f.verify(t, portal, id, "000000", alice)
		}
	}
	if last.status != 422 {
		t.Fatalf("30th attempt of one subject: %d %s", last.status, last.raw)
	}
	if a := f.verify(t, portal, f.openCase(t, "shop", auth.Portal), "000000", alice); a.status != 429 {
		t.Fatalf("31st attempt of one subject: %d %s", a.status, a.raw)
	}
	// Another end user of the same portal, same host: untouched.
	bob := map[string]string{api.SubjectKeyHeader: "subj-77aa02"}
	if a := f.verify(t, portal, f.openCase(t, "shop", auth.Portal), fuzzCode, bob); a.status != 200 {
		t.Fatalf("another subject behind the same host: %d %s", a.status, a.raw)
	}
	// The subject key is the portal's: the same one under another key is
	// another budget.
	otherPortal := newKey(t, f.store, auth.Portal, "shop")
	if a := f.verify(t, otherPortal, f.openCase(t, "shop", auth.Portal), "000000", alice); a.status != 404 {
		t.Fatalf("other portal: %d %s", a.status, a.raw)
	}
}

// A portal cannot buy attempts by inventing subject keys: the key's
// ceiling holds over all its subjects.
func TestVerifyCeilingPerKey(t *testing.T) {
	f := newEngineFixture(t)
	f.api.VerifyPerKey = 25
	f.srv.Config.Handler = f.api.Handler()
	portal := f.keys[auth.Portal]
	var statuses []int
	for i := range 26 {
		a := f.verify(t, portal, f.openCase(t, "shop", auth.Portal), "000000",
			map[string]string{api.SubjectKeyHeader: fmt.Sprintf("invented-%d", i)})
		statuses = append(statuses, a.status)
	}
	if statuses[24] != 422 || statuses[25] != 429 {
		t.Errorf("26 invented subjects under one key: %v", statuses)
	}
	// Another key is not affected.
	if a := f.verify(t, f.keys[auth.DPO], f.openCase(t, "shop", auth.Portal), "000000", nil); a.status != 422 {
		t.Errorf("another key after the ceiling: %d %s", a.status, a.raw)
	}
}

func TestSubjectKeyChecked(t *testing.T) {
	f := newEngineFixture(t)
	id := f.openCase(t, "shop", auth.Portal)
	for _, sk := range []string{"li@example.test bob", "李", strings.Repeat("a", 129)} {
		a := f.verify(t, f.keys[auth.Portal], id, fuzzCode, map[string]string{api.SubjectKeyHeader: sk})
		if a.status != 400 || len(a.problem.Errors) != 1 || a.problem.Errors[0].Field != api.SubjectKeyHeader {
			t.Errorf("X-Subject-Key %.20q: %d %s", sk, a.status, a.raw)
		}
	}
}
