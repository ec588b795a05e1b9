package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/store"
	"github.com/dsrflow/dsrflow/store/storetest"
)

// dsr runs the built binary in an empty directory with only the given
// environment (plus a clean HOME), and returns its exit code and output.
func dsr(t testing.TB, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "DSR_DATA_DIR=" + t.TempDir()}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func TestCommandErrorsNameTheCause(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"unknown command", nil, []string{"serf"}, []string{`unknown command "serf"`, "Usage: dsr"}},
		{"bad env value", []string{"DSR_SMTP_PORT=0"}, []string{"serve"}, []string{"smtp.port", "DSR_SMTP_PORT"}},
		{"bad key", []string{"DSR_ENCRYPTION_KEYS=k1:short"}, []string{"serve"}, []string{"encryption.keys", "DSR_ENCRYPTION_KEYS"}},
		{"missing config file", nil, []string{"serve", "--config", "nowhere.yaml"}, []string{"nowhere.yaml"}},
		{"serve without encryption key", nil, []string{"serve"}, []string{"encryption.keys", "seal personal data"}},
		{"worker without smtp", nil, []string{"worker"}, []string{"smtp.host"}},
		{"unknown policy", nil, []string{"deadline", "--policy", "gdpr2", "--from", "2026-03-01T10:00:00Z"}, []string{`unknown policy "gdpr2"`}},
		{"deadline without from", nil, []string{"deadline", "--policy", "gdpr"}, []string{"--from: required"}},
		{"bad from", nil, []string{"deadline", "--policy", "gdpr", "--from", "yesterday"}, []string{"--from"}},
		{"apikey for a tenant with spaces", nil, []string{"apikey", "create", "--role", "dpo", "--tenant", " shop "}, []string{"--tenant", "not a tenant name"}},
		{"apikey for an overlong tenant", nil, []string{"apikey", "create", "--role", "dpo", "--tenant", strings.Repeat("a", 64)}, []string{"--tenant", "at most 63"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := dsr(t, tt.env, tt.args...)
			if code == 0 {
				t.Fatalf("exit 0, want failure; stderr: %s", stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestDevWithoutTemporalNamesMakeTools(t *testing.T) {
	// Only system directories on PATH, and a GOPATH and HOME without the
	// temporal binary.
	gopath := t.TempDir()
	code, _, stderr := dsr(t, []string{"PATH=/usr/bin:/bin", "GOPATH=" + gopath, "GOBIN="}, "dev")
	if code == 0 || !strings.Contains(stderr, "make tools") {
		t.Fatalf("exit %d, stderr %q; want failure naming make tools", code, stderr)
	}
}

func TestVersionAndHelp(t *testing.T) {
	if code, out, _ := dsr(t, nil, "version"); code != 0 || !strings.HasPrefix(out, "dsr ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	if code, out, _ := dsr(t, nil); code != 0 || !strings.Contains(out, "migrate") {
		t.Errorf("no arguments: exit %d, %q", code, out)
	}
}

func TestMigrateTwice(t *testing.T) {
	env := []string{"DSR_DATABASE_URL=" + storetest.PostgresURL(t)}
	for i := range 2 {
		code, out, stderr := dsr(t, env, "migrate")
		if code != 0 || out != "schema up to date (postgres)\n" {
			t.Fatalf("migrate run %d: exit %d, out %q, stderr %s", i+1, code, out, stderr)
		}
	}
}

func TestMigrateSQLiteInDataDir(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := dsr(t, []string{"DSR_DATA_DIR=" + dir}, "migrate")
	if code != 0 || out != "schema up to date (sqlite)\n" {
		t.Fatalf("exit %d, out %q, stderr %s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "dsr.db")); err != nil {
		t.Fatalf("no database in the data dir: %v", err)
	}
}

// The deadline command reproduces a worked example of 15 working days on
// the mainland China calendar across National Day 2026 and its make-up
// working days (Sun 09-20 and Sat 10-10 count; 10-01..10-07 do not).
func TestDeadlineCommand(t *testing.T) {
	code, out, stderr := dsr(t, nil, "deadline", "--policy", "cn-15wd", "--from", "2026-09-18T10:00:00+08:00")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"policy         cn-15wd: ",
		"due            2026-10-15 Thursday (ends 2026-10-15T23:59:59+08:00)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// dsr audit verify finds an edited event and a deleted one, and exits 1.
func TestAuditVerify(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	st, err := store.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"case-a", "case-b"} {
		for i := range 3 {
			if _, err := st.AppendEvent(t.Context(), &store.Event{CaseID: c, Key: fmt.Sprint("k", i), Kind: "case.noted",
				Actor: "staff", Detail: `{"note":"x"}`}); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := []string{"DSR_DATABASE_URL=" + dbURL}
	if code, out, stderr := dsr(t, env, "audit", "verify"); code != 0 || out != "every audit trail intact\n" {
		t.Fatalf("intact: exit %d, %q, %s", code, out, stderr)
	}
	if err := st.DB().Exec(`UPDATE audit_events SET detail = '{"note":"y"}' WHERE case_id = 'case-a' AND seq = 2`).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.DB().Exec(`DELETE FROM audit_events WHERE case_id = 'case-b' AND seq = 1`).Error; err != nil {
		t.Fatal(err)
	}
	code, out, stderr := dsr(t, env, "audit", "verify")
	if code != 1 || !strings.Contains(out, "case case-a broken at seq 2: detail does not match its hash") ||
		!strings.Contains(out, "case case-b broken at seq 1: event missing") || !strings.Contains(stderr, "2 audit trails broken") {
		t.Errorf("tampered: exit %d, %q, %s", code, out, stderr)
	}
	code, out, _ = dsr(t, env, "audit", "verify", "--case", "case-a")
	if code != 1 || !strings.Contains(out, "seq 2") {
		t.Errorf("--case case-a: exit %d, %q", code, out)
	}
	if code, _, stderr := dsr(t, env, "audit", "check"); code == 0 || !strings.Contains(stderr, "dsr audit verify") {
		t.Errorf("bad subcommand: exit %d, %s", code, stderr)
	}
}
