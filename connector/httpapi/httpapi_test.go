package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/connector"
	"github.com/dsrflow/dsrflow/connector/httpapi"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

const secret = "0123456789abcdef0123456789abcdef-crm"

var subject = connector.Subject{Email: subjectEmail}

func config(base string, ops ...string) httpapi.Config {
	if len(ops) == 0 {
		ops = []string{"access", "erase", "correct", "check", "deactivate"}
	}
	return httpapi.Config{
		BaseURL:    base,
		Secret:     secret,
		Timeout:    10 * time.Second,
		Operations: ops,
		Datasets: []httpapi.DatasetConfig{
			{Name: "profile", Columns: []httpapi.ColumnConfig{{Name: "email", Category: "contact"}, {Name: "phone", Category: "contact"}}},
			{Name: "orders", Columns: []httpapi.ColumnConfig{{Name: "id", Category: "transaction"}, {Name: "total", Category: "transaction"}}},
		},
	}
}

// env is a service, dsrflow's API taking its callbacks into a real store,
// and a connector whose waiter polls that store.
type env struct {
	svc   *service
	store *store.Store
	conn  *httpapi.Connector
}

func newEnv(t *testing.T, ops ...string) *env {
	t.Helper()
	svc := newService(t, secret)
	st := storetest.Open(t, store.SQLite)
	a := &api.Server{Store: st, CallbackSecrets: map[string][]byte{"crm": []byte(secret)}}
	apiSrv := httptest.NewServer(a.Handler())
	t.Cleanup(apiSrv.Close)
	conn, err := httpapi.New("crm", config(svc.srv.URL, ops...),
		httpapi.WithCallbackBase(apiSrv.URL),
		httpapi.WithCallbacks(httpapi.CallbackWaiter{Store: st, Every: 20 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, store: st, conn: conn}
}

func keyed(t *testing.T, key string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return httpapi.WithRequestKey(ctx, key)
}

// sink records what Access hands it, checking the order of calls.
type sink struct {
	t        *testing.T
	datasets []connector.Dataset
	rows     map[string][][]any
	first    chan struct{} // closed at the first orders row
}

func (s *sink) Dataset(d connector.Dataset) error {
	s.datasets = append(s.datasets, d)
	return nil
}

func (s *sink) Row(v []any) error {
	if len(s.datasets) == 0 {
		s.t.Fatal("row before any dataset")
	}
	name := s.datasets[len(s.datasets)-1].Name
	if s.rows == nil {
		s.rows = map[string][][]any{}
	}
	if name == "orders" && len(s.rows[name]) < 3 {
		// Kept whole only for the first rows, to keep memory flat.
		s.rows[name] = append(s.rows[name], v)
	} else {
		s.rows[name] = append(s.rows[name], nil)
	}
	if name == "orders" && s.first != nil {
		close(s.first)
		s.first = nil
	}
	return nil
}

func checkExport(t *testing.T, s *sink, orders int) {
	t.Helper()
	names := []string{}
	for _, d := range s.datasets {
		names = append(names, d.Name)
	}
	if !reflect.DeepEqual(names, []string{"profile", "orders", "empty"}) {
		t.Fatalf("datasets %v, want profile, orders, empty", names)
	}
	wantCols := []connector.Column{{Name: "id", Category: "transaction"}, {Name: "total", Category: "transaction"}, {Name: "note"}}
	if d := s.datasets[1]; d.Connector != "crm" || !reflect.DeepEqual(d.Columns, wantCols) {
		t.Errorf("orders dataset %+v, want columns with declared categories %+v", d, wantCols)
	}
	if n := len(s.rows["orders"]); n != orders {
		t.Errorf("%d orders rows, want %d", n, orders)
	}
	if got := s.rows["profile"]; len(got) != 1 {
		t.Errorf("profile rows %v", got)
	}
	first := s.rows["orders"][1]
	if len(first) != 3 || first[0] != json.Number("1") || first[1] != json.Number("12345678901234567890") || first[2] != "order 1" {
		t.Errorf("orders[1] = %#v: numbers must stay exact", first)
	}
}

func TestAccessStreamsSyncAnswer(t *testing.T) {
	e := newEnv(t)
	const rows = 50000
	e.svc.rows = rows
	e.svc.gate = make(chan struct{})
	s := &sink{t: t, first: e.svc.gate}
	if err := e.conn.Access(keyed(t, "case-1"), subject, s); err != nil {
		t.Fatal(err)
	}
	checkExport(t, s, rows)
}

func TestAccessAsyncViaCallback(t *testing.T) {
	e := newEnv(t)
	e.svc.async = true
	e.svc.rows = 1000
	s := &sink{t: t}
	if err := e.conn.Access(keyed(t, "case-1"), subject, s); err != nil {
		t.Fatal(err)
	}
	checkExport(t, s, 1000)
	if body, err := e.store.Callback(context.Background(), "crm", "job-1"); err != nil || !strings.Contains(string(body), `"result_url"`) {
		t.Errorf("callback in the store: %q %v", body, err)
	}
}

func TestAccessRefusesResultElsewhere(t *testing.T) {
	e := newEnv(t)
	e.svc.async = true
	e.svc.resultURL = "https://attacker.example/results/job-1"
	err := e.conn.Access(keyed(t, "case-1"), subject, &sink{t: t})
	var perm *httpapi.PermanentError
	if !errors.As(err, &perm) || !strings.Contains(err.Error(), "origin") {
		t.Fatalf("result_url on another host: %v, want a permanent error", err)
	}
}

func TestEraseAndCorrect(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			e := newEnv(t)
			e.svc.async = async
			ctx := keyed(t, "case-1")
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			es, err := e.conn.Erase(ctx, subject, now)
			if err != nil {
				t.Fatal(err)
			}
			until := time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
			want := []connector.Erasure{
				{Dataset: "orders", Strategy: "delete", Erased: 2},
				{Dataset: "invoices", Strategy: "null", Held: 4, HeldUntil: &until, Hold: "tax law, 10 years"},
			}
			if !reflect.DeepEqual(es, want) {
				t.Errorf("erasures %+v, want %+v", es, want)
			}

			cs := []connector.Correction{{Field: "profile.phone", Value: "+33 6 00 00 00 00"}, {Field: "ledger.name", Value: "Ada"}}
			applied, err := e.conn.Correct(ctx, subject, cs)
			if err != nil {
				t.Fatal(err)
			}
			// ledger is not this connector's: left out of the request.
			if want := []connector.Applied{{Field: "profile.phone", Rows: 1}}; !reflect.DeepEqual(applied, want) {
				t.Errorf("applied %+v, want %+v", applied, want)
			}

			obstacles, err := e.conn.Check(ctx, subject)
			if err != nil || len(obstacles) != 1 || obstacles[0].Check != "balance" {
				t.Errorf("check: %+v %v", obstacles, err)
			}
			if err := e.conn.Deactivate(ctx, subject); err != nil {
				t.Errorf("deactivate: %v", err)
			}
			for _, op := range []string{"erase", "correct", "deactivate"} {
				if n := e.svc.count(e.svc.applied, op); n != 1 {
					t.Errorf("%s applied %d times, want 1", op, n)
				}
			}
		})
	}
}

func TestCorrectNothingOfOurs(t *testing.T) {
	e := newEnv(t)
	applied, err := e.conn.Correct(keyed(t, "case-1"), subject, []connector.Correction{{Field: "ledger.name", Value: "Ada"}})
	if err != nil || applied != nil {
		t.Fatalf("%+v %v", applied, err)
	}
	if n := e.svc.count(e.svc.requests, "correct"); n != 0 {
		t.Errorf("%d requests for corrections the service does not hold", n)
	}
}

// A retried activity sends the same request: the service applies it once
// and both calls get the same answer.
func TestRetrySendsSameRequest(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cs := []connector.Correction{{Field: "profile.email", Value: "ada@new.example"}}
	first, err := e.conn.Erase(keyed(t, "case-1"), subject, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.conn.Erase(keyed(t, "case-1"), subject, now)
	if err != nil || !reflect.DeepEqual(first, again) {
		t.Fatalf("retried erase: %+v %v, want %+v", again, err, first)
	}
	for range 2 {
		if _, err := e.conn.Correct(keyed(t, "case-1"), subject, cs); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.svc.count(e.svc.requests, "erase"); n != 2 {
		t.Fatalf("service saw %d erase requests, want 2", n)
	}
	if a, c := e.svc.count(e.svc.applied, "erase"), e.svc.count(e.svc.applied, "correct"); a != 1 || c != 1 {
		t.Errorf("applied erase %d, correct %d times; want once each", a, c)
	}

	// The engine sets the key with connector.WithRequestID: the same key
	// that way is the same request.
	engineCtx, cancel := context.WithTimeout(connector.WithRequestID(context.Background(), "case-1"), 30*time.Second)
	defer cancel()
	if _, err := e.conn.Erase(engineCtx, subject, now); err != nil {
		t.Fatal(err)
	}
	if a := e.svc.count(e.svc.applied, "erase"); a != 1 {
		t.Errorf("erase keyed through connector.WithRequestID applied again (%d)", a)
	}

	// Not the same request: another case, a later erase (a hold has
	// ended), other corrections.
	if _, err := e.conn.Erase(keyed(t, "case-2"), subject, now); err != nil {
		t.Fatal(err)
	}
	if _, err := e.conn.Erase(keyed(t, "case-1"), subject, now.AddDate(3, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.conn.Correct(keyed(t, "case-1"), subject, []connector.Correction{{Field: "profile.email", Value: "ada@newer.example"}}); err != nil {
		t.Fatal(err)
	}
	if a, c := e.svc.count(e.svc.applied, "erase"), e.svc.count(e.svc.applied, "correct"); a != 3 || c != 2 {
		t.Errorf("applied erase %d, correct %d times; want 3 and 2", a, c)
	}
}

// A worker that dies while waiting for a job: its retry re-sends the
// request, the service answers with the same job, and the callback that
// arrived meanwhile is found in the store.
func TestAsyncJobSurvivesWorkerCrash(t *testing.T) {
	e := newEnv(t)
	e.svc.async = true
	e.svc.holdCallbacks = true
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

	ctx, crash := context.WithCancel(keyed(t, "case-1"))
	done := make(chan error, 1)
	go func() {
		_, err := e.conn.Erase(ctx, subject, now)
		done <- err
	}()
	job := <-e.svc.accepted
	time.Sleep(50 * time.Millisecond) // waiting by now
	crash()
	select {
	case err := <-done:
		var perm *httpapi.PermanentError
		if !errors.Is(err, context.Canceled) || errors.As(err, &perm) {
			t.Fatalf("erase cancelled while waiting: %v, want a retryable context error", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Wait did not return promptly when its context was cancelled")
	}

	e.svc.deliver(job)
	es, err := e.conn.Erase(keyed(t, "case-1"), subject, now)
	if err != nil || len(es) != 2 {
		t.Fatalf("retried erase: %+v %v", es, err)
	}
	if again := <-e.svc.accepted; again != job {
		t.Errorf("retry got job %s, want %s", again, job)
	}
	if n := e.svc.count(e.svc.applied, "erase"); n != 1 {
		t.Errorf("erase applied %d times, want 1", n)
	}
}

func TestFailedJobIsPermanent(t *testing.T) {
	e := newEnv(t)
	e.svc.async = true
	e.svc.jobFails = true
	_, err := e.conn.Erase(keyed(t, "case-1"), subject, time.Now())
	var perm *httpapi.PermanentError
	if !errors.As(err, &perm) || perm.Code != "subject_locked" {
		t.Fatalf("failed job: %v, want a permanent error with code subject_locked", err)
	}
}

func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter string
		permanent  bool
		wantAfter  time.Duration
	}{
		{http.StatusBadRequest, "", true, 0},
		{http.StatusForbidden, "", true, 0},
		{http.StatusNotFound, "", true, 0},
		{http.StatusConflict, "", true, 0},
		{http.StatusUnprocessableEntity, "", true, 0},
		{http.StatusFound, "", true, 0},
		{http.StatusRequestTimeout, "", false, 0},
		{http.StatusTooManyRequests, "7", false, 7 * time.Second},
		{http.StatusInternalServerError, "", false, 0},
		{http.StatusServiceUnavailable, "120", false, 2 * time.Minute},
		{http.StatusBadGateway, "soon", false, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			e := newEnv(t)
			e.svc.fail["erase"] = tt.status
			e.svc.retryAfter = tt.retryAfter
			_, err := e.conn.Erase(keyed(t, "case-1"), subject, time.Now())
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), subjectEmail) {
				t.Errorf("error quotes the subject: %v", err)
			}
			var perm *httpapi.PermanentError
			var st *httpapi.StatusError
			switch {
			case tt.permanent && (!errors.As(err, &perm) || perm.Status != tt.status || !connector.IsPermanent(err)):
				t.Errorf("%v, want a permanent error with status %d", err, tt.status)
			case !tt.permanent && (errors.As(err, &perm) || connector.IsPermanent(err)):
				t.Errorf("%v is permanent, want retryable", err)
			case !tt.permanent && (!errors.As(err, &st) || st.RetryAfter != tt.wantAfter):
				t.Errorf("%v, want a StatusError with RetryAfter %s", err, tt.wantAfter)
			}
			if tt.wantAfter > 0 && !strings.Contains(err.Error(), "retry after "+tt.wantAfter.String()) {
				t.Errorf("%q does not say when to retry", err)
			}
			if tt.status != http.StatusFound && !strings.Contains(err.Error(), fmt.Sprintf("E%d", tt.status)) {
				t.Errorf("%q lacks the service's error code", err)
			}
		})
	}
}

func TestNetworkErrorIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	conn, err := httpapi.New("crm", config(base))
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Deactivate(keyed(t, "case-1"), subject)
	var perm *httpapi.PermanentError
	if err == nil || errors.As(err, &perm) {
		t.Fatalf("unreachable service: %v, want a retryable error", err)
	}
}

func TestTimeoutBoundsEachCall(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	cfg := config(srv.URL)
	cfg.Timeout = 100 * time.Millisecond
	conn, err := httpapi.New("crm", cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = conn.Deactivate(keyed(t, "case-1"), subject)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("hung service: %v after %s", err, time.Since(start))
	}
}

func TestAsyncWithoutCallbacksFails(t *testing.T) {
	svc := newService(t, secret)
	svc.async = true
	svc.holdCallbacks = true // it has nowhere to send them
	conn, err := httpapi.New("crm", config(svc.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Check(keyed(t, "case-1"), subject)
	var perm *httpapi.PermanentError
	if !errors.As(err, &perm) || !strings.Contains(err.Error(), "callback_base") {
		t.Fatalf("202 without callbacks configured: %v", err)
	}
}

func TestUnsupportedOperations(t *testing.T) {
	e := newEnv(t, "access")
	ctx := keyed(t, "case-1")
	_, errErase := e.conn.Erase(ctx, subject, time.Now())
	_, errCorrect := e.conn.Correct(ctx, subject, []connector.Correction{{Field: "profile.email", Value: "x"}})
	_, errCheck := e.conn.Check(ctx, subject)
	errDeactivate := e.conn.Deactivate(ctx, subject)
	for op, err := range map[string]error{"erase": errErase, "correct": errCorrect, "check": errCheck, "deactivate": errDeactivate} {
		if !errors.Is(err, connector.ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", op, err)
		}
		if n := e.svc.count(e.svc.requests, op); n != 0 {
			t.Errorf("%s: %d requests sent for an unsupported operation", op, n)
		}
	}
}

func TestRefusesWithoutRequestKey(t *testing.T) {
	e := newEnv(t)
	_, err := e.conn.Erase(context.Background(), subject, time.Now())
	var perm *httpapi.PermanentError
	if !errors.As(err, &perm) || !connector.IsPermanent(err) {
		t.Fatalf("erase without a request key: %v, want a permanent error", err)
	}
	if _, err := e.conn.Check(keyed(t, "case-1"), connector.Subject{}); !errors.As(err, &perm) {
		t.Errorf("empty subject: %v, want a permanent error", err)
	}
	if n := e.svc.count(e.svc.requests, "erase"); n != 0 {
		t.Errorf("%d erase requests sent", n)
	}
}

func TestDatasets(t *testing.T) {
	conn, err := httpapi.New("crm", config("https://crm.example/dsr"))
	if err != nil {
		t.Fatal(err)
	}
	got := conn.Datasets()
	if len(got) != 2 || got[0].Connector != "crm" || got[1].Name != "orders" || got[1].Columns[0].Category != "transaction" {
		t.Fatalf("datasets %+v", got)
	}
	got[0].Columns[0].Name = "changed"
	if conn.Datasets()[0].Columns[0].Name != "email" {
		t.Error("Datasets shares its slices with the caller")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*httpapi.Config)
		want   string
	}{
		{"no base_url", func(c *httpapi.Config) { c.BaseURL = "" }, "base_url: required"},
		{"ftp base_url", func(c *httpapi.Config) { c.BaseURL = "ftp://crm.example" }, "base_url: scheme"},
		{"base_url with credentials", func(c *httpapi.Config) { c.BaseURL = "https://u:p@crm.example" }, "base_url: must not carry credentials"},
		{"base_url with query", func(c *httpapi.Config) { c.BaseURL = "https://crm.example/?k=v" }, "base_url: must not have a query"},
		{"bad callback_base", func(c *httpapi.Config) { c.CallbackBase = "dsr.example" }, "callback_base:"},
		{"no secret", func(c *httpapi.Config) { c.Secret = "" }, "secret: required"},
		{"short secret", func(c *httpapi.Config) { c.Secret = "hunter2" }, "secret: 7 bytes"},
		{"negative timeout", func(c *httpapi.Config) { c.Timeout = -time.Second }, "timeout:"},
		{"no operations", func(c *httpapi.Config) { c.Operations = nil }, "operations: name at least one"},
		{"unknown operation", func(c *httpapi.Config) { c.Operations = []string{"access", "delete"} }, `operations[1]: unknown operation "delete"`},
		{"operation twice", func(c *httpapi.Config) { c.Operations = []string{"erase", "erase"} }, "operations[1]: erase listed twice"},
		{"no datasets", func(c *httpapi.Config) { c.Datasets = nil }, "datasets: required"},
		{"unnamed dataset", func(c *httpapi.Config) { c.Datasets[1].Name = "" }, "datasets[1].name: required"},
		{"dataset twice", func(c *httpapi.Config) { c.Datasets[1].Name = "profile" }, "datasets[1].name: profile declared twice"},
		{"dotted dataset", func(c *httpapi.Config) { c.Datasets[0].Name = "a.b" }, "datasets[0].name:"},
		{"no columns", func(c *httpapi.Config) { c.Datasets[0].Columns = nil }, "datasets[0].columns: declare at least one"},
		{"column twice", func(c *httpapi.Config) { c.Datasets[0].Columns[1].Name = "email" }, "datasets[0].columns[1].name: email declared twice"},
	}
	if err := config("https://crm.example").Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config("https://crm.example")
			tt.change(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%v, want %q", err, tt.want)
			}
			if _, err := httpapi.New("crm", cfg); err == nil {
				t.Error("New accepted it")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Error("error quotes the secret")
			}
		})
	}
	// Only check and deactivate: nothing to declare.
	cfg := config("https://crm.example", "check", "deactivate")
	cfg.Datasets = nil
	if err := cfg.Validate(); err != nil {
		t.Errorf("check-only service without datasets: %v", err)
	}
	for _, name := range []string{"", "a/b", "crm svc"} {
		if _, err := httpapi.New(name, config("https://crm.example")); err == nil {
			t.Errorf("connector name %q accepted", name)
		}
	}
}
