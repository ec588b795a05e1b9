package config_test

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/dsrflow/dsrflow/config"
)

// The compose stack of the repository root: docker-compose.yml must load with
// the Compose spec loader, wire the services together and hand the dsr
// binary a configuration that config.Load accepts.

var (
	dsrServices = map[string]string{ // service -> dsr subcommand
		"dsr-migrate": "migrate",
		"dsr-serve":   "serve",
		"dsr-worker":  "worker",
	}
	expectedServices = []string{
		"postgres", "temporal-schema", "temporal", "temporal-setup",
		"temporal-ui", "mailpit", "dsr-migrate", "dsr-serve", "dsr-worker",
	}
	dsrVarPattern = regexp.MustCompile(`\bDSR_[A-Z0-9_]+`)
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// loadCompose loads docker-compose.yml as `docker compose config` would,
// with env as the only variables available for interpolation (the process
// environment and any .env file are left out so the result does not depend
// on the machine).
func loadCompose(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	root := repoRoot(t)
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(list),
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
		cli.WithNormalization(true),
	)
	if err != nil {
		t.Fatalf("compose options: %v", err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	return project
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("service %q is missing", name)
	}
	return s
}

// env flattens a service's environment; a variable without a value is an
// error since nothing in this stack should depend on the caller's shell.
func env(t *testing.T, s types.ServiceConfig) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range s.Environment {
		if v == nil {
			t.Errorf("%s: environment %s has no value", s.Name, k)
			continue
		}
		out[k] = *v
	}
	return out
}

// knownEnvVars derives the DSR_* variable of every scalar configuration key
// from the mapstructure tags of config.Default(), the way config.Load maps
// keys to variables (DSR_ + key upper-cased, dots as underscores). Lists
// (calendars, policies) cannot come from the environment and are left out.
func knownEnvVars(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	var walk func(v reflect.Value, prefix []string)
	walk = func(v reflect.Value, prefix []string) {
		typ := v.Type()
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("mapstructure")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" {
				continue
			}
			squash := slices.Contains(strings.Split(opts, ","), "squash")
			if name == "" && !squash {
				name = strings.ToLower(f.Name)
			}
			path := prefix
			if !squash {
				path = append(slices.Clone(prefix), name)
			}
			fv := v.Field(i)
			switch fv.Kind() {
			case reflect.Struct:
				walk(fv, path)
			case reflect.String, reflect.Bool,
				reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
				reflect.Float32, reflect.Float64:
				known["DSR_"+strings.ToUpper(strings.Join(path, "_"))] = true
			}
		}
	}
	walk(reflect.ValueOf(config.Default()).Elem(), nil)
	// Guard against a walk that finds nothing and so accepts nothing useful.
	for _, want := range []string{"DSR_HTTP_ADDR", "DSR_DATABASE_URL", "DSR_SMTP_PORT", "DSR_ENCRYPTION_KEYS", "DSR_DATA_DIR"} {
		if !known[want] {
			t.Fatalf("config key walk did not find %s (found %v)", want, sortedKeys(known))
		}
	}
	return known
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestComposeServices(t *testing.T) {
	p := loadCompose(t, nil)
	for _, name := range expectedServices {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %q is missing (have %v)", name, sortedKeys(p.Services))
		}
	}
	for name, s := range p.Services {
		checkPinnedImage(t, name, s.Image)
	}
}

// checkPinnedImage wants an explicit tag other than latest (or a digest).
func checkPinnedImage(t *testing.T, service, image string) {
	t.Helper()
	if image == "" {
		t.Errorf("%s: no image", service)
		return
	}
	if strings.Contains(image, "@sha256:") {
		return
	}
	repo := image
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		repo = repo[i+1:]
	}
	_, tag, ok := strings.Cut(repo, ":")
	switch {
	case !ok || tag == "":
		t.Errorf("%s: image %q has no tag (it would be latest)", service, image)
	case tag == "latest":
		t.Errorf("%s: image %q uses the latest tag", service, image)
	}
}

func TestComposeDsrServices(t *testing.T) {
	root := repoRoot(t)
	p := loadCompose(t, nil)
	var image string
	var firstEnv map[string]string
	for _, name := range sortedKeys(dsrServices) {
		s := service(t, p, name)
		sub := dsrServices[name]

		// One image, built from the Dockerfile at the root.
		if image == "" {
			image = s.Image
		} else if s.Image != image {
			t.Errorf("%s: image %q, other dsr services use %q", name, s.Image, image)
		}
		repo, _, _ := strings.Cut(s.Image[strings.LastIndex(s.Image, "/")+1:], ":")
		if repo != "dsr" {
			t.Errorf("%s: image %q is not the dsr image", name, s.Image)
		}
		if s.Build == nil {
			t.Errorf("%s: no build section", name)
		} else {
			if s.Build.Context != root {
				t.Errorf("%s: build context %q, want the repository root %q", name, s.Build.Context, root)
			}
			df := s.Build.Dockerfile
			if df == "" {
				df = "Dockerfile"
			}
			if !filepath.IsAbs(df) {
				df = filepath.Join(s.Build.Context, df)
			}
			if df != filepath.Join(root, "Dockerfile") {
				t.Errorf("%s: dockerfile %q, want the root Dockerfile", name, s.Build.Dockerfile)
			}
		}
		if len(s.Entrypoint) != 0 {
			t.Errorf("%s: entrypoint %q overrides the image's dsr entrypoint", name, s.Entrypoint)
		}
		if !slices.Equal([]string(s.Command), []string{sub}) {
			t.Errorf("%s: command %q, want [%s]", name, s.Command, sub)
		}

		e := env(t, s)
		if firstEnv == nil {
			firstEnv = e
		} else if !reflect.DeepEqual(e, firstEnv) {
			t.Errorf("%s: environment differs from the other dsr services:\n%v\n%v", name, e, firstEnv)
		}
		u, err := url.Parse(e["DSR_DATABASE_URL"])
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Hostname() != "postgres" {
			t.Errorf("%s: DSR_DATABASE_URL %q is not a postgres URL on host postgres", name, e["DSR_DATABASE_URL"])
		}
		if got := e["DSR_TEMPORAL_ADDRESS"]; got != "temporal:7233" {
			t.Errorf("%s: DSR_TEMPORAL_ADDRESS = %q, want temporal:7233", name, got)
		}
		if got := e["DSR_SMTP_HOST"]; got != "mailpit" {
			t.Errorf("%s: DSR_SMTP_HOST = %q, want mailpit", name, got)
		}
		if got := e["DSR_SMTP_PORT"]; got != "1025" {
			t.Errorf("%s: DSR_SMTP_PORT = %q, want mailpit's 1025", name, got)
		}
		host, port, err := net.SplitHostPort(e["DSR_HTTP_ADDR"])
		if err != nil || host != "0.0.0.0" || port != "8080" {
			t.Errorf("%s: DSR_HTTP_ADDR = %q, want 0.0.0.0:8080 inside a container", name, e["DSR_HTTP_ADDR"])
		}
	}

	serve := service(t, p, "dsr-serve")
	published := false
	for _, port := range serve.Ports {
		if port.Target == 8080 && port.Published == "8080" {
			published = true
		}
	}
	if !published {
		t.Errorf("dsr-serve does not publish 8080:8080 (ports %+v)", serve.Ports)
	}
	if serve.HealthCheck == nil || !strings.Contains(strings.Join(serve.HealthCheck.Test, " "), "8080/readyz") {
		t.Errorf("dsr-serve: healthcheck does not call /readyz: %+v", serve.HealthCheck)
	}

	// The Dockerfile builds what the services run.
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FROM golang:1.26", "CGO_ENABLED=0", "./cmd/dsr", `ENTRYPOINT ["/usr/local/bin/dsr"]`, "EXPOSE 8080", "/var/lib/dsr"} {
		if !strings.Contains(string(df), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// TestComposeDsrConfigLoads feeds each dsr service's environment to the real
// configuration loader.
func TestComposeDsrConfigLoads(t *testing.T) {
	p := loadCompose(t, nil)
	known := knownEnvVars(t)
	for _, name := range sortedKeys(dsrServices) {
		e := env(t, service(t, p, name))
		t.Run(name, func(t *testing.T) {
			for _, k := range sortedKeys(e) {
				if strings.HasPrefix(k, "DSR_") && !known[k] {
					t.Errorf("%s sets %s, which is no configuration key (known: %v)", name, k, sortedKeys(known))
				}
			}
			// No dsr.yaml from the working directory, no DSR_* from the
			// shell running the test: only what compose hands the service.
			t.Chdir(t.TempDir())
			for _, kv := range os.Environ() {
				if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "DSR_") {
					t.Setenv(k, "")
				}
			}
			for k, v := range e {
				if strings.HasPrefix(k, "DSR_") {
					t.Setenv(k, v)
				}
			}
			cfg, err := config.Load("")
			if err != nil {
				t.Fatalf("config.Load with the compose environment of %s: %v", name, err)
			}
			if cfg.HTTP.Addr != e["DSR_HTTP_ADDR"] || cfg.Temporal.Address != "temporal:7233" ||
				cfg.Database.URL != e["DSR_DATABASE_URL"] || cfg.SMTP.Host != "mailpit" ||
				cfg.SMTP.Port != 1025 || cfg.DataDir != e["DSR_DATA_DIR"] ||
				cfg.Temporal.Namespace != e["DSR_TEMPORAL_NAMESPACE"] || cfg.Temporal.TaskQueue != e["DSR_TEMPORAL_TASK_QUEUE"] {
				t.Errorf("config does not reflect the compose environment: %+v", cfg)
			}
			keys, err := cfg.Encryption.Parse()
			if err != nil || len(keys) == 0 {
				t.Errorf("encryption keys: %v, %d keys", err, len(keys))
			}
			if vk, err := cfg.Verification.Bytes(); err != nil || vk == nil {
				t.Errorf("verification key: %v", err)
			}
		})
	}
}

// TestComposeDsrVarsAreConfigKeys scans the files themselves, so that a
// misspelt DSR_* name used only for interpolation is caught too.
func TestComposeDsrVarsAreConfigKeys(t *testing.T) {
	known := knownEnvVars(t)
	root := repoRoot(t)
	for _, file := range []string{"docker-compose.yml", "Dockerfile"} {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range dsrVarPattern.FindAllString(string(b), -1) {
			if !known[name] {
				t.Errorf("%s mentions %s, which is no configuration key", file, name)
			}
		}
	}
}

// TestComposeSecretsOverride checks that the dev-only placeholders are
// defaults, replaced by the environment compose runs in.
func TestComposeSecretsOverride(t *testing.T) {
	dev := loadCompose(t, nil)
	devEnv := env(t, service(t, dev, "dsr-serve"))
	if !strings.HasPrefix(devEnv["DSR_ENCRYPTION_KEYS"], "dev:") {
		t.Errorf("default DSR_ENCRYPTION_KEYS %q is not marked as a dev key", devEnv["DSR_ENCRYPTION_KEYS"])
	}

	prodKey := "prod:" + strings.Repeat("A", 43) + "="
	p := loadCompose(t, map[string]string{
		"DSR_ENCRYPTION_KEYS":  prodKey,
		"DSR_VERIFICATION_KEY": strings.Repeat("B", 43) + "=",
		"DSRFLOW_DB_PASSWORD":  "s3cret",
		"TEMPORAL_DB_PASSWORD": "t3mporal",
		"POSTGRES_PASSWORD":    "r00t",
	})
	for name := range dsrServices {
		e := env(t, service(t, p, name))
		if e["DSR_ENCRYPTION_KEYS"] != prodKey {
			t.Errorf("%s: DSR_ENCRYPTION_KEYS = %q, not taken from the environment", name, e["DSR_ENCRYPTION_KEYS"])
		}
		u, err := url.Parse(e["DSR_DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		if pw, _ := u.User.Password(); pw != "s3cret" {
			t.Errorf("%s: database password %q, not taken from DSRFLOW_DB_PASSWORD", name, pw)
		}
	}
	pg := env(t, service(t, p, "postgres"))
	if pg["POSTGRES_PASSWORD"] != "r00t" || pg["DSRFLOW_DB_PASSWORD"] != "s3cret" || pg["TEMPORAL_DB_PASSWORD"] != "t3mporal" {
		t.Errorf("postgres does not take its passwords from the environment: %v", pg)
	}
	if got := env(t, service(t, p, "temporal"))["POSTGRES_PWD"]; got != "t3mporal" {
		t.Errorf("temporal POSTGRES_PWD = %q", got)
	}
	if got := env(t, service(t, p, "temporal-schema"))["SQL_PASSWORD"]; got != "t3mporal" {
		t.Errorf("temporal-schema SQL_PASSWORD = %q", got)
	}
}

// TestComposeCredentialsAgree: the passwords the postgres init script sets
// are the ones Temporal and dsr log in with, with defaults as well.
func TestComposeCredentialsAgree(t *testing.T) {
	p := loadCompose(t, nil)
	pg := env(t, service(t, p, "postgres"))
	temporal := env(t, service(t, p, "temporal"))
	schema := env(t, service(t, p, "temporal-schema"))
	if temporal["POSTGRES_USER"] != "temporal" || schema["POSTGRES_USER"] != "temporal" {
		t.Errorf("temporal logs in as %q / %q, the init script creates role temporal", temporal["POSTGRES_USER"], schema["POSTGRES_USER"])
	}
	if temporal["POSTGRES_PWD"] != pg["TEMPORAL_DB_PASSWORD"] || schema["SQL_PASSWORD"] != pg["TEMPORAL_DB_PASSWORD"] {
		t.Errorf("temporal passwords disagree with postgres' TEMPORAL_DB_PASSWORD")
	}
	for _, k := range []string{"POSTGRES_SEEDS", "DB_PORT", "DBNAME", "VISIBILITY_DBNAME"} {
		if temporal[k] != schema[k] {
			t.Errorf("%s: temporal has %q, temporal-schema %q", k, temporal[k], schema[k])
		}
	}
	if temporal["POSTGRES_SEEDS"] != "postgres" || temporal["DB"] != "postgres12" {
		t.Errorf("temporal persistence: DB=%q POSTGRES_SEEDS=%q", temporal["DB"], temporal["POSTGRES_SEEDS"])
	}
	u, err := url.Parse(env(t, service(t, p, "dsr-serve"))["DSR_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	if u.User.Username() != "dsr" || pw != pg["DSRFLOW_DB_PASSWORD"] || strings.TrimPrefix(u.Path, "/") != "dsr" {
		t.Errorf("DSR_DATABASE_URL logs in as %s to %s, the init script creates role dsr / database dsr with DSRFLOW_DB_PASSWORD", u.User.Username(), u.Path)
	}
	initScript := mountedFile(t, service(t, p, "postgres"), "/docker-entrypoint-initdb.d/")
	for _, want := range []string{"CREATE ROLE temporal LOGIN CREATEDB", "CREATE ROLE dsr LOGIN", "CREATE DATABASE dsr OWNER dsr"} {
		if !strings.Contains(initScript, want) {
			t.Errorf("postgres init script lacks %q", want)
		}
	}
}

// mountedFile reads the bind-mounted file whose target starts with prefix.
func mountedFile(t *testing.T, s types.ServiceConfig, prefix string) string {
	t.Helper()
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind && strings.HasPrefix(v.Target, prefix) {
			b, err := os.ReadFile(v.Source)
			if err != nil {
				t.Fatalf("%s: mount %s: %v", s.Name, v.Target, err)
			}
			if !v.ReadOnly {
				t.Errorf("%s: mount %s is not read-only", s.Name, v.Target)
			}
			return string(b)
		}
	}
	t.Fatalf("%s: nothing mounted under %s", s.Name, prefix)
	return ""
}

func TestComposeDependencies(t *testing.T) {
	p := loadCompose(t, nil)
	want := map[string]map[string]string{
		"temporal-schema": {"postgres": types.ServiceConditionHealthy},
		"temporal": {
			"postgres":        types.ServiceConditionHealthy,
			"temporal-schema": types.ServiceConditionCompletedSuccessfully,
		},
		"temporal-setup": {"temporal": types.ServiceConditionHealthy},
		"temporal-ui":    {"temporal": types.ServiceConditionHealthy},
		"dsr-migrate":    {"postgres": types.ServiceConditionHealthy},
		"dsr-serve": {
			"dsr-migrate":    types.ServiceConditionCompletedSuccessfully,
			"temporal":       types.ServiceConditionHealthy,
			"temporal-setup": types.ServiceConditionCompletedSuccessfully,
		},
		"dsr-worker": {
			"dsr-migrate":    types.ServiceConditionCompletedSuccessfully,
			"temporal":       types.ServiceConditionHealthy,
			"temporal-setup": types.ServiceConditionCompletedSuccessfully,
		},
	}
	for name, deps := range want {
		s := service(t, p, name)
		for dep, cond := range deps {
			got, ok := s.DependsOn[dep]
			if !ok {
				t.Errorf("%s does not depend on %s", name, dep)
				continue
			}
			if got.Condition != cond {
				t.Errorf("%s waits for %s to be %q, want %q", name, dep, got.Condition, cond)
			}
		}
	}
	// A service_healthy condition needs a healthcheck to become true.
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			if d.Condition != types.ServiceConditionHealthy {
				continue
			}
			hc := p.Services[dep].HealthCheck
			if hc == nil || hc.Disable || len(hc.Test) == 0 {
				t.Errorf("%s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
			}
		}
	}
	// One-shots must not be restarted after they finish.
	for _, name := range []string{"temporal-schema", "temporal-setup", "dsr-migrate"} {
		if r := service(t, p, name).Restart; r != "" && r != types.RestartPolicyNo {
			t.Errorf("one-shot %s has restart %q", name, r)
		}
	}
}

func TestComposeInfrastructure(t *testing.T) {
	p := loadCompose(t, nil)

	pg := service(t, p, "postgres")
	if !strings.HasPrefix(pg.Image, "postgres:16") {
		t.Errorf("postgres image %q, want postgres:16", pg.Image)
	}
	if pg.HealthCheck == nil || !strings.Contains(strings.Join(pg.HealthCheck.Test, " "), "pg_isready") {
		t.Errorf("postgres healthcheck does not use pg_isready: %+v", pg.HealthCheck)
	}
	hasVolume := false
	for _, v := range pg.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/postgresql/data" {
			hasVolume = true
			if _, ok := p.Volumes[v.Source]; !ok {
				t.Errorf("postgres volume %q is not declared", v.Source)
			}
		}
	}
	if !hasVolume {
		t.Errorf("postgres data is not on a named volume")
	}

	// Schema: temporal-sql-tool, postgres12 plugin, both databases.
	schema := service(t, p, "temporal-schema")
	if !strings.HasPrefix(schema.Image, "temporalio/admin-tools:") {
		t.Errorf("temporal-schema image %q is not admin-tools", schema.Image)
	}
	script := mountedFile(t, schema, "/deploy/")
	for _, want := range []string{"temporal-sql-tool", "--plugin postgres12", "setup-schema", "update-schema",
		"/etc/temporal/schema/postgresql/v12", "temporal/versioned", "visibility/versioned"} {
		if !strings.Contains(script, want) {
			t.Errorf("schema script lacks %q", want)
		}
	}
	se := env(t, schema)
	if se["DBNAME"] != "temporal" || se["VISIBILITY_DBNAME"] != "temporal_visibility" {
		t.Errorf("temporal-schema databases: %q, %q", se["DBNAME"], se["VISIBILITY_DBNAME"])
	}
	if !slices.Contains([]string(schema.Entrypoint), "/deploy/schema.sh") {
		t.Errorf("temporal-schema does not run the schema script: %q", schema.Entrypoint)
	}

	// Server: postgres12, dynamic config from deploy/, healthcheck.
	server := service(t, p, "temporal")
	if !strings.HasPrefix(server.Image, "temporalio/server:") {
		t.Errorf("temporal image %q", server.Image)
	}
	te := env(t, server)
	dc := te["DYNAMIC_CONFIG_FILE_PATH"]
	if dc == "" || !filepath.IsAbs(dc) {
		t.Errorf("DYNAMIC_CONFIG_FILE_PATH %q is not an absolute path", dc)
	} else {
		_ = mountedFile(t, server, dc)
	}
	if server.HealthCheck == nil || !strings.Contains(strings.Join(server.HealthCheck.Test, " "), "7233") {
		t.Errorf("temporal healthcheck does not probe 7233: %+v", server.HealthCheck)
	}
	// Server and admin-tools from the same release.
	sv := server.Image[strings.Index(server.Image, ":")+1:]
	for _, name := range []string{"temporal-schema", "temporal-setup"} {
		img := service(t, p, name).Image
		if v := img[strings.Index(img, ":")+1:]; !strings.HasPrefix(v, sv) {
			t.Errorf("%s runs %s, the server is %s", name, img, server.Image)
		}
	}

	// Setup: namespace and the three search attributes.
	setup := service(t, p, "temporal-setup")
	sEnv := env(t, setup)
	if sEnv["TEMPORAL_ADDRESS"] != "temporal:7233" {
		t.Errorf("temporal-setup TEMPORAL_ADDRESS = %q", sEnv["TEMPORAL_ADDRESS"])
	}
	dsrNS := env(t, service(t, p, "dsr-serve"))["DSR_TEMPORAL_NAMESPACE"]
	if sEnv["TEMPORAL_NAMESPACE"] != dsrNS || dsrNS != "default" {
		t.Errorf("temporal-setup creates namespace %q, dsr uses %q (want default)", sEnv["TEMPORAL_NAMESPACE"], dsrNS)
	}
	setupScript := mountedFile(t, setup, "/deploy/")
	for _, want := range []string{
		"temporal operator namespace create",
		"temporal operator search-attribute create",
		"search_attribute DsrStatus Keyword",
		"search_attribute DsrType Keyword",
		"search_attribute DsrDueAt Datetime",
	} {
		if !strings.Contains(setupScript, want) {
			t.Errorf("setup script lacks %q", want)
		}
	}

	ui := service(t, p, "temporal-ui")
	if got := env(t, ui)["TEMPORAL_ADDRESS"]; got != "temporal:7233" {
		t.Errorf("temporal-ui TEMPORAL_ADDRESS = %q, want temporal:7233", got)
	}
	if !publishes(ui, 8080, "8233") {
		t.Errorf("temporal-ui does not publish 8233:8080 (ports %+v)", ui.Ports)
	}

	mail := service(t, p, "mailpit")
	if !strings.HasPrefix(mail.Image, "axllent/mailpit:") {
		t.Errorf("mailpit image %q", mail.Image)
	}
	if !publishes(mail, 1025, "") && !slices.Contains(mail.Expose, "1025") {
		t.Errorf("mailpit does not expose SMTP 1025 (ports %+v, expose %v)", mail.Ports, mail.Expose)
	}
	if !publishes(mail, 8025, "8025") {
		t.Errorf("mailpit does not publish its web UI on 8025 (ports %+v)", mail.Ports)
	}
}

// publishes reports whether s maps container port target, to host port
// published when that is not empty.
func publishes(s types.ServiceConfig, target uint32, published string) bool {
	for _, p := range s.Ports {
		if p.Target == target && (published == "" || p.Published == published) {
			return true
		}
	}
	return false
}
