package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/api/apitest"
	"github.com/dsrflow/dsrflow/devserver"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// ledger plays an HTTP data system for the crash test: each erase takes a
// while, so the worker dies with some in flight, and it dedupes by
// request_id as the contract asks. It counts what it was sent and what it
// applied.
type ledger struct {
	mu       sync.Mutex
	requests int
	applied  map[string]string // request_id -> subject e-mail
	bySubj   map[string]map[string]bool
}

func (l *ledger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		RequestID string            `json:"request_id"`
		Subject   map[string]string `json:"subject"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.RequestID == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	time.Sleep(300 * time.Millisecond)
	l.mu.Lock()
	l.requests++
	erased := 0
	if _, seen := l.applied[in.RequestID]; !seen {
		l.applied[in.RequestID] = in.Subject["email"]
		if l.bySubj[in.Subject["email"]] == nil {
			l.bySubj[in.Subject["email"]] = map[string]bool{}
		}
		l.bySubj[in.Subject["email"]][in.RequestID] = true
		erased = 1
	}
	l.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"erasures":[{"dataset":"accounts","strategy":"delete","erased":%d}]}`, erased)
}

func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.requests
}

// Kill -9 the worker while deletions run across a SQL database and an HTTP
// service: every case completes, each subject's rows are gone from the
// database and no one else's changed, and the HTTP service was asked to
// erase each subject under one request_id only, however often the erase
// was retried, so it applied each change once.
func TestWorkerCrashDuringFulfilment(t *testing.T) {
	needTemporal(t)
	ctx := t.Context()
	const n = 16

	gdb, db, shopYAML := loadShop(t)
	for i := range n {
		id := 100 + i
		if err := gdb.Exec(`INSERT INTO customers (id, email, full_name, status, created_at) VALUES (?, ?, ?, 'active', '2020-01-01')`,
			id, fmt.Sprintf("crash-%02d@example.test", i), fmt.Sprintf("Crash %d", i)).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Exec(`INSERT INTO addresses (id, customer_id, line1, city, postcode, country) VALUES (?, ?, 'x', 'y', 'z', 'CN')`,
			id, id).Error; err != nil {
			t.Fatal(err)
		}
	}
	s := &shopEngine{devEngine: &devEngine{t: t}, db: db}
	othersBefore := s.rows("customers")

	led := &ledger{applied: map[string]string{}, bySubj: map[string]map[string]bool{}}
	ledSrv := httptest.NewServer(led)
	defer ledSrv.Close()

	cfg := fmt.Sprintf(`connectors:
  - name: shop
    kind: sql
    owner: db-team@shop.example
    backoff: 1s
%s
  - name: ledger
    kind: http
    owner: ledger-team@shop.example
    backoff: 1s
    http:
      base_url: %s
      secret: ledger-secret-0123456789abcdef0123
      operations: [erase]
      datasets: [{name: accounts, columns: [{name: email, category: contact}]}]
`, shopYAML, ledSrv.URL)
	cfgFile := filepath.Join(t.TempDir(), "dsr.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	temporalAddr := "127.0.0.1:" + freePort(t)
	srv, err := devserver.Start(ctx, devserver.Options{Address: temporalAddr, Namespace: "default",
		DBFile: filepath.Join(t.TempDir(), "temporal.db"), Log: &syncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	dbURL := storetest.PostgresURL(t)
	httpAddr := freeAddr(t)
	env := []string{
		"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "DSR_DATA_DIR=" + t.TempDir(),
		"DSR_DATABASE_URL=" + dbURL, "DSR_TEMPORAL_ADDRESS=" + temporalAddr, "DSR_HTTP_ADDR=" + httpAddr,
		"DSR_ENCRYPTION_KEYS=k1:" + randomKey(), "DSR_VERIFICATION_KEY=" + randomKey(),
		// Notices have nowhere to go; they fail and are recorded, which
		// this test does not look at.
		"DSR_SMTP_HOST=127.0.0.1", "DSR_SMTP_PORT=" + freePort(t), "DSR_CONFIG=" + cfgFile,
	}
	if code, out, stderr := dsr(t, env, "migrate"); code != 0 {
		t.Fatalf("dsr migrate: exit %d: %s%s", code, out, stderr)
	}
	_, out, _ := dsr(t, env, "apikey", "create", "--role", "admin", "--name", "crash-test")
	key, _, _ := strings.Cut(out, "\n")
	serve := startCrashChild(t, "dsr serve", env, "serve")
	worker := startCrashChild(t, "dsr worker", env, "worker")
	a := &crashAPI{t: t, base: "http://" + httpAddr, key: key, contract: apitest.Load(t)}
	if err := crashPoll(ctx, 30*time.Second, func() (bool, error) {
		r, err := a.call(ctx, "GET", "/readyz", "")
		return err == nil && r.status == http.StatusOK && !serve.exited(), err
	}); err != nil {
		t.Fatalf("dsr serve not ready: %v", err)
	}
	if err := worker.awaitOutput(ctx, "dsr worker on task queue"); err != nil {
		t.Fatal(err)
	}

	ids := make([]string, n)
	for i := range n {
		body := fmt.Sprintf(`{"tenant":"shop","type":"deletion","channel":"portal","verified_by":"portal:s","policy_id":"gdpr",
		  "requester":{"email":"crash-%02d@example.test","language":"en"}}`, i)
		r, err := a.call(ctx, "POST", "/v1/requests", body)
		if err != nil || r.status != http.StatusCreated {
			t.Fatalf("open case %d: %v %s", i, err, r.raw)
		}
		ids[i], _ = r.body["id"].(string)
	}
	// Kill the worker with about half the HTTP erasures answered.
	if err := crashPoll(ctx, 60*time.Second, func() (bool, error) { return led.count() >= n/2, nil }); err != nil {
		t.Fatalf("the ledger saw %d erasures: %v", led.count(), err)
	}
	if err := worker.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-worker.done
	atKill := led.count()
	killed := time.Now()
	worker2 := startCrashChild(t, "dsr worker (after the crash)", env, "worker")
	if err := worker2.awaitOutput(ctx, "dsr worker on task queue"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := crashPoll(ctx, crashRecovery, func() (bool, error) {
			st, err := a.state(ctx, id)
			return err == nil && st.Status == "completed", nil
		}); err != nil {
			t.Fatalf("case %s not completed after the crash: %v", id, err)
		}
	}
	t.Logf("ledger: %d erase requests when the worker died, %d in all for %d cases; every case completed %v after the kill",
		atKill, led.count(), n, time.Since(killed).Round(time.Millisecond))

	led.mu.Lock()
	if len(led.applied) != n {
		t.Errorf("the ledger applied %d erasures for %d cases", len(led.applied), n)
	}
	for subj, reqs := range led.bySubj {
		if len(reqs) != 1 {
			t.Errorf("%s was erased under %d request IDs: a retry would have applied the change twice", subj, len(reqs))
		}
	}
	led.mu.Unlock()
	if left := s.count(`SELECT count(*) FROM customers WHERE email LIKE 'crash-%'`); left != 0 {
		t.Errorf("%d crash subjects are still in customers", left)
	}
	if left := s.count(`SELECT count(*) FROM addresses WHERE customer_id >= 100`); left != 0 {
		t.Errorf("%d of their addresses remain", left)
	}
	after := s.rows("customers")
	for id, row := range othersBefore {
		if id < 100 && strings.Join(after[id], ",") != strings.Join(row, ",") {
			t.Errorf("customer %d, not a subject, changed: %v -> %v", id, row, after[id])
		}
	}
	if code, out, stderr := dsr(t, []string{"DSR_DATABASE_URL=" + dbURL}, "audit", "verify"); code != 0 {
		t.Errorf("dsr audit verify: exit %d: %s%s", code, out, stderr)
	}
}
