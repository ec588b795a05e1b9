// Package devserver runs the Temporal CLI's dev server as a child process for
// `dsr dev` and for end-to-end tests.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/dsrflow/dsrflow/workflows"
)

// ErrNoTemporal means the temporal binary is not installed.
var ErrNoTemporal = errors.New("the temporal CLI is not installed: run `make tools` (go install github.com/temporalio/cli/cmd/temporal@v1.5.1)")

// Find looks for the temporal binary on PATH, then in $(go env GOPATH)/bin.
func Find() (string, error) {
	if p, err := exec.LookPath("temporal"); err == nil {
		return p, nil
	}
	for _, dir := range gopathBins() {
		p := filepath.Join(dir, "temporal")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", ErrNoTemporal
}

func gopathBins() []string {
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, p := range filepath.SplitList(string(trimNewline(out))) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	return dirs
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// Options say where the server listens and keeps its data.
type Options struct {
	Address   string // host:port of the frontend
	UIPort    int    // 0: no UI
	Namespace string
	// DBFile keeps history across restarts; empty means in memory.
	DBFile string
	Log    io.Writer
	// UICodecEndpoint is the codec the UI decodes payloads with.
	UICodecEndpoint string
	// DynamicConfig sets server limits by key, for tests that need one
	// reached quickly (limit.historyCount.suggestContinueAsNew).
	DynamicConfig map[string]string
}

// Server is a running dev server.
type Server struct {
	*testsuite.DevServer
}

// Start runs the dev server with dsrflow's search attributes registered and
// waits until it answers.
func Start(ctx context.Context, o Options) (*Server, error) {
	path, err := Find()
	if err != nil {
		return nil, err
	}
	opts := testsuite.DevServerOptions{
		ExistingPath:  path,
		ClientOptions: &client.Options{HostPort: o.Address, Namespace: o.Namespace},
		DBFilename:    o.DBFile,
		LogLevel:      "warn",
		SearchAttributes: temporal.NewSearchAttributes(
			workflows.StatusKey.ValueSet(""),
			workflows.TypeKey.ValueSet(""),
			workflows.DueKey.ValueSet(zeroTime),
		),
		Stdout: o.Log,
		Stderr: o.Log,
	}
	if o.UIPort > 0 {
		opts.EnableUI = true
		opts.UIPort = strconv.Itoa(o.UIPort)
		if o.UICodecEndpoint != "" {
			opts.ExtraArgs = append(opts.ExtraArgs, "--ui-codec-endpoint", o.UICodecEndpoint)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(o.DynamicConfig)) {
		opts.ExtraArgs = append(opts.ExtraArgs, "--dynamic-config-value", k+"="+o.DynamicConfig[k])
	}
	s, err := testsuite.StartDevServer(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start temporal dev server (%s): %w", path, err)
	}
	return &Server{s}, nil
}

// zeroTime only gives the dev server the type of the due-date attribute.
var zeroTime time.Time
