package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/proto"

	"github.com/dsrflow/dsrflow/api/apitest"
	"github.com/dsrflow/dsrflow/codec"
	"github.com/dsrflow/dsrflow/devserver"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/workflows"
)

// binary is the dsr binary the end-to-end tests run, built once.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dsr-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "dsr")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build dsr: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needTemporal fails, never skips, when the dev server binary is missing:
// a suite that silently skipped its end-to-end tests would prove nothing.
func needTemporal(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test; run without -short")
	}
	if _, err := devserver.Find(); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func freePort(t testing.TB) string {
	_, port, _ := net.SplitHostPort(freeAddr(t))
	return port
}

// syncBuffer collects a child's output for the failure log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// devEngine is a running `dsr dev`.
type devEngine struct {
	t       testing.TB
	cmd     *exec.Cmd
	out     *syncBuffer
	base    string
	dataDir string
	// temporal is the dev server's frontend address.
	temporal string
	// intake is the SMTP address of e-mail intake.
	intake string
	// ui is the Temporal UI's base URL.
	ui string
	// key is the API key requests carry: the dev admin key, unless a test
	// switches to another.
	key   string
	dbURL string
	// contract checks every answer against the OpenAPI document.
	contract *apitest.Contract
	done     chan error
}

// startDev starts `dsr dev`. The example shop is off unless env (KEY=value
// settings, applied last) switches it on: the other tests complete their
// cases by hand.
func startDev(t testing.TB, dataDir, dbURL string, env ...string) *devEngine {
	t.Helper()
	httpAddr, temporalPort, intakeAddr, uiPort := freeAddr(t), freePort(t), freeAddr(t), freePort(t)
	cmd := exec.Command(binary, "dev")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(),
		"DSR_DATA_DIR="+dataDir,
		"DSR_HTTP_ADDR="+httpAddr,
		"DSR_DATABASE_URL="+dbURL,
		"DSR_DEV_TEMPORAL_PORT="+temporalPort,
		"DSR_DEV_UI_PORT="+uiPort,
		"DSR_DEV_MAILBOX_ADDR="+freeAddr(t),
		"DSR_DEV_INTAKE_ADDR="+intakeAddr,
		"DSR_DEV_EXAMPLE=false",
	)
	cmd.Env = append(cmd.Env, env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &devEngine{t: t, cmd: cmd, out: out, base: "http://" + httpAddr, dataDir: dataDir,
		temporal: "127.0.0.1:" + temporalPort, intake: intakeAddr, ui: "http://127.0.0.1:" + uiPort, done: make(chan error, 1)}
	go func() { e.done <- cmd.Wait() }()
	t.Cleanup(func() {
		// A test that failed midway still stops dsr dev as Ctrl-C would, so
		// its Temporal child goes too; SIGKILL only if that hangs.
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-e.done:
			case <-time.After(30 * time.Second):
				t.Errorf("dsr dev ignored SIGINT for 30s; killing it")
				_ = cmd.Process.Kill()
				<-e.done
			}
		}
		for _, p := range temporalProcesses(dataDir) {
			t.Errorf("temporal left running, killing it: %s", p)
			if pid, err := strconv.Atoi(strings.SplitN(p, ":", 2)[0]); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if t.Failed() {
			t.Logf("dsr dev output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(e.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				e.key = devAdminKey(t, dataDir)
				e.dbURL = dbURL
				e.contract = apitest.Load(t)
				return e
			}
		}
		select {
		case err := <-e.done:
			e.done <- err
			t.Fatalf("dsr dev exited before it was ready: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dsr dev not ready after 90s\n%s", out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop interrupts dsr dev as Ctrl-C would and waits for it to exit.
func (e *devEngine) stop() {
	e.t.Helper()
	if err := e.cmd.Process.Signal(syscall.SIGINT); err != nil {
		e.t.Fatal(err)
	}
	select {
	case err := <-e.done:
		if err != nil {
			e.t.Fatalf("dsr dev exited with %v\n%s", err, e.out.String())
		}
	case <-time.After(60 * time.Second):
		e.t.Fatalf("dsr dev did not stop within 60s")
	}
}

// temporalProcesses lists running processes whose command line names this
// engine's Temporal database, i.e. its dev server children.
func temporalProcesses(dataDir string) []string {
	db := filepath.Join(dataDir, "temporal.db")
	var found []string
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		cmdline := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmdline, db) {
			found = append(found, filepath.Base(filepath.Dir(f))+": "+cmdline)
		}
	}
	return found
}

type response struct {
	status int
	ctype  string
	body   map[string]any
	raw    string
}

func (e *devEngine) do(method, path, ctype, body string) response {
	e.t.Helper()
	return e.send(map[string]string{"Content-Type": ctype, "Authorization": "Bearer " + e.key}, method, path, body)
}

func (e *devEngine) send(headers map[string]string, method, path, body string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	e.contract.Check(e.t, req, resp.StatusCode, resp.Header, b)
	r := response{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r
}

// devAdminKey is the admin key `dsr dev` made in its data dir.
func devAdminKey(t testing.TB, dataDir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "dev-secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(b, &s); err != nil || s.APIKey == "" {
		t.Fatalf("dev-secrets.json: %v, key %q", err, s.APIKey)
	}
	return s.APIKey
}

func (e *devEngine) post(path, body string) response {
	return e.do("POST", path, "application/json", body)
}
func (e *devEngine) get(path string) response { return e.do("GET", path, "", "") }

func expect(t testing.TB, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.raw)
	}
	if status >= 400 && r.ctype != "application/problem+json" {
		t.Fatalf("%s: content type %q, want application/problem+json", what, r.ctype)
	}
}

var codeInBody = regexp.MustCompile(`(?m)^\s+([0-9]{6})\s*$`)

// code waits for the verification code of the case in the dev mailbox.
func (e *devEngine) code(reference string) string {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var box struct {
			Messages []struct{ Subject, Body string }
		}
		r := e.get("/dev/mailbox")
		if err := json.Unmarshal([]byte(r.raw), &box); err != nil {
			e.t.Fatalf("mailbox: %v: %s", err, r.raw)
		}
		for i := len(box.Messages) - 1; i >= 0; i-- {
			m := box.Messages[i]
			if strings.Contains(m.Subject, reference) {
				if c := codeInBody.FindStringSubmatch(m.Body); c != nil {
					return c[1]
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	e.t.Fatalf("no code for %s in the dev mailbox", reference)
	return ""
}

// The case runs under gdpr, whose weekends-only calendar has no last year:
// a China preset would stop computing deadlines once "now" reaches years
// whose holidays are not published yet.
var sixDigits = regexp.MustCompile(`[0-9]{6}`)

// smsCode waits for a code texted to phone in the dev SMS outbox.
func (e *devEngine) smsCode(phone string) string {
	e.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var box struct {
			Messages []struct{ To, Text string }
		}
		r := e.get("/dev/sms")
		if err := json.Unmarshal([]byte(r.raw), &box); err != nil {
			e.t.Fatalf("sms outbox: %v: %s", err, r.raw)
		}
		for _, m := range box.Messages {
			if m.To == phone {
				return sixDigits.FindString(m.Text)
			}
		}
	}
	e.t.Fatalf("no code texted to %s", phone)
	return ""
}

const openBody = `{"tenant":"shop","type":"access","channel":"api","policy_id":"gdpr",
 "requester":{"name":"李雷","email":"li.lei@example.test","language":"zh-CN"}}`

func TestDevEndToEnd(t *testing.T) {
	needTemporal(t)
	dbURL := storetest.PostgresURL(t)
	dataDir := t.TempDir()
	e := startDev(t, dataDir, dbURL)

	if r := e.get("/v1/policies"); r.status != 200 || !strings.Contains(r.raw, "cn-15d-ext45") {
		t.Fatalf("policies: %d %s", r.status, r.raw)
	}
	// The retention schedule runs daily with the configured years.
	temporal, _ := devserver.Find()
	sched, err := exec.Command(temporal, "schedule", "describe", "--address", e.temporal, "--schedule-id", "dsr-retention", "--output", "json").CombinedOutput()
	if err != nil || !strings.Contains(string(sched), `"Retention"`) || !strings.Contains(string(sched), "86400s") {
		t.Errorf("retention schedule: %v\n%s", err, sched)
	}

	// Bad input is refused with a problem naming the field.
	r := e.post("/v1/requests", `{"tenant":"shop","type":"acces","policy_id":"cn-15d-ext45","requester":{"email":"a@example.test"}}`)
	expect(t, "bad type", r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.raw, `"field":"type"`) {
		t.Errorf("bad type problem does not name the field: %s", r.raw)
	}
	expect(t, "unknown field", e.post("/v1/requests", `{"tenant":"shop","colour":"red"}`), http.StatusBadRequest)
	expect(t, "wrong content type", e.do("POST", "/v1/requests", "text/plain", openBody), http.StatusUnsupportedMediaType)
	// Issue 15: what PostgreSQL cannot hold, or a case could not live
	// with, is refused at the door, naming the field; nothing is started.
	for field, body := range map[string]string{
		"requester.name": `{"tenant":"shop","type":"access","policy_id":"cn-15d-ext45","requester":{"name":"a\u0000b","email":"a@example.test"}}`,
		"tenant":         `{"tenant":" shop ","type":"access","policy_id":"cn-15d-ext45","requester":{"email":"a@example.test"}}`,
		"received_at":    `{"tenant":"shop","type":"access","policy_id":"cn-15d-ext45","requester":{"email":"a@example.test"},"received_at":"0001-01-01T00:00:00Z"}`,
	} {
		r := e.post("/v1/requests", body)
		expect(t, "refused "+field, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.raw, `"field":"`+field+`"`) {
			t.Errorf("refusal does not name %s: %s", field, r.raw)
		}
	}

	r = e.post("/v1/requests", openBody)
	expect(t, "open", r, http.StatusCreated)
	id, _ := r.body["id"].(string)
	ref, _ := r.body["reference"].(string)
	if id == "" || ref == "" {
		t.Fatalf("open answered %s", r.raw)
	}
	code := e.code(ref)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	expect(t, "wrong code", e.post("/v1/requests/"+id+"/verify", `{"method":"code","code":"`+wrong+`"}`), http.StatusUnprocessableEntity)
	r = e.post("/v1/requests/"+id+"/verify", `{"method":"code","code":"`+code+`"}`)
	expect(t, "verify", r, http.StatusOK)
	if r.body["status"] != "in_progress" {
		t.Fatalf("after verify: %s", r.raw)
	}
	expect(t, "extend without reason", e.post("/v1/requests/"+id+"/extend", `{}`), http.StatusConflict)
	r = e.post("/v1/requests/"+id+"/extend", `{"reason":"the data sits in many systems","actor":"staff:wang"}`)
	expect(t, "extend", r, http.StatusOK)
	if r.body["extended"] != true {
		t.Fatalf("after extend: %s", r.raw)
	}
	r = e.post("/v1/requests/"+id+"/complete", `{"summary":"copy sent by e-mail","actor":"staff:wang"}`)
	expect(t, "complete", r, http.StatusOK)
	expect(t, "complete twice", e.post("/v1/requests/"+id+"/complete", `{"summary":"again"}`), http.StatusConflict)

	// The audit trail holds the whole story in order.
	want := []string{"case.opened", "verification.code_sent", "verification.failed", "case.verified", "case.extended", "case.completed"}
	var kinds []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		r = e.get("/v1/requests/" + id + "/events")
		expect(t, "events", r, http.StatusOK)
		var evs struct {
			Events []struct {
				Seq  int64
				Kind string
			}
		}
		if err := json.Unmarshal([]byte(r.raw), &evs); err != nil {
			t.Fatal(err)
		}
		kinds = kinds[:0]
		for i, ev := range evs.Events {
			if ev.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d", i, ev.Seq)
			}
			kinds = append(kinds, ev.Kind)
		}
		if count(kinds, "notice.sent") >= 4 { // acknowledgement, code, extension, completion
			break
		}
	}
	if !inOrder(kinds, want) {
		t.Fatalf("events %v do not contain %v in order", kinds, want)
	}

	assertSealedHistory(t, e.temporal, workflows.WorkflowID(id), "li.lei@example.test", "李雷")
	assertCodecEndpoint(t, e, workflows.WorkflowID(id), "li.lei@example.test")

	// Its workflow over, the closed case still takes notes, tags and an
	// assignee, audited in the same chain; nothing else.
	awaitWorkflowEnd(t, e.temporal, workflows.WorkflowID(id))
	r = e.post("/v1/requests/"+id+"/note", `{"note":"the requester called to say thanks"}`)
	expect(t, "note on a closed case", r, http.StatusOK)
	if r.body["source"] != "store" {
		t.Errorf("note on an ended workflow answered from %v", r.body["source"])
	}
	expect(t, "tag a closed case", e.post("/v1/requests/"+id+"/tag", `{"add":["regulator-query"]}`), http.StatusOK)
	expect(t, "assign a closed case", e.post("/v1/requests/"+id+"/assign", `{"assignee":"staff:li"}`), http.StatusOK)
	expect(t, "assign it twice", e.post("/v1/requests/"+id+"/assign", `{"assignee":"staff:li"}`), http.StatusConflict)
	expect(t, "empty note", e.post("/v1/requests/"+id+"/note", `{"note":" "}`), http.StatusConflict)
	expect(t, "deny a closed case", e.post("/v1/requests/"+id+"/deny", `{"reason":"unfounded_or_repeated","explanation":"x"}`), http.StatusConflict)
	r = e.get("/v1/requests/" + id)
	if r.body["assignee"] != "staff:li" || fmt.Sprint(r.body["tags"]) != "[regulator-query]" || r.body["status"] != "completed" {
		t.Errorf("closed case after bookkeeping: %s", r.raw)
	}
	r = e.get("/v1/requests/" + id + "/events")
	for _, kind := range []string{"case.noted", "case.tagged", "case.assigned"} {
		if !strings.Contains(r.raw, `"kind":"`+kind+`"`) {
			t.Errorf("events lack %s: %s", kind, r.raw)
		}
	}

	// Metrics count the case, by route pattern and type only, next to the
	// Temporal SDK's own.
	r = e.get("/metrics")
	for _, want := range []string{`dsr_cases_closed_total{outcome="completed",type="access"} 1`,
		`dsr_http_requests_total{method="POST",route="/v1/requests/:id/verify",status="200"} 1`, "dsr_store_up 1",
		`dsr_case_time_to_close_seconds_count{type="access"} 1`,
		`operation="UpdateWorkflowExecution"`,
		// The case's small steps run as local activities (workflows/quick.go).
		`temporal_workflow_task_execution_latency_count{`, `temporal_local_activity_execution_latency_count{`} {
		if !strings.Contains(r.raw, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, personal := range []string{id, ref, "li.lei@example.test", "李雷"} {
		if strings.Contains(r.raw, personal) {
			t.Errorf("metrics show %q", personal)
		}
	}

	// A requester with only a phone number verifies by a code sent by SMS.
	r = e.post("/v1/requests", `{"tenant":"shop","type":"deletion","policy_id":"gdpr","requester":{"phone":"+86 138 0000 0001","language":"zh-CN"}}`)
	expect(t, "open phone-only", r, http.StatusCreated)
	phoneCase, _ := r.body["id"].(string)
	r = e.post("/v1/requests/"+phoneCase+"/verify", `{"method":"code","code":"`+e.smsCode("+86 138 0000 0001")+`"}`)
	expect(t, "verify by sms code", r, http.StatusOK)
	if r.body["status"] != "in_progress" {
		t.Fatalf("after sms verify: %s", r.raw)
	}

	assertSealedHistory(t, e.temporal, workflows.WorkflowID(phoneCase), "+86 138 0000 0001")

	e.stop()
	if left := temporalProcesses(dataDir); len(left) > 0 {
		t.Fatalf("temporal still running after dsr dev stopped: %v", left)
	}
	assertNoPersonalDataInLogs(t, e, "li.lei@example.test", "李雷", "+86 138 0000 0001", "138 0000 0001")

	// A restart finds the same case, live from the workflow.
	e = startDev(t, dataDir, dbURL)
	r = e.get("/v1/requests/" + id)
	expect(t, "case after restart", r, http.StatusOK)
	if r.body["status"] != "completed" || r.body["reference"] != ref {
		t.Fatalf("after restart: %s", r.raw)
	}
	e.stop()
}

// assertSealedHistory reads the raw history, as the Temporal server stores
// it, and fails if any of the personal data appears in clear.
// assertNoPersonalDataInLogs scans everything the engine logged (dsr dev's
// output and the Temporal server's log) for the requesters' data.
func assertNoPersonalDataInLogs(t *testing.T, e *devEngine, personal ...string) {
	t.Helper()
	temporalLog, err := os.ReadFile(filepath.Join(e.dataDir, "temporal.log"))
	if err != nil {
		t.Fatal(err)
	}
	logs := map[string]string{"dsr dev output": e.out.String(), "temporal.log": string(temporalLog)}
	for name, text := range logs {
		if len(text) == 0 {
			t.Errorf("%s is empty: nothing was scanned", name)
		}
		for _, p := range personal {
			if i := strings.Index(text, p); i >= 0 {
				t.Errorf("%s shows %q: …%s…", name, p, text[max(0, i-200):min(len(text), i+100)])
			}
		}
	}
}

// assertCodecEndpoint reads the history with the Temporal CLI through the
// API's codec route: with an admin key the personal data shows; without
// one the route refuses.
func assertCodecEndpoint(t *testing.T, e *devEngine, workflowID, personal string) {
	t.Helper()
	temporal, err := devserver.Find()
	if err != nil {
		t.Fatal(err)
	}
	// The JSON output carries payload data in base64.
	show := func(auth string) string {
		out, _ := exec.Command(temporal, "workflow", "show", "--address", e.temporal, "-w", workflowID,
			"--output", "json", "--codec-endpoint", e.base+"/v1/codec", "--codec-auth", auth).CombinedOutput()
		var data strings.Builder
		for _, m := range payloadData.FindAllStringSubmatch(string(out), -1) {
			b, _ := base64.StdEncoding.DecodeString(m[1])
			data.Write(b)
		}
		return data.String()
	}
	if out := show("Bearer " + e.key); !strings.Contains(out, personal) {
		t.Errorf("history through the codec with an admin key lacks the requester:\n%.2000s", out)
	}
	// Without a valid key the route refuses (asked directly: the CLI
	// retries a refused codec for a long while).
	r := e.send(map[string]string{"Authorization": "Bearer nope", "Content-Type": "application/json"},
		"POST", "/v1/codec/decode", `{"payloads":[]}`)
	expect(t, "codec without a valid key", r, http.StatusUnauthorized)

	// The dev UI is told to decode through /dev/codec, which answers the
	// UI's origin only.
	resp, err := http.Get(e.ui + "/api/v1/settings")
	if err != nil {
		t.Fatal(err)
	}
	settings, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(settings), e.base+"/dev/codec") {
		t.Errorf("UI settings do not name the dev codec: %s", settings)
	}
	plain := `{"payloads":[{"metadata":{"encoding":"` + base64.StdEncoding.EncodeToString([]byte("json/plain")) +
		`"},"data":"` + base64.StdEncoding.EncodeToString([]byte(`"`+personal+`"`)) + `"}]}`
	r = e.send(map[string]string{"Authorization": "Bearer " + e.key, "Content-Type": "application/json"}, "POST", "/v1/codec/encode", plain)
	expect(t, "encode", r, http.StatusOK)
	decode := func(origin string) (int, string) {
		req, _ := http.NewRequest("POST", e.base+"/dev/codec/decode", strings.NewReader(r.raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var data strings.Builder
		for _, m := range payloadData.FindAllStringSubmatch(string(b), -1) {
			d, _ := base64.StdEncoding.DecodeString(m[1])
			data.Write(d)
		}
		return resp.StatusCode, data.String()
	}
	if status, got := decode(e.ui); status != 200 || !strings.Contains(got, personal) {
		t.Errorf("dev codec for the UI: %d %q", status, got)
	}
	if status, got := decode("http://evil.example"); status != 403 || strings.Contains(got, personal) {
		t.Errorf("dev codec for another origin: %d %q", status, got)
	}
}

var payloadData = regexp.MustCompile(`"data":\s*"([A-Za-z0-9+/=]+)"`)

// awaitWorkflowEnd waits until the workflow has returned.
func awaitWorkflowEnd(t *testing.T, addr, workflowID string) {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.GetWorkflow(ctx, workflowID, "").Get(ctx, nil); err != nil {
		t.Fatalf("workflow %s: %v", workflowID, err)
	}
}

func assertSealedHistory(t *testing.T, addr, workflowID string, personal ...string) {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var raw []byte
	events := 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		b, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b...)
		events++
	}
	if events < 10 || !bytes.Contains(raw, []byte(codec.MetadataEncoding)) {
		t.Fatalf("history of %s: %d events, sealed payloads: %v", workflowID, events, bytes.Contains(raw, []byte(codec.MetadataEncoding)))
	}
	for _, p := range personal {
		if bytes.Contains(raw, []byte(p)) {
			t.Errorf("history of %s holds %q in clear", workflowID, p)
		}
	}
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// inOrder reports whether want appears in got as a subsequence.
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
