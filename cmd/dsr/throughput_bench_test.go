package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
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

	"github.com/dsrflow/dsrflow/mail"
	"github.com/dsrflow/dsrflow/request"
	"github.com/dsrflow/dsrflow/store"
)

// The case-throughput run: how many cases the engine carries from open to
// pending_verification in the store, with their acknowledgement sent, next
// to how many bare workflows the same Temporal server starts (the ceiling).
// The machine may be shared, so the ceiling is measured between the case
// steps, not once before them, and each case step runs at a fraction of
// the ceiling measured just before it.
//
//	DSR_THROUGHPUT_FRACTIONS  case rates as fractions of the ceiling (0.5,0.8)
//	DSR_THROUGHPUT_CASES      cases opened per step (150)
//	DSR_THROUGHPUT_STARTS     bare starts per ceiling rate (300)
//	DSR_THROUGHPUT_WAIT       longest wait for a step's cases to be carried (3m)
const (
	throughputDefaultFractions = "0.5,0.8"
	throughputDefaultCases     = 150
	throughputDefaultStarts    = 300
	throughputDefaultWait      = 3 * time.Minute

	// throughputWarmUp: closed-loop bare starts, and a few cases, before
	// anything is measured, so that connections, caches and the JIT of the
	// database's plans are warm; the starts give the first ceiling guess.
	throughputWarmUp      = 10 * time.Second
	throughputWarmUpCases = 20
	// A bare-start rate is sustained when nearly all of it is started, and
	// quickly: what a server keeps up with, not what it queues.
	throughputSustainedShare = 0.95
	throughputSustainedP99   = time.Second
	// throughputLadder bounds the rates one ceiling measurement tries,
	// each throughputStep above or below the last.
	throughputLadder = 6
	throughputStep   = 1.25
	// throughputPoll: how often the store and the SMTP sink are looked at;
	// a store lag is late by at most this plus one query.
	throughputPoll = 100 * time.Millisecond

	// ackSubject starts the English acknowledgement's subject
	// (notice/templates/acknowledgement.en.tmpl).
	ackSubject = "We have received your "
)

type throughputConfig struct {
	fractions   []float64
	cases       int
	starts      int
	wait        time.Duration
	concurrency int
	deadline    time.Time
}

func throughputConfigFromEnv(tb testing.TB) throughputConfig {
	tb.Helper()
	cfg := throughputConfig{cases: throughputDefaultCases, starts: throughputDefaultStarts, wait: throughputDefaultWait,
		concurrency: loadDefaultConcurrency}
	fractions := os.Getenv("DSR_THROUGHPUT_FRACTIONS")
	if fractions == "" {
		fractions = throughputDefaultFractions
	}
	for _, f := range strings.Split(fractions, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || r <= 0 {
			tb.Fatalf("DSR_THROUGHPUT_FRACTIONS=%q: %q is not a positive fraction", fractions, f)
		}
		cfg.fractions = append(cfg.fractions, r)
	}
	for _, n := range []struct {
		env string
		to  *int
	}{{"DSR_THROUGHPUT_CASES", &cfg.cases}, {"DSR_THROUGHPUT_STARTS", &cfg.starts}} {
		if v := os.Getenv(n.env); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i <= 0 {
				tb.Fatalf("%s=%q is not a positive number", n.env, v)
			}
			*n.to = i
		}
	}
	if v := os.Getenv("DSR_THROUGHPUT_WAIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			tb.Fatalf("DSR_THROUGHPUT_WAIT=%q is not a positive duration", v)
		}
		cfg.wait = d
	}
	return cfg
}

// leastTime is what startLoadEngine checks the -timeout against: engine
// start and stop, the warm-up and the ceilings. The case steps are bounded
// by the deadline instead (a step whose cases are not all carried by then
// fails), so that the default 10m -timeout of the documented command is
// enough on a quiet machine.
func (cfg throughputConfig) leastTime() time.Duration {
	return 3*time.Minute + throughputWarmUp + loadDrainWait + time.Minute
}

// BenchmarkCaseThroughput measures, in one run on one engine (Temporal dev
// server, PostgreSQL, the real worker, acknowledgements sent over SMTP to a
// sink in this process, all on loopback):
//
//   - the ceiling: bare ExecuteWorkflow starts per second of an empty
//     workflow, open loop at fixed rates (the highest sustained one), with
//     its p50/p99 start latency; measured after a warm-up, and again
//     between and after the case steps;
//   - per fraction of DSR_THROUGHPUT_FRACTIONS, DSR_THROUGHPUT_CASES cases
//     opened through POST /v1/requests open loop at that fraction of the
//     ceiling just measured, and for each the time from its 201 to its row
//     in the store in pending_verification (store lag) and to its
//     acknowledgement at the SMTP sink (ack lag); carried/s is the cases
//     with both, per second from the step's first request to the last one
//     carried.
//
// Goals (issue 14): carried/s at least 0.5× the ceiling; at 0.8× the
// ceiling, store lag p99 under 5 s.
func BenchmarkCaseThroughput(b *testing.B) {
	cfg := throughputConfigFromEnv(b)
	// The sink logs every message it receives; thousands of lines would
	// bury the result.
	logger := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	b.Cleanup(func() { slog.SetDefault(logger) })
	sink, err := mail.MailboxConfig{Addr: "127.0.0.1:0", Limit: 1 << 20}.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sink.Close() })
	host, port, _ := net.SplitHostPort(sink.Addr())
	var e *devEngine
	e, cfg.deadline = startLoadEngine(b, fmt.Sprintf("%d case steps of %d", len(cfg.fractions), cfg.cases), cfg.leastTime(),
		"DSR_SMTP_HOST="+host, "DSR_SMTP_PORT="+port, "DSR_SMTP_TLS=none", "DSR_SMTP_FROM=dpo@example.test")

	runs := map[*testing.B]*throughputResult{}
	b.Run(fmt.Sprintf("cases=%d", cfg.cases), func(b *testing.B) {
		r := runs[b]
		if r == nil {
			r = runCaseThroughput(b, e, sink, cfg)
			runs[b] = r
			r.log(b)
			for _, s := range r.steps {
				if n := s.accepted - s.carried; n > 0 {
					b.Errorf("%s: %d of %d accepted cases not carried (%d not in the store in pending_verification, %d without acknowledgement) when the wait ended after %s",
						s.name(), n, s.accepted, s.notStored, s.notAcked, s.waited.Round(time.Second))
				}
				if n := countClientErrors(s.errors); n > 0 {
					b.Errorf("%s: %d requests answered 4xx: the load is malformed", s.name(), n)
				}
			}
		}
		r.report(b)
	})
}

type throughputResult struct {
	cfg      throughputConfig
	warmUp   ceilingResult
	ceilings []ceilingProbe
	steps    []caseStep
}

// ceilingProbe is one ceiling measurement: the rates tried, and the
// highest one sustained.
type ceilingProbe struct {
	tried []ceilingRate
	best  int // index in tried; -1 if none was sustained
}

type ceilingRate struct {
	rate       float64
	started    int
	window     time.Duration
	p50, p99   time.Duration
	errors     map[string]int
	drainError string
	drained    bool
}

func (c ceilingRate) perSecond() float64 {
	if c.window <= 0 {
		return 0
	}
	return float64(c.started) / c.window.Seconds()
}

func (c ceilingRate) sustained() bool {
	return countAll(c.errors) == 0 && c.perSecond() >= throughputSustainedShare*c.rate && c.p99 <= throughputSustainedP99
}

// value is the ceiling the probe found: the highest sustained rate, or,
// if none was, the most any rate started (marked in the log).
func (p ceilingProbe) value() ceilingRate {
	if p.best >= 0 {
		return p.tried[p.best]
	}
	if len(p.tried) == 0 {
		return ceilingRate{}
	}
	return slices.MaxFunc(p.tried, func(a, b ceilingRate) int { return cmp.Compare(a.perSecond(), b.perSecond()) })
}

// ceiling is the median of the probes.
func (r *throughputResult) ceiling() ceilingRate {
	vals := make([]ceilingRate, len(r.ceilings))
	for i, p := range r.ceilings {
		vals[i] = p.value()
	}
	if len(vals) == 0 {
		return ceilingRate{}
	}
	slices.SortFunc(vals, func(a, b ceilingRate) int { return cmp.Compare(a.perSecond(), b.perSecond()) })
	return vals[len(vals)/2]
}

type caseStep struct {
	fraction, rate float64
	// against is the ceiling measured just before the step.
	against  float64
	sent     int
	accepted int
	errors   map[string]int
	// carried have their row in pending_verification and their
	// acknowledgement; notStored and notAcked miss one or the other.
	carried, notStored, notAcked int
	storeLag, ackLag             []time.Duration // sorted
	window                       time.Duration   // first request to last carried
	waited                       time.Duration   // how long after the last 201 the wait ran
}

func (s caseStep) name() string { return "x" + strconv.FormatFloat(s.fraction, 'f', -1, 64) }

func (s caseStep) perSecond() float64 {
	if s.window <= 0 {
		return 0
	}
	return float64(s.carried) / s.window.Seconds()
}

func countClientErrors(m map[string]int) int {
	n := 0
	for k, c := range m {
		if strings.HasPrefix(k, "4") {
			n += c
		}
	}
	return n
}

func (r *throughputResult) report(b *testing.B) {
	b.ReportMetric(0, "ns/op") // one run, not per op
	c := r.ceiling()
	b.ReportMetric(c.perSecond(), "ceiling-starts/s")
	b.ReportMetric(ms(c.p50), "ceiling-p50-ms")
	b.ReportMetric(ms(c.p99), "ceiling-p99-ms")
	for _, s := range r.steps {
		b.ReportMetric(s.perSecond(), s.name()+"-carried/s")
		if c.perSecond() > 0 {
			b.ReportMetric(s.perSecond()/c.perSecond(), s.name()+"-carried/ceiling")
		}
		b.ReportMetric(ms(percentile(s.storeLag, 0.50)), s.name()+"-store-lag-p50-ms")
		b.ReportMetric(ms(percentile(s.storeLag, 0.99)), s.name()+"-store-lag-p99-ms")
		b.ReportMetric(ms(percentile(s.ackLag, 0.50)), s.name()+"-ack-lag-p50-ms")
		b.ReportMetric(ms(percentile(s.ackLag, 0.99)), s.name()+"-ack-lag-p99-ms")
		b.ReportMetric(float64(s.accepted-s.carried), s.name()+"-uncarried")
	}
}

// log writes the run in under ten lines (all a benchmark's log keeps).
func (r *throughputResult) log(b *testing.B) {
	var t strings.Builder
	c := r.ceiling()
	fmt.Fprintf(&t, "case throughput, %d cases per step; ceiling (median of %d) %.1f starts/s, p50 %.1f ms, p99 %.1f ms; warm-up closed loop %.1f starts/s\n",
		r.cfg.cases, len(r.ceilings), c.perSecond(), ms(c.p50), ms(c.p99), r.warmUp.perSecond())
	for i, p := range r.ceilings {
		var rates []string
		for j, x := range p.tried {
			mark := ""
			if j == p.best {
				mark = "*"
			}
			if !x.drained {
				mark += " (not drained " + x.drainError + ")"
			}
			rates = append(rates, fmt.Sprintf("%.1f→%.1f/s p99 %.0fms %s%s", x.rate, x.perSecond(), ms(x.p99), errorList(x.errors), mark))
		}
		fmt.Fprintf(&t, "ceiling %d: %s\n", i+1, strings.Join(rates, ", "))
	}
	fmt.Fprintf(&t, "%-6s %8s %8s %6s %8s %8s %9s %9s %9s %9s %9s  %s",
		"step", "rate/s", "vs ceil", "sent", "carried", "carried/s", "carried/c", "store p50", "store p99", "ack p50", "ack p99", "errors")
	for _, s := range r.steps {
		ratio := 0.0
		if c.perSecond() > 0 {
			ratio = s.perSecond() / c.perSecond()
		}
		fmt.Fprintf(&t, "\n%-6s %8.1f %8.2f %6d %8d %9.1f %9.3f %9.0f %9.0f %9.0f %9.0f  %s",
			s.name(), s.rate, s.fraction, s.sent, s.carried, s.perSecond(), ratio,
			ms(percentile(s.storeLag, 0.50)), ms(percentile(s.storeLag, 0.99)),
			ms(percentile(s.ackLag, 0.50)), ms(percentile(s.ackLag, 0.99)), errorList(s.errors))
	}
	b.Log(t.String())
}

func runCaseThroughput(b *testing.B, e *devEngine, sink *mail.Mailbox, cfg throughputConfig) *throughputResult {
	b.Helper()
	var tag [4]byte
	_, _ = rand.Read(tag[:])
	run := hex.EncodeToString(tag[:])
	r := &throughputResult{cfg: cfg}

	rig := startCeilingRig(b, e.temporal, run)
	defer rig.close()
	hc := loadHTTPClient(cfg.concurrency)
	defer hc.CloseIdleConnections()
	st, err := store.Open(context.Background(), e.dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	w := &carryWatch{st: st, sink: sink, acks: map[string]time.Time{}}
	var seq atomic.Int64
	email := func() string { return fmt.Sprintf("tp-%s-%d@example.test", run, seq.Add(1)) }

	r.warmUp = rig.closedLoop(throughputWarmUp, cfg.concurrency)
	rig.drain(&r.warmUp)
	warm := runCaseStep(b, hc, e, w, cfg, 0, float64(throughputWarmUpCases)/5, throughputWarmUpCases, email)
	if warm.carried < warm.accepted {
		b.Logf("warm-up: %d of %d cases carried", warm.carried, warm.accepted)
	}

	guess := r.warmUp.perSecond()
	for _, f := range cfg.fractions {
		p := probeCeiling(rig, guess, cfg)
		r.ceilings = append(r.ceilings, p)
		guess = p.value().perSecond()
		if guess <= 0 || (!cfg.deadline.IsZero() && time.Now().After(cfg.deadline)) {
			break
		}
		s := runCaseStep(b, hc, e, w, cfg, f, f*guess, cfg.cases, email)
		s.against = guess
		r.steps = append(r.steps, s)
	}
	if cfg.deadline.IsZero() || time.Until(cfg.deadline) > time.Minute {
		r.ceilings = append(r.ceilings, probeCeiling(rig, guess, cfg))
	}
	return r
}

// probeCeiling starts bare workflows open loop at a fixed rate, from guess
// up (or down) by throughputStep, until the rate above the highest
// sustained one is not: the ceiling is that highest sustained rate.
func probeCeiling(rig *ceilingRig, guess float64, cfg throughputConfig) ceilingProbe {
	return climbLadder(guess, func(rate float64) (ceilingRate, bool) {
		if !cfg.deadline.IsZero() && time.Until(cfg.deadline) < time.Minute {
			return ceilingRate{}, false
		}
		return rig.openLoop(rate, cfg.starts, cfg.concurrency), true
	})
}

// climbLadder is probeCeiling's choice of rates; try measures one rate,
// or says there is no time left for it.
func climbLadder(guess float64, try func(rate float64) (ceilingRate, bool)) ceilingProbe {
	p := ceilingProbe{best: -1}
	rate := max(guess, 1)
	for range throughputLadder {
		c, ok := try(rate)
		if !ok {
			break
		}
		p.tried = append(p.tried, c)
		if c.sustained() {
			p.best = len(p.tried) - 1
			if len(p.tried) > 1 && !p.tried[len(p.tried)-2].sustained() {
				break // came down to it
			}
			rate *= throughputStep
			continue
		}
		if p.best >= 0 {
			break // the one below was the highest
		}
		rate /= throughputStep
	}
	return p
}

// openLoop starts n workflows at rate, and waits for them to finish.
func (r *ceilingRig) openLoop(rate float64, n, concurrency int) ceilingRate {
	var (
		mu   sync.Mutex
		lat  []time.Duration
		last time.Time
	)
	res := ceilingRate{rate: rate, errors: map[string]int{}}
	start := time.Now()
	nominal := time.Duration(float64(n) / rate * float64(time.Second))
	_, unsent := openLoop(start, rate, n, start.Add(nominal+loadRequestTimeout), concurrency, func(due time.Time) {
		failure, ok := r.start()
		done := time.Now()
		mu.Lock()
		defer mu.Unlock()
		if done.After(last) {
			last = done
		}
		if !ok {
			res.errors[failure]++
			return
		}
		lat = append(lat, done.Sub(due))
	})
	if unsent > 0 {
		res.errors["unsent"] = unsent
	}
	res.started = len(lat)
	res.window = max(last.Sub(start), nominal)
	slices.Sort(lat)
	res.p50, res.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	var drained ceilingResult
	r.drain(&drained)
	res.drained, res.drainError = drained.drained, drained.drainErr
	return res
}

// carryWatch sees cases arrive in the store in pending_verification and
// their acknowledgements at the SMTP sink.
type carryWatch struct {
	st   *store.Store
	sink *mail.Mailbox
	// acks: when each recipient's first acknowledgement arrived, from the
	// sink's messages up to seen.
	acks map[string]time.Time
	seen int
}

type carriedCase struct {
	id, email        string
	answered, stored time.Time
}

// scanAcks reads the messages that arrived since the last scan.
func (w *carryWatch) scanAcks() {
	msgs := w.sink.Messages()
	for _, m := range msgs[w.seen:] {
		if !strings.HasPrefix(m.Subject, ackSubject) {
			continue
		}
		for _, to := range m.To {
			if _, ok := w.acks[to]; !ok {
				w.acks[to] = m.At
			}
		}
	}
	w.seen = len(msgs)
}

// scanStore marks the cases of waiting that are in the store in
// pending_verification now.
func (w *carryWatch) scanStore(waiting map[string]*carriedCase) error {
	ids := make([]string, 0, len(waiting))
	for id, c := range waiting {
		if c.stored.IsZero() {
			ids = append(ids, id)
		}
	}
	for chunk := range slices.Chunk(ids, 1000) {
		var found []string
		if err := w.st.DB().Raw("SELECT id FROM cases WHERE status = ? AND id IN ?", string(request.PendingVerification), chunk).
			Scan(&found).Error; err != nil {
			return fmt.Errorf("read cases: %w", err)
		}
		now := time.Now()
		for _, id := range found {
			waiting[id].stored = now
		}
	}
	return nil
}

// runCaseStep opens n cases at rate and waits until each is carried, or
// cfg.wait after the last 201 (or the deadline).
func runCaseStep(b *testing.B, hc *http.Client, e *devEngine, w *carryWatch, cfg throughputConfig, fraction, rate float64, n int, email func() string) caseStep {
	b.Helper()
	s := caseStep{fraction: fraction, rate: rate, errors: map[string]int{}}
	var (
		mu      sync.Mutex
		cases   = map[string]*carriedCase{}
		sending = make(chan struct{})
	)
	start := time.Now()
	go func() {
		defer close(sending)
		nominal := time.Duration(float64(n) / rate * float64(time.Second))
		sent, unsent := openLoop(start, rate, n, start.Add(nominal+loadRequestTimeout), cfg.concurrency, func(time.Time) {
			addr := email()
			status, id, err := openCase(hc, e, addr)
			answered := time.Now()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				s.errors[classify(err)]++
			case status == http.StatusCreated && id != "":
				cases[id] = &carriedCase{id: id, email: addr, answered: answered}
			case status == http.StatusCreated:
				s.errors["201 without id"]++
			default:
				s.errors[strconv.Itoa(status)]++
			}
		})
		mu.Lock()
		s.sent = sent
		if unsent > 0 {
			s.errors["unsent"] = unsent
		}
		mu.Unlock()
	}()

	carried := func(c *carriedCase) bool {
		_, acked := w.acks[c.email]
		return acked && !c.stored.IsZero()
	}
	var lastAnswer time.Time
	for done := false; ; time.Sleep(throughputPoll) {
		select {
		case <-sending:
			if !done {
				done, lastAnswer = true, time.Now()
			}
		default:
		}
		mu.Lock()
		err := w.scanStore(cases)
		w.scanAcks()
		all := true
		for _, c := range cases {
			all = all && carried(c)
		}
		mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
		if done && (all || time.Since(lastAnswer) > cfg.wait || (!cfg.deadline.IsZero() && time.Now().After(cfg.deadline))) {
			break
		}
	}
	s.waited = time.Since(lastAnswer)

	var last time.Time
	for _, c := range cases {
		s.accepted++
		ack, acked := w.acks[c.email]
		if c.stored.IsZero() {
			s.notStored++
		} else {
			s.storeLag = append(s.storeLag, c.stored.Sub(c.answered))
		}
		if !acked {
			s.notAcked++
		} else {
			s.ackLag = append(s.ackLag, ack.Sub(c.answered))
		}
		if acked && !c.stored.IsZero() {
			s.carried++
			for _, t := range []time.Time{c.stored, ack} {
				if t.After(last) {
					last = t
				}
			}
		}
	}
	if s.carried > 0 {
		s.window = last.Sub(start)
	}
	slices.Sort(s.storeLag)
	slices.Sort(s.ackLag)
	return s
}
