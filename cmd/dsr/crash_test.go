package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/dsrflow/dsrflow/api/apitest"
	"github.com/dsrflow/dsrflow/devserver"
	"github.com/dsrflow/dsrflow/mail"
	"github.com/dsrflow/dsrflow/notice"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
	"github.com/dsrflow/dsrflow/workflows"
)

// crashCases is how many cases the crash test opens. The API allows 30
// verification attempts per client address in ten minutes, and every case
// is verified from this one address: 25 leaves room for nothing to be
// throttled.
const crashCases = 25

// crashDomain is the domain of the notices' sender, and so of their
// Message-IDs.
const crashDomain = "crash.test"

// crashMaxAttempts is noticeOptions' MaximumAttempts: a code sent on
// attempt n > 1 goes under the key "verification_code:1/n".
const crashMaxAttempts = 60

// crashRecovery bounds the wait for the cases once the worker is replaced.
// A notice activity the killed worker held is retried only after its
// StartToCloseTimeout (one minute) plus the retry interval (5s), so a
// crash that lands mid-activity costs at least 65s.
const crashRecovery = 150 * time.Second

// crashChild is a dsr process the crash test runs.
type crashChild struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // set when done is closed
}

func startCrashChild(t *testing.T, name string, env []string, args ...string) *crashChild {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = env
	c := &crashChild{name: name, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = c.out, c.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		// Stopped as an operator would (SIGINT), killed only if that hangs.
		if !c.exited() {
			_ = cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-c.done:
			case <-time.After(15 * time.Second):
				t.Errorf("%s ignored SIGINT for 15s; killing it", name)
				_ = cmd.Process.Kill()
				<-c.done
			}
		}
		if t.Failed() {
			t.Logf("%s output (%v):\n%s", name, c.err, c.out.String())
		}
	})
	return c
}

func (c *crashChild) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// awaitOutput waits until the child has printed want.
func (c *crashChild) awaitOutput(ctx context.Context, want string) error {
	return crashPoll(ctx, 30*time.Second, func() (bool, error) {
		if strings.Contains(c.out.String(), want) {
			return true, nil
		}
		if c.exited() {
			return false, fmt.Errorf("%s exited (%v) before printing %q", c.name, c.err, want)
		}
		return false, nil
	})
}

// errCrashFatal ends a crashPoll at once.
var errCrashFatal = errors.New("fatal")

// crashPoll calls cond every 100ms until it reports true, returns an error
// wrapping errCrashFatal, ctx ends or timeout passes. The error names the
// last reason cond gave for not being done.
func crashPoll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if errors.Is(err, errCrashFatal) {
			return err
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last: %v", ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// crashAPI calls the API of `dsr serve`. It never ends the test itself, so
// goroutines may use it; every /v1 answer is checked against the OpenAPI
// document.
type crashAPI struct {
	t        *testing.T
	base     string
	key      string
	contract *apitest.Contract
}

func (a *crashAPI) call(ctx context.Context, method, path, body string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	a.contract.Check(a.t, req, resp.StatusCode, resp.Header, b)
	r := response{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r, nil
}

// state reads a case as GET /v1/requests/{id} shows it.
func (a *crashAPI) state(ctx context.Context, id string) (workflows.State, error) {
	r, err := a.call(ctx, "GET", "/v1/requests/"+id, "")
	if err != nil {
		return workflows.State{}, err
	}
	if r.status != http.StatusOK {
		return workflows.State{}, fmt.Errorf("GET case %s: %d %s", id, r.status, r.raw)
	}
	var st workflows.State
	if err := json.Unmarshal([]byte(r.raw), &st); err != nil {
		return workflows.State{}, fmt.Errorf("GET case %s: %w: %s", id, err, r.raw)
	}
	return st, nil
}

// act posts a staff or requester action and checks with done that it took
// effect. The API gives up on the workflow after 30s and answers 503,
// "retry later"; the update it sent may still take effect, or may be
// dropped. So on a 503 act watches the case a while, then sends the action
// again, as a client would; a 409 to a repeated send is fine if an earlier
// one took effect.
func (a *crashAPI) act(ctx context.Context, id, action, body string, done func(workflows.State) bool) error {
	const sends = 3
	for send := 1; ; send++ {
		r, err := a.call(ctx, "POST", "/v1/requests/"+id+"/"+action, body)
		if err != nil {
			return err
		}
		switch {
		case r.status == http.StatusOK:
			var st workflows.State
			if err := json.Unmarshal([]byte(r.raw), &st); err != nil {
				return fmt.Errorf("%s case %s: %w: %s", action, id, err, r.raw)
			}
			if !done(st) {
				return fmt.Errorf("%s case %s answered 200 but the case is %s: %s", action, id, st.Status, r.raw)
			}
			return nil
		case r.status == http.StatusConflict && send > 1:
			if st, err := a.state(ctx, id); err == nil && done(st) {
				return nil
			}
		case r.status == http.StatusServiceUnavailable && send < sends:
			a.t.Logf("%s case %s: 503 (%s) on send %d", action, id, r.body["detail"], send)
			err := crashPoll(ctx, 5*time.Second, func() (bool, error) {
				st, err := a.state(ctx, id)
				return err == nil && done(st), err
			})
			if err == nil {
				return nil
			}
			continue
		}
		return fmt.Errorf("%s case %s: %d on send %d: %s", action, id, r.status, send, r.raw)
	}
}

// crashCase is one case the test opened.
type crashCase struct {
	id, ref, email string
}

// crashCodeAttempt says whether msgID is the Message-ID of the case's
// first verification code, and on which activity attempt it was made.
func crashCodeAttempt(caseID, msgID string) (int, bool) {
	for n := 1; n <= crashMaxAttempts; n++ {
		if notice.MessageID(caseID, crashCodeKey(n), crashDomain) == msgID {
			return n, true
		}
	}
	return 0, false
}

func crashCodeKey(attempt int) string {
	if attempt == 1 {
		return "verification_code:1"
	}
	return fmt.Sprintf("verification_code:1/%d", attempt)
}

// crashDrive takes a case from its code to completed through the API, as
// the requester and staff would.
func crashDrive(ctx context.Context, a *crashAPI, tc client.Client, mb *mail.Mailbox, c crashCase) error {
	// The code is known to the workflow once verification.code_sent is in
	// the trail. Before that a retried send may still replace it.
	err := crashPoll(ctx, crashRecovery, func() (bool, error) {
		r, err := a.call(ctx, "GET", "/v1/requests/"+c.id+"/events", "")
		if err != nil {
			return false, err
		}
		if r.status != http.StatusOK {
			return false, fmt.Errorf("events: %d %s", r.status, r.raw)
		}
		var evs struct{ Events []struct{ Kind string } }
		if err := json.Unmarshal([]byte(r.raw), &evs); err != nil {
			return false, fmt.Errorf("events: %w: %s", err, r.raw)
		}
		for _, ev := range evs.Events {
			switch ev.Kind {
			case "verification.code_sent":
				return true, nil
			case "verification.code_failed":
				return false, fmt.Errorf("%w: the code was not sent: %s", errCrashFatal, r.raw)
			}
		}
		return false, fmt.Errorf("no verification.code_sent yet (%d events)", len(evs.Events))
	})
	if err != nil {
		return fmt.Errorf("case %s: waiting for its code to be recorded: %w", c.id, err)
	}
	// A store projection the killed worker held keeps the case's later
	// projections waiting until it times out (30s): an action sent now would
	// outlast the API's 30s and be answered 503. The requester's patience is
	// not what this test is about, so wait until none is outstanding.
	err = crashPoll(ctx, crashRecovery, func() (bool, error) {
		d, err := tc.DescribeWorkflowExecution(ctx, workflows.WorkflowID(c.id), "")
		if err != nil {
			return false, err
		}
		for _, p := range d.GetPendingActivities() {
			if p.GetActivityType().GetName() == "Record" {
				return false, fmt.Errorf("a Record activity is pending (attempt %d, %s)", p.GetAttempt(), p.GetState())
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("case %s: waiting for its projections: %w", c.id, err)
	}
	// The code in force is the last one made: the highest attempt.
	code, attempt := "", 0
	for _, m := range mb.Messages() {
		n, ok := crashCodeAttempt(c.id, m.MessageID)
		if !ok || n < attempt {
			continue
		}
		sub := codeInBody.FindStringSubmatch(m.Body)
		if sub == nil {
			return fmt.Errorf("case %s: no code in the body of %s:\n%s", c.id, m.MessageID, m.Body)
		}
		code, attempt = sub[1], n
	}
	if code == "" {
		return fmt.Errorf("case %s: verification.code_sent is recorded but no code arrived", c.id)
	}
	if err := a.act(ctx, c.id, "verify", `{"method":"code","code":"`+code+`"}`,
		func(st workflows.State) bool { return st.VerifiedAt != nil }); err != nil {
		return fmt.Errorf("verify case %s with the code of attempt %d: %w", c.id, attempt, err)
	}
	if err := a.act(ctx, c.id, "complete", `{"summary":"copy of the data sent","actor":"staff:crash"}`,
		func(st workflows.State) bool { return st.Status == "completed" }); err != nil {
		return fmt.Errorf("complete case %s: %w", c.id, err)
	}
	return nil
}

// A worker killed with SIGKILL in the middle of the intake of many cases,
// then replaced: every case completes, every notice arrives under its
// derived Message-ID (a copy under the same ID when the kill fell between
// the send and its record), each requester gets one code, the audit trail
// records each notice exactly once and its hash chains hold.
func TestWorkerCrashEndToEnd(t *testing.T) {
	needTemporal(t)
	ctx := t.Context()
	began := time.Now()
	dbURL := storetest.PostgresURL(t)

	temporalAddr := "127.0.0.1:" + freePort(t)
	temporalLog := &syncBuffer{}
	srv, err := devserver.Start(ctx, devserver.Options{Address: temporalAddr, Namespace: "default",
		DBFile: filepath.Join(t.TempDir(), "temporal.db"), Log: temporalLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop temporal dev server: %v", err)
		}
		if t.Failed() {
			t.Logf("temporal dev server output:\n%s", temporalLog.String())
		}
	})

	mb, err := mail.StartMailbox("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	smtpHost, smtpPort, _ := net.SplitHostPort(mb.Addr())

	httpAddr := freeAddr(t)
	env := []string{
		"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "DSR_DATA_DIR=" + t.TempDir(),
		"DSR_DATABASE_URL=" + dbURL,
		"DSR_TEMPORAL_ADDRESS=" + temporalAddr,
		"DSR_HTTP_ADDR=" + httpAddr,
		"DSR_ENCRYPTION_KEYS=k1:" + randomKey(),
		"DSR_VERIFICATION_KEY=" + randomKey(),
		"DSR_SMTP_HOST=" + smtpHost, "DSR_SMTP_PORT=" + smtpPort, "DSR_SMTP_TLS=none",
		"DSR_SMTP_FROM=dpo@" + crashDomain,
	}
	if code, out, stderr := dsr(t, env, "migrate"); code != 0 {
		t.Fatalf("dsr migrate: exit %d: %s%s", code, out, stderr)
	}
	code, out, stderr := dsr(t, env, "apikey", "create", "--role", "admin", "--name", "crash-test")
	key, _, _ := strings.Cut(out, "\n")
	if code != 0 || !strings.HasPrefix(key, "dsr_") {
		t.Fatalf("dsr apikey create: exit %d, %q, %s", code, out, stderr)
	}

	serve := startCrashChild(t, "dsr serve", env, "serve")
	worker := startCrashChild(t, "dsr worker", env, "worker")
	a := &crashAPI{t: t, base: "http://" + httpAddr, key: key, contract: apitest.Load(t)}
	if err := crashPoll(ctx, 30*time.Second, func() (bool, error) {
		if serve.exited() {
			return false, fmt.Errorf("%w: dsr serve exited: %v", errCrashFatal, serve.err)
		}
		r, err := a.call(ctx, "GET", "/readyz", "")
		return err == nil && r.status == http.StatusOK, err
	}); err != nil {
		t.Fatalf("dsr serve not ready: %v", err)
	}
	if err := worker.awaitOutput(ctx, "dsr worker on task queue"); err != nil {
		t.Fatalf("dsr worker not started: %v", err)
	}
	t.Logf("engine up after %v", time.Since(began).Round(time.Millisecond))

	// Open every case at once, so the worker has many in hand when it dies.
	cases := make([]crashCase, crashCases)
	openErrs := make([]error, crashCases)
	var opening sync.WaitGroup
	for i := range cases {
		opening.Go(func() {
			email := fmt.Sprintf("crash-%02d@example.test", i)
			body := fmt.Sprintf(`{"tenant":"shop","type":"access","channel":"api","policy_id":"gdpr",`+
				`"requester":{"name":"Crash Tester %d","email":%q,"language":"en"}}`, i, email)
			r, err := a.call(ctx, "POST", "/v1/requests", body)
			if err == nil && r.status != http.StatusCreated {
				err = fmt.Errorf("status %d: %s", r.status, r.raw)
			}
			if err != nil {
				openErrs[i] = fmt.Errorf("open case %d: %w", i, err)
				return
			}
			id, _ := r.body["id"].(string)
			ref, _ := r.body["reference"].(string)
			cases[i] = crashCase{id: id, ref: ref, email: email}
		})
	}

	// Kill the worker once half of the 2N intake messages (acknowledgement
	// and code per case) are out. The mailbox keeps a message at the end of
	// DATA, before its sender hears 250, so the kill always catches the
	// activity that sent the last one between its send and its audit
	// record: the at-least-once window is hit on every run, on purpose.
	intake := 2 * crashCases
	waitCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	_, err = mb.Wait(waitCtx, func(mail.Received) bool { return len(mb.Messages()) >= intake/2 })
	cancel()
	if err != nil {
		opening.Wait()
		t.Fatalf("waiting for %d of %d intake messages: %v (open errors: %v)", intake/2, intake, err, errors.Join(openErrs...))
	}
	atKill := len(mb.Messages())
	if err := worker.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill the worker: %v", err)
	}
	killed := time.Now()
	select {
	case <-worker.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not die within 10s of SIGKILL")
	}
	atDeath := len(mb.Messages())
	opening.Wait()
	if err := errors.Join(openErrs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGKILL sent with %d of %d intake messages in the mailbox; %d when the worker was dead (%v)",
		atKill, intake, atDeath, worker.err)
	if atDeath >= intake {
		t.Fatalf("the kill came too late: all %d intake messages had arrived, so it tested no crash mid-intake", intake)
	}
	// Nothing sends while no worker runs.
	if n := len(mb.Messages()); n != atDeath {
		t.Fatalf("%d messages arrived after the worker died", n-atDeath)
	}

	worker2 := startCrashChild(t, "dsr worker (after the crash)", env, "worker")
	if err := worker2.awaitOutput(ctx, "dsr worker on task queue"); err != nil {
		t.Fatalf("second dsr worker not started: %v", err)
	}

	tc, err := client.Dial(client.Options{HostPort: temporalAddr,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()

	// Requester and staff take every case to completed, all at once.
	driveErrs := make([]error, len(cases))
	var driving sync.WaitGroup
	for i, c := range cases {
		driving.Go(func() { driveErrs[i] = crashDrive(ctx, a, tc, mb, c) })
	}
	driving.Wait()
	if err := errors.Join(driveErrs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("every case verified and completed %v after the kill", time.Since(killed).Round(time.Millisecond))

	// A workflow ends once its notices are out (or failed and recorded).
	endCtx, cancel := context.WithTimeout(ctx, crashRecovery)
	defer cancel()
	for _, c := range cases {
		if err := tc.GetWorkflow(endCtx, workflows.WorkflowID(c.id), "").Get(endCtx, nil); err != nil {
			t.Fatalf("workflow of case %s: %v", c.id, err)
		}
		st, err := a.state(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != "completed" || st.Outcome != "completed" {
			t.Errorf("case %s ended %s/%s, want completed", c.id, st.Status, st.Outcome)
		}
	}
	t.Logf("every workflow ended %v after the kill", time.Since(killed).Round(time.Millisecond))
	retried, timedOut := crashHistoryStats(t, tc, cases)
	t.Logf("after the crash: %d activities ran again on a later attempt, %d workflow tasks timed out", retried, timedOut)

	// Mail: each case's notices, each once, under the Message-ID of its key.
	byCase := map[string][]mail.Received{}
	for _, m := range mb.Messages() {
		if len(m.To) != 1 {
			t.Errorf("message %s went to %v", m.MessageID, m.To)
			continue
		}
		byCase[m.To[0]] = append(byCase[m.To[0]], m)
	}
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	duplicates, codeResends := 0, 0
	for _, c := range cases {
		d, r := crashCheckCase(t, ctx, st, c, byCase[c.email])
		duplicates += d
		codeResends += r
		delete(byCase, c.email)
	}
	for to, msgs := range byCase {
		t.Errorf("%d messages to %s, who has no case", len(msgs), to)
	}
	t.Logf("%d messages in all; %d duplicate deliveries of a notice; %d extra verification codes",
		len(mb.Messages()), duplicates, codeResends)

	if code, out, stderr := dsr(t, []string{"DSR_DATABASE_URL=" + dbURL}, "audit", "verify"); code != 0 {
		t.Errorf("dsr audit verify: exit %d: %s%s", code, out, stderr)
	}
	t.Logf("test took %v", time.Since(began).Round(time.Millisecond))
}

// crashCheckCase checks one case's mail against its audit trail: the
// acknowledgement, one verification code and the completion arrived, each
// exactly once and under the Message-ID derived from its key, and the trail
// records each, once, with that Message-ID. It returns how many deliveries
// were duplicates and how many extra codes were sent.
func crashCheckCase(t *testing.T, ctx context.Context, st *store.Store, c crashCase, msgs []mail.Received) (duplicates, codeResends int) {
	t.Helper()
	arrived := map[string]int{} // Message-ID: deliveries
	for _, m := range msgs {
		arrived[m.MessageID]++
	}
	keyOf := map[string]string{
		notice.MessageID(c.id, "acknowledgement:1", crashDomain): "acknowledgement:1",
		notice.MessageID(c.id, "completion:1", crashDomain):      "completion:1",
	}
	var codeKeys []string
	for id := range arrived {
		if n, ok := crashCodeAttempt(c.id, id); ok {
			keyOf[id] = crashCodeKey(n)
			codeKeys = append(codeKeys, crashCodeKey(n))
		}
	}
	for id, n := range arrived {
		key, known := keyOf[id]
		switch {
		case !known:
			t.Errorf("case %s: %d messages with Message-ID %s, which is no notice of the case", c.id, n, id)
		case n > 1:
			// Delivery is at least once: a worker that dies between the
			// SMTP send and its audit record sends again on retry, under
			// the same Message-ID, which receiving systems drop. Anything
			// else (another ID, another code) fails above and below.
			duplicates += n - 1
			t.Logf("case %s: notice %s arrived %d times under one Message-ID", c.id, key, n)
		}
	}
	for id, key := range keyOf {
		if arrived[id] == 0 && !strings.HasPrefix(key, "verification_code") {
			t.Errorf("case %s: notice %s (Message-ID %s) never arrived", c.id, key, id)
		}
	}
	slices.Sort(codeKeys)
	switch len(codeKeys) {
	case 0:
		t.Errorf("case %s: no verification code arrived", c.id)
	case 1:
	default:
		codeResends += len(codeKeys) - 1
		t.Errorf("case %s: %d verification codes arrived (%v): SendCode retried after the crash made and sent a new code "+
			"under a new Message-ID, though the first had gone out", c.id, len(codeKeys), codeKeys)
	}

	// The trail: each notice recorded once, under its key and Message-ID;
	// each step of the case once; nothing failed.
	evs, err := st.Events(ctx, c.id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	recorded := map[string]int{} // notice key: notice.sent events
	for _, ev := range evs {
		kinds[ev.Kind]++
		if ev.Kind != "notice.sent" {
			continue
		}
		key := strings.TrimPrefix(ev.Key, "notice:")
		recorded[key]++
		var detail map[string]string
		if err := json.Unmarshal([]byte(ev.Detail), &detail); err != nil {
			t.Errorf("case %s: detail of %s: %v", c.id, ev.Key, err)
		}
		if want := notice.MessageID(c.id, key, crashDomain); detail["message_id"] != want {
			t.Errorf("case %s: %s records Message-ID %q, want %q", c.id, ev.Key, detail["message_id"], want)
		}
		if arrived[detail["message_id"]] == 0 {
			t.Errorf("case %s: %s is recorded as sent, but no message %s arrived", c.id, ev.Key, detail["message_id"])
		}
	}
	for id, key := range keyOf {
		if arrived[id] > 0 && recorded[key] != 1 {
			t.Errorf("case %s: notice %s arrived, and the trail has %d notice.sent events for it, want 1", c.id, key, recorded[key])
		}
	}
	if got, want := slices.Sorted(maps.Keys(recorded)), slices.Sorted(maps.Values(keyOf)); !slices.Equal(got, want) {
		t.Errorf("case %s: notices recorded %v, notices that arrived %v", c.id, got, want)
	}
	for _, kind := range []string{"case.opened", "verification.code_sent", "case.verified", "case.completed"} {
		if kinds[kind] != 1 {
			t.Errorf("case %s: %d %s events, want 1 (kinds %v)", c.id, kinds[kind], kind, kinds)
		}
	}
	for _, kind := range []string{"notice.failed", "verification.code_failed", "verification.failed"} {
		if kinds[kind] != 0 {
			t.Errorf("case %s: %d %s events (kinds %v)", c.id, kinds[kind], kind, kinds)
		}
	}
	row, err := st.Case(ctx, c.id)
	if err != nil {
		t.Fatal(err)
	}
	if row.Status != "completed" || row.ClosedAt == nil || row.VerifiedAt == nil {
		t.Errorf("case %s in the store: status %s, closed %v, verified %v", c.id, row.Status, row.ClosedAt, row.VerifiedAt)
	}
	return duplicates, codeResends
}

// crashHistoryStats counts, over the cases' histories, the activities that
// completed on a later attempt and the workflow tasks that timed out: what
// the crash cost.
func crashHistoryStats(t *testing.T, tc client.Client, cases []crashCase) (retried, timedOut int) {
	t.Helper()
	for _, c := range cases {
		it := tc.GetWorkflowHistory(t.Context(), workflows.WorkflowID(c.id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatalf("history of case %s: %v", c.id, err)
			}
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				if ev.GetActivityTaskStartedEventAttributes().GetAttempt() > 1 {
					retried++
				}
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
				timedOut++
			}
		}
	}
	return retried, timedOut
}
