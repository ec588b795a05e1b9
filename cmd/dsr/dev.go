package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/google/uuid"
	"go.temporal.io/sdk/converter"

	"github.com/dsrflow/dsrflow/activities"
	"github.com/dsrflow/dsrflow/auth"
	"github.com/dsrflow/dsrflow/config"
	"github.com/dsrflow/dsrflow/devserver"
	"github.com/dsrflow/dsrflow/mail"
	"github.com/dsrflow/dsrflow/sms"
	"github.com/dsrflow/dsrflow/store"
)

// runDev runs the whole engine in one process: a Temporal dev server (a
// child process), the worker, the API, the store and, unless an SMTP relay is
// configured, an in-process mailbox. Everything lives in the data dir, so a
// restart finds the same cases.
func runDev(ctx context.Context, cfg *config.Config, _ []string, out io.Writer) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir %s (data_dir): %w", cfg.DataDir, err)
	}
	apiKey, err := devSecrets(cfg)
	if err != nil {
		return err
	}
	// Fail before starting anything when the temporal binary is missing.
	if _, err := devserver.Find(); err != nil {
		return err
	}

	var mailer activities.Mailer
	var mailbox *mail.Mailbox
	if cfg.SMTP.Host == "" {
		mb, err := mail.StartMailbox(cfg.Dev.MailboxAddr)
		if err != nil {
			return fmt.Errorf("start dev mailbox on %s (dev.mailbox_addr): %w", cfg.Dev.MailboxAddr, err)
		}
		defer mb.Close()
		mailbox = mb
		host, port, _ := net.SplitHostPort(mb.Addr())
		cfg.SMTP.Host, cfg.SMTP.TLS = host, "none"
		cfg.SMTP.Port, _ = strconv.Atoi(port)
	}
	mailer = smtpSender(cfg)
	texter := smsGateway(cfg)
	var texts *sms.Outbox
	if texter == nil {
		texts = &sms.Outbox{}
		texter = texts
	}

	logFile, err := os.OpenFile(filepath.Join(cfg.DataDir, "temporal.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open temporal log: %w", err)
	}
	defer logFile.Close()
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (http.addr): %w", cfg.HTTP.Addr, err)
	}
	defer ln.Close() // on an early return; serving closes it otherwise
	// The UI in the browser decodes sealed payloads through the API.
	uiCodec := "http://" + ln.Addr().String() + "/dev/codec"
	temporalAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Dev.TemporalPort))
	srv, err := devserver.Start(ctx, devserver.Options{
		Address: temporalAddr, UIPort: cfg.Dev.UIPort, Namespace: cfg.Temporal.Namespace,
		DBFile: filepath.Join(cfg.DataDir, "temporal.db"), Log: logFile, UICodecEndpoint: uiCodec,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			slog.Warn("stop temporal dev server", "error", err)
		}
	}()
	cfg.Temporal.Address = temporalAddr
	if cfg.Dev.Example {
		if err := addExampleShop(ctx, cfg); err != nil {
			return err
		}
	}
	if len(cfg.Intake.All()) == 0 {
		// Mail to the dev intake opens cases for the example shop.
		cfg.Intake.Tenant, cfg.Intake.PolicyID = "shop", "gdpr"
	}

	e, err := openEngine(ctx, cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := e.store.Migrate(ctx); err != nil {
		return err
	}
	if err := ensureDevKey(ctx, e.store, apiKey); err != nil {
		return err
	}
	w, err := e.worker(mailer, texter)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	if err := e.scheduleRetention(ctx); err != nil {
		return err
	}

	mux := http.NewServeMux()
	h, err := e.handler()
	if err != nil {
		return err
	}
	mux.Handle("/", h)
	if mailbox != nil {
		mux.Handle("GET /dev/mailbox", mailboxHandler(mailbox))
	}
	if texts != nil {
		mux.Handle("GET /dev/sms", smsHandler(texts))
	}
	mux.Handle("/dev/codec/", uiCodecHandler(e.sealer, cfg.Dev.UIPort))
	intakeAddr, err := e.serveSMTP(ctx, cfg.Dev.IntakeAddr, "dev.intake_addr")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "dsrflow dev engine is up (data in %s, store %s)\n", cfg.DataDir, e.store.Backend())
	fmt.Fprintf(out, "  API          http://%s  (GET /readyz, POST /v1/requests)\n", ln.Addr())
	fmt.Fprintf(out, "  API key      %s  (admin, all tenants; dev only: send Authorization: Bearer <key>)\n", apiKey)
	fmt.Fprintf(out, "  Console      http://%s/console/  (sign in with the API key)\n", ln.Addr())
	fmt.Fprintf(out, "  Temporal UI  http://127.0.0.1:%d\n", cfg.Dev.UIPort)
	fmt.Fprintf(out, "  Temporal     %s\n", temporalAddr)
	if mailbox != nil {
		fmt.Fprintf(out, "  Dev mailbox  smtp://%s  (read it: GET http://%s/dev/mailbox)\n", mailbox.Addr(), ln.Addr())
	}
	if texts != nil {
		fmt.Fprintf(out, "  Dev SMS      GET http://%s/dev/sms\n", ln.Addr())
	}
	fmt.Fprintf(out, "  E-mail in    smtp://%s  (AUTH PLAIN, the API key as password; or POST /v1/intake/email)\n", intakeAddr)
	fmt.Fprintln(out, "Ctrl-C stops everything.")
	go purgeIdempotencyKeys(ctx, e.store)
	return serveHTTP(ctx, ln, mux)
}

// devSecrets makes the secrets `dsr dev` needs when none are configured, and
// keeps them in the data dir so codes, sealed history and the API key stay
// valid across restarts. Production configures its own keys and creates API
// keys with `dsr apikey create`. It returns the dev admin API key.
func devSecrets(cfg *config.Config) (string, error) {
	path := filepath.Join(cfg.DataDir, "dev-secrets.json")
	var s struct {
		VerificationKey string `json:"verification_key"`
		EncryptionKey   string `json:"encryption_key"`
		APIKey          string `json:"api_key"`
	}
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if err == nil {
		if err := json.Unmarshal(b, &s); err != nil {
			return "", fmt.Errorf("read %s: %w", path, err)
		}
	}
	// A data dir from an older dsr lacks the newer secrets: add them.
	if s.VerificationKey == "" || s.EncryptionKey == "" || s.APIKey == "" {
		if s.VerificationKey == "" {
			s.VerificationKey = randomKey()
		}
		if s.EncryptionKey == "" {
			s.EncryptionKey = "dev:" + randomKey()
		}
		if s.APIKey == "" {
			if s.APIKey, _, err = auth.NewKey(); err != nil {
				return "", err
			}
		}
		b, _ := json.Marshal(s)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
	}
	if cfg.Verification.Key == "" {
		cfg.Verification.Key = s.VerificationKey
	}
	if cfg.Encryption.Keys == "" {
		cfg.Encryption.Keys = s.EncryptionKey
	}
	return s.APIKey, cfg.Validate()
}

// ensureDevKey makes the dev admin key valid in the store, which may be a
// fresh database next to an old data dir.
func ensureDevKey(ctx context.Context, st *store.Store, key string) error {
	_, err := st.APIKeyByHash(ctx, auth.Hash(key))
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return st.CreateAPIKey(ctx, &store.APIKey{ID: uuid.NewString(), Name: "dev admin", Hash: auth.Hash(key),
		Role: string(auth.Admin), Tenants: auth.AllTenants})
}

func randomKey() string {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(key)
}

// smsHandler lists the text messages the dev outbox received, newest last.
func smsHandler(o *sms.Outbox) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"messages": o.Messages()})
	})
}

// mailboxHandler lists what the dev mailbox received, newest last. It
// exists only in `dsr dev`, where all mail is test mail.
func mailboxHandler(mb *mail.Mailbox) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		type message struct {
			To        []string `json:"to"`
			Subject   string   `json:"subject"`
			Body      string   `json:"body"`
			MessageID string   `json:"message_id"`
			InReplyTo string   `json:"in_reply_to,omitempty"`
			At        string   `json:"at"`
		}
		msgs := mb.Messages()
		list := make([]message, len(msgs))
		for i, m := range msgs {
			list[i] = message{To: m.To, Subject: m.Subject, Body: m.Body, MessageID: m.MessageID,
				InReplyTo: m.Header.Get("In-Reply-To"), At: m.At.Format("2006-01-02T15:04:05Z07:00")}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"messages": list})
	})
}

// uiCodecHandler serves the remote codec to the dev Temporal UI, which
// calls it from the browser: without a key (the UI has none to send), so
// dev only, like the dev mailbox, and to the UI's origin only.
func uiCodecHandler(c converter.PayloadCodec, uiPort int) http.Handler {
	codec := http.StripPrefix("/dev/codec", converter.NewPayloadCodecHTTPHandler(c))
	origins := map[string]bool{fmt.Sprintf("http://127.0.0.1:%d", uiPort): true, fmt.Sprintf("http://localhost:%d", uiPort): true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			if !origins[o] {
				http.Error(w, "origin not allowed", http.StatusForbidden)
				return
			}
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			w.Header().Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		codec.ServeHTTP(w, r)
	})
}
