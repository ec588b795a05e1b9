package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"github.com/dsrflow/dsrflow/examples/shop"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// shopEngine is `dsr dev` fulfilling tenant shop's requests against the
// example shop loaded into a PostgreSQL schema of its own, plus a connector
// whose service is down and a manual one.
type shopEngine struct {
	*devEngine
	db *sql.DB
}

// loadShop loads the example shop into a PostgreSQL schema of its own and
// returns the database, and the shop's connector configuration as YAML for
// a connectors entry (the `sql:` key, indented).
func loadShop(t *testing.T) (*gorm.DB, *sql.DB, string) {
	t.Helper()
	shopURL := storetest.PostgresURL(t)
	gdb, err := gorm.Open(postgres.Open(shopURL), &gorm.Config{Logger: gormlogger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := shop.Load(context.Background(), gdb); err != nil {
		t.Fatal(err)
	}
	db, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sc, err := shop.Config(shopURL, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	shopYAML, err := yaml.Marshal(map[string]any{"sql": sc})
	if err != nil {
		t.Fatal(err)
	}
	return gdb, db, indent(string(shopYAML), "    ")
}

func startShop(t *testing.T, extraYAML ...string) *shopEngine {
	t.Helper()
	needTemporal(t)
	_, db, shopYAML := loadShop(t)
	// Nothing listens on a closed port: the CRM connector fails every call.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf(`
policies:
  - id: shop-now
    description: test policy without a cooling-off period
    deadline: 15d
    verification_window: 10d
    calendar: weekends
connectors:
  - name: shop
    kind: sql
    owner: db-team@shop.example
    attempts: 2
    backoff: 1s
    tenants: [shop]
%s
  - name: crm
    kind: http
    owner: crm-team@shop.example
    attempts: 2
    backoff: 1s
    tenants: [shop]
    http:
      base_url: %s
      secret: crm-secret-0123456789abcdef0123456789
      operations: [access, erase, correct]
      datasets: [{name: contacts, columns: [{name: email, category: contact}]}]
  - name: paper-archive
    kind: manual
    owner: archive@shop.example
    instructions: The signed contracts are in cabinet 3.
    tenants: [archive-only]
%s
`, shopYAML, down, strings.Join(extraYAML, "\n"))
	file := filepath.Join(t.TempDir(), "dsr.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startDev(t, t.TempDir(), storetest.PostgresURL(t), "DSR_CONFIG="+file)
	return &shopEngine{devEngine: e, db: db}
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// rows is every row of a table as text, keyed by id, for comparing before
// and after.
func (s *shopEngine) rows(table string) map[int64][]string {
	s.t.Helper()
	r, err := s.db.Query("SELECT * FROM " + table + " ORDER BY id")
	if err != nil {
		s.t.Fatal(err)
	}
	defer r.Close()
	cols, _ := r.Columns()
	out := map[int64][]string{}
	for r.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			s.t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = cols[i] + "=" + v.String
		}
		var id int64
		fmt.Sscan(vals[0].String, &id)
		out[id] = row
	}
	return out
}

func (s *shopEngine) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.QueryRow(query, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// open opens a portal-verified request and returns its ID.
func (s *shopEngine) open(typ, email, extra string) string {
	s.t.Helper()
	body := fmt.Sprintf(`{"tenant":"shop","type":%q,"channel":"portal","policy_id":"shop-now","verified_by":"portal:session",
	  "requester":{"email":%q,"language":"en"}%s}`, typ, email, extra)
	r := s.post("/v1/requests", body)
	expect(s.t, "open "+typ, r, http.StatusCreated)
	return r.body["id"].(string)
}

// await polls the case until ok accepts it.
func (s *shopEngine) await(id, what string, ok func(map[string]any) bool) map[string]any {
	s.t.Helper()
	var last string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		r := s.get("/v1/requests/" + id)
		last = r.raw
		if r.status == http.StatusOK && ok(r.body) {
			return r.body
		}
	}
	s.t.Fatalf("case %s never %s; last: %s", id, what, last)
	return nil
}

// events waits until the audit trail in the store holds kind (the store is
// projected just after the workflow changes) and returns it.
func (s *shopEngine) events(id, kind string) response {
	s.t.Helper()
	var r response
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if r = s.get("/v1/requests/" + id + "/events"); strings.Contains(r.raw, `"`+kind+`"`) {
			return r
		}
	}
	s.t.Fatalf("the audit trail of %s never got %s: %s", id, kind, r.raw)
	return r
}

func status(c map[string]any) string { v, _ := c["status"].(string); return v }

// tasks returns the case's manual tasks.
func tasks(c map[string]any) []map[string]any {
	f, _ := c["fulfilment"].(map[string]any)
	list, _ := f["tasks"].([]any)
	var out []map[string]any
	for _, t := range list {
		out = append(out, t.(map[string]any))
	}
	return out
}

// completeTasks waits for the CRM connector's task (it is down) and does it
// by hand, as its owner would.
func (s *shopEngine) completeTasks(id string) {
	s.t.Helper()
	c := s.await(id, "waits for the CRM task", func(c map[string]any) bool { return len(tasks(c)) == 1 })
	task := tasks(c)[0]
	if task["connector"] != "crm" || task["owner"] != "crm-team@shop.example" || task["status"] != "open" {
		s.t.Fatalf("task: %v", task)
	}
	if status(c) == "completed" {
		s.t.Fatal("the case completed while a connector's work was not done")
	}
	expect(s.t, "empty evidence", s.post("/v1/requests/"+id+"/complete-task", fmt.Sprintf(`{"task_id":%q,"evidence":""}`, task["id"])), http.StatusConflict)
	expect(s.t, "complete task", s.post("/v1/requests/"+id+"/complete-task",
		fmt.Sprintf(`{"task_id":%q,"evidence":"CRM ticket 4711: done by hand"}`, task["id"])), http.StatusOK)
}

func TestFulfilDeletionEndToEnd(t *testing.T) {
	s := startShop(t)
	others := map[string]map[int64][]string{}
	tables := []string{"customers", "addresses", "orders", "order_items", "login_logs", "wallets"}
	for _, tb := range tables {
		others[tb] = s.rows(tb)
	}
	now := time.Now()
	heldOrders := s.count(`SELECT count(*) FROM orders WHERE customer_id = 1 AND placed_at > $1`, now.AddDate(-3, 0, 0))
	heldLogs := s.count(`SELECT count(*) FROM login_logs WHERE customer_id = 1 AND at > $1`, now.AddDate(0, -6, 0))

	id := s.open("deletion", "zhang.wei@example.com", `,"grounds":"no_longer_using_service"`)
	s.completeTasks(id)
	c := s.await(id, "completed", func(c map[string]any) bool { return status(c) == "completed" })
	summary, _ := c["summary"].(string)
	if !strings.Contains(summary, "Erased or anonymised") || !strings.Contains(summary, "crm") {
		t.Errorf("summary: %s", summary)
	}

	// Zhang's rows are gone or held (restricted); nobody else's changed.
	if n := s.count(`SELECT count(*) FROM addresses WHERE customer_id = 1`); n != 0 {
		t.Errorf("%d of zhang's addresses remain", n)
	}
	if n := s.count(`SELECT count(*) FROM orders WHERE customer_id = 1`); n != heldOrders {
		t.Errorf("zhang has %d orders, want the %d held", n, heldOrders)
	}
	if n := s.count(`SELECT count(*) FROM orders WHERE customer_id = 1 AND NOT restricted`); n != 0 {
		t.Errorf("%d held orders are not restricted", n)
	}
	if n := s.count(`SELECT count(*) FROM login_logs WHERE customer_id = 1`); n != heldLogs {
		t.Errorf("zhang has %d login logs, want the %d held", n, heldLogs)
	}
	if n := s.count(`SELECT count(*) FROM customers WHERE email = 'zhang.wei@example.com' OR full_name IS NOT NULL AND id = 1`); n != 0 {
		t.Errorf("zhang is still findable in customers")
	}
	for _, tb := range tables {
		after := s.rows(tb)
		for rid, row := range others[tb] {
			if strings.Contains(strings.Join(row, ","), "customer_id=1,") || (tb == "customers" && rid == 1) || zhangsItem(s, tb, row) {
				continue
			}
			if !reflect.DeepEqual(after[rid], row) {
				t.Errorf("%s row %d of someone else changed:\n before %v\n after  %v", tb, rid, row, after[rid])
			}
		}
	}
	if heldOrders+heldLogs > 0 && !strings.Contains(summary, "kept until") {
		t.Errorf("summary does not list what is held: %s", summary)
	}
	ev := s.events(id, "case.completed")
	for _, kind := range []string{"fulfilment.done", "fulfilment.failed", "task.opened", "task.completed", "case.completed"} {
		if !strings.Contains(ev.raw, `"`+kind+`"`) {
			t.Errorf("audit trail lacks %s", kind)
		}
	}
	if heldOrders+heldLogs > 0 && !strings.Contains(ev.raw, `"erasure.scheduled"`) {
		t.Error("held rows but no erasure scheduled")
	}
	s.awaitMail("completion notice", func(m mailboxMessage) bool {
		return slices.Contains(m.To, "zhang.wei@example.com") && strings.Contains(m.Subject, "complete")
	})
}

// zhangsItem reports whether an order_items row belongs to one of zhang's
// orders (they are in the seed as orders 1 and 2).
func zhangsItem(s *shopEngine, table string, row []string) bool {
	j := strings.Join(row, ",")
	return table == "order_items" && (strings.Contains(j, "order_id=1,") || strings.Contains(j, "order_id=2,"))
}

func TestFulfilCorrectionEndToEnd(t *testing.T) {
	s := startShop(t)
	before := s.rows("customers")
	id := s.open("correction", "li.na@example.com",
		`,"corrections":[{"field":"customers.phone","value":"+8613900000000"},{"field":"customers.full_name","value":"Li Na"}]`)
	s.await(id, "has corrections to decide", func(c map[string]any) bool {
		f, _ := c["fulfilment"].(map[string]any)
		cs, _ := f["corrections"].([]any)
		return len(cs) == 2
	})
	expect(t, "reject without reason", s.post("/v1/requests/"+id+"/decide-corrections",
		`{"decisions":[{"field":"customers.full_name","approve":false}]}`), http.StatusConflict)
	expect(t, "decide", s.post("/v1/requests/"+id+"/decide-corrections",
		`{"decisions":[{"field":"customers.phone","approve":true},{"field":"customers.full_name","approve":false,"reason":"the ID card says 李娜"}]}`), http.StatusOK)
	// The CRM holds no customers dataset, so it is not called and cannot fail.
	c := s.await(id, "completed", func(c map[string]any) bool { return status(c) == "completed" })
	if n := s.count(`SELECT count(*) FROM customers WHERE id = 3 AND phone = '+8613900000000' AND full_name = '李娜'`); n != 1 {
		t.Errorf("li na's row: %v", s.rows("customers")[3])
	}
	after := s.rows("customers")
	for rid, row := range before {
		if rid != 3 && !reflect.DeepEqual(after[rid], row) {
			t.Errorf("customer %d changed: %v -> %v", rid, row, after[rid])
		}
	}
	if sm, _ := c["summary"].(string); !strings.Contains(sm, "Corrected: customers.phone") || !strings.Contains(sm, "the ID card says 李娜") {
		t.Errorf("summary: %s", sm)
	}
}

func TestFulfilAccountCancellationEndToEnd(t *testing.T) {
	s := startShop(t)
	id := s.open("account_cancellation", "alice@example.com", "")
	// Alice has 25.50 GBP in her wallet: she must get it back first.
	c := s.await(id, "waits for alice to settle", func(c map[string]any) bool { return status(c) == "awaiting_requester" })
	if info, _ := c["info_needed"].(string); !strings.Contains(info, "25.5") {
		t.Errorf("info_needed: %q", info)
	}
	expect(t, "confirm too early", s.post("/v1/requests/"+id+"/confirm-cancellation", `{}`), http.StatusConflict)
	if _, err := s.db.Exec(`UPDATE wallets SET balance = 0 WHERE customer_id = 2`); err != nil {
		t.Fatal(err)
	}
	expect(t, "recheck", s.post("/v1/requests/"+id+"/recheck", `{"note":"refunded to card"}`), http.StatusOK)
	s.awaitMail("confirmation request", func(m mailboxMessage) bool {
		return slices.Contains(m.To, "alice@example.com") && strings.Contains(m.Subject, "confirm")
	})
	s.await(id, "waits for confirmation", func(c map[string]any) bool { return status(c) == "awaiting_requester" })
	expect(t, "confirm", s.post("/v1/requests/"+id+"/confirm-cancellation", `{"note":"by phone"}`), http.StatusOK)
	s.completeTasks(id)
	s.await(id, "completed", func(c map[string]any) bool { return status(c) == "completed" })
	if n := s.count(`SELECT count(*) FROM customers WHERE email = 'alice@example.com'`); n != 0 {
		t.Error("alice is still in customers")
	}
	if n := s.count(`SELECT count(*) FROM wallets WHERE customer_id = 2`); n != 0 {
		t.Error("alice's wallet remains")
	}
	if n := s.count(`SELECT count(*) FROM customers WHERE id = 4 AND status = 'active'`); n != 1 {
		t.Error("bob's account changed")
	}
}

func TestFulfilAccessEndToEnd(t *testing.T) {
	s := startShop(t)
	id := s.open("access", "alice@example.com", "")
	s.completeTasks(id)
	c := s.await(id, "completed", func(c map[string]any) bool { return status(c) == "completed" })
	f, _ := c["fulfilment"].(map[string]any)
	exp, _ := f["export"].(map[string]any)
	link, _ := exp["link"].(string)
	mail := s.awaitMail("download link", func(m mailboxMessage) bool {
		return slices.Contains(m.To, "alice@example.com") && strings.Contains(m.Body, "/v1/exports/")
	})
	if link == "" || !strings.Contains(mail.Body, link) {
		t.Fatalf("link %q not in the mail:\n%s", link, mail.Body)
	}
	path := link[strings.Index(link, "/v1/exports/"):]
	expect(t, "forged link", s.send(nil, "GET", path+"x", ""), http.StatusForbidden)
	r := s.send(nil, "GET", path, "")
	if r.status != http.StatusOK || r.ctype != "application/zip" {
		t.Fatalf("download: %d %s", r.status, r.ctype)
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(r.raw)), int64(len(r.raw)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[zf.Name] = b
	}
	for _, name := range []string{"manifest.json", "README.txt", "shop/customers.json", "shop/customers.csv", "shop/orders.json", "shop/login_logs.csv"} {
		if _, ok := files[name]; !ok {
			t.Errorf("package lacks %s; has %v", name, mapsKeys(files))
		}
	}
	// Exactly alice's rows, as SQL finds them.
	for table, query := range map[string]string{
		"customers":   `SELECT id FROM customers WHERE email = 'alice@example.com'`,
		"orders":      `SELECT id FROM orders WHERE customer_id = 2`,
		"order_items": `SELECT i.id FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.customer_id = 2`,
		"login_logs":  `SELECT id FROM login_logs WHERE customer_id = 2`,
		"wallets":     `SELECT id FROM wallets WHERE customer_id = 2`,
	} {
		var got []struct {
			ID json.Number `json:"id"`
		}
		if err := json.Unmarshal(files["shop/"+table+".json"], &got); err != nil {
			t.Fatalf("%s.json: %v", table, err)
		}
		var ids []string
		for _, g := range got {
			ids = append(ids, g.ID.String())
		}
		var want []string
		rows, err := s.db.Query(query + " ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			want = append(want, id)
		}
		rows.Close()
		slices.Sort(ids)
		if !slices.Equal(ids, want) {
			t.Errorf("%s: exported ids %v, want %v", table, ids, want)
		}
	}
	if strings.Contains(string(files["shop/customers.json"]), "zhang") || strings.Contains(string(files["shop/addresses.csv"]), "北京") {
		t.Error("someone else's data is in alice's export")
	}

	// The case is closed; staff send a fresh link all the same, once
	// however often the request is retried.
	headers := map[string]string{"Content-Type": "application/json", "Idempotency-Key": "relink-1", "Authorization": "Bearer " + s.key}
	for range 2 {
		expect(t, "issue a fresh link", s.send(headers, "POST", "/v1/requests/"+id+"/issue-link", `{"note":"the first expired"}`), http.StatusOK)
	}
	// The links differ only when they expire in another second, so count
	// the mails rather than compare the links.
	var fresh mailboxMessage
	seen := 0
	s.awaitMail("fresh link", func(m mailboxMessage) bool {
		if slices.Contains(m.To, "alice@example.com") && strings.Contains(m.Body, "/v1/exports/") && m.MessageID != mail.MessageID {
			fresh = m
			seen++
		}
		return seen > 0
	})
	i := strings.Index(fresh.Body, "/v1/exports/")
	freshPath := strings.Fields(fresh.Body[i:])[0]
	if r := s.send(nil, "GET", freshPath, ""); r.status != http.StatusOK || r.ctype != "application/zip" {
		t.Errorf("fresh link: %d %s", r.status, r.ctype)
	}
	ev := s.events(id, "export.link_issued")
	if n := strings.Count(ev.raw, `"export.link_issued"`); n != 2 {
		t.Errorf("%d export.link_issued events, want the first and one fresh", n)
	}
}

func mapsKeys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// A portability request naming a configured receiving controller: the
// package goes to it directly, signed, and its answer is recorded; one
// naming an unknown controller gets the package and the reason.
func TestFulfilPortabilityEndToEnd(t *testing.T) {
	secret := "receiver-secret-0123456789abcdef"
	type received struct {
		signed bool
		zip    []byte
		key    string
	}
	got := make(chan received, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		var ts string
		for _, part := range strings.Split(r.Header.Get("X-DSR-Signature"), ",") {
			if v, ok := strings.CutPrefix(part, "t="); ok {
				ts = v
			}
		}
		want := export.TransferSignature([]byte(secret), ts, hex.EncodeToString(sum[:]))
		got <- received{signed: strings.Contains(r.Header.Get("X-DSR-Signature"), want), zip: body, key: r.Header.Get("Idempotency-Key")}
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"import":"queued"}`)
	}))
	defer receiver.Close()
	s := startShop(t, fmt.Sprintf(`portability:
  controllers:
    - {name: newbank, url: %q, secret: %q}`, receiver.URL, secret))

	id := s.open("portability", "alice@example.com", `,"controller":"newbank"`)
	s.completeTasks(id)
	c := s.await(id, "completed", func(c map[string]any) bool { return status(c) == "completed" })
	var r received
	select {
	case r = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the receiving controller got nothing")
	}
	if !r.signed || r.key == "" {
		t.Errorf("transfer not signed (%v) or without an idempotency key (%q)", r.signed, r.key)
	}
	zr, err := zip.NewReader(bytes.NewReader(r.zip), int64(len(r.zip)))
	if err != nil {
		t.Fatalf("the controller got no zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, "shop/orders.json") || !slices.Contains(names, "manifest.json") {
		t.Errorf("package: %v", names)
	}
	f, _ := c["fulfilment"].(map[string]any)
	tr, _ := f["transfer"].(map[string]any)
	if tr["done"] != true || tr["status"] != float64(http.StatusAccepted) || !strings.Contains(fmt.Sprint(tr["response"]), "queued") {
		t.Errorf("transfer: %v", tr)
	}
	if sm, _ := c["summary"].(string); !strings.Contains(sm, "transferred the data directly to newbank") {
		t.Errorf("summary: %s", sm)
	}

	id = s.open("portability", "bob@example.com", `,"controller":"unknown-bank"`)
	s.completeTasks(id)
	c = s.await(id, "completed", func(c map[string]any) bool { return status(c) == "completed" })
	if sm, _ := c["summary"].(string); !strings.Contains(sm, "could not transfer the data directly to unknown-bank") || !strings.Contains(sm, "download link") {
		t.Errorf("summary: %s", sm)
	}
}
