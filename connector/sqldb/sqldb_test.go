package sqldb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/connector/sqldb"
	"github.com/dsrflow/dsrflow/examples/shop"
	"github.com/dsrflow/dsrflow/store/storetest"
)

var ctx = context.Background()

// now is the seed's reference date: orders before 2022-06-01 and login logs
// before 2024-12-01 are past their holds.
var now = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

var (
	zhang = connector.Subject{Email: "zhang.wei@example.com"}
	alice = connector.Subject{Email: "alice@example.com"}
	liNa  = connector.Subject{Phone: "+8613900139000"}
)

// openDB returns an empty database on backend, closed when t ends.
func openDB(t testing.TB, backend string) *gorm.DB {
	t.Helper()
	var d gorm.Dialector
	switch backend {
	case sqldb.SQLite:
		d = sqlite.Open(filepath.Join(t.TempDir(), "shop.db"))
	case sqldb.Postgres:
		d = postgres.Open(storetest.PostgresURL(t))
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	db, err := gorm.Open(d, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	if backend == sqldb.SQLite {
		sqlDB.SetMaxOpenConns(1)
	}
	t.Cleanup(func() { sqlDB.Close() })
	return db
}

// eachBackend runs fn on a freshly seeded shop per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, db *gorm.DB, c *sqldb.Connector)) {
	t.Helper()
	for _, backend := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, backend)
			if err := shop.Load(ctx, db); err != nil {
				t.Fatal(err)
			}
			cfg, err := shop.Config("", backend)
			if err != nil {
				t.Fatal(err)
			}
			c, err := sqldb.NewWithDB(shop.Name, cfg, db)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, db, c)
		})
	}
}

// recorder is a sink that keeps everything.
type recorder struct {
	order []string
	cols  map[string][]string
	rows  map[string][][]any
}

func (r *recorder) Dataset(d connector.Dataset) error {
	if r.cols == nil {
		r.cols, r.rows = map[string][]string{}, map[string][][]any{}
	}
	r.order = append(r.order, d.Name)
	for _, c := range d.Columns {
		r.cols[d.Name] = append(r.cols[d.Name], c.Name)
	}
	return nil
}

func (r *recorder) Row(v []any) error {
	d := r.order[len(r.order)-1]
	r.rows[d] = append(r.rows[d], v)
	return nil
}

// ids returns the first column (the id) of each row as text.
func (r *recorder) ids(dataset string) []string {
	var out []string
	for _, row := range r.rows[dataset] {
		out = append(out, fmt.Sprint(row[0]))
	}
	return out
}

func access(t *testing.T, c *sqldb.Connector, s connector.Subject) *recorder {
	t.Helper()
	var r recorder
	if err := c.Access(ctx, s, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// queryIDs runs q, which selects ids, directly.
func queryIDs(t *testing.T, db *gorm.DB, q string, args ...any) []string {
	t.Helper()
	var ids []int64
	if err := db.Raw(q, args...).Scan(&ids).Error; err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out := []string{}
	for _, id := range ids {
		out = append(out, fmt.Sprint(id))
	}
	return out
}

// subjectIDs finds a customer's rows of every dataset with plain SQL written
// apart from the connector's query builder.
func subjectIDs(t *testing.T, db *gorm.DB, customer int) map[string][]string {
	return map[string][]string{
		"customers":   queryIDs(t, db, "SELECT id FROM customers WHERE id = ? ORDER BY id", customer),
		"addresses":   queryIDs(t, db, "SELECT id FROM addresses WHERE customer_id = ? ORDER BY id", customer),
		"orders":      queryIDs(t, db, "SELECT id FROM orders WHERE customer_id = ? ORDER BY id", customer),
		"order_items": queryIDs(t, db, "SELECT i.id FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.customer_id = ? ORDER BY i.id", customer),
		"login_logs":  queryIDs(t, db, "SELECT id FROM login_logs WHERE customer_id = ? ORDER BY id", customer),
		"wallets":     queryIDs(t, db, "SELECT id FROM wallets WHERE customer_id = ? ORDER BY id", customer),
	}
}

var tables = []string{"customers", "addresses", "orders", "order_items", "login_logs", "wallets"}

// dump renders every row of every table whose customer is not skip, for
// byte-for-byte comparison.
func dump(t *testing.T, db *gorm.DB, skip int) map[string][]string {
	t.Helper()
	where := map[string]string{
		"customers":   "id <> ?",
		"addresses":   "customer_id <> ?",
		"orders":      "customer_id <> ?",
		"order_items": "order_id IN (SELECT id FROM orders WHERE customer_id <> ?)",
		"login_logs":  "customer_id <> ?",
		"wallets":     "customer_id <> ?",
	}
	out := map[string][]string{}
	for _, tbl := range tables {
		rows, err := db.Raw("SELECT * FROM "+tbl+" WHERE "+where[tbl]+" ORDER BY id", skip).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out[tbl] = append(out[tbl], fmt.Sprintf("%#v", vals))
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestAccess(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *gorm.DB, c *sqldb.Connector) {
		want := subjectIDs(t, db, 1)
		for _, s := range []connector.Subject{zhang, {Phone: "+8613800138000"}, {AccountID: "cn-1001"}} {
			r := access(t, c, s)
			if !slices.Equal(r.order, tables) {
				t.Fatalf("datasets in order %v, want %v", r.order, tables)
			}
			for _, d := range tables {
				if got := r.ids(d); !slices.Equal(got, want[d]) && !(len(got) == 0 && len(want[d]) == 0) {
					t.Errorf("%+v: %s ids = %v, want %v", s, d, got, want[d])
				}
			}
		}
		if n := len(subjectIDs(t, db, 1)["order_items"]); n != 2 {
			t.Fatalf("seed changed: zhang has %d order items, want 2", n)
		}

		r := access(t, c, zhang)
		if got, want := r.cols["customers"], []string{"id", "email", "phone", "full_name", "account_id", "status", "created_at", "deactivated_at"}; !slices.Equal(got, want) {
			t.Errorf("customers columns = %v, want %v", got, want)
		}
		cust := r.rows["customers"][0]
		if cust[3] != "张伟" {
			t.Errorf("full_name = %#v, want 张伟", cust[3])
		}
		if ts, ok := cust[6].(time.Time); !ok || !ts.Equal(time.Date(2020, 11, 2, 8, 30, 0, 0, time.UTC)) {
			t.Errorf("created_at = %#v, want 2020-11-02 08:30 UTC as time.Time", cust[6])
		}
		if cust[7] != nil {
			t.Errorf("deactivated_at = %#v, want nil", cust[7])
		}
		// Numerics encode as JSON numbers, not strings.
		b, err := json.Marshal(r.rows["orders"][1])
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`,58\.50?,"广州"\]$`).Match(b) {
			t.Errorf("order 2 as JSON = %s, want total as a number", b)
		}

		// Someone who is not a customer gets every dataset, empty.
		r = access(t, c, connector.Subject{Email: "nobody@example.com"})
		if len(r.order) != len(tables) {
			t.Errorf("datasets %v", r.order)
		}
		for d, rows := range r.rows {
			t.Errorf("nobody has %d rows of %s", len(rows), d)
		}
		if err := c.Access(ctx, connector.Subject{}, &recorder{}); err == nil {
			t.Error("Access with an empty subject succeeded")
		}
	})
}

func erasure(es []connector.Erasure, dataset string) connector.Erasure {
	for _, e := range es {
		if e.Dataset == dataset {
			return e
		}
	}
	return connector.Erasure{Dataset: dataset + " (missing)"}
}

func at(s string) *time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return &t
}

type wantErasure struct {
	erased, held int64
	until        *time.Time
	ground       string
}

func checkErasures(t *testing.T, step string, es []connector.Erasure, want map[string]wantErasure) {
	t.Helper()
	if len(es) != len(tables) {
		t.Errorf("%s: %d erasures, want %d", step, len(es), len(tables))
	}
	for d, w := range want {
		e := erasure(es, d)
		if e.Erased != w.erased || e.Held != w.held {
			t.Errorf("%s: %s erased %d held %d, want %d and %d", step, d, e.Erased, e.Held, w.erased, w.held)
		}
		switch {
		case (e.HeldUntil == nil) != (w.until == nil):
			t.Errorf("%s: %s held until %v, want %v", step, d, e.HeldUntil, w.until)
		case w.until != nil && !e.HeldUntil.Equal(*w.until):
			t.Errorf("%s: %s held until %v, want %v", step, d, e.HeldUntil, w.until)
		}
		if !strings.Contains(e.Hold, w.ground) || (w.ground == "" && e.Hold != "") {
			t.Errorf("%s: %s hold %q, want it to name %q", step, d, e.Hold, w.ground)
		}
	}
}

func TestEraseWithHolds(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *gorm.DB, c *sqldb.Connector) {
		others := dump(t, db, 1)
		const (
			tx   = "E-Commerce Law art. 31"
			logs = "Cybersecurity Law art. 21"
		)
		orderUntil := at("2027-11-20 14:30")

		es, err := c.Erase(ctx, zhang, now)
		if err != nil {
			t.Fatal(err)
		}
		checkErasures(t, "first", es, map[string]wantErasure{
			"customers":   {0, 1, orderUntil, tx},
			"addresses":   {2, 0, nil, ""},
			"orders":      {1, 1, orderUntil, tx},
			"order_items": {1, 1, orderUntil, tx},
			"login_logs":  {1, 2, at("2025-11-20 22:15"), logs},
			"wallets":     {1, 0, nil, ""},
		})
		if got := erasure(es, "customers").Hold; !strings.Contains(got, logs) {
			t.Errorf("customers hold %q does not name the login logs' ground", got)
		}
		if got := connector.Holds(es); got == nil || !got.Equal(*orderUntil) {
			t.Errorf("Holds = %v, want %v", got, orderUntil)
		}
		left := subjectIDs(t, db, 1)
		wantLeft := map[string][]string{
			"customers": {"1"}, "addresses": {}, "orders": {"2"}, "order_items": {"2"},
			"login_logs": {"2", "6"}, "wallets": {},
		}
		for d, ids := range wantLeft {
			if !slices.Equal(left[d], ids) {
				t.Errorf("after first erase %s has %v, want %v", d, left[d], ids)
			}
		}
		for _, tbl := range []string{"customers", "orders", "order_items", "login_logs"} {
			var unrestricted int64
			q := map[string]string{
				"customers":   "SELECT COUNT(*) FROM customers WHERE id = 1 AND NOT restricted",
				"orders":      "SELECT COUNT(*) FROM orders WHERE customer_id = 1 AND NOT restricted",
				"order_items": "SELECT COUNT(*) FROM order_items WHERE order_id = 2 AND NOT restricted",
				"login_logs":  "SELECT COUNT(*) FROM login_logs WHERE customer_id = 1 AND NOT restricted",
			}[tbl]
			if err := db.Raw(q).Scan(&unrestricted).Error; err != nil {
				t.Fatal(err)
			}
			if unrestricted != 0 {
				t.Errorf("%d held rows of %s are not restricted", unrestricted, tbl)
			}
		}
		// The anchor row keeps no identity in the clear.
		var cust struct {
			Email, Phone, AccountID string
			FullName                *string
		}
		if err := db.Raw("SELECT email, phone, account_id, full_name FROM customers WHERE id = 1").Scan(&cust).Error; err != nil {
			t.Fatal(err)
		}
		hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
		if !hex64.MatchString(cust.Email) || !hex64.MatchString(cust.Phone) || !hex64.MatchString(cust.AccountID) || cust.FullName != nil {
			t.Errorf("customer 1 after erase = %+v, want hashed identity and no name", cust)
		}
		if cust.Email == cust.Phone {
			t.Error("email and phone hash alike")
		}

		// The subject is still found, through the hash, by any identity.
		for _, s := range []connector.Subject{zhang, {Phone: "+8613800138000"}} {
			r := access(t, c, s)
			if got := r.ids("orders"); !slices.Equal(got, []string{"2"}) {
				t.Errorf("after erase, %+v finds orders %v, want [2]", s, got)
			}
		}

		subject := dump(t, db, -1)
		es, err = c.Erase(ctx, zhang, now)
		if err != nil {
			t.Fatal(err)
		}
		checkErasures(t, "retry", es, map[string]wantErasure{
			"customers":   {0, 1, orderUntil, tx},
			"addresses":   {0, 0, nil, ""},
			"orders":      {0, 1, orderUntil, tx},
			"order_items": {0, 1, orderUntil, tx},
			"login_logs":  {0, 2, at("2025-11-20 22:15"), logs},
			"wallets":     {0, 0, nil, ""},
		})
		if got := dump(t, db, -1); !equalDumps(got, subject) {
			t.Errorf("a retry changed the data:\n got %v\nwant %v", got, subject)
		}

		// Half a year on, the login logs' hold is over.
		es, err = c.Erase(ctx, zhang, time.Date(2025, 11, 21, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		checkErasures(t, "after the log hold", es, map[string]wantErasure{
			"customers":  {0, 1, orderUntil, tx},
			"orders":     {0, 1, orderUntil, tx},
			"login_logs": {2, 0, nil, ""},
		})

		// After the order's hold nothing is left.
		later := time.Date(2027, 11, 20, 14, 30, 1, 0, time.UTC)
		es, err = c.Erase(ctx, zhang, later)
		if err != nil {
			t.Fatal(err)
		}
		checkErasures(t, "after the order hold", es, map[string]wantErasure{
			"customers":   {1, 0, nil, ""},
			"orders":      {1, 0, nil, ""},
			"order_items": {1, 0, nil, ""},
			"login_logs":  {0, 0, nil, ""},
		})
		for d, ids := range subjectIDs(t, db, 1) {
			if len(ids) != 0 {
				t.Errorf("after every hold, %s still has %v", d, ids)
			}
		}
		es, err = c.Erase(ctx, zhang, later)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Erased != 0 || e.Held != 0 {
				t.Errorf("erase after everything went: %+v", e)
			}
		}
		if got := dump(t, db, 1); !equalDumps(got, others) {
			t.Errorf("other customers' rows changed:\n got %v\nwant %v", got, others)
		}
	})
}

func equalDumps(a, b map[string][]string) bool {
	for _, tbl := range tables {
		if !slices.Equal(a[tbl], b[tbl]) {
			return false
		}
	}
	return true
}

func TestEraseNothingHeld(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *gorm.DB, c *sqldb.Connector) {
		others := dump(t, db, 3)
		es, err := c.Erase(ctx, liNa, now)
		if err != nil {
			t.Fatal(err)
		}
		checkErasures(t, "erase", es, map[string]wantErasure{
			"customers": {1, 0, nil, ""}, "addresses": {1, 0, nil, ""}, "orders": {1, 0, nil, ""},
			"order_items": {1, 0, nil, ""}, "login_logs": {1, 0, nil, ""}, "wallets": {0, 0, nil, ""},
		})
		if erasure(es, "customers").Strategy != "delete" {
			t.Errorf("strategy %q", erasure(es, "customers").Strategy)
		}
		if connector.Holds(es) != nil {
			t.Errorf("Holds = %v, want nil", connector.Holds(es))
		}
		for d, ids := range subjectIDs(t, db, 3) {
			if len(ids) != 0 {
				t.Errorf("%s still has %v", d, ids)
			}
		}
		if got := dump(t, db, 3); !equalDumps(got, others) {
			t.Errorf("other customers' rows changed:\n got %v\nwant %v", got, others)
		}
		if _, err := c.Erase(ctx, connector.Subject{}, now); err == nil {
			t.Error("Erase with an empty subject succeeded")
		}
	})
}

// maskConfig keeps customers and login logs, masking them.
func maskConfig(t *testing.T, backend string) sqldb.Config {
	cfg, err := shop.Config("", backend)
	if err != nil {
		t.Fatal(err)
	}
	var keep []sqldb.Dataset
	for _, d := range cfg.Datasets {
		switch d.Name {
		case "customers":
			d.Erase = sqldb.EraseMask
			d.Columns = []sqldb.Column{
				{Name: "id"}, {Name: "email"}, {Name: "phone"},
				{Name: "full_name", Erase: sqldb.ColumnFixed, Value: "(erased)"},
				{Name: "status", Erase: sqldb.ColumnKeep},
			}
			keep = append(keep, d)
		case "login_logs":
			d.Erase, d.Hold, d.Restrict = sqldb.EraseMask, nil, nil
			d.Columns = []sqldb.Column{
				{Name: "id"},
				{Name: "ip", Erase: sqldb.ColumnHash},
				{Name: "user_agent", Erase: sqldb.ColumnNull},
				{Name: "at", Erase: sqldb.ColumnKeep},
			}
			keep = append(keep, d)
		}
	}
	cfg.Datasets = keep
	cfg.Checks, cfg.Deactivate = nil, nil
	return cfg
}

func TestEraseMask(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *gorm.DB, _ *sqldb.Connector) {
		c, err := sqldb.NewWithDB("masked", maskConfig(t, db.Dialector.Name()), db)
		if err != nil {
			t.Fatal(err)
		}
		others := dump(t, db, 1)
		es, err := c.Erase(ctx, zhang, now)
		if err != nil {
			t.Fatal(err)
		}
		if e := erasure(es, "customers"); e.Erased != 1 || e.Strategy != "mask" {
			t.Errorf("customers: %+v, want 1 masked, strategy mask", e)
		}
		if e := erasure(es, "login_logs"); e.Erased != 3 || e.Held != 0 || e.Strategy != "mask" {
			t.Errorf("login_logs: %+v, want 3 masked", e)
		}
		var logs []struct {
			IP        string
			UserAgent *string
		}
		if err := db.Raw("SELECT ip, user_agent FROM login_logs WHERE customer_id = 1 ORDER BY id").Scan(&logs).Error; err != nil {
			t.Fatal(err)
		}
		hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
		for _, l := range logs {
			if !hex64.MatchString(l.IP) || l.UserAgent != nil {
				t.Errorf("masked log = %+v", l)
			}
		}
		if len(logs) != 3 || logs[0].IP == logs[1].IP {
			t.Errorf("logs %+v: want 3 with distinct hashes of distinct addresses", logs)
		}
		var name, status string
		if err := db.Raw("SELECT full_name, status FROM customers WHERE id = 1").Row().Scan(&name, &status); err != nil {
			t.Fatal(err)
		}
		if name != "(erased)" || status != "active" {
			t.Errorf("customer name %q status %q", name, status)
		}
		before := dump(t, db, -1)
		es, err = c.Erase(ctx, zhang, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Erased != 0 {
				t.Errorf("retry masked again: %+v", e)
			}
		}
		if !equalDumps(dump(t, db, -1), before) {
			t.Error("a retry changed masked rows")
		}
		// Still found through the hashed e-mail.
		if got := access(t, c, zhang).ids("login_logs"); len(got) != 3 {
			t.Errorf("masked subject's logs = %v", got)
		}
		if !equalDumps(dump(t, db, 1), others) {
			t.Error("other customers' rows changed")
		}
	})
}

func TestCorrect(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *gorm.DB, c *sqldb.Connector) {
		others := dump(t, db, 2)
		cs := []connector.Correction{
			{Field: "customers.full_name", Value: "Alice Jones"},
			{Field: "addresses.city", Value: "Cambridge"},
			{Field: "crm.notes", Value: "not ours"},
		}
		applied, err := c.Correct(ctx, alice, cs)
		if err != nil {
			t.Fatal(err)
		}
		want := []connector.Applied{{Field: "customers.full_name", Rows: 1}, {Field: "addresses.city", Rows: 1}}
		if !slices.Equal(applied, want) {
			t.Errorf("applied %+v, want %+v", applied, want)
		}
		var name, city string
		if err := db.Raw("SELECT c.full_name, a.city FROM customers c JOIN addresses a ON a.customer_id = c.id WHERE c.id = 2").Row().Scan(&name, &city); err != nil {
			t.Fatal(err)
		}
		if name != "Alice Jones" || city != "Cambridge" {
			t.Errorf("after correction: %q, %q", name, city)
		}
		applied, err = c.Correct(ctx, alice, cs)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range applied {
			if a.Rows != 0 {
				t.Errorf("retry changed %+v", a)
			}
		}

		// A column that is not correctable fails the whole call.
		_, err = c.Correct(ctx, alice, []connector.Correction{
			{Field: "customers.full_name", Value: "Mallory"},
			{Field: "customers.email", Value: "mallory@example.com"},
		})
		if err == nil || !strings.Contains(err.Error(), "customers.email") {
			t.Errorf("non-correctable column: err = %v, want one naming customers.email", err)
		}
		if _, err := c.Correct(ctx, alice, []connector.Correction{{Field: "orders.nope", Value: "x"}}); err == nil {
			t.Error("unknown column of an own dataset was accepted")
		}
		if _, err := c.Correct(ctx, alice, []connector.Correction{{Field: "fullname", Value: "x"}}); err == nil {
			t.Error("malformed field was accepted")
		}
		if err := db.Raw("SELECT full_name FROM customers WHERE id = 2").Row().Scan(&name); err != nil {
			t.Fatal(err)
		}
		if name != "Alice Jones" {
			t.Errorf("a failed call applied a correction: name %q", name)
		}
		if !equalDumps(dump(t, db, 2), others) {
			t.Error("other customers' rows changed")
		}
	})
}

func TestCheck(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *gorm.DB, c *sqldb.Connector) {
		obs, err := c.Check(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		if len(obs) != 1 || obs[0].Check != "wallet_balance" ||
			!regexp.MustCompile(`^wallet balance of 25\.50? GBP must be refunded first$`).MatchString(obs[0].Message) {
			t.Errorf("alice's obstacles = %+v", obs)
		}
		for _, s := range []connector.Subject{zhang, {Email: "nobody@example.com"}} {
			obs, err := c.Check(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if len(obs) != 0 {
				t.Errorf("%+v: obstacles %+v, want none", s, obs)
			}
		}
	})
}

func TestDeactivate(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *gorm.DB, c *sqldb.Connector) {
		others := dump(t, db, 1)
		before := time.Now().Add(-time.Second)
		if err := c.Deactivate(ctx, zhang); err != nil {
			t.Fatal(err)
		}
		read := func() (string, time.Time) {
			var row struct {
				Status        string
				DeactivatedAt *time.Time
			}
			if err := db.Raw("SELECT status, deactivated_at FROM customers WHERE id = 1").Scan(&row).Error; err != nil {
				t.Fatal(err)
			}
			if row.DeactivatedAt == nil {
				t.Fatal("deactivated_at is NULL")
			}
			return row.Status, *row.DeactivatedAt
		}
		status, first := read()
		if status != "closed" || first.Before(before) || first.After(time.Now().Add(time.Second)) {
			t.Errorf("after deactivate: status %q at %v", status, first)
		}
		time.Sleep(10 * time.Millisecond)
		if err := c.Deactivate(ctx, zhang); err != nil {
			t.Fatal(err)
		}
		if _, again := read(); !again.Equal(first) {
			t.Errorf("a retry moved deactivated_at from %v to %v", first, again)
		}
		if !equalDumps(dump(t, db, 1), others) {
			t.Error("other customers' rows changed")
		}

		cfg := maskConfig(t, db.Dialector.Name())
		plain, err := sqldb.NewWithDB("plain", cfg, db)
		if err != nil {
			t.Fatal(err)
		}
		if err := plain.Deactivate(ctx, zhang); !errors.Is(err, connector.ErrUnsupported) {
			t.Errorf("Deactivate without config: %v, want ErrUnsupported", err)
		}
	})
}

func TestDatasets(t *testing.T) {
	cfg, err := shop.Config("", sqldb.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, sqldb.SQLite)
	c, err := sqldb.NewWithDB("shop", cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	ds := c.Datasets()
	var names []string
	for _, d := range ds {
		names = append(names, d.Name)
		if d.Connector != "shop" {
			t.Errorf("%s: connector %q", d.Name, d.Connector)
		}
	}
	if !slices.Equal(names, tables) {
		t.Errorf("datasets %v, want %v", names, tables)
	}
	if got := ds[0].Columns[1]; got != (connector.Column{Name: "email", Category: "contact"}) {
		t.Errorf("customers column 1 = %+v", got)
	}
	if _, err := sqldb.NewWithDB("shop", func() sqldb.Config { c := cfg; c.Driver = sqldb.Postgres; return c }(), db); err == nil {
		t.Error("a postgres config was accepted for a SQLite database")
	}
}

func TestNew(t *testing.T) {
	cfg, err := shop.Config(filepath.Join(t.TempDir(), "shop.db"), sqldb.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sqldb.New("shop", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(ctx, alice); err == nil {
		t.Error("Check on an empty database succeeded")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.DSN = ""
	if _, err := sqldb.New("shop", cfg); err == nil || !strings.Contains(err.Error(), "dsn") {
		t.Errorf("New without dsn: %v", err)
	}
}
