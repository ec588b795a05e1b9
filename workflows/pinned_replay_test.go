package workflows_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/dsrflow/dsrflow/policy"
	"github.com/dsrflow/dsrflow/workflows"
)

// A case of the case core decides from the policy it pinned, never from the
// configuration: every history recorded on the case core replays with every
// policy changed, and with every policy removed.
func TestReplayIgnoresPolicyChanges(t *testing.T) {
	changed := changedPresets(t)
	removed := new(policy.Registry)
	var core int
	for _, f := range recordedHistories(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Histories from before the case core are kept as v0-, v1-, v2-…
		// and read the live registry, as they always did.
		if !requestHistory.Match(b) || versioned.MatchString(filepath.Base(f)) {
			continue
		}
		core++
		for name, reg := range map[string]*policy.Registry{"changed": changed, "removed": removed} {
			t.Run(filepath.Base(f)+"/"+name, func(t *testing.T) {
				r := replayer(t, (&workflows.Workflows{Policies: reg}).Request)
				if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
	if core == 0 {
		t.Fatal("no history of the case core is recorded; record them: go test ./workflows -run 'TestRecord' -args -record")
	}
}

var (
	requestHistory = regexp.MustCompile(`"workflowType":\s*\{\s*"name":\s*"Request"`)
	versioned      = regexp.MustCompile(`^v[0-9]+-`)
)

// changedPresets is every preset with another deadline, extension, clock
// rule, cooling-off and calendar.
func changedPresets(t *testing.T) *policy.Registry {
	t.Helper()
	var specs []policy.Spec
	for _, s := range policy.Presets() {
		s.Deadline, s.Extension, s.MaxExtensions = "3d", "1d", 5
		s.StopTheClock = !s.StopTheClock
		s.CoolingOff, s.VerificationWindow = "1d", "1d"
		s.Reminders = []string{"1d"}
		s.Calendar, s.TimeZone = "weekends", "America/New_York"
		specs = append(specs, s)
	}
	reg, err := policy.NewRegistry(nil, specs)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
