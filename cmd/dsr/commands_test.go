package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsrflow/dsrflow/store/storetest"
)

// dsr runs the built binary in an empty directory with only the given
// environment (plus a clean HOME), and returns its exit code and output.
func dsr(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
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
