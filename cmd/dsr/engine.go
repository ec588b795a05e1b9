package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/api"
	"github.com/dsrflow/dsrflow/blob"
	"github.com/dsrflow/dsrflow/codec"
	"github.com/dsrflow/dsrflow/config"
	"github.com/dsrflow/dsrflow/console"
	"github.com/dsrflow/dsrflow/export"
	"github.com/dsrflow/dsrflow/intake"
	"github.com/dsrflow/dsrflow/mail"
	"github.com/dsrflow/dsrflow/metrics"
	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/sms"
	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/worker"
	"github.com/dsrflow/dsrflow/workflows"
)

// engine is what every command but migrate needs: the store, Temporal and
// the policies.
type engine struct {
	cfg      *config.Config
	store    *store.Store
	temporal client.Client
	policies *policy.Registry
	// sdkMetrics are what the Temporal client and worker report.
	sdkMetrics *metrics.Temporal
	// intake takes e-mail; nil when no mailbox is configured.
	intake *intake.Intake
	// sealer seals payloads in Temporal and attachments at rest.
	sealer *codec.Codec
	// closeConnectors closes the data systems a worker opened.
	closeConnectors io.Closer
}

func openEngine(ctx context.Context, cfg *config.Config) (*engine, error) {
	policies, err := cfg.Policies.Registry()
	if err != nil {
		return nil, err
	}
	for _, w := range policies.Warnings() {
		slog.Warn("POLICY DEADLINES MAY BE WRONG", "problem", w)
	}
	sealer, err := payloadCodec(cfg)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL())
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	sdkMetrics := metrics.NewTemporal()
	c, err := dialTemporal(cfg, sealer, sdkMetrics.Handler())
	if err != nil {
		st.Close()
		return nil, err
	}
	e := &engine{cfg: cfg, store: st, temporal: c, policies: policies, sdkMetrics: sdkMetrics, sealer: sealer}
	if e.intake, err = e.newIntake(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// newIntake builds e-mail intake for the configured mailboxes, or nil.
func (e *engine) newIntake() (*intake.Intake, error) {
	var mailboxes []intake.Mailbox
	for i, mb := range e.cfg.Intake.All() {
		if _, ok := e.policies.Get(mb.PolicyID); !ok {
			return nil, &config.FieldError{Key: fmt.Sprintf("intake mailbox %d policy_id", i+1),
				Reason: fmt.Sprintf("unknown policy %q", mb.PolicyID)}
		}
		mailboxes = append(mailboxes, intake.Mailbox(mb))
	}
	if len(mailboxes) == 0 {
		return nil, nil
	}
	in := &intake.Intake{Store: e.store, Temporal: e.temporal, TaskQueue: e.cfg.Temporal.TaskQueue,
		Blobs: e.blobs(), Mailboxes: mailboxes, From: e.cfg.SMTP.From,
		TrustedAuthservIDs: e.cfg.Intake.TrustedAuthservIDs}
	if e.cfg.SMTP.Host != "" {
		in.Mailer = smtpSender(e.cfg)
	}
	return in, nil
}

// blobs is where attachments are kept.
func (e *engine) blobs() *blob.Dir {
	dir := e.cfg.Attachments.Dir
	if dir == "" {
		dir = filepath.Join(e.cfg.DataDir, "attachments")
	}
	return &blob.Dir{Path: dir, Sealer: e.sealer}
}

// scheduleRetention keeps the retention schedule as configured.
func (e *engine) scheduleRetention(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := workflows.ScheduleRetention(ctx, e.temporal, e.cfg.Temporal.TaskQueue, e.cfg.Retention.Years); err != nil {
		return fmt.Errorf("%w (retention.years)", err)
	}
	return nil
}

// serveSMTP runs the e-mail intake listener on addr until ctx ends.
func (e *engine) serveSMTP(ctx context.Context, addr, key string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s (%s): %w", addr, key, err)
	}
	srv := &intake.SMTP{Intake: e.intake, Authenticate: e.api().Principal, Domain: domainOf(e.cfg.SMTP.From)}
	if e.cfg.Intake.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(e.cfg.Intake.TLSCert, e.cfg.Intake.TLSKey)
		if err != nil {
			ln.Close()
			return "", &config.FieldError{Key: "intake.tls_cert", Reason: err.Error()}
		}
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	go func() {
		if err := srv.Serve(ln); err != nil && ctx.Err() == nil {
			slog.Error("smtp intake stopped", "error", err)
		}
	}()
	go func() { <-ctx.Done(); srv.Close() }()
	return ln.Addr().String(), nil
}

func domainOf(addr string) string {
	_, domain, _ := strings.Cut(addr, "@")
	return domain
}

func (e *engine) Close() {
	if e.closeConnectors != nil {
		e.closeConnectors.Close()
	}
	e.temporal.Close()
	if err := e.store.Close(); err != nil {
		slog.Warn("close store", "error", err)
	}
}

// dialTemporal connects lazily: the API must start, and answer /readyz with
// 503, while Temporal is still down.
// Every payload it writes is sealed with the configured encryption keys.
func dialTemporal(cfg *config.Config, sealer *codec.Codec, m client.MetricsHandler) (client.Client, error) {
	c, err := client.NewLazyClient(client.Options{
		HostPort:         cfg.Temporal.Address,
		Namespace:        cfg.Temporal.Namespace,
		Logger:           sdklog.NewStructuredLogger(slog.Default().With("component", "temporal")),
		DataConverter:    sealer.DataConverter(),
		FailureConverter: sealer.FailureConverter(),
		MetricsHandler:   m,
	})
	if err != nil {
		return nil, fmt.Errorf("temporal client for %s: %w", cfg.Temporal.Address, err)
	}
	return c, nil
}

// payloadCodec refuses to run without a key: personal data never goes to
// Temporal in clear.
func payloadCodec(cfg *config.Config) (*codec.Codec, error) {
	keys, err := cfg.Encryption.Parse()
	if err != nil {
		return nil, &config.FieldError{Key: "encryption.keys", Reason: err.Error()}
	}
	if len(keys) == 0 {
		return nil, &config.FieldError{Key: "encryption.keys", Reason: "required to seal personal data in Temporal history (id:$(openssl rand -base64 32))"}
	}
	ck := make([]codec.Key, len(keys))
	for i, k := range keys {
		ck[i] = codec.Key{ID: k.ID, Secret: k.Bytes}
	}
	return codec.New(ck)
}

// worker builds the Temporal worker with the real activities.
// texter is nil without an SMS gateway: codes then go by e-mail only.
func (e *engine) worker(mailer activities.Mailer, texter activities.Texter) (sdkworker.Worker, error) {
	codeKey, err := e.cfg.Verification.Bytes()
	if err != nil {
		return nil, err
	}
	if codeKey == nil {
		return nil, &config.FieldError{Key: "verification.key", Reason: "required to hash one-time codes (openssl rand -base64 32)"}
	}
	reg, closer, err := e.connectors()
	if err != nil {
		return nil, err
	}
	e.closeConnectors = closer
	exports, err := e.exports()
	if err != nil {
		return nil, err
	}
	acts := &activities.Activities{Store: e.store, Mailer: mailer, Texter: texter, From: e.cfg.SMTP.From,
		DPO: e.cfg.SMTP.From, CodeKey: codeKey, Blobs: e.blobs(), Registry: reg, Exports: exports}
	wf := &workflows.Workflows{Policies: e.policies, BackupRotation: e.cfg.Fulfilment.BackupRotation}
	return worker.New(e.temporal, e.cfg.Temporal.TaskQueue, wf, acts), nil
}

func (e *engine) api() *api.Server {
	reg := e.registry()
	reg.MustRegister(metrics.NewCases(e.store))
	var exports export.Store
	var links *export.Signer
	if x, err := e.exports(); err == nil {
		exports, links = x.Store, x.Links
	} else {
		slog.Warn("export downloads are off", "error", err)
	}
	return &api.Server{Exports: exports, Links: links, Store: e.store, Temporal: e.temporal, Policies: e.policies, TaskQueue: e.cfg.Temporal.TaskQueue,
		Metrics: reg, Intake: e.intake, Codec: e.sealer, TrustedProxies: e.cfg.HTTP.TrustedProxies,
		VerifyPerKey: e.cfg.HTTP.VerifyPerKey, CallbackSecrets: e.callbackSecrets()}
}

// handler is the API with the DPO web console on top of it at /console/.
// The console calls this same API handler in process, so the API's roles
// and validators judge every click. Its sessions are sealed with a key
// derived from the first payload key: they survive restarts and hold on
// every replica.
func (e *engine) handler() (http.Handler, error) {
	s := e.api()
	h := s.Handler()
	keys, err := e.cfg.Encryption.Parse()
	if err != nil || len(keys) == 0 {
		return nil, &config.FieldError{Key: "encryption.keys", Reason: "required to seal console sessions"}
	}
	con, err := console.New(h, console.Options{Authenticate: s.Principal, Routes: s.Routes(),
		Policies: e.policies, Secret: keys[0].Bytes, CodecOrigins: e.cfg.HTTP.CodecOrigins,
		Sessions: e.store, TrustedProxies: e.cfg.HTTP.TrustedProxies})
	if err != nil {
		return nil, fmt.Errorf("web console: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/console/", con)
	mux.Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusSeeOther))
	mux.Handle("/", h)
	return mux, nil
}

// registry holds the metrics every process serves: the Temporal SDK's and
// the Go runtime's.
func (e *engine) registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.sdkMetrics, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func smtpSender(cfg *config.Config) *mail.Sender {
	return mail.NewSender(mail.SMTPConfig{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username,
		Password: cfg.SMTP.Password, From: cfg.SMTP.From, TLS: cfg.SMTP.TLS, Timeout: 25 * time.Second}) // within the notice activity's 30 s
}

func smsGateway(cfg *config.Config) activities.Texter {
	if cfg.SMS.GatewayURL == "" {
		return nil
	}
	return &sms.Gateway{URL: cfg.SMS.GatewayURL, Token: cfg.SMS.Token}
}

// serveHTTP serves until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

func runServe(ctx context.Context, cfg *config.Config, _ []string, out io.Writer) error {
	e, err := openEngine(ctx, cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (http.addr): %w", cfg.HTTP.Addr, err)
	}
	fmt.Fprintf(out, "dsr API on http://%s\n", ln.Addr())
	if addr := cfg.Intake.SMTPAddr; addr != "" {
		if e.intake == nil {
			return &config.FieldError{Key: "intake.smtp_addr", Reason: "set intake.tenant and intake.policy_id (or intake.mailboxes) too"}
		}
		at, err := e.serveSMTP(ctx, addr, "intake.smtp_addr")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "e-mail intake on smtp://%s\n", at)
	}
	go purgeIdempotencyKeys(ctx, e.store)
	h, err := e.handler()
	if err != nil {
		return err
	}
	return serveHTTP(ctx, ln, h)
}

func runWorker(ctx context.Context, cfg *config.Config, _ []string, out io.Writer) error {
	if cfg.SMTP.Host == "" {
		return &config.FieldError{Key: "smtp.host", Reason: "required for the worker to send notices"}
	}
	e, err := openEngine(ctx, cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	w, err := e.worker(smtpSender(cfg), smsGateway(cfg))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "dsr worker on task queue %q at %s\n", cfg.Temporal.TaskQueue, cfg.Temporal.Address)
	if err := e.scheduleRetention(ctx); err != nil {
		return err
	}
	if addr := cfg.Worker.MetricsAddr; addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen on %s (worker.metrics_addr): %w", addr, err)
		}
		fmt.Fprintf(out, "worker metrics on http://%s/metrics\n", ln.Addr())
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(e.registry(), promhttp.HandlerOpts{}))
		go func() {
			if err := serveHTTP(ctx, ln, mux); err != nil {
				slog.Error("worker metrics", "error", err)
			}
		}()
	}
	return w.Run(interruptOn(ctx))
}

// purgeIdempotencyKeys drops expired Idempotency-Key answers every hour
// while the API runs.
func purgeIdempotencyKeys(ctx context.Context, st *store.Store) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := st.PurgeIdempotencyKeys(ctx); err != nil {
				slog.Warn("purge idempotency keys", "error", err)
			} else if n > 0 {
				slog.Info("purged expired idempotency keys", "count", n)
			}
		}
	}
}

// interruptOn adapts a context to the worker's stop channel.
func interruptOn(ctx context.Context) <-chan any {
	ch := make(chan any)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

func runMigrate(ctx context.Context, cfg *config.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	grant := fs.String("grant", "", "PostgreSQL role the API and worker run as: may append to the audit trail, never change it")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errors.New("usage: dsr migrate [--grant ROLE]")
	}
	st, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(out, "schema up to date (%s)\n", st.Backend())
	if *grant != "" {
		if err := st.GrantApp(ctx, *grant); err != nil {
			return err
		}
		fmt.Fprintf(out, "granted %s the engine's rights; the audit trail is append-only for it\n", *grant)
	}
	return nil
}

// openMigrated opens the configured store with its schema up to date.
func openMigrated(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.DatabaseURL())
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
