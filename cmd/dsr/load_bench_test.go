package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/dsrflow/dsrflow/devserver"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// The intake load run: cases opened through POST /v1/requests at rising
// open-loop rates against `dsr dev` (Temporal dev server, worker, API) on
// PostgreSQL, next to the rate of bare ExecuteWorkflow starts of an empty
// workflow on the same Temporal server as the ceiling.
//
//	DSR_LOAD_RATES        target rates in cases/s, comma-separated (10,20,40,80)
//	DSR_LOAD_STEP         how long each rate, and the ceiling, runs (60s)
//	DSR_LOAD_CONCURRENCY  most requests (or starts) in flight at once (64)
const (
	loadDefaultRates       = "10,20,40,80"
	loadDefaultStep        = 60 * time.Second
	loadDefaultConcurrency = 64

	// loadRequestTimeout bounds one POST /v1/requests or one start.
	loadRequestTimeout = 30 * time.Second
	// loadStoreStall: accepted cases still missing from the store after
	// this long without any new one arriving are lost. The store may lag
	// the API by minutes (the worker projects each case as it gets to it),
	// so the wait itself is bounded only by the test binary's -timeout.
	loadStoreStall = 2 * time.Minute
	// loadDrainWait bounds the wait for the ceiling's workflows to finish
	// before the intake steps begin.
	loadDrainWait = time.Minute

	loadCeilingQueue    = "dsr-load-ceiling"
	loadCeilingWorkflow = "LoadCeilingEmpty"
)

type loadConfig struct {
	rates       []float64
	step        time.Duration
	concurrency int
	// deadline is when the store wait must give up, to stop the engine
	// before the test binary's -timeout; zero: no limit.
	deadline time.Time
}

func loadConfigFromEnv(tb testing.TB) loadConfig {
	tb.Helper()
	cfg := loadConfig{step: loadDefaultStep, concurrency: loadDefaultConcurrency}
	rates := os.Getenv("DSR_LOAD_RATES")
	if rates == "" {
		rates = loadDefaultRates
	}
	for _, f := range strings.Split(rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || r <= 0 {
			tb.Fatalf("DSR_LOAD_RATES=%q: %q is not a positive rate", rates, f)
		}
		cfg.rates = append(cfg.rates, r)
	}
	if v := os.Getenv("DSR_LOAD_STEP"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			tb.Fatalf("DSR_LOAD_STEP=%q is not a positive duration", v)
		}
		cfg.step = d
	}
	if v := os.Getenv("DSR_LOAD_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			tb.Fatalf("DSR_LOAD_CONCURRENCY=%q is not a positive number", v)
		}
		cfg.concurrency = n
	}
	return cfg
}

// worstCase bounds how long one run can take: engine start and stop, the
// ceiling and its drain, each step with its slowest request, the store wait.
func (cfg loadConfig) worstCase() time.Duration {
	steps := time.Duration(len(cfg.rates)) * (cfg.step + loadRequestTimeout)
	return 3*time.Minute + cfg.step + loadRequestTimeout + loadDrainWait + steps + loadStoreStall
}

// BenchmarkIntakeLoad opens cases through the API at each rate of
// DSR_LOAD_RATES for DSR_LOAD_STEP and reports per rate the accepted (201)
// cases per second, their p50/p99 latency (from the scheduled send time,
// so that a saturated server is not hidden by the generator waiting for
// it) and the ratio to the ceiling: bare ExecuteWorkflow starts per second
// of an empty workflow on the same Temporal dev server, measured first with
// the same number of callers in flight. It then waits for every accepted
// case to reach the store and fails if any is lost.
//
// Like BenchmarkQueueMillion, the heavy setup (here the engine) happens once
// in the parent; the sub-benchmark runs the load once per B, whatever b.N.
func BenchmarkIntakeLoad(b *testing.B) {
	cfg := loadConfigFromEnv(b)
	var e *devEngine
	e, cfg.deadline = startLoadEngine(b, fmt.Sprintf("%d rates × %s", len(cfg.rates), cfg.step), cfg.worstCase())

	runs := map[*testing.B]*loadResult{}
	b.Run("step="+cfg.step.String(), func(b *testing.B) {
		r := runs[b]
		if r == nil {
			r = runIntakeLoad(b, e, cfg)
			runs[b] = r
			r.log(b)
			switch {
			case r.lost > 0 && r.stalled:
				b.Errorf("%d of %d accepted cases are lost: not in the store, and none arrived for %s", r.lost, r.accepted(), loadStoreStall)
			case r.lost > 0:
				b.Errorf("%d of %d accepted cases were not in the store yet when the -timeout budget ended after %s; "+
					"cannot tell late from lost: run with a larger -timeout", r.lost, r.accepted(), r.storeWait.Round(time.Second))
			}
			if n := r.clientErrors(); n > 0 {
				b.Errorf("%d requests answered 4xx: the load is malformed", n)
			}
		}
		r.report(b)
	})
}

// testBinaryStart is about when the -timeout of the test binary began.
var testBinaryStart = time.Now()

// startLoadEngine is the setup the load benchmarks share: it refuses a run
// that the test binary's -timeout could cut (what, worst: the run and how
// long it may take), fails without the dev server binary, and starts `dsr
// dev` (env: KEY=value settings) on PostgreSQL. deadline is when the run
// must stop waiting, to leave time to stop the engine; zero: no -timeout.
func startLoadEngine(b *testing.B, what string, worst time.Duration, env ...string) (e *devEngine, deadline time.Time) {
	b.Helper()
	if testing.Short() {
		b.Skip("load run against the dev server; run without -short")
	}
	// A run cut by the test binary's -timeout panics and loses every
	// result; refuse up front instead.
	// -count runs the load that many times on one engine.
	worst *= time.Duration(max(1, loadFlag[uint]("test.count")))
	if limit := loadFlag[time.Duration]("test.timeout"); limit > 0 {
		// The timeout runs from the binary's start, and other benchmarks
		// (make bench runs them all) may have used some of it; keep two
		// minutes to stop.
		deadline = testBinaryStart.Add(limit - 2*time.Minute)
		if left := time.Until(deadline) + 2*time.Minute; left < worst {
			b.Fatalf("this run (%s) may take up to %s; run go test with -timeout %s or more (%s of it is left)",
				what, worst.Round(time.Second), (limit-left+worst).Round(time.Minute)+time.Minute, left.Round(time.Second))
		}
	}
	// Fail, never skip, without the dev server binary (as needTemporal).
	if _, err := devserver.Find(); err != nil {
		b.Fatal(err)
	}
	dbURL := storetest.PostgresURL(b)
	return startDev(b, b.TempDir(), dbURL, env...), deadline
}

// loadFlag is the value of a test flag, or the zero value.
func loadFlag[V any](name string) V {
	var v V
	if f := flag.Lookup(name); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			v, _ = g.Get().(V)
		}
	}
	return v
}

// loadResult is one load run.
type loadResult struct {
	cfg     loadConfig
	ceiling ceilingResult
	steps   []stepResult
	// lost are accepted cases not in the store when the wait ended: lost
	// for good if stalled (none had arrived for loadStoreStall), else the
	// -timeout budget ended first. unacknowledged are cases of this run in
	// the store that no 201 answered (a request that timed out on the
	// client but opened its case).
	lost, unacknowledged int
	stalled              bool
	// backlog is how many accepted cases were not in the store yet when
	// the last step ended; storeWait how long the store then took to hold
	// them all (or until the wait ended).
	backlog   int
	storeWait time.Duration
}

type ceilingResult struct {
	starts   int
	window   time.Duration
	p50, p99 time.Duration
	errors   map[string]int
	drained  bool
	drainErr string
}

func (c ceilingResult) perSecond() float64 { return float64(c.starts) / c.window.Seconds() }

type stepResult struct {
	rate     float64
	sent     int
	ids      []string
	window   time.Duration
	p50, p99 time.Duration
	// errors counts what was not a 201 by status, "timeout", "transport"
	// or "unsent" (not sent by the end of the step because the
	// concurrency limit was reached).
	errors map[string]int
}

func (s stepResult) perSecond() float64 { return float64(len(s.ids)) / s.window.Seconds() }

func (s stepResult) name() string {
	return "rate" + strconv.FormatFloat(s.rate, 'f', -1, 64)
}

func (s stepResult) errorCount() int {
	n := 0
	for _, c := range s.errors {
		n += c
	}
	return n
}

func (r *loadResult) accepted() int {
	n := 0
	for _, s := range r.steps {
		n += len(s.ids)
	}
	return n
}

func (r *loadResult) clientErrors() int {
	n := 0
	for _, s := range r.steps {
		for k, c := range s.errors {
			if strings.HasPrefix(k, "4") {
				n += c
			}
		}
	}
	return n
}

func (r *loadResult) report(b *testing.B) {
	b.ReportMetric(0, "ns/op") // one run, not per op
	ceiling := r.ceiling.perSecond()
	b.ReportMetric(ceiling, "ceiling-starts/s")
	for _, s := range r.steps {
		b.ReportMetric(s.perSecond(), s.name()+"-accepted/s")
		b.ReportMetric(ms(s.p50), s.name()+"-p50-ms")
		b.ReportMetric(ms(s.p99), s.name()+"-p99-ms")
		b.ReportMetric(float64(s.errorCount()), s.name()+"-errors")
		if ceiling > 0 {
			b.ReportMetric(s.perSecond()/ceiling, s.name()+"-vs-ceiling")
		}
	}
	b.ReportMetric(float64(r.lost), "lost-cases")
	b.ReportMetric(float64(r.backlog), "store-backlog-cases")
	b.ReportMetric(r.storeWait.Seconds(), "store-catchup-s")
}

// log writes the run as one small table; the testing package keeps only
// the first ten lines of a benchmark's log, which holds seven rates.
func (r *loadResult) log(b *testing.B) {
	var t strings.Builder
	fmt.Fprintf(&t, "intake load, %s per step, at most %d in flight: lost %d of %d accepted cases; %d were not in the store yet after the last step, %s later %d; %d cases opened without a 201\n",
		r.cfg.step, r.cfg.concurrency, r.lost, r.accepted(), r.backlog, r.storeWait.Round(100*time.Millisecond), r.lost, r.unacknowledged)
	fmt.Fprintf(&t, "%-10s %8s %6s %8s %10s %8s %8s %10s  %s\n",
		"step", "target/s", "sent", "accepted", "accepted/s", "p50 ms", "p99 ms", "vs ceiling", "not accepted")
	c := r.ceiling
	notes := "(bare starts, closed loop) " + errorList(c.errors)
	if !c.drained {
		notes += " (its workflows had not all finished when the steps began)"
	}
	if c.drainErr != "" {
		notes += " (count of its running workflows failed: " + c.drainErr + ")"
	}
	fmt.Fprintf(&t, "%-10s %8s %6d %8d %10.1f %8.1f %8.1f %10s  %s",
		"ceiling", "max", c.starts+countAll(c.errors), c.starts, c.perSecond(), ms(c.p50), ms(c.p99), "1", notes)
	for _, s := range r.steps {
		ratio := "-"
		if c.perSecond() > 0 {
			ratio = fmt.Sprintf("%.3f", s.perSecond()/c.perSecond())
		}
		fmt.Fprintf(&t, "\n%-10s %8g %6d %8d %10.1f %8.1f %8.1f %10s  %s",
			s.name(), s.rate, s.sent, len(s.ids), s.perSecond(), ms(s.p50), ms(s.p99), ratio, errorList(s.errors))
	}
	b.Log(t.String())
}

func countAll(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

func errorList(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// percentile of sorted durations; 0 when there are none.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1))]
}

func runIntakeLoad(b *testing.B, e *devEngine, cfg loadConfig) *loadResult {
	b.Helper()
	var tag [4]byte
	_, _ = rand.Read(tag[:])
	run := hex.EncodeToString(tag[:])
	r := &loadResult{cfg: cfg}

	r.ceiling = measureCeiling(b, e.temporal, cfg, run)

	hc := loadHTTPClient(cfg.concurrency)
	defer hc.CloseIdleConnections()
	var seq atomic.Int64
	email := func() string { return fmt.Sprintf("load-%s-%d@example.test", run, seq.Add(1)) }
	for _, rate := range cfg.rates {
		s := runStep(hc, e, rate, cfg, email)
		r.steps = append(r.steps, s)
	}

	checkStore(b, e.dbURL, r, "load-"+run+"-%@example.test")
	return r
}

// loadHTTPClient keeps up to concurrency connections to the API open, on
// loopback without a proxy.
func loadHTTPClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: loadRequestTimeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

// measureCeiling starts an empty workflow on its own task queue, run by a
// worker in this process, from cfg.concurrency callers in a closed loop
// for one step, and waits (bounded) until those workflows have finished.
func measureCeiling(b *testing.B, addr string, cfg loadConfig, run string) ceilingResult {
	b.Helper()
	rig := startCeilingRig(b, addr, run)
	defer rig.close()
	res := rig.closedLoop(cfg.step, cfg.concurrency)
	rig.drain(&res)
	return res
}

// ceilingRig starts bare workflows, each an empty one on its own task
// queue run by a worker in this process: what Temporal alone can take,
// the ceiling the engine's case rates are measured against.
type ceilingRig struct {
	c   client.Client
	w   sdkworker.Worker
	run string
	seq atomic.Int64
}

func startCeilingRig(b *testing.B, addr, run string) *ceilingRig {
	b.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		b.Fatal(err)
	}
	w := sdkworker.New(c, loadCeilingQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(loadEmptyWorkflow, workflow.RegisterOptions{Name: loadCeilingWorkflow})
	if err := w.Start(); err != nil {
		c.Close()
		b.Fatal(err)
	}
	return &ceilingRig{c: c, w: w, run: run}
}

func (r *ceilingRig) close() {
	r.w.Stop()
	r.c.Close()
}

// start starts one empty workflow; the error is a label to count by.
func (r *ceilingRig) start() (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), loadRequestTimeout)
	defer cancel()
	_, err := r.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        fmt.Sprintf("load-ceiling-%s-%d", r.run, r.seq.Add(1)),
		TaskQueue: loadCeilingQueue,
	}, loadCeilingWorkflow)
	if err != nil {
		return "start " + serviceerror.ToStatus(err).Code().String(), false
	}
	return "", true
}

// closedLoop starts workflows from concurrency callers, each starting the
// next as soon as its last one is started, for step.
func (r *ceilingRig) closedLoop(step time.Duration, concurrency int) ceilingResult {
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs = map[string]int{}
		wg   sync.WaitGroup
	)
	start := time.Now()
	end := start.Add(step)
	for range concurrency {
		wg.Go(func() {
			for time.Now().Before(end) {
				t0 := time.Now()
				failure, ok := r.start()
				d := time.Since(t0)
				mu.Lock()
				if !ok {
					errs[failure]++
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res := ceilingResult{starts: len(lat), window: time.Since(start), errors: errs}
	slices.Sort(lat)
	res.p50, res.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return res
}

// drain waits (bounded) until the started workflows have finished: what
// is measured next should not share the server with their backlog.
func (r *ceilingRig) drain(res *ceilingResult) {
	query := fmt.Sprintf("TaskQueue = '%s' AND ExecutionStatus = 'Running'", loadCeilingQueue)
	for deadline := time.Now().Add(loadDrainWait); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := r.c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		cancel()
		if err != nil {
			res.drainErr = err.Error()
			return
		}
		if resp.GetCount() == 0 {
			res.drained = true
			return
		}
	}
}

func loadEmptyWorkflow(workflow.Context) error { return nil }

// runStep sends POST /v1/requests open loop at rate for cfg.step (see
// openLoop); one still waiting for a slot when the step ends is not sent.
func runStep(hc *http.Client, e *devEngine, rate float64, cfg loadConfig, email func() string) stepResult {
	var (
		mu   sync.Mutex
		lat  []time.Duration
		last time.Time
	)
	res := stepResult{rate: rate, errors: map[string]int{}}
	start := time.Now()
	sent, unsent := openLoop(start, rate, int(rate*cfg.step.Seconds()), start.Add(cfg.step), cfg.concurrency, func(due time.Time) {
		status, id, err := openCase(hc, e, email())
		done := time.Now()
		mu.Lock()
		defer mu.Unlock()
		if done.After(last) {
			last = done
		}
		switch {
		case err != nil:
			res.errors[classify(err)]++
		case status == http.StatusCreated && id != "":
			res.ids = append(res.ids, id)
			lat = append(lat, done.Sub(due))
		case status == http.StatusCreated:
			res.errors["201 without id"]++
		default:
			res.errors[strconv.Itoa(status)]++
		}
	})
	res.sent = sent
	if unsent > 0 {
		res.errors["unsent"] = unsent
	}
	res.window = max(last.Sub(start), cfg.step)
	slices.Sort(lat)
	res.p50, res.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return res
}

// openLoop calls send for total requests, request i due at start + i/rate
// whatever happened to the ones before, with at most concurrency in
// flight, and waits for them; latency measured from due does not hide a
// saturated server behind the generator waiting for it. Once a request
// still waits for a slot at end, it and the rest are not sent.
func openLoop(start time.Time, rate float64, total int, end time.Time, concurrency int, send func(due time.Time)) (sent, unsent int) {
	interval := time.Duration(float64(time.Second) / rate)
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		if !acquire(sem, end) {
			unsent = total - i
			break
		}
		sent++
		wg.Go(func() {
			defer func() { <-sem }()
			send(due)
		})
	}
	wg.Wait()
	return sent, unsent
}

// acquire takes a slot of sem, waiting for one until end at the latest.
func acquire(sem chan struct{}, end time.Time) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
	}
	slot := time.NewTimer(time.Until(end))
	defer slot.Stop()
	select {
	case sem <- struct{}{}:
		return true
	case <-slot.C:
		return false
	}
}

func openCase(hc *http.Client, e *devEngine, email string) (status int, id string, err error) {
	body := `{"tenant":"shop","type":"access","channel":"api","policy_id":"gdpr",` +
		`"requester":{"name":"Load Test","email":"` + email + `"}}`
	req, err := http.NewRequest("POST", e.base+"/v1/requests", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.key)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	if resp.StatusCode == http.StatusCreated {
		var opened struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &opened)
		id = opened.ID
	}
	return resp.StatusCode, id, nil
}

func classify(err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timeout"
	}
	return "transport"
}

// checkStore waits until every accepted case has a row in the store, read
// directly from PostgreSQL, for as long as cases keep arriving (and the
// -timeout budget lasts), and records how many never came, how long it
// took, and how many cases of the run (by requester e-mail) no 201
// answered.
func checkStore(b *testing.B, dbURL string, r *loadResult, emailLike string) {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	missing := map[string]bool{}
	for _, s := range r.steps {
		for _, id := range s.ids {
			missing[id] = true
		}
	}
	start := time.Now()
	progress, first := start, true
	for {
		before := len(missing)
		ids := slices.Collect(maps.Keys(missing))
		for chunk := range slices.Chunk(ids, 1000) {
			var found []string
			if err := st.DB().WithContext(ctx).Raw("SELECT id FROM cases WHERE id IN ?", chunk).Scan(&found).Error; err != nil {
				b.Fatal(err)
			}
			for _, id := range found {
				delete(missing, id)
			}
		}
		now := time.Now()
		if first {
			r.backlog, first = len(missing), false
		}
		if len(missing) < before {
			progress = now
		}
		if len(missing) == 0 {
			break
		}
		if now.Sub(progress) > loadStoreStall {
			r.stalled = true
			break
		}
		if !r.cfg.deadline.IsZero() && now.After(r.cfg.deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	r.storeWait = time.Since(start)
	r.lost = len(missing)
	var all int64
	if err := st.DB().WithContext(ctx).Raw("SELECT count(*) FROM cases WHERE requester_email LIKE ?", emailLike).Scan(&all).Error; err != nil {
		b.Fatal(err)
	}
	r.unacknowledged = int(all) - (r.accepted() - r.lost)
}
