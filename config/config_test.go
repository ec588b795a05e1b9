package config_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsrflow/dsrflow/calendar"
	"github.com/dsrflow/dsrflow/config"
)

// isolate runs the test in an empty directory with no DSR_* variable set, so
// neither a dsr.yaml nor the developer's environment leaks in.
func isolate(t *testing.T) string {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "DSR_") {
			// t.Setenv restores the value after the test; Unsetenv makes
			// the variable absent rather than empty.
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// key returns a valid 32-byte key, base64, filled with b.
func key(b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

func TestLoadDefaults(t *testing.T) {
	isolate(t)
	c, err := config.Load("")
	if err != nil {
		t.Fatalf("Load(\"\") in an empty dir: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	want := config.Config{
		HTTP:      config.HTTP{Addr: "127.0.0.1:8080"},
		Temporal:  config.Temporal{Address: "127.0.0.1:7233", Namespace: "default", TaskQueue: "dsr"},
		DataDir:   "./data",
		SMTP:      config.SMTP{Port: 25, From: "dpo@dsrflow.localhost", TLS: "none"},
		Retention: config.Retention{Years: 3},
		Dev:       config.Dev{TemporalPort: 7233, UIPort: 8233, MailboxAddr: "127.0.0.1:1025", IntakeAddr: "127.0.0.1:2525", Example: true},
	}
	if c.HTTP.Addr != want.HTTP.Addr || len(c.HTTP.TrustedProxies) != 0 || c.HTTP.VerifyPerKey != 1000 || c.Temporal != want.Temporal || c.Database != want.Database ||
		c.DataDir != want.DataDir || c.SMTP != want.SMTP || c.Dev != want.Dev ||
		c.Encryption != want.Encryption || c.Verification != want.Verification ||
		c.Fulfilment.BackupRotation != 30*24*time.Hour || c.Exports != (config.Exports{}) || len(c.Connectors) != 0 {
		t.Errorf("defaults:\n got %+v\nwant %+v", *c, want)
	}
	if len(c.Policies.Calendars) != 0 || len(c.Policies.Policies) != 0 {
		t.Errorf("defaults carry calendars or policies: %+v", c.Policies)
	}
	if d := config.Default(); d.HTTP.Addr != c.HTTP.Addr || d.SMTP != c.SMTP || d.Temporal != c.Temporal {
		t.Errorf("Default() = %+v differs from Load(\"\") = %+v", *d, *c)
	}
	reg, err := c.Policies.Registry()
	if err != nil {
		t.Fatalf("default registry: %v", err)
	}
	for _, id := range []string{"cn-15d-ext45", "cn-15d-after-verification", "cn-15wd", "1m-ext45", "gdpr", "uk-gdpr", "ccpa", "lgpd"} {
		if _, ok := reg.Get(id); !ok {
			t.Errorf("preset %s missing from the default registry", id)
		}
	}
}

func TestLoadFileInWorkingDir(t *testing.T) {
	dir := isolate(t)
	writeFile(t, filepath.Join(dir, "dsr.yaml"), `
http:
  addr: 0.0.0.0:9090
temporal:
  namespace: dsr-prod
smtp:
  host: mail.example.com
  port: 587
  tls: starttls
  from: privacy@example.com
`)
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != "0.0.0.0:9090" || c.Temporal.Namespace != "dsr-prod" ||
		c.SMTP.Host != "mail.example.com" || c.SMTP.Port != 587 || c.SMTP.TLS != "starttls" ||
		c.SMTP.From != "privacy@example.com" {
		t.Errorf("dsr.yaml not applied: %+v", *c)
	}
	// Keys the file leaves out keep their defaults.
	if c.Temporal.TaskQueue != "dsr" || c.Temporal.Address != "127.0.0.1:7233" {
		t.Errorf("defaults lost next to a file: %+v", c.Temporal)
	}
}

func TestLoadExplicitFile(t *testing.T) {
	dir := isolate(t)
	// A dsr.yaml in the working dir must not be read when --config names
	// another file.
	writeFile(t, filepath.Join(dir, "dsr.yaml"), "http:\n  addr: 127.0.0.1:1111\n")
	other := t.TempDir()
	path := writeFile(t, filepath.Join(other, "prod.yaml"), "http:\n  addr: 127.0.0.1:2222\ndata_dir: /var/lib/dsr\n")
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != "127.0.0.1:2222" || c.DataDir != "/var/lib/dsr" {
		t.Errorf("--config file not applied: http.addr=%q data_dir=%q", c.HTTP.Addr, c.DataDir)
	}
}

func TestLoadMissingExplicitFile(t *testing.T) {
	dir := isolate(t)
	missing := filepath.Join(dir, "nope.yaml")
	_, err := config.Load(missing)
	if err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	if !strings.Contains(err.Error(), missing) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestLoadMalformedFile(t *testing.T) {
	dir := isolate(t)
	path := writeFile(t, filepath.Join(dir, "bad.yaml"), "http: [unclosed\n")
	if _, err := config.Load(path); err == nil {
		t.Fatal("Load of malformed YAML succeeded")
	}
}

func TestEnvOverridesFile(t *testing.T) {
	dir := isolate(t)
	writeFile(t, filepath.Join(dir, "dsr.yaml"), `
http:
  addr: 127.0.0.1:1111
smtp:
  port: 25
database:
  url: postgres://file@db/dsr
verification:
  key: `+key(1)+`
`)
	t.Setenv("DSR_HTTP_ADDR", "0.0.0.0:8443")
	t.Setenv("DSR_SMTP_PORT", "2525")
	t.Setenv("DSR_DATABASE_URL", "postgres://env@db/dsr?sslmode=disable")
	t.Setenv("DSR_TEMPORAL_TASK_QUEUE", "dsr-env")
	t.Setenv("DSR_DATA_DIR", "/srv/dsr")
	t.Setenv("DSR_VERIFICATION_KEY", key(2))
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ key, got, want string }{
		{"http.addr", c.HTTP.Addr, "0.0.0.0:8443"},
		{"database.url", c.Database.URL, "postgres://env@db/dsr?sslmode=disable"},
		{"temporal.task_queue", c.Temporal.TaskQueue, "dsr-env"},
		{"data_dir", c.DataDir, "/srv/dsr"},
		{"verification.key", c.Verification.Key, key(2)},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want the env value %q", ch.key, ch.got, ch.want)
		}
	}
	if c.SMTP.Port != 2525 {
		t.Errorf("smtp.port = %d, want the env value 2525", c.SMTP.Port)
	}
}

func TestEnvWithoutFile(t *testing.T) {
	isolate(t)
	t.Setenv("DSR_SMTP_TLS", "implicit")
	t.Setenv("DSR_SMTP_PORT", "465")
	t.Setenv("DSR_DEV_UI_PORT", "18233")
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.TLS != "implicit" || c.SMTP.Port != 465 || c.Dev.UIPort != 18233 {
		t.Errorf("env not applied without a file: smtp=%+v dev=%+v", c.SMTP, c.Dev)
	}
}

func TestTrustedAuthservIDs(t *testing.T) {
	isolate(t)
	t.Setenv("DSR_INTAKE_TRUSTED_AUTHSERV_IDS", "mx1.example.com,mx2.example.com")
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.Intake.TrustedAuthservIDs; len(got) != 2 || got[0] != "mx1.example.com" || got[1] != "mx2.example.com" {
		t.Errorf("TrustedAuthservIDs = %q", got)
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		name string
		yaml string            // dsr.yaml content, may be empty
		env  map[string]string // DSR_* variables
		key  string            // the key the error must name
		// noEnv marks keys that only YAML can set (lists), whose error has
		// no DSR_ variable to name.
		noEnv bool
		// want is a further fragment of the message.
		want string
	}{
		{name: "http.addr without port", env: map[string]string{"DSR_HTTP_ADDR": "localhost"}, key: "http.addr", want: "localhost"},
		{name: "http.codec_origins not an origin", env: map[string]string{"DSR_HTTP_CODEC_ORIGINS": "https://ui.example.com,https://ui.example.com/path"}, key: "http.codec_origins", want: "/path"},
		{name: "http.trusted_proxies not an address", env: map[string]string{"DSR_HTTP_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, key: "http.trusted_proxies", want: "proxy.local"},
		{name: "http.verify_per_key 0", env: map[string]string{"DSR_HTTP_VERIFY_PER_KEY": "0"}, key: "http.verify_per_key", want: "0 is not 1 to 1000000"},
		{name: "worker.metrics_addr without port", env: map[string]string{"DSR_WORKER_METRICS_ADDR": "localhost"}, key: "worker.metrics_addr", want: "localhost"},
		{name: "temporal.address without port", yaml: "temporal:\n  address: temporal\n", key: "temporal.address"},
		{name: "smtp.port 0", env: map[string]string{"DSR_SMTP_PORT": "0"}, key: "smtp.port", want: "0 is not a port"},
		{name: "smtp.port 70000", yaml: "smtp:\n  port: 70000\n", key: "smtp.port", want: "70000"},
		{name: "smtp.tls ssl", env: map[string]string{"DSR_SMTP_TLS": "ssl"}, key: "smtp.tls", want: `"ssl"`},
		{name: "smtp.from without @", env: map[string]string{"DSR_SMTP_FROM": "dpo.example.com"}, key: "smtp.from", want: "dpo.example.com"},
		{name: "sms.gateway_url not a URL", env: map[string]string{"DSR_SMS_GATEWAY_URL": "sms.example.com/send"}, key: "sms.gateway_url", want: "http(s) URL"},
		{name: "database.url mysql", env: map[string]string{"DSR_DATABASE_URL": "mysql://root@db/dsr"}, key: "database.url", want: `"mysql"`},
		{name: "dev.temporal_port 0", yaml: "dev:\n  temporal_port: 0\n", key: "dev.temporal_port"},
		{name: "dev.ui_port 65536", env: map[string]string{"DSR_DEV_UI_PORT": "65536"}, key: "dev.ui_port"},
		{name: "dev.mailbox_addr without port", env: map[string]string{"DSR_DEV_MAILBOX_ADDR": "127.0.0.1"}, key: "dev.mailbox_addr"},
		{name: "data_dir empty", yaml: "data_dir: \"\"\n", key: "data_dir"},
		{name: "temporal.namespace empty", yaml: "temporal:\n  namespace: \"\"\n", key: "temporal.namespace"},
		{name: "temporal.task_queue empty", yaml: "temporal:\n  task_queue: \"\"\n", key: "temporal.task_queue", want: "must not be empty"},
		{name: "encryption.keys malformed", env: map[string]string{"DSR_ENCRYPTION_KEYS": "just-a-key"}, key: "encryption.keys", want: "not id:base64key"},
		{name: "encryption.keys empty id", env: map[string]string{"DSR_ENCRYPTION_KEYS": ":" + key(1)}, key: "encryption.keys", want: "not id:base64key"},
		{name: "encryption.keys not base64", env: map[string]string{"DSR_ENCRYPTION_KEYS": "k1:!!!"}, key: "encryption.keys", want: "base64"},
		{name: "encryption.keys wrong length", env: map[string]string{"DSR_ENCRYPTION_KEYS": "k1:" + base64.StdEncoding.EncodeToString(make([]byte, 16))}, key: "encryption.keys", want: "16 bytes"},
		{name: "encryption.keys duplicate id", env: map[string]string{"DSR_ENCRYPTION_KEYS": "k1:" + key(1) + ",k1:" + key(2)}, key: "encryption.keys", want: `"k1" appears twice`},
		{name: "intake.trusted_authserv_ids not a host", env: map[string]string{"DSR_INTAKE_TRUSTED_AUTHSERV_IDS": "mx.example.com,mx.example.com; dkim=pass"}, key: "intake.trusted_authserv_ids", want: "not an authserv-id"},
		{name: "verification.key not base64", env: map[string]string{"DSR_VERIFICATION_KEY": "not base64!"}, key: "verification.key", want: "not valid base64"},
		{name: "verification.key wrong length", env: map[string]string{"DSR_VERIFICATION_KEY": base64.StdEncoding.EncodeToString(make([]byte, 31))}, key: "verification.key", want: "31 bytes"},
		// Tenants follow request.CheckTenant wherever config names one.
		{name: "intake.tenant with spaces", env: map[string]string{"DSR_INTAKE_TENANT": " shop ", "DSR_INTAKE_POLICY_ID": "gdpr"}, key: "intake.tenant", want: "not a tenant name"},
		{name: "intake.tenant too long", env: map[string]string{"DSR_INTAKE_TENANT": strings.Repeat("a", 64), "DSR_INTAKE_POLICY_ID": "gdpr"}, key: "intake.tenant", want: "at most 63"},
		{
			name: "mailbox tenant upper case",
			yaml: `
intake:
  mailboxes:
    - address: dpo@shop.example
      tenant: Shop
      policy_id: gdpr
`,
			key: "intake.mailboxes[0].tenant", noEnv: true, want: "not a tenant name",
		},
		{
			name: "connector tenant with a comma",
			yaml: `
connectors:
  - name: crm
    kind: manual
    owner: ops@shop.example
    tenants: [shop, "bank,shop"]
`,
			key: "connectors[0].tenants[1]", noEnv: true, want: "not a tenant name",
		},
		{
			name: "policy with unknown calendar",
			yaml: `
policies:
  - id: acme-15d
    deadline: 15d
    verification_window: 10d
    calendar: atlantis
`,
			key: "policies", noEnv: true, want: `unknown calendar "atlantis"`,
		},
		{
			name: "policy with bad period",
			yaml: `
policies:
  - id: acme-15x
    deadline: 15x
    verification_window: 10d
    calendar: weekends
`,
			key: "policies", noEnv: true, want: "15x",
		},
		{
			name: "calendar without version",
			yaml: `
calendars:
  - id: acme
    time_zone: UTC
    weekend: [saturday, sunday]
`,
			key: "calendars", noEnv: true, want: "version",
		},
		{
			name: "calendar working day on a weekday",
			yaml: `
calendars:
  - id: acme
    version: "1"
    time_zone: UTC
    weekend: [saturday, sunday]
    first_year: 2027
    last_year: 2027
    working_days: [2027-02-08]
`,
			key: "calendars", noEnv: true, want: "2027-02-08 is a Monday",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if tt.yaml != "" {
				writeFile(t, filepath.Join(dir, "dsr.yaml"), tt.yaml)
			}
			_, err := config.Load("")
			if err == nil {
				t.Fatal("Load succeeded")
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %q (%T) is not a *config.FieldError", err, err)
			}
			if fe.Key != tt.key {
				t.Errorf("FieldError.Key = %q, want %q (error: %v)", fe.Key, tt.key, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.key) {
				t.Errorf("error %q does not name the key %s", msg, tt.key)
			}
			env := "DSR_" + strings.ToUpper(strings.ReplaceAll(tt.key, ".", "_"))
			if tt.noEnv {
				if strings.Contains(msg, env) {
					t.Errorf("error %q names %s, but %s cannot come from the environment", msg, env, tt.key)
				}
			} else if !strings.Contains(msg, env) {
				t.Errorf("error %q does not name the variable %s", msg, env)
			}
			if tt.want != "" && !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
		})
	}
}

func TestBadValueThatDoesNotDecode(t *testing.T) {
	isolate(t)
	t.Setenv("DSR_SMTP_PORT", "twenty-five")
	_, err := config.Load("")
	if err == nil {
		t.Fatal("Load succeeded with a non-numeric port")
	}
	if !strings.Contains(err.Error(), "smtp.port") {
		t.Errorf("error %q does not name smtp.port", err)
	}
}

func TestAllProblemsReported(t *testing.T) {
	dir := isolate(t)
	writeFile(t, filepath.Join(dir, "dsr.yaml"), `
temporal:
  task_queue: ""
policies:
  - id: acme
    deadline: 15x
    verification_window: 10d
    calendar: weekends
`)
	t.Setenv("DSR_HTTP_ADDR", "nowhere")
	t.Setenv("DSR_SMTP_PORT", "0")
	t.Setenv("DSR_SMTP_TLS", "ssl")
	t.Setenv("DSR_VERIFICATION_KEY", "short")
	_, err := config.Load("")
	if err == nil {
		t.Fatal("Load succeeded")
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("error %q is not a joined error", err)
	}
	got := map[string]bool{}
	for _, e := range joined.Unwrap() {
		var fe *config.FieldError
		if !errors.As(e, &fe) {
			t.Errorf("%q is not a *config.FieldError", e)
			continue
		}
		got[fe.Key] = true
	}
	want := []string{"http.addr", "smtp.port", "smtp.tls", "verification.key", "temporal.task_queue", "policies"}
	for _, k := range want {
		if !got[k] {
			t.Errorf("%s not reported; got %v in %q", k, got, err)
		}
	}
	if len(got) != len(want) {
		t.Errorf("reported %v, want exactly %v", got, want)
	}
}

func TestCalendarWithUnquotedDates(t *testing.T) {
	dir := isolate(t)
	// An operator's own calendar, dates unquoted as people write them. YAML
	// reads them as timestamps; they must still reach the calendar as dates.
	writeFile(t, filepath.Join(dir, "dsr.yaml"), `
calendars:
  - id: acme
    description: Acme office calendar
    version: 2026-12-01
    time_zone: Asia/Shanghai
    weekend: [saturday, sunday]
    first_year: 2027
    last_year: 2027
    holidays:
      - name: Spring break
        from: 2027-02-08
        to: 2027-02-10
    working_days: [2027-02-06]
policies:
  - id: acme-5wd
    description: five working days on the Acme calendar
    deadline: 5wd
    clock_start: receipt
    extension: 5wd
    verification_window: 10d
    reminders: [1d]
    calendar: acme
`)
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Policies.Calendars[0].WorkingDays; len(got) != 1 || got[0] != "2027-02-06" {
		t.Errorf("working_days decoded as %q, want [2027-02-06]", got)
	}
	if h := c.Policies.Calendars[0].Holidays; len(h) != 1 || h[0].From != "2027-02-08" || h[0].To != "2027-02-10" {
		t.Errorf("holidays decoded as %+v", h)
	}
	if v := c.Policies.Calendars[0].Version; v != "2026-12-01" {
		t.Errorf("version decoded as %q, want 2026-12-01", v)
	}
	reg, err := c.Policies.Registry()
	if err != nil {
		t.Fatal(err)
	}
	p, ok := reg.Get("acme-5wd")
	if !ok {
		t.Fatal("policy acme-5wd not in the registry")
	}
	if p.Calendar.ID != "acme" || p.TimeZone != "Asia/Shanghai" || p.MaxExtensions != 1 {
		t.Errorf("policy resolved as calendar=%s zone=%s max_extensions=%d", p.Calendar.ID, p.TimeZone, p.MaxExtensions)
	}
	// Received Friday 5 Feb: Saturday 6 is a make-up working day (1),
	// 8-10 are holidays, then Thu 11 (2), Fri 12 (3), Mon 15 (4), Tue 16 (5).
	received := time.Date(2027, 2, 5, 10, 0, 0, 0, p.Location)
	due, err := p.Due(received)
	if err != nil {
		t.Fatal(err)
	}
	if due.Date.String() != "2027-02-16" {
		t.Errorf("due %s, want 2027-02-16", due.Date)
	}
	// The presets still load next to the operator's additions.
	if _, ok := reg.Get("gdpr"); !ok {
		t.Error("preset gdpr lost when config adds a policy")
	}
}

// TestCalendarReplacesEmbedded is how an operator adds next year's holidays
// before dsrflow ships them: a calendar with the embedded one's ID.
func TestCalendarReplacesEmbedded(t *testing.T) {
	dir := isolate(t)
	received := time.Date(2027, 3, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

	// Without the operator's calendar, 2027 is not covered: no guessing.
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := c.Policies.Registry()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := reg.Get("cn-15wd")
	if _, err := p.Due(received); !errors.Is(err, calendar.ErrNotCovered) {
		t.Fatalf("embedded cn calendar on 2027: err = %v, want ErrNotCovered", err)
	}

	// Test data, not the real 2027 notice.
	writeFile(t, filepath.Join(dir, "dsr.yaml"), `
calendars:
  - id: cn
    description: Mainland China, extended by the operator
    version: 2026-11-15
    time_zone: Asia/Shanghai
    weekend: [saturday, sunday]
    first_year: 2025
    last_year: 2027
    holidays:
      - {name: test holiday, from: 2027-03-03, to: 2027-03-05}
    working_days: [2027-03-06]
`)
	c, err = config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	reg, err = c.Policies.Registry()
	if err != nil {
		t.Fatal(err)
	}
	p, ok := reg.Get("cn-15wd")
	if !ok {
		t.Fatal("cn-15wd missing")
	}
	if p.Calendar.Version != "2026-11-15" {
		t.Errorf("cn-15wd uses calendar version %s, want the operator's 2026-11-15", p.Calendar.Version)
	}
	due, err := p.Due(received)
	if err != nil {
		t.Fatalf("cn-15wd on 2027 with the operator's calendar: %v", err)
	}
	// Mon 1 Mar received; Tue 2 (1), 3-5 holidays, Sat 6 make-up (2),
	// 8-12 (3-7), 15-19 (8-12), 22-24 (13-15).
	if due.Date.String() != "2027-03-24" {
		t.Errorf("due %s, want 2027-03-24", due.Date)
	}
	// Every policy on the cn calendar sees the replacement.
	for _, id := range []string{"cn-15d-ext45", "cn-15d-after-verification"} {
		q, _ := reg.Get(id)
		if q.Calendar != p.Calendar {
			t.Errorf("%s does not use the replaced cn calendar", id)
		}
	}
}

func TestEncryptionParse(t *testing.T) {
	k1, k2 := key(1), key(2)
	keys, err := config.Encryption{Keys: "k2:" + k2 + ", k1:" + k1}.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("got %d keys, want 2", len(keys))
	}
	if keys[0].ID != "k2" || !bytes.Equal(keys[0].Bytes, bytes.Repeat([]byte{2}, 32)) {
		t.Errorf("first (active) key = %s %x, want k2", keys[0].ID, keys[0].Bytes)
	}
	if keys[1].ID != "k1" || !bytes.Equal(keys[1].Bytes, bytes.Repeat([]byte{1}, 32)) {
		t.Errorf("second key = %s %x, want k1", keys[1].ID, keys[1].Bytes)
	}

	for _, empty := range []string{"", "  "} {
		keys, err := config.Encryption{Keys: empty}.Parse()
		if err != nil || len(keys) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want no keys, no error", empty, keys, err)
		}
	}
}

func TestEncryptionKeysFromEnv(t *testing.T) {
	isolate(t)
	t.Setenv("DSR_ENCRYPTION_KEYS", "new:"+key(9)+",old:"+key(8))
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.Encryption.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != "new" || keys[1].ID != "old" {
		t.Errorf("keys = %+v, want new then old", keys)
	}
}

func TestVerificationBytes(t *testing.T) {
	b, err := config.Verification{}.Bytes()
	if err != nil || b != nil {
		t.Errorf("no key: %x, %v; want nil, nil", b, err)
	}
	b, err = config.Verification{Key: key(7)}.Bytes()
	if err != nil || !bytes.Equal(b, bytes.Repeat([]byte{7}, 32)) {
		t.Errorf("key: %x, %v", b, err)
	}
	if _, err := (config.Verification{Key: "abc"}).Bytes(); err == nil {
		t.Error("bad key decoded")
	}
}

func TestDatabaseURL(t *testing.T) {
	dir := isolate(t)
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	// The data dir is relative (./data); the URL must not depend on where
	// the store later resolves it.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	want := "sqlite://" + filepath.Join(wd, "data", "dsr.db")
	if got := c.DatabaseURL(); got != want {
		t.Errorf("DatabaseURL() = %q, want %q", got, want)
	}
	if !filepath.IsAbs(strings.TrimPrefix(c.DatabaseURL(), "sqlite://")) {
		t.Errorf("DatabaseURL() %q is not absolute", c.DatabaseURL())
	}

	c.DataDir = filepath.Join(dir, "elsewhere")
	if got, want := c.DatabaseURL(), "sqlite://"+filepath.Join(dir, "elsewhere", "dsr.db"); got != want {
		t.Errorf("DatabaseURL() = %q, want %q", got, want)
	}

	t.Setenv("DSR_DATABASE_URL", "postgres://dsr:secret@db:5432/dsr?sslmode=disable")
	c, err = config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.DatabaseURL(); got != "postgres://dsr:secret@db:5432/dsr?sslmode=disable" {
		t.Errorf("DatabaseURL() = %q, want the configured URL", got)
	}
}

// Every key is documented in the README's configuration table.
func TestEveryKeyDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range config.Keys() {
		if !strings.Contains(string(readme), "| `"+key+"` |") {
			t.Errorf("README.md has no row for %s", key)
		}
	}
}
