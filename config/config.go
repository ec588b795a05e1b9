// Package config loads dsrflow's settings: a YAML file, DSR_* environment
// overrides and defaults, validated once at start so that a bad value stops
// the binary with the key's name instead of failing later in a request.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/request"
)

// Config is every setting of the engine. The mapstructure tags are the keys
// of the YAML file; the environment variable of a key is DSR_ followed by the
// key in upper case with dots as underscores (http.addr -> DSR_HTTP_ADDR).
type Config struct {
	HTTP         HTTP         `mapstructure:"http"`
	Worker       Worker       `mapstructure:"worker"`
	Temporal     Temporal     `mapstructure:"temporal"`
	Database     Database     `mapstructure:"database"`
	DataDir      string       `mapstructure:"data_dir"`
	SMTP         SMTP         `mapstructure:"smtp"`
	SMS          SMS          `mapstructure:"sms"`
	Intake       Intake       `mapstructure:"intake"`
	Attachments  Attachments  `mapstructure:"attachments"`
	Retention    Retention    `mapstructure:"retention"`
	Dev          Dev          `mapstructure:"dev"`
	Encryption   Encryption   `mapstructure:"encryption"`
	Verification Verification `mapstructure:"verification"`
	Policies     Policies     `mapstructure:",squash"`
	Connectors   []Connector  `mapstructure:"connectors"`
	Exports      Exports      `mapstructure:"exports"`
	Fulfilment   Fulfilment   `mapstructure:"fulfilment"`
	Portability  Portability  `mapstructure:"portability"`
}

// Portability names the controllers a portability request may ask the
// data to be sent to directly.
type Portability struct {
	Controllers []Controller `mapstructure:"controllers"`
}

// HTTP is the API listener.
type HTTP struct {
	Addr string `mapstructure:"addr"`
	// TrustedProxies may name the client in X-Forwarded-For.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// CodecOrigins are the Temporal UI origins allowed to decode payloads
	// through a console session.
	CodecOrigins []string `mapstructure:"codec_origins"`
	// VerifyPerKey is the ceiling of verification attempts one API key
	// makes in ten minutes over all its end users (docs/api-limits.md).
	VerifyPerKey int `mapstructure:"verify_per_key"`
}

// Worker is the standalone worker process (`dsr worker`).
type Worker struct {
	// MetricsAddr, when set, serves the worker's Temporal SDK metrics at
	// /metrics; the API serves its own.
	MetricsAddr string `mapstructure:"metrics_addr"`
}

// Temporal is where the workflows run.
type Temporal struct {
	Address   string `mapstructure:"address"`
	Namespace string `mapstructure:"namespace"`
	TaskQueue string `mapstructure:"task_queue"`
}

// Database is the case store. An empty URL means the embedded SQLite file in
// the data dir.
type Database struct {
	URL string `mapstructure:"url"`
}

// SMTP is the relay notices go out through. An empty host in `dsr dev` means
// the in-process dev mailbox.
type SMTP struct {
	Host     string `mapstructure:"host"`
	Port     int    `mapstructure:"port"`
	Username string `mapstructure:"username"`
	Password string `mapstructure:"password"`
	From     string `mapstructure:"from"`
	TLS      string `mapstructure:"tls"`
}

// SMS is the HTTP gateway one-time codes go out through by text message.
// An empty URL in `dsr dev` means the in-process dev outbox; elsewhere it
// means no SMS: codes for requesters without e-mail fail, and staff verify
// them manually.
type SMS struct {
	GatewayURL string `mapstructure:"gateway_url"`
	Token      string `mapstructure:"token"`
}

// Intake is e-mail intake: the DPO mailboxes and the SMTP listener an MTA
// forwards them to. Tenant and PolicyID describe one mailbox (handy in the
// environment); Mailboxes, YAML only, adds more.
type Intake struct {
	SMTPAddr  string    `mapstructure:"smtp_addr"`
	Address   string    `mapstructure:"address"`
	Tenant    string    `mapstructure:"tenant"`
	PolicyID  string    `mapstructure:"policy_id"`
	TLSCert   string    `mapstructure:"tls_cert"`
	TLSKey    string    `mapstructure:"tls_key"`
	Mailboxes []Mailbox `mapstructure:"mailboxes"`
	// TrustedAuthservIDs name the MTAs whose Authentication-Results
	// fields (RFC 8601) intake believes: only a reply they vouch for
	// (DKIM, SPF or DMARC pass, aligned with From) can verify a case by
	// its code. Empty, no code sent by e-mail verifies.
	TrustedAuthservIDs []string `mapstructure:"trusted_authserv_ids"`
}

// Mailbox is one DPO address and the tenant and policy of its requests.
type Mailbox struct {
	Address  string `mapstructure:"address"`
	Tenant   string `mapstructure:"tenant"`
	PolicyID string `mapstructure:"policy_id"`
}

// All is every configured mailbox, the one of the plain keys first.
func (in Intake) All() []Mailbox {
	var all []Mailbox
	if in.Tenant != "" {
		all = append(all, Mailbox{Address: in.Address, Tenant: in.Tenant, PolicyID: in.PolicyID})
	}
	return append(all, in.Mailboxes...)
}

// Retention is how long closed cases keep their requester's personal data.
type Retention struct {
	Years int `mapstructure:"years"`
}

// Attachments is where e-mail attachments are kept, sealed.
type Attachments struct {
	Dir string `mapstructure:"dir"`
}

// Dev holds what only `dsr dev` uses.
type Dev struct {
	TemporalPort int    `mapstructure:"temporal_port"`
	UIPort       int    `mapstructure:"ui_port"`
	MailboxAddr  string `mapstructure:"mailbox_addr"`
	IntakeAddr   string `mapstructure:"intake_addr"`
	// Example loads the example shop (examples/shop) into a SQLite file
	// and fulfils the dev tenant's requests against it.
	Example bool `mapstructure:"example"`
}

// Encryption holds the keys that seal personal data in Temporal history.
// Keys is "id:base64key,id:base64key"; the first is used for new payloads,
// the others stay readable so keys can rotate.
type Encryption struct {
	Keys string `mapstructure:"keys"`
}

// Verification holds the secret that one-time codes are hashed with.
type Verification struct {
	Key string `mapstructure:"key"`
}

// Key is one decoded encryption key.
type Key struct {
	ID    string
	Bytes []byte
}

// Load reads the configuration. file may be empty: then dsr.yaml in the
// working directory is read when present.
func Load(file string) (*Config, error) {
	v := viper.New()
	setDefaults(v)
	v.SetEnvPrefix("DSR")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if file == "" {
		if _, err := os.Stat("dsr.yaml"); err == nil {
			file = "dsr.yaml"
		}
	}
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read config %s: %w", file, err)
		}
	}
	var c Config
	// YAML reads an unquoted 2026-05-01 as a time; calendars want dates.
	hook := viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(calendar.DecodeHook,
		mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(",")))
	if err := v.Unmarshal(&c, hook); err != nil {
		return nil, fmt.Errorf("decode config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Default is the configuration with no file and no environment.
func Default() *Config {
	v := viper.New()
	setDefaults(v)
	var c Config
	if err := v.Unmarshal(&c); err != nil {
		panic(fmt.Sprintf("defaults do not decode: %v", err))
	}
	return &c
}

func setDefaults(v *viper.Viper) {
	v.SetDefault("http.addr", "127.0.0.1:8080")
	v.SetDefault("http.trusted_proxies", []string{})
	v.SetDefault("http.codec_origins", []string{})
	v.SetDefault("http.verify_per_key", 1000)
	v.SetDefault("worker.metrics_addr", "")
	v.SetDefault("temporal.address", "127.0.0.1:7233")
	v.SetDefault("temporal.namespace", "default")
	v.SetDefault("temporal.task_queue", "dsr")
	v.SetDefault("database.url", "")
	v.SetDefault("data_dir", "./data")
	v.SetDefault("smtp.host", "")
	v.SetDefault("smtp.port", 25)
	v.SetDefault("smtp.username", "")
	v.SetDefault("smtp.password", "")
	v.SetDefault("smtp.from", "dpo@dsrflow.localhost")
	v.SetDefault("smtp.tls", "none")
	v.SetDefault("sms.gateway_url", "")
	v.SetDefault("sms.token", "")
	v.SetDefault("dev.temporal_port", 7233)
	v.SetDefault("dev.ui_port", 8233)
	v.SetDefault("dev.mailbox_addr", "127.0.0.1:1025")
	v.SetDefault("dev.intake_addr", "127.0.0.1:2525")
	v.SetDefault("intake.smtp_addr", "")
	v.SetDefault("intake.address", "")
	v.SetDefault("intake.tenant", "")
	v.SetDefault("intake.policy_id", "")
	v.SetDefault("intake.tls_cert", "")
	v.SetDefault("intake.tls_key", "")
	v.SetDefault("intake.mailboxes", nil)
	v.SetDefault("intake.trusted_authserv_ids", []string{})
	v.SetDefault("attachments.dir", "")
	v.SetDefault("retention.years", 3)
	v.SetDefault("encryption.keys", "")
	v.SetDefault("verification.key", "")
	// Lists cannot come from the environment; declaring them keeps the keys
	// known to viper so a YAML file can set them.
	v.SetDefault("calendars", nil)
	v.SetDefault("policies", nil)
	v.SetDefault("policy_calendars", nil)
	v.SetDefault("connectors", nil)
	v.SetDefault("portability.controllers", nil)
	v.SetDefault("exports.dir", "")
	v.SetDefault("exports.public_url", "")
	v.SetDefault("fulfilment.backup_rotation", "720h")
	v.SetDefault("dev.example", true)
}

// FieldError is a configuration value that is not acceptable.
type FieldError struct {
	Key    string
	Reason string
}

func (e *FieldError) Error() string {
	if yamlOnly[e.Key] || strings.Contains(e.Key, "[") || strings.HasPrefix(e.Key, "policy_calendars.") {
		return fmt.Sprintf("config %s (YAML file only): %s", e.Key, e.Reason)
	}
	return fmt.Sprintf("config %s (env DSR_%s): %s", e.Key, envName(e.Key), e.Reason)
}

// yamlOnly are the keys that hold lists, which the environment cannot set.
var yamlOnly = map[string]bool{"calendars": true, "policies": true, "connectors": true, "portability.controllers": true}

func envName(key string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_").Replace(key))
}

// Validate checks every value and returns all problems, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &FieldError{Key: key, Reason: fmt.Sprintf(format, args...)})
	}
	if err := checkHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr", "%v", err)
	}
	if err := c.validateConnectors(); err != nil {
		errs = append(errs, err)
	}
	if n := c.HTTP.VerifyPerKey; n < 1 || n > 1_000_000 {
		bad("http.verify_per_key", "%d is not 1 to 1000000", n)
	}
	for _, p := range c.HTTP.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			bad("http.trusted_proxies", "%q is not an IP address or CIDR", p)
		}
	}
	for _, o := range c.HTTP.CodecOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			bad("http.codec_origins", "%q is not an origin (scheme://host[:port])", o)
		}
	}
	if c.Worker.MetricsAddr != "" {
		if err := checkHostPort(c.Worker.MetricsAddr); err != nil {
			bad("worker.metrics_addr", "%v", err)
		}
	}
	if err := checkHostPort(c.Temporal.Address); err != nil {
		bad("temporal.address", "%v", err)
	}
	if c.Temporal.Namespace == "" {
		bad("temporal.namespace", "must not be empty")
	}
	if c.Temporal.TaskQueue == "" {
		bad("temporal.task_queue", "must not be empty")
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if c.Database.URL != "" {
		if err := checkDatabaseURL(c.Database.URL); err != nil {
			bad("database.url", "%v", err)
		}
	}
	if c.SMTP.Port < 1 || c.SMTP.Port > 65535 {
		bad("smtp.port", "%d is not a port (1-65535)", c.SMTP.Port)
	}
	switch c.SMTP.TLS {
	case "none", "starttls", "implicit":
	default:
		bad("smtp.tls", "%q is not one of none, starttls, implicit", c.SMTP.TLS)
	}
	if !strings.Contains(c.SMTP.From, "@") {
		bad("smtp.from", "%q is not an e-mail address", c.SMTP.From)
	}
	if c.SMS.GatewayURL != "" {
		if u, err := url.Parse(c.SMS.GatewayURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("sms.gateway_url", "%q is not an http(s) URL", c.SMS.GatewayURL)
		}
	}
	if c.Dev.TemporalPort < 1 || c.Dev.TemporalPort > 65535 {
		bad("dev.temporal_port", "%d is not a port (1-65535)", c.Dev.TemporalPort)
	}
	if c.Dev.UIPort < 1 || c.Dev.UIPort > 65535 {
		bad("dev.ui_port", "%d is not a port (1-65535)", c.Dev.UIPort)
	}
	if err := checkHostPort(c.Dev.MailboxAddr); err != nil {
		bad("dev.mailbox_addr", "%v", err)
	}
	if err := checkHostPort(c.Dev.IntakeAddr); err != nil {
		bad("dev.intake_addr", "%v", err)
	}
	if c.Intake.SMTPAddr != "" {
		if err := checkHostPort(c.Intake.SMTPAddr); err != nil {
			bad("intake.smtp_addr", "%v", err)
		}
	}
	if c.Retention.Years < 0 || c.Retention.Years > 100 {
		bad("retention.years", "%d is not 0 (keep forever) to 100", c.Retention.Years)
	}
	if (c.Intake.TLSCert == "") != (c.Intake.TLSKey == "") {
		bad("intake.tls_cert", "intake.tls_cert and intake.tls_key go together")
	}
	if c.Intake.Tenant == "" && (c.Intake.PolicyID != "" || c.Intake.Address != "") {
		bad("intake.tenant", "required with intake.policy_id or intake.address")
	}
	// Tenants have one grammar at every door (request.CheckTenant): a
	// mailbox's tenant becomes its cases' tenant.
	if t := c.Intake.Tenant; t != "" {
		if err := request.CheckTenant(t); err != nil {
			bad("intake.tenant", "%v", err)
		}
	}
	if c.Intake.Tenant != "" && c.Intake.PolicyID == "" {
		bad("intake.policy_id", "required with intake.tenant")
	}
	if a := c.Intake.Address; a != "" && !strings.Contains(a, "@") {
		bad("intake.address", "%q is not an e-mail address", a)
	}
	for _, id := range c.Intake.TrustedAuthservIDs {
		// An authserv-id is a domain name (RFC 8601 2.5), one word.
		if id == "" || strings.ContainsAny(id, " \t;()\"@") {
			bad("intake.trusted_authserv_ids", "%q is not an authserv-id (a host name such as mx.example.com)", id)
		}
	}
	for i, mb := range c.Intake.Mailboxes {
		key := fmt.Sprintf("intake.mailboxes[%d]", i)
		if mb.Tenant == "" || mb.PolicyID == "" {
			bad(key, "a mailbox needs a tenant and a policy_id")
		} else if err := request.CheckTenant(mb.Tenant); err != nil {
			bad(key+".tenant", "%v", err)
		}
		if mb.Address != "" && !strings.Contains(mb.Address, "@") {
			bad(key, "%q is not an e-mail address", mb.Address)
		}
	}
	if _, err := c.Encryption.Parse(); err != nil {
		bad("encryption.keys", "%v", err)
	}
	if c.Verification.Key != "" {
		if _, err := decodeKey(c.Verification.Key); err != nil {
			bad("verification.key", "%v", err)
		}
	}
	if err := c.Policies.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// DatabaseURL is the store to open: the configured URL, or the SQLite file in
// the data dir.
func (c *Config) DatabaseURL() string {
	if c.Database.URL != "" {
		return c.Database.URL
	}
	abs, err := filepath.Abs(filepath.Join(c.DataDir, "dsr.db"))
	if err != nil {
		abs = filepath.Join(c.DataDir, "dsr.db")
	}
	return "sqlite://" + abs
}

// Parse decodes the keys; none configured gives an empty list.
func (e Encryption) Parse() ([]Key, error) {
	if strings.TrimSpace(e.Keys) == "" {
		return nil, nil
	}
	var keys []Key
	seen := map[string]bool{}
	for i, part := range strings.Split(e.Keys, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" {
			return nil, fmt.Errorf("entry %d is not id:base64key", i+1)
		}
		if seen[id] {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		seen[id] = true
		b, err := decodeKey(b64)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", id, err)
		}
		keys = append(keys, Key{ID: id, Bytes: b})
	}
	return keys, nil
}

// VerificationKey decodes the code-hashing key; nil when none is configured.
func (v Verification) Bytes() ([]byte, error) {
	if v.Key == "" {
		return nil, nil
	}
	return decodeKey(v.Key)
}

func decodeKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("not valid base64")
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("decodes to %d bytes, want 32 (openssl rand -base64 32)", len(b))
	}
	return b, nil
}

func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if port == "" {
		return fmt.Errorf("%q has no port", addr)
	}
	return nil
}

func checkDatabaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	switch u.Scheme {
	case "postgres", "postgresql", "sqlite", "file":
		return nil
	default:
		return fmt.Errorf("scheme %q is not postgres, postgresql, sqlite or file", u.Scheme)
	}
}
