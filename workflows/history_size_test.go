package workflows_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// historyBudgets caps what each recorded history may hold. A history that
// grows beyond its budget fails TestHistorySizes: every event is replayed
// and stored for the life of a case, so a change of the workflow that
// makes a path longer is a cost to decide on, not to discover. The first
// budgets are the counts the histories had when the table was written
// (docs/benchmarks.md, "before"); give a newly recorded history its own
// line, as tight as its path allows.
var historyBudgets = map[string]historyBudget{
	"books-complete.json":                                  {Events: 39, Tasks: 5, Activities: 0, LocalActivities: 8},
	"children-deny-during-round-round1.json":               {Events: 14, Tasks: 3, Activities: 0, LocalActivities: 0},
	"children-deny-during-round.json":                      {Events: 43, Tasks: 6, Activities: 0, LocalActivities: 7},
	"children-fulfil-access-round1.json":                   {Events: 46, Tasks: 8, Activities: 4, LocalActivities: 0},
	"children-fulfil-access.json":                          {Events: 47, Tasks: 7, Activities: 0, LocalActivities: 9},
	"children-fulfil-cancellation-cooling-off-round1.json": {Events: 62, Tasks: 11, Activities: 4, LocalActivities: 0},
	"children-fulfil-cancellation-cooling-off.json":        {Events: 76, Tasks: 12, Activities: 0, LocalActivities: 14},
	"children-fulfil-cancellation-round1.json":             {Events: 86, Tasks: 15, Activities: 6, LocalActivities: 0},
	"children-fulfil-cancellation.json":                    {Events: 90, Tasks: 15, Activities: 0, LocalActivities: 13},
	"children-fulfil-correction-round1.json":               {Events: 50, Tasks: 9, Activities: 2, LocalActivities: 0},
	"children-fulfil-correction.json":                      {Events: 85, Tasks: 13, Activities: 0, LocalActivities: 14},
	"children-fulfil-erasure-round1.json":                  {Events: 44, Tasks: 7, Activities: 2, LocalActivities: 0},
	"children-fulfil-erasure.json":                         {Events: 65, Tasks: 10, Activities: 0, LocalActivities: 11},
	"children-fulfil-portability-round1.json":              {Events: 56, Tasks: 9, Activities: 5, LocalActivities: 0},
	"children-fulfil-portability.json":                     {Events: 57, Tasks: 9, Activities: 0, LocalActivities: 11},
	"children-retry-fulfilment-round1.json":                {Events: 32, Tasks: 4, Activities: 4, LocalActivities: 0},
	"children-retry-fulfilment-round2.json":                {Events: 35, Tasks: 5, Activities: 4, LocalActivities: 0},
	"children-retry-fulfilment.json":                       {Events: 80, Tasks: 13, Activities: 0, LocalActivities: 15},
	"code-extend-complete.json":                            {Events: 47, Tasks: 4, Activities: 0, LocalActivities: 13},
	"continue-as-new-run1.json":                            {Events: 67, Tasks: 10, Activities: 0, LocalActivities: 11},
	"continue-as-new-run2.json":                            {Events: 22, Tasks: 3, Activities: 0, LocalActivities: 3},
	"deny-in-progress.json":                                {Events: 20, Tasks: 2, Activities: 0, LocalActivities: 4},
	"deny.json":                                            {Events: 22, Tasks: 2, Activities: 0, LocalActivities: 6},
	"email-classify-complete.json":                         {Events: 47, Tasks: 4, Activities: 0, LocalActivities: 13},
	"erasure-waiting.json":                                 {Events: 5, Tasks: 1, Activities: 0, LocalActivities: 0},
	"fulfil-access.json":                                   {Events: 41, Tasks: 4, Activities: 4, LocalActivities: 9},
	"fulfil-cancellation-cooling-off.json":                 {Events: 58, Tasks: 6, Activities: 4, LocalActivities: 14},
	"fulfil-correction.json":                               {Events: 55, Tasks: 6, Activities: 2, LocalActivities: 16},
	"fulfil-deletion-held.json":                            {Events: 42, Tasks: 4, Activities: 2, LocalActivities: 11},
	"fulfil-portability.json":                              {Events: 52, Tasks: 6, Activities: 5, LocalActivities: 11},
	"locked-manual-deny.json":                              {Events: 72, Tasks: 8, Activities: 0, LocalActivities: 21},
	"overdue-complete.json":                                {Events: 22, Tasks: 2, Activities: 0, LocalActivities: 7},
	"reminder-fires.json":                                  {Events: 27, Tasks: 3, Activities: 0, LocalActivities: 6},
	"relink.json":                                          {Events: 23, Tasks: 4, Activities: 3, LocalActivities: 0},
	"repin.json":                                           {Events: 30, Tasks: 3, Activities: 0, LocalActivities: 5},
	"replan-deadline-unknown.json":                         {Events: 12, Tasks: 1, Activities: 0, LocalActivities: 3},
	"request-info-received.json":                           {Events: 32, Tasks: 3, Activities: 0, LocalActivities: 7},
	"retention.json":                                       {Events: 11, Tasks: 2, Activities: 1, LocalActivities: 0},
	"retry-fulfilment.json":                                {Events: 72, Tasks: 9, Activities: 6, LocalActivities: 15},
	"sms-code-complete.json":                               {Events: 32, Tasks: 3, Activities: 0, LocalActivities: 8},
	"stop-the-clock-withdraw.json":                         {Events: 38, Tasks: 4, Activities: 0, LocalActivities: 8},
	"v0-code-extend-complete.json":                         {Events: 101, Tasks: 14, Activities: 12, LocalActivities: 0},
	"v0-locked-manual-deny.json":                           {Events: 176, Tasks: 27, Activities: 19, LocalActivities: 0},
	"v0-overdue-complete.json":                             {Events: 45, Tasks: 5, Activities: 7, LocalActivities: 0},
	"v0-stop-the-clock-withdraw.json":                      {Events: 66, Tasks: 8, Activities: 8, LocalActivities: 0},
	"v0-verification-window-expired.json":                  {Events: 27, Tasks: 4, Activities: 3, LocalActivities: 0},
	"v1-code-extend-complete.json":                         {Events: 106, Tasks: 15, Activities: 12, LocalActivities: 0},
	"v1-locked-manual-deny.json":                           {Events: 178, Tasks: 27, Activities: 19, LocalActivities: 0},
	"v1-overdue-complete.json":                             {Events: 50, Tasks: 6, Activities: 7, LocalActivities: 0},
	"v1-stop-the-clock-withdraw.json":                      {Events: 68, Tasks: 8, Activities: 8, LocalActivities: 0},
	"v1-verification-window-expired.json":                  {Events: 29, Tasks: 4, Activities: 3, LocalActivities: 0},
	"v2-books-complete.json":                               {Events: 76, Tasks: 10, Activities: 8, LocalActivities: 0},
	"v2-code-extend-complete.json":                         {Events: 105, Tasks: 14, Activities: 12, LocalActivities: 0},
	"v2-email-classify-complete.json":                      {Events: 94, Tasks: 12, Activities: 11, LocalActivities: 0},
	"v2-fulfil-correction.json":                            {Events: 142, Tasks: 17, Activities: 19, LocalActivities: 0},
	"v2-fulfil-deletion-held.json":                         {Events: 130, Tasks: 18, Activities: 16, LocalActivities: 0},
	"v2-locked-manual-deny.json":                           {Events: 180, Tasks: 27, Activities: 19, LocalActivities: 0},
	"v2-overdue-complete.json":                             {Events: 52, Tasks: 6, Activities: 7, LocalActivities: 0},
	"v2-sms-code-complete.json":                            {Events: 70, Tasks: 9, Activities: 8, LocalActivities: 0},
	"v2-stop-the-clock-withdraw.json":                      {Events: 70, Tasks: 8, Activities: 8, LocalActivities: 0},
	"v2-verification-window-expired.json":                  {Events: 45, Tasks: 6, Activities: 5, LocalActivities: 0},
	"verification-window-expired.json":                     {Events: 13, Tasks: 1, Activities: 0, LocalActivities: 3},
	"withdraw-pending-verification.json":                   {Events: 22, Tasks: 2, Activities: 0, LocalActivities: 6},
	"withdraw.json":                                        {Events: 17, Tasks: 1, Activities: 0, LocalActivities: 4},
	"wrong-email-codes.json":                               {Events: 74, Tasks: 9, Activities: 0, LocalActivities: 20},
}

// historyBudget is the most a history may hold of what costs most: events
// (stored and replayed), workflow tasks (each a round trip to the worker)
// and activities of either kind.
type historyBudget struct {
	Events, Tasks, Activities, LocalActivities int
}

// historyCounts is what one history holds, by the kinds of event that
// make a path long.
type historyCounts struct {
	Events          int
	Tasks           int // WorkflowTaskCompleted
	Activities      int // ActivityTaskScheduled
	LocalActivities int // MarkerRecorded "LocalActivity"
	Markers         int // other markers: side effects, versions
	Upserts         int // search-attribute upserts
	Updates         int // updates accepted
	Timers          int // timers started
	Children        int // child workflows initiated
	ContinueAsNew   int
}

func countHistory(h *historypb.History) historyCounts {
	var c historyCounts
	for _, ev := range h.GetEvents() {
		c.Events++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			c.Tasks++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			c.Activities++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
				c.LocalActivities++
			} else {
				c.Markers++
			}
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			c.Upserts++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			c.Updates++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			c.Timers++
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
			c.Children++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			c.ContinueAsNew++
		}
	}
	return c
}

// overBudget lists what c holds beyond b, empty when within it.
func overBudget(c historyCounts, b historyBudget) []string {
	var over []string
	for _, f := range []struct {
		name      string
		got, most int
	}{
		{"events", c.Events, b.Events},
		{"workflow tasks", c.Tasks, b.Tasks},
		{"activities", c.Activities, b.Activities},
		{"local activities", c.LocalActivities, b.LocalActivities},
	} {
		if f.got > f.most {
			over = append(over, fmt.Sprintf("%d %s, budget %d", f.got, f.name, f.most))
		}
	}
	return over
}

func readHistory(path string) (*historypb.History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return nil, fmt.Errorf("read history %s: %w", path, err)
	}
	return h, nil
}

// TestHistorySizes prints, with -v, what each recorded history holds, as
// the Markdown table docs/benchmarks.md keeps, and fails a history beyond
// its budget in historyBudgets, or without one.
func TestHistorySizes(t *testing.T) {
	var table strings.Builder
	table.WriteString("\n| history | events | workflow tasks | activities | local activities | side effects/versions | SA upserts | updates accepted | timers | child workflows | continue-as-new |\n")
	table.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, path := range recordedHistories(t) {
		name := filepath.Base(path)
		h, err := readHistory(path)
		if err != nil {
			t.Error(err)
			continue
		}
		c := countHistory(h)
		fmt.Fprintf(&table, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n", name,
			c.Events, c.Tasks, c.Activities, c.LocalActivities, c.Markers, c.Upserts, c.Updates, c.Timers, c.Children, c.ContinueAsNew)
		b, ok := historyBudgets[name]
		if !ok {
			t.Errorf("%s has no budget: add it to historyBudgets in history_size_test.go, e.g. %q: {Events: %d, Tasks: %d, Activities: %d, LocalActivities: %d}",
				name, name, c.Events, c.Tasks, c.Activities, c.LocalActivities)
			continue
		}
		if over := overBudget(c, b); len(over) > 0 {
			t.Errorf("%s is beyond its budget: %s", name, strings.Join(over, "; "))
		}
	}
	t.Log(table.String())
}

// TestHistoryBudgetCatchesGrowth shows the budget can fail: a recorded
// history with one more event, workflow task and activity than it has
// today is over a budget set to today's counts.
func TestHistoryBudgetCatchesGrowth(t *testing.T) {
	path := filepath.Join(historyDir, "code-extend-complete.json")
	h, err := readHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	c := countHistory(h)
	b := historyBudget{Events: c.Events, Tasks: c.Tasks, Activities: c.Activities, LocalActivities: c.LocalActivities}
	if over := overBudget(c, b); len(over) != 0 {
		t.Fatalf("a history within its budget is reported over it: %v", over)
	}
	h.Events = append(h.Events,
		&historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED},
		&historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED},
		&historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_MARKER_RECORDED, Attributes: &historypb.HistoryEvent_MarkerRecordedEventAttributes{
			MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{MarkerName: "LocalActivity", Details: map[string]*commonpb.Payloads{}}}})
	over := overBudget(countHistory(h), b)
	if len(over) != 4 {
		t.Fatalf("three more events (a task, an activity, a local activity) over a budget of today's counts: %v, want events, tasks, activities and local activities reported", over)
	}
}

// Recording refuses to replace a history: the file is named, and left as
// it was.
func TestSaveHistoryRefusesOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "code-extend-complete.json")
	first := &historypb.History{Events: []*historypb.HistoryEvent{{EventId: 1, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED}}}
	if err := saveHistory(path, first); err != nil {
		t.Fatal(err)
	}
	was, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	second := &historypb.History{Events: []*historypb.HistoryEvent{{EventId: 1, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED},
		{EventId: 2, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED}}}
	err = saveHistory(path, second)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("second save over %s: err = %v, want a refusal naming the file", path, err)
	}
	is, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(is) != string(was) {
		t.Fatalf("the refused save changed %s", path)
	}
	// The history written first reads back as the replayer reads it.
	h, err := readHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.GetEvents()) != 1 {
		t.Fatalf("read back %d events, want 1", len(h.GetEvents()))
	}
}
